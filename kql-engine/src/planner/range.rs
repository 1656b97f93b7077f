//! `range x from a to b step s`: a lazily generated column of longs or datetimes.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, IntervalMonthDayNano, Schema, TimeUnit};
use datafusion::common::{DFSchema, ScalarValue, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::generate_series::{GenSeriesArgs, GenerateSeriesTable};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use kql_parser::ast::Range;

use super::expr::ExprCtx;
use super::statement::{as_literal, fold};
use super::tabular::df;
use super::types::{duration_nanos, timestamp_nanos};
use super::{KqlContextProvider, KqlToRel, Scope};
use crate::error::{KqlError, Result};

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `range`: the bounds and the step are constants (a `let`, `now()`, arithmetic); the rows
    /// are generated batch by batch as they are read, so a long range costs no memory.
    pub(crate) fn range(&self, r: &Range, scope: &Scope) -> Result<LogicalPlan> {
        let empty = DFSchema::empty();
        let ctx = ExprCtx { schema: &empty, scope, depth: 0, filter: false };
        let constant = |e: &kql_parser::ast::Expr, what: &str| -> Result<ScalarValue> {
            let v = fold(self.expr(e, &ctx)?);
            as_literal(&v)
                .cloned()
                .ok_or_else(|| KqlError::plan(e.span, format!("the {what} of `range` must be a constant")))
        };
        let (from, to, step) = (constant(&r.from, "start")?, constant(&r.to, "end")?, constant(&r.step, "step")?);
        let name = r.column.name.as_str();
        let (args, data_type) = if let (Some(a), Some(b)) = (timestamp_nanos(&from), timestamp_nanos(&to)) {
            let Some(s) = duration_nanos(&step) else {
                return Err(KqlError::plan(r.step.span, "a datetime `range` needs a timespan step"));
            };
            if s == 0 {
                return Err(KqlError::plan(r.step.span, "the step of `range` cannot be zero"));
            }
            let step = IntervalMonthDayNano { months: 0, days: 0, nanoseconds: s };
            let tz = Some(Arc::from("UTC"));
            (
                GenSeriesArgs::TimestampArgs { start: a, end: b, step, tz, include_end: true, name: "range" },
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            )
        } else {
            let long = |v: &ScalarValue, e: &kql_parser::ast::Expr| -> Result<i64> {
                match v.cast_to(&DataType::Int64) {
                    Ok(ScalarValue::Int64(Some(n)))
                        if matches!(
                            v.data_type(),
                            DataType::Int8
                                | DataType::Int16
                                | DataType::Int32
                                | DataType::Int64
                                | DataType::UInt8
                                | DataType::UInt16
                                | DataType::UInt32
                                | DataType::UInt64
                        ) =>
                    {
                        Ok(n)
                    }
                    _ => Err(KqlError::not_supported(
                        e.span,
                        format!(
                            "`range` over {} values (long and datetime ranges run)",
                            super::KqlType::of(&v.data_type()).name()
                        ),
                    )),
                }
            };
            let (a, b, s) = (long(&from, &r.from)?, long(&to, &r.to)?, long(&step, &r.step)?);
            if s == 0 {
                return Err(KqlError::plan(r.step.span, "the step of `range` cannot be zero"));
            }
            (GenSeriesArgs::Int64Args { start: a, end: b, step: s, include_end: true, name: "range" }, DataType::Int64)
        };
        let schema = Arc::new(Schema::new(vec![Field::new(name, data_type, false)]));
        let table = GenerateSeriesTable::new(schema, args);
        LogicalPlanBuilder::scan(TableReference::bare("range"), provider_as_source(Arc::new(table)), None)
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)
    }
}
