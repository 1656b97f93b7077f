//! The execution plan of `scan`: one partition, in the input's order (an ordered input is
//! merged in order), the steps' state machine ([`super::scan_machine`]) run batch by batch.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DFSchema, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, OrderingRequirements, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, ReplaceChildrenOptions};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use futures::StreamExt as _;

use super::scan_machine::{Machine, PlannedStep};
use super::scan_node::{ScanNode, ScanSpec};

/// `scan` over one ordered input partition.
#[derive(Debug)]
pub(crate) struct ScanExec {
    input: Arc<dyn ExecutionPlan>,
    spec: Arc<ScanSpec>,
    steps: Arc<Vec<PlannedStep>>,
    schema: SchemaRef,
    /// The input's order when planned, kept through optimization.
    order: Option<OrderingRequirements>,
    properties: Arc<PlanProperties>,
}

impl ScanExec {
    pub(crate) fn try_new(input: Arc<dyn ExecutionPlan>, node: &ScanNode, session: &dyn Session) -> DfResult<Self> {
        let spec = Arc::clone(&node.spec);
        let eval = &spec.eval_schema;
        let state_from = eval.fields().len() - spec.state.len();
        // Each expression runs over just the columns it reads.
        let physical = |e: &datafusion::logical_expr::Expr| -> DfResult<PlannedExpr> {
            let mut columns: Vec<usize> =
                e.column_refs().into_iter().map(|c| eval.index_of_column(c)).collect::<DfResult<_>>()?;
            columns.sort_unstable();
            columns.dedup();
            let fields = columns.iter().map(|&i| {
                let (q, f) = eval.qualified_field(i);
                (q.cloned(), Arc::clone(f))
            });
            let narrow = DFSchema::new_with_metadata(fields.collect(), eval.metadata().clone())?;
            let expr = session.create_physical_expr(e.clone(), &narrow)?;
            let stateful = columns.iter().any(|&i| i >= state_from);
            Ok(PlannedExpr { expr, stateful, schema: Arc::clone(narrow.inner()), columns })
        };
        let mut steps = Vec::with_capacity(spec.steps.len());
        for s in &spec.steps {
            let condition = physical(&s.condition)?;
            let assignments =
                s.assignments.iter().map(|(i, e)| Ok((*i, physical(e)?))).collect::<DfResult<Vec<_>>>()?;
            steps.push(PlannedStep { output: s.output, condition, assignments });
        }
        let schema: SchemaRef =
            Arc::new(datafusion::logical_expr::UserDefinedLogicalNodeCore::schema(node).as_arrow().clone());
        let order = input.properties().output_ordering().cloned().map(OrderingRequirements::from);
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(Self { input, spec, steps: Arc::new(steps), schema, order, properties })
    }
}

/// A step expression over the columns it reads, and whether it reads the state (else it runs
/// over whole batches).
#[derive(Debug)]
pub(crate) struct PlannedExpr {
    pub(crate) expr: Arc<dyn PhysicalExpr>,
    pub(crate) stateful: bool,
    /// The columns it reads, as positions in [`ScanSpec::eval_schema`].
    pub(crate) columns: Vec<usize>,
    /// Their schema.
    pub(crate) schema: SchemaRef,
}

impl DisplayAs for ScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KqlScanExec: steps=[")?;
        for (i, s) in self.spec.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&s.name)?;
        }
        f.write_str("]")?;
        if let Some(k) = self.spec.key {
            write!(f, ", per={}", self.input.schema().field(k).name())?;
        }
        Ok(())
    }
}

impl ExecutionPlan for ScanExec {
    fn name(&self) -> &str {
        "KqlScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        vec![Distribution::SinglePartition]
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        vec![self.order.clone()]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![false]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        for s in self.steps.iter() {
            for e in std::iter::once(&s.condition).chain(s.assignments.iter().map(|(_, e)| e)) {
                if f(&e.expr)? == TreeNodeRecursion::Stop {
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let input = children.pop().ok_or_else(|| datafusion::common::internal_datafusion_err!("scan has one input"))?;
        Ok(Arc::new(Self {
            input,
            spec: Arc::clone(&self.spec),
            steps: Arc::clone(&self.steps),
            schema: Arc::clone(&self.schema),
            order: self.order.clone(),
            properties: Arc::clone(&self.properties),
        }))
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(datafusion::physical_plan::execution_plan::ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(datafusion::common::internal_datafusion_err!("scan has one partition, not {partition}"));
        }
        let input = self.input.execute(0, context)?;
        let machine = Machine::new(Arc::clone(&self.spec), Arc::clone(&self.steps), Arc::clone(&self.schema))?;
        // Each input batch gives the rows it completes; the rows held back (`output=last`)
        // come out when the input ends.
        let stream = futures::stream::unfold(Some((input, machine)), |state| async move {
            let (mut input, mut machine) = state?;
            loop {
                match input.next().await {
                    Some(Ok(batch)) => match machine.push(&batch) {
                        Ok(Some(out)) => return Some((Ok(out), Some((input, machine)))),
                        Ok(None) => {}
                        Err(e) => return Some((Err(e), None)),
                    },
                    Some(Err(e)) => return Some((Err(e), None)),
                    None => return machine.finish().transpose().map(|r| (r, None)),
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&self.schema), stream)))
    }
}
