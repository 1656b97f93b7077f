//! `range x from a to b step s`: a lazily generated column of longs or datetimes.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, IntervalMonthDayNano, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, ScalarValue, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::generate_series::{GenSeriesArgs, GenerateSeriesTable};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, TableType};
use datafusion::physical_plan::ExecutionPlan;
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
            (
                RangeSpec::DateTime { start: a, end: b, step: s },
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
            (RangeSpec::Long { start: a, end: b, step: s }, DataType::Int64)
        };
        let schema = Arc::new(Schema::new(vec![Field::new(name, data_type, false)]));
        let table = RangeTable { schema, spec: args };
        LogicalPlanBuilder::scan(TableReference::bare("range"), provider_as_source(Arc::new(table)), None)
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)
    }
}

/// The bounds and step of a `range` (datetimes in nanoseconds since 1970).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum RangeSpec {
    /// A `long` range.
    Long {
        /// The first value.
        start: i64,
        /// The last value (included when reached).
        end: i64,
        /// The step (not zero).
        step: i64,
    },
    /// A `datetime` range with a timespan step.
    DateTime {
        /// The first value.
        start: i64,
        /// The last value (included when reached).
        end: i64,
        /// The step in nanoseconds (not zero).
        step: i64,
    },
}

/// The rows of a `range`, generated as they are read (DataFusion's `generate_series`); the
/// table keeps its bounds so a plan that ships it can describe it.
#[derive(Debug)]
pub(crate) struct RangeTable {
    pub(crate) schema: SchemaRef,
    pub(crate) spec: RangeSpec,
}

impl RangeTable {
    fn generator(&self) -> GenerateSeriesTable {
        let args = match self.spec {
            RangeSpec::Long { start, end, step } => {
                GenSeriesArgs::Int64Args { start, end, step, include_end: true, name: "range" }
            }
            RangeSpec::DateTime { start, end, step } => GenSeriesArgs::TimestampArgs {
                start,
                end,
                step: IntervalMonthDayNano { months: 0, days: 0, nanoseconds: step },
                tz: Some(Arc::from("UTC")),
                include_end: true,
                name: "range",
            },
        };
        GenerateSeriesTable::new(Arc::clone(&self.schema), args)
    }
}

#[async_trait]
impl TableProvider for RangeTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[DfExpr],
        limit: Option<usize>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        self.generator().scan(state, projection, filters, limit).await
    }
}
