//! `row_window_session(t, max_from_first, max_between [, restart])` as a DataFusion window
//! function: it walks the ordered rows once and keeps the session's start.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, TimestampNanosecondArray};
use datafusion::arrow::datatypes::{
    DataType, DurationNanosecondType, Field, FieldRef, TimeUnit, TimestampNanosecondType,
};
use datafusion::common::Result;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{Expr, PartitionEvaluator, Signature, Volatility, WindowUDF, WindowUDFImpl};

/// The `row_window_session` window function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Session {
    signature: Signature,
}

/// `row_window_session(args...)` with an empty `OVER ()` (ordered by the planner).
pub(crate) fn call(args: Vec<Expr>) -> Expr {
    session_udf().call(args)
}

/// The window function of [`call`].
pub(crate) fn session_udf() -> WindowUDF {
    WindowUDF::new_from_impl(Session { signature: Signature::variadic_any(Volatility::Immutable) })
}

impl WindowUDFImpl for Session {
    fn name(&self) -> &str {
        "row_window_session"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn partition_evaluator(&self, _: PartitionEvaluatorArgs<'_>) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(Sessions))
    }
    fn field(&self, args: WindowUDFFieldArgs<'_>) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(args.name(), DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), true)))
    }
}

#[derive(Debug)]
struct Sessions;

impl PartitionEvaluator for Sessions {
    /// Kusto's model: a value starts a session when there is no session (or the previous value
    /// was null), when it is at least `max_from_first` after the session's start or at least
    /// `max_between` after the previous value, or when `restart` holds; a null value is null and
    /// ends the session.
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let [t, first, between, rest @ ..] = values else {
            return datafusion::common::exec_err!("row_window_session takes 3 or 4 arguments");
        };
        let t = t.as_primitive::<TimestampNanosecondType>();
        let first = first.as_primitive::<DurationNanosecondType>();
        let between = between.as_primitive::<DurationNanosecondType>();
        let restart = rest.first().map(|r| r.as_boolean());
        let mut out = Vec::with_capacity(num_rows);
        let mut session: Option<i64> = None;
        let mut previous: Option<i64> = None;
        for i in 0..num_rows {
            if t.is_null(i) {
                out.push(None);
                session = None;
                previous = None;
                continue;
            }
            let v = t.value(i);
            let restarts = restart.is_some_and(|r| r.is_valid(i) && r.value(i));
            let new = match (session, previous) {
                (Some(start), Some(prev)) => {
                    restarts
                        || (first.is_valid(i) && v >= start.saturating_add(first.value(i)))
                        || (between.is_valid(i) && v >= prev.saturating_add(between.value(i)))
                }
                _ => true,
            };
            if new {
                session = Some(v);
            }
            previous = Some(v);
            out.push(session);
        }
        Ok(Arc::new(TimestampNanosecondArray::from(out).with_timezone("UTC")))
    }
}

/// `row_number(start, restart)` and `row_cumsum(term, restart)` with a restart condition: the
/// count (or sum) starts again at each row where `restart` holds.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Restarting {
    /// `Some(start)` for `row_number`, `None` for `row_cumsum`.
    pub(crate) start: Option<i64>,
    /// The sum's type (`long` or `real`) for `row_cumsum`.
    pub(crate) real: bool,
    signature: Signature,
}

/// `row_number(start, restart)`: `args` is the restart condition.
pub(crate) fn row_number(start: i64, restart: Expr) -> Expr {
    restarting_udf(Some(start), false).call(vec![restart])
}

/// The window function of [`row_number`] (`start`) or [`row_cumsum`] (no start).
pub(crate) fn restarting_udf(start: Option<i64>, real: bool) -> WindowUDF {
    WindowUDF::new_from_impl(Restarting { start, real, signature: Signature::variadic_any(Volatility::Immutable) })
}

/// `row_cumsum(term, restart)`, `term` a `long` (or a `real` when `real`).
pub(crate) fn row_cumsum(term: Expr, restart: Expr, real: bool) -> Expr {
    restarting_udf(None, real).call(vec![term, restart])
}

impl WindowUDFImpl for Restarting {
    fn name(&self) -> &str {
        if self.start.is_some() { "row_number_restarting" } else { "row_cumsum_restarting" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn partition_evaluator(&self, _: PartitionEvaluatorArgs<'_>) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(RestartingRows { start: self.start, real: self.real }))
    }
    fn field(&self, args: WindowUDFFieldArgs<'_>) -> Result<FieldRef> {
        let t = if self.real { DataType::Float64 } else { DataType::Int64 };
        Ok(Arc::new(Field::new(args.name(), t, true)))
    }
}

#[derive(Debug)]
struct RestartingRows {
    start: Option<i64>,
    real: bool,
}

impl PartitionEvaluator for RestartingRows {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        use datafusion::arrow::array::{Float64Array, Int64Array};
        use datafusion::arrow::datatypes::{Float64Type, Int64Type};
        let restarts = |i: usize, r: &ArrayRef| {
            let r = r.as_boolean();
            i > 0 && r.is_valid(i) && r.value(i)
        };
        match (self.start, values) {
            (Some(start), [restart]) => {
                let mut n = start - 1;
                let out: Int64Array = (0..num_rows)
                    .map(|i| {
                        n = if restarts(i, restart) { start } else { n + 1 };
                        Some(n)
                    })
                    .collect();
                Ok(Arc::new(out))
            }
            (None, [term, restart]) if self.real => {
                let term = term.as_primitive::<Float64Type>();
                let mut sum = 0.0;
                let out: Float64Array = (0..num_rows)
                    .map(|i| {
                        if restarts(i, restart) {
                            sum = 0.0;
                        }
                        sum += if term.is_valid(i) { term.value(i) } else { 0.0 };
                        Some(sum)
                    })
                    .collect();
                Ok(Arc::new(out))
            }
            (None, [term, restart]) => {
                let term = term.as_primitive::<Int64Type>();
                let mut sum: i64 = 0;
                let out: Int64Array = (0..num_rows)
                    .map(|i| {
                        if restarts(i, restart) {
                            sum = 0;
                        }
                        sum = sum.wrapping_add(if term.is_valid(i) { term.value(i) } else { 0 });
                        Some(sum)
                    })
                    .collect();
                Ok(Arc::new(out))
            }
            _ => datafusion::common::exec_err!("row_number/row_cumsum with a restart: wrong arguments"),
        }
    }
}
