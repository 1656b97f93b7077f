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
struct Session {
    signature: Signature,
}

/// `row_window_session(args...)` with an empty `OVER ()` (ordered by the planner).
pub(crate) fn call(args: Vec<Expr>) -> Expr {
    WindowUDF::new_from_impl(Session { signature: Signature::variadic_any(Volatility::Immutable) }).call(args)
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
