//! Binning and datetime differences: `bin`/`floor` with two arguments (and `bin_at` through
//! it) and `datetime_diff`, with Kusto's rules (spec §11: bins round down, also below zero and
//! before 1970; datetime bins align to the Unix epoch; `datetime_diff` counts boundaries).

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::Operator as DfOp;
use datafusion::logical_expr::{Expr as DfExpr, ExprSchemable, binary_expr, cast, lit, when};
use kql_parser::Span;
use kql_parser::ast::Arg;

use super::expr::{ExprCtx, constant_nanos};
use super::statement::{as_literal, fold};
use super::tabular::df;
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel};
use crate::error::{KqlError, Result};

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `bin(value, size)`: down to a multiple of `size` (datetimes align to the Unix epoch).
    pub(crate) fn bin(&self, x: DfExpr, size: DfExpr, span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let t = self.kql_type(&x, ctx)?;
        match t {
            KqlType::DateTime => {
                let Some(ns) = constant_nanos(&size) else {
                    return Err(KqlError::plan(span, "the bin size of a datetime must be a constant timespan"));
                };
                if ns <= 0 {
                    return Ok(lit(ScalarValue::TimestampNanosecond(None, Some("UTC".into()))));
                }
                let stride = lit(ScalarValue::IntervalMonthDayNano(Some(
                    datafusion::arrow::datatypes::IntervalMonthDayNano::new(0, 0, ns),
                )));
                let origin = lit(ScalarValue::TimestampNanosecond(Some(0), Some("UTC".into())));
                let target = x.get_type(ctx.schema).map_err(df)?;
                let utc = match &target {
                    DataType::Timestamp(u, _) => DataType::Timestamp(*u, Some("UTC".into())),
                    other => other.clone(),
                };
                Ok(cast(f::date_bin(stride, cast(x, utc), origin), target))
            }
            KqlType::TimeSpan => {
                let Some(ns) = constant_nanos(&size) else {
                    return Err(KqlError::plan(span, "the bin size of a timespan must be a constant timespan"));
                };
                let n = cast(cast(x, DataType::Duration(TimeUnit::Nanosecond)), DataType::Int64);
                Ok(cast(floor_multiple(n, lit(ns)), DataType::Duration(TimeUnit::Nanosecond)))
            }
            KqlType::Int | KqlType::Long => {
                let size_t = self.kql_type(&size, ctx)?;
                if size_t == KqlType::Real {
                    let v = f::floor(binary_expr(cast(x, DataType::Float64), DfOp::Divide, size.clone()));
                    return Ok(binary_expr(v, DfOp::Multiply, size));
                }
                let out_t = x.get_type(ctx.schema).map_err(df)?;
                Ok(cast(floor_multiple(cast(x, DataType::Int64), cast(size, DataType::Int64)), out_t))
            }
            KqlType::Real => {
                let v = f::floor(binary_expr(x, DfOp::Divide, cast(size.clone(), DataType::Float64)));
                Ok(binary_expr(v, DfOp::Multiply, cast(size, DataType::Float64)))
            }
            KqlType::Dynamic => Err(KqlError::plan(span, "bin() needs a number, datetime or timespan, got dynamic")
                .with_help("convert it first: bin(todatetime(x), 1h) or bin(toreal(x), 10)")),
            other => {
                Err(KqlError::plan(span, format!("bin() needs a number, datetime or timespan, got {}", other.name())))
            }
        }
    }

    pub(crate) fn datetime_diff(&self, args: &[Arg], ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let v = ctx.value();
        let part = fold(self.expr(&args[0].value, &v)?);
        let Some(part) = as_literal(&part).and_then(super::expr::string_of).map(str::to_lowercase) else {
            return Err(KqlError::plan(
                args[0].value.span,
                "the first argument of datetime_diff() is a constant part name such as 'day'",
            ));
        };
        let a = self.expr(&args[1].value, &v)?;
        let b = self.expr(&args[2].value, &v)?;
        self.time_arg(&args[1].value, a.clone(), "datetime_diff", ctx)?;
        self.time_arg(&args[2].value, b.clone(), "datetime_diff", ctx)?;
        let ns = |e: DfExpr| cast(cast(e, DataType::Timestamp(TimeUnit::Nanosecond, None)), DataType::Int64);
        let unit: i64 = match part.as_str() {
            "year" | "quarter" | "month" => {
                let months = |e: DfExpr| {
                    binary_expr(
                        binary_expr(
                            cast(f::date_part(lit("year"), e.clone()), DataType::Int64),
                            DfOp::Multiply,
                            lit(12i64),
                        ),
                        DfOp::Plus,
                        cast(f::date_part(lit("month"), e), DataType::Int64),
                    )
                };
                let diff = binary_expr(months(a), DfOp::Minus, months(b));
                return Ok(match part.as_str() {
                    "year" => binary_expr(diff, DfOp::Divide, lit(12i64)),
                    "quarter" => binary_expr(diff, DfOp::Divide, lit(3i64)),
                    _ => diff,
                });
            }
            "week" => 7 * 86_400_000_000_000,
            "day" => 86_400_000_000_000,
            "hour" => 3_600_000_000_000,
            "minute" => 60_000_000_000,
            "second" => 1_000_000_000,
            "millisecond" => 1_000_000,
            "microsecond" => 1_000,
            "nanosecond" => 1,
            other => return Err(KqlError::plan(args[0].value.span, format!("unknown datetime part '{other}'"))),
        };
        // Boundaries crossed: floor(a / unit) - floor(b / unit).
        let floor_div = |e: DfExpr| {
            let n = ns(e);
            binary_expr(binary_expr(n.clone(), DfOp::Minus, modulo_pos(n, lit(unit))), DfOp::Divide, lit(unit))
        };
        Ok(binary_expr(floor_div(a), DfOp::Minus, floor_div(b)))
    }
}

/// `((a % b) + b) % b` for a positive `b`.
fn modulo_pos(a: DfExpr, b: DfExpr) -> DfExpr {
    binary_expr(binary_expr(binary_expr(a, DfOp::Modulo, b.clone()), DfOp::Plus, b.clone()), DfOp::Modulo, b)
}

/// The largest multiple of `size` not above `x` (null for a size that is not positive).
fn floor_multiple(x: DfExpr, size: DfExpr) -> DfExpr {
    let positive = size.clone().gt(lit(0i64));
    let value = binary_expr(x.clone(), DfOp::Minus, modulo_pos(x, size));
    when(positive, value.clone()).otherwise(lit(ScalarValue::Int64(None))).unwrap_or(value)
}
