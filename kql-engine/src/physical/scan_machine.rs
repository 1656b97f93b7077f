//! The state machine of `scan` (scan-operator.md, "Scan logic").
//!
//! Each row is matched against the steps from the last to the first. Step k matches a row when
//! the state of step k-1 is active and the row meets k's condition over that state (check 1:
//! the sequence moves up to k), or else when k's own state is active, or k is the first step,
//! and the row meets the condition over k's state (check 2: the row replaces k's entry; on the
//! first step with no active sequence a new sequence and match id begin). A matching row is
//! extended by the step's assignments and output as the step says (`all`, the `last` of a
//! series of matches, or `none`).
//!
//! Conditions and assignments that read no state run over whole batches; the others run over
//! one row with the state as extra columns. With a partition key, each key value has its own
//! state and match ids.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::interleave;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{Result as DfResult, ScalarValue};
use kql_parser::ast::ScanOutput;

use super::scan_exec::PlannedExpr;
use super::scan_node::ScanSpec;

/// A step's physical expressions.
#[derive(Debug)]
pub(crate) struct PlannedStep {
    pub(crate) output: ScanOutput,
    pub(crate) condition: PlannedExpr,
    pub(crate) assignments: Vec<(usize, PlannedExpr)>,
}

/// An active sequence: its match id and the state columns' values.
#[derive(Clone, Debug)]
struct Seq {
    id: i64,
    values: Vec<ScalarValue>,
}

/// An output row: an input row (by batch number and row), its declared values, its match id.
#[derive(Clone, Debug)]
struct OutRow {
    batch: usize,
    row: usize,
    declared: Vec<ScalarValue>,
    id: i64,
}

/// The state of one partition key's scan.
#[derive(Debug)]
struct Lanes {
    states: Vec<Option<Seq>>,
    /// The row an `output=last` step holds back until its series ends.
    pending: Vec<Option<OutRow>>,
    next_id: i64,
}

impl Lanes {
    fn new(steps: usize) -> Self {
        Self { states: vec![None; steps], pending: vec![None; steps], next_id: 0 }
    }
}

/// The scan's running state over its input batches.
pub(crate) struct Machine {
    spec: Arc<ScanSpec>,
    steps: Arc<Vec<PlannedStep>>,
    schema: SchemaRef,
    n_input: usize,
    /// The declared columns' defaults, one row each.
    defaults: Vec<ArrayRef>,
    /// The state columns' values before any match: null, or the declared default.
    reset: Vec<ScalarValue>,
    /// Each partition key's state (keys in Arrow's row format; one empty key without a
    /// partition).
    lanes: HashMap<Box<[u8]>, Lanes>,
    keys: Option<RowConverter>,
    batch_no: usize,
    /// Input batches that held-back rows still point into (and the current one).
    held: Vec<(usize, RecordBatch)>,
}

/// Where a row is: its batch (and number) and position.
#[derive(Clone, Copy)]
struct At<'a> {
    batch: &'a RecordBatch,
    no: usize,
    row: usize,
}

/// The whole-batch values of the stateless expressions, per step.
struct Bulk {
    conditions: Vec<Option<ArrayRef>>,
    assignments: Vec<Vec<Option<ArrayRef>>>,
}

impl Machine {
    pub(crate) fn new(spec: Arc<ScanSpec>, steps: Arc<Vec<PlannedStep>>, schema: SchemaRef) -> DfResult<Self> {
        let n_input = spec.eval_schema.fields().len() - spec.declared.len() - spec.state.len();
        let defaults = spec.declared.iter().map(|(_, v)| v.to_array()).collect::<DfResult<Vec<_>>>()?;
        let mut reset = Vec::with_capacity(spec.state.len());
        for r in &spec.state {
            reset.push(if r.column >= n_input {
                spec.declared[r.column - n_input].1.clone()
            } else {
                ScalarValue::try_from(spec.eval_schema.field(r.column).data_type())?
            });
        }
        let keys = match spec.key {
            Some(k) => Some(RowConverter::new(vec![SortField::new(spec.eval_schema.field(k).data_type().clone())])?),
            None => None,
        };
        Ok(Self {
            spec,
            steps,
            schema,
            n_input,
            defaults,
            reset,
            lanes: HashMap::new(),
            keys,
            batch_no: 0,
            held: Vec::new(),
        })
    }

    /// Runs the rows of `batch`; the rows it completes, if any.
    pub(crate) fn push(&mut self, batch: &RecordBatch) -> DfResult<Option<RecordBatch>> {
        let n = batch.num_rows();
        let no = self.batch_no;
        self.batch_no += 1;
        if n == 0 {
            return Ok(None);
        }
        self.held.push((no, batch.clone()));
        let bulk = self.bulk(batch)?;
        let keys: Option<Rows> = match (&self.keys, self.spec.key) {
            (Some(conv), Some(k)) => Some(conv.convert_columns(&[Arc::clone(batch.column(k))])?),
            _ => None,
        };
        let mut lanes = std::mem::take(&mut self.lanes);
        let mut ready: Vec<OutRow> = Vec::new();
        let mut result = Ok(());
        for row in 0..n {
            let key: &[u8] = keys.as_ref().map_or(&[], |k| k.row(row).data());
            let lane = match lanes.get_mut(key) {
                Some(l) => l,
                None => lanes.entry(key.into()).or_insert_with(|| Lanes::new(self.steps.len())),
            };
            result = self.row(lane, At { batch, no, row }, &bulk, &mut ready);
            if result.is_err() {
                break;
            }
        }
        self.lanes = lanes;
        result?;
        self.emit(ready)
    }

    /// The rows still held back, once the input has ended.
    pub(crate) fn finish(&mut self) -> DfResult<Option<RecordBatch>> {
        let mut rows: Vec<OutRow> =
            self.lanes.values_mut().flat_map(|l| l.pending.iter_mut().filter_map(Option::take)).collect();
        rows.sort_by_key(|r| (r.batch, r.row));
        self.emit(rows)
    }

    /// Matches one row against the steps, last to first.
    fn row(&self, lanes: &mut Lanes, at: At<'_>, bulk: &Bulk, ready: &mut Vec<OutRow>) -> DfResult<()> {
        for k in (0..self.steps.len()).rev() {
            let step = &self.steps[k];
            // Check 1: the previous step's sequence moves up to this step.
            if k > 0
                && let Some(prev) = &lanes.states[k - 1]
                && self.condition(step, &bulk.conditions[k], at, &prev.values)?
            {
                let declared = self.assign(step, &bulk.assignments[k], at, &prev.values)?;
                let mut ended: Vec<OutRow> =
                    [lanes.pending[k - 1].take(), lanes.pending[k].take()].into_iter().flatten().collect();
                ended.sort_by_key(|r| (r.batch, r.row));
                ready.extend(ended);
                let mut seq = lanes.states[k - 1].take().unwrap_or_else(|| Seq { id: 0, values: Vec::new() });
                self.record(k, &mut seq, at, &declared)?;
                let out = OutRow { batch: at.no, row: at.row, declared, id: seq.id };
                lanes.states[k] = Some(seq);
                output(step.output, out, &mut lanes.pending[k], ready);
                continue;
            }
            // Check 2: the step's own sequence (or a new one on the first step).
            if lanes.states[k].is_none() && k > 0 {
                continue;
            }
            let values = lanes.states[k].as_ref().map_or(&self.reset, |s| &s.values);
            if !self.condition(step, &bulk.conditions[k], at, values)? {
                continue;
            }
            let declared = self.assign(step, &bulk.assignments[k], at, values)?;
            if lanes.states[k].is_none() {
                lanes.states[k] = Some(Seq { id: lanes.next_id, values: self.reset.clone() });
                lanes.next_id += 1;
            }
            if let Some(seq) = lanes.states[k].as_mut() {
                self.record(k, seq, at, &declared)?;
                let out = OutRow { batch: at.no, row: at.row, declared, id: seq.id };
                output(step.output, out, &mut lanes.pending[k], ready);
            }
        }
        Ok(())
    }

    /// Whether the row meets the step's condition over `state` (null is false).
    fn condition(
        &self,
        step: &PlannedStep,
        bulk: &Option<ArrayRef>,
        at: At<'_>,
        state: &[ScalarValue],
    ) -> DfResult<bool> {
        let (array, i) = match bulk {
            Some(a) => (Arc::clone(a), at.row),
            None => (self.one_row(&step.condition, at, state)?, 0),
        };
        let b = array
            .as_boolean_opt()
            .ok_or_else(|| datafusion::common::internal_datafusion_err!("a scan condition is {}", array.data_type()))?;
        Ok(b.is_valid(i) && b.value(i))
    }

    /// The declared columns of the extended row: assigned values, else defaults.
    fn assign(
        &self,
        step: &PlannedStep,
        bulk: &[Option<ArrayRef>],
        at: At<'_>,
        state: &[ScalarValue],
    ) -> DfResult<Vec<ScalarValue>> {
        let mut declared: Vec<ScalarValue> = self.spec.declared.iter().map(|(_, v)| v.clone()).collect();
        for ((i, e), b) in step.assignments.iter().zip(bulk) {
            declared[*i] = match b {
                Some(a) => ScalarValue::try_from_array(a, at.row)?,
                None => ScalarValue::try_from_array(&self.one_row(e, at, state)?, 0)?,
            };
        }
        Ok(declared)
    }

    /// Stores the extended row as step `k`'s entry of `seq`.
    fn record(&self, k: usize, seq: &mut Seq, at: At<'_>, declared: &[ScalarValue]) -> DfResult<()> {
        if seq.values.len() != self.reset.len() {
            seq.values = self.reset.clone();
        }
        for (r, v) in self.spec.state.iter().zip(seq.values.iter_mut()) {
            if r.step == k {
                *v = if r.column < self.n_input {
                    ScalarValue::try_from_array(at.batch.column(r.column), at.row)?
                } else {
                    declared[r.column - self.n_input].clone()
                };
            }
        }
        Ok(())
    }

    /// `e` over the current row, with `state` as the state columns.
    fn one_row(&self, e: &PlannedExpr, at: At<'_>, state: &[ScalarValue]) -> DfResult<ArrayRef> {
        let state_from = self.n_input + self.spec.declared.len();
        let mut columns = Vec::with_capacity(e.columns.len());
        for &c in &e.columns {
            columns.push(if c < self.n_input {
                at.batch.column(c).slice(at.row, 1)
            } else if c < state_from {
                Arc::clone(&self.defaults[c - self.n_input])
            } else {
                state[c - state_from].to_array()?
            });
        }
        evaluate(e, columns, 1)
    }

    /// The stateless conditions and assignments over the whole batch.
    fn bulk(&self, batch: &RecordBatch) -> DfResult<Bulk> {
        let n = batch.num_rows();
        let whole = |e: &PlannedExpr| -> DfResult<Option<ArrayRef>> {
            if e.stateful {
                return Ok(None);
            }
            let mut columns = Vec::with_capacity(e.columns.len());
            for &c in &e.columns {
                columns.push(if c < self.n_input {
                    Arc::clone(batch.column(c))
                } else {
                    self.spec.declared[c - self.n_input].1.to_array_of_size(n)?
                });
            }
            evaluate(e, columns, n).map(Some)
        };
        let mut conditions = Vec::with_capacity(self.steps.len());
        let mut assignments = Vec::with_capacity(self.steps.len());
        for s in self.steps.iter() {
            conditions.push(whole(&s.condition)?);
            assignments.push(s.assignments.iter().map(|(_, e)| whole(e)).collect::<DfResult<Vec<_>>>()?);
        }
        Ok(Bulk { conditions, assignments })
    }

    /// The output rows as a batch; forgets the input batches no held-back row needs.
    fn emit(&mut self, rows: Vec<OutRow>) -> DfResult<Option<RecordBatch>> {
        let out = if rows.is_empty() { None } else { Some(self.build(&rows)?) };
        let needed: std::collections::HashSet<usize> =
            self.lanes.values().flat_map(|l| l.pending.iter().flatten().map(|r| r.batch)).collect();
        self.held.retain(|(no, _)| needed.contains(no));
        Ok(out)
    }

    fn build(&self, rows: &[OutRow]) -> DfResult<RecordBatch> {
        let position = |no: usize| self.held.iter().position(|(n, _)| *n == no);
        let mut indices = Vec::with_capacity(rows.len());
        for r in rows {
            let b = position(r.batch)
                .ok_or_else(|| datafusion::common::internal_datafusion_err!("scan lost an input batch"))?;
            indices.push((b, r.row));
        }
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for c in 0..self.n_input {
            let arrays: Vec<&dyn Array> = self.held.iter().map(|(_, b)| b.column(c).as_ref()).collect();
            columns.push(interleave(&arrays, &indices)?);
        }
        for (i, (_, default)) in self.spec.declared.iter().enumerate() {
            let array = ScalarValue::iter_to_array(rows.iter().map(|r| r.declared[i].clone()))?;
            let ty = default.data_type();
            columns.push(if array.data_type() == &ty { array } else { datafusion::arrow::compute::cast(&array, &ty)? });
        }
        if self.spec.match_id.is_some() {
            columns.push(Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.id))));
        }
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows.len())),
        )?)
    }
}

/// Evaluates `e` over its columns (`rows` rows).
fn evaluate(e: &PlannedExpr, columns: Vec<ArrayRef>, rows: usize) -> DfResult<ArrayRef> {
    let batch = RecordBatch::try_new_with_options(
        Arc::clone(&e.schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?;
    e.expr.evaluate(&batch)?.into_array(rows)
}

/// Sends a matching row where the step's `output` says.
fn output(mode: ScanOutput, row: OutRow, pending: &mut Option<OutRow>, ready: &mut Vec<OutRow>) {
    match mode {
        ScanOutput::All => ready.push(row),
        ScanOutput::Last => *pending = Some(row),
        ScanOutput::None => {}
    }
}
