//! The logical node of `scan`: the input, the declared columns, the steps' expressions over
//! [`ScanSpec::eval_schema`] and the output schema (the input's columns, the declared columns,
//! then the match id).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{DFSchema, DFSchemaRef, Result as DfResult, ScalarValue};
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};
use kql_parser::ast::ScanOutput;

/// A `Step.Column` reference: the state column at position `column` of the row (input columns,
/// then declared columns) as step `step` last matched it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StateRef {
    pub(crate) step: usize,
    pub(crate) column: usize,
}

/// One step, planned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ScanStepSpec {
    pub(crate) name: String,
    pub(crate) output: ScanOutput,
    /// A boolean over [`ScanSpec::eval_schema`].
    pub(crate) condition: Expr,
    /// (declared column index, value over [`ScanSpec::eval_schema`]).
    pub(crate) assignments: Vec<(usize, Expr)>,
}

/// What the scan does, independent of its input plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScanSpec {
    /// The expressions' columns: the input's, the declared columns (their defaults), then one
    /// per [`StateRef`] named `Step.Column`.
    pub(crate) eval_schema: DFSchemaRef,
    /// Declared columns and their defaults (typed).
    pub(crate) declared: Vec<(String, ScalarValue)>,
    pub(crate) state: Vec<StateRef>,
    pub(crate) steps: Vec<ScanStepSpec>,
    pub(crate) match_id: Option<String>,
    /// The input column whose values each run their own scan (from `partition`).
    pub(crate) key: Option<usize>,
}

/// The schema the steps' expressions see: the input's columns, the declared columns, then one
/// column per state reference, named `Step.Column`.
pub(crate) fn eval_schema(
    input: &DFSchema,
    declared: &[(String, ScalarValue)],
    state: &[StateRef],
    step_names: &[&str],
) -> DfResult<DFSchema> {
    let mut fields: Vec<(Option<datafusion::common::TableReference>, Arc<Field>)> =
        input.iter().map(|(q, f)| (q.cloned(), Arc::clone(f))).collect();
    for (n, v) in declared {
        fields.push((None, Arc::new(Field::new(n, v.data_type(), true))));
    }
    let row_width = fields.len();
    for r in state {
        if r.column >= row_width || r.step >= step_names.len() {
            return Err(datafusion::common::internal_datafusion_err!("scan state reference out of range"));
        }
        let f = Arc::clone(&fields[r.column].1);
        let name = format!("{}.{}", step_names[r.step], f.name());
        fields.push((None, Arc::new(Field::new(name, f.data_type().clone(), true))));
    }
    DFSchema::new_with_metadata(fields, input.metadata().clone())
}

impl ScanSpec {
    /// The same scan over an input with other columns (projection pushdown narrowed it):
    /// column positions are found again by name.
    fn rebase(&self, old: &DFSchema, new: &DFSchema) -> DfResult<Self> {
        let (n_old, n_new) = (old.fields().len(), new.fields().len());
        let map = |c: usize| -> DfResult<usize> {
            if c >= n_old {
                return Ok(c - n_old + n_new);
            }
            let (q, f) = old.qualified_field(c);
            new.index_of_column(&datafusion::common::Column::new(q.cloned(), f.name()))
        };
        let state = self
            .state
            .iter()
            .map(|r| Ok(StateRef { step: r.step, column: map(r.column)? }))
            .collect::<DfResult<Vec<_>>>()?;
        let key = self.key.map(map).transpose()?;
        let names: Vec<&str> = self.steps.iter().map(|s| s.name.as_str()).collect();
        let eval_schema = Arc::new(eval_schema(new, &self.declared, &state, &names)?);
        Ok(Self { eval_schema, state, key, ..self.clone() })
    }

    /// Every expression of every step.
    fn expressions(&self) -> impl Iterator<Item = &Expr> {
        self.steps.iter().flat_map(|s| std::iter::once(&s.condition).chain(s.assignments.iter().map(|(_, e)| e)))
    }
}

impl Hash for ScanSpec {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.declared.hash(state);
        self.state.hash(state);
        self.steps.hash(state);
        self.match_id.hash(state);
        self.key.hash(state);
    }
}

/// `T | scan ...` as a logical plan node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ScanNode {
    pub(crate) input: LogicalPlan,
    pub(crate) spec: Arc<ScanSpec>,
    schema: DFSchemaRef,
}

impl PartialOrd for ScanNode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        // Only equal nodes compare (the spec has no natural order).
        (self == other).then_some(std::cmp::Ordering::Equal)
    }
}

impl ScanNode {
    /// The node over `input`; its schema is the input's plus the declared columns and the
    /// match id.
    pub(crate) fn try_new(input: LogicalPlan, spec: ScanSpec) -> DfResult<Self> {
        let in_schema = input.schema();
        let mut fields: Vec<(Option<datafusion::common::TableReference>, Arc<Field>)> =
            in_schema.iter().map(|(q, f)| (q.cloned(), Arc::clone(f))).collect();
        for (n, v) in &spec.declared {
            fields.push((None, Arc::new(Field::new(n, v.data_type(), true))));
        }
        if let Some(m) = &spec.match_id {
            fields.push((None, Arc::new(Field::new(m, DataType::Int64, false))));
        }
        let schema = Arc::new(DFSchema::new_with_metadata(fields, in_schema.metadata().clone())?);
        Ok(Self { input, spec: Arc::new(spec), schema })
    }
}

impl UserDefinedLogicalNodeCore for ScanNode {
    fn name(&self) -> &str {
        "KqlScan"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    /// None: the steps' expressions are over the scan's own row and state columns, not the
    /// input's schema, so optimizer rules must not rewrite them as input expressions.
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KqlScan:")?;
        if let Some(m) = &self.spec.match_id {
            write!(f, " with_match_id={m}")?;
        }
        if let Some(k) = self.spec.key {
            write!(f, " per {}", self.input.schema().field(k).name())?;
        }
        for s in &self.spec.steps {
            write!(f, " step {}: {}", s.name, s.condition)?;
            for (i, e) in &s.assignments {
                write!(f, ", {} = {e}", self.spec.declared[*i].0)?;
            }
            f.write_str(";")?;
        }
        Ok(())
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> DfResult<Self> {
        let input = inputs.pop().ok_or_else(|| datafusion::common::internal_datafusion_err!("scan has one input"))?;
        if input.schema().fields() == self.input.schema().fields() {
            return Ok(Self { input, spec: Arc::clone(&self.spec), schema: Arc::clone(&self.schema) });
        }
        let spec = self.spec.rebase(self.input.schema(), input.schema())?;
        Self::try_new(input, spec)
    }

    /// The input columns the parent needs, the steps read, the state keeps and the partition
    /// key is: the others are not read from the files.
    fn necessary_children_exprs(&self, output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        let n = self.input.schema().fields().len();
        let mut need: std::collections::BTreeSet<usize> = output_columns.iter().copied().filter(|&i| i < n).collect();
        for e in self.spec.expressions() {
            for c in e.column_refs() {
                if let Ok(i) = self.spec.eval_schema.index_of_column(c)
                    && i < n
                {
                    need.insert(i);
                }
            }
        }
        need.extend(self.spec.state.iter().map(|r| r.column).filter(|&c| c < n));
        need.extend(self.spec.key);
        Some(vec![need.into_iter().collect()])
    }
}
