//! `make-series` (make-series-operator.md): rows outside `[from, to)` dropped, the aggregates
//! computed by `summarize` per group and `bin_at(axis, step, from)` (`bin(axis, step)` without
//! `from`), each group's bins and values gathered into lists, and the lists laid out as
//! `dynamic` arrays over the axis with the defaults in the bins without rows
//! ([`SeriesLayoutUdf`]). Columns: the `by` keys, the aggregates, the axis last.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn::array_agg;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, binary_expr};
use kql_parser::ast::{Arg, Expr, ExprKind, Ident, MakeSeries, NamedExpr, ParamValue, Summarize};

use super::expr::ExprCtx;
use super::names::Namer;
use super::statement::{as_literal, fold};
use super::tabular::{build, df};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};
use crate::functions::series_layout::{Axis, AxisKind, Layout, SeriesLayoutUdf};

const BIN: &str = "__kql_series_bin";
const BINS: &str = "__kql_series_bins";

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(super) fn make_series(
        &self,
        input: LogicalPlan,
        m: &MakeSeries,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut nonempty = false;
        for p in &m.params {
            match (p.name.as_str(), &p.value) {
                ("kind", ParamValue::Name(k)) if k == "nonempty" => nonempty = true,
                (n, _) if n.starts_with("hint.") => {}
                _ => return Err(KqlError::plan(p.span, format!("`{}` is not a parameter of make-series", p.name))),
            }
        }
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let axis = self.expr(&m.axis, &ctx)?;
        let kind = match self.kql_type(&axis, &ctx)? {
            KqlType::DateTime => AxisKind::DateTime,
            KqlType::TimeSpan => AxisKind::TimeSpan,
            KqlType::Int | KqlType::Long => AxisKind::Long,
            KqlType::Real | KqlType::Decimal => AxisKind::Real,
            t => {
                return Err(KqlError::plan(
                    m.axis.span,
                    format!("the axis of make-series is a datetime, timespan or number, not {}", t.name()),
                ));
            }
        };
        let empty = datafusion::common::DFSchema::empty();
        let constant_ctx = ExprCtx { schema: &empty, scope, depth, filter: false };
        let bound = |e: &Expr, what: &str| -> Result<(i64, DfExpr)> {
            let v = fold(self.expr(e, &constant_ctx)?);
            let value = as_literal(&v)
                .cloned()
                .filter(|v| !v.is_null())
                .ok_or_else(|| KqlError::plan(e.span, format!("the {what} of make-series must be a constant")))?;
            let raw = axis_units(&value, kind, what == "step")
                .ok_or_else(|| KqlError::plan(e.span, format!("the {what} of make-series does not fit its axis")))?;
            Ok((raw, v))
        };
        let (step, _) = bound(&m.step, "step")?;
        let positive = if kind == AxisKind::Real { f64::from_bits(step as u64) > 0.0 } else { step > 0 };
        if !positive {
            return Err(KqlError::plan(m.step.span, "the step of make-series must be positive"));
        }
        let from = m.from.as_ref().map(|e| bound(e, "start")).transpose()?;
        let to = m.to.as_ref().map(|e| bound(e, "end")).transpose()?;
        let layout_axis = if m.range_syntax {
            // `in range(start, stop, step)`: bins are bin()'s, and the bin of stop is included.
            let floor = |v: i64| floor_bin(v, step, kind);
            let end = to.as_ref().map(|t| {
                let last = floor(t.0);
                if kind == AxisKind::Real {
                    (f64::from_bits(last as u64) + f64::from_bits(step as u64)).to_bits() as i64
                } else {
                    last.saturating_add(step)
                }
            });
            Axis { kind, start: from.as_ref().map(|f| floor(f.0)), end, step }
        } else {
            Axis { kind, start: from.as_ref().map(|f| f.0), end: to.as_ref().map(|t| t.0), step }
        };

        // 1. rows inside [from, to)
        let mut filter = None;
        if let Some((_, f)) = &from {
            filter = Some(binary_expr(axis.clone(), datafusion::logical_expr::Operator::GtEq, f.clone()));
        }
        if let Some((_, t)) = &to {
            let op = if m.range_syntax {
                datafusion::logical_expr::Operator::LtEq
            } else {
                datafusion::logical_expr::Operator::Lt
            };
            let lt = binary_expr(axis.clone(), op, t.clone());
            filter = Some(match filter {
                Some(f) => f.and(lt),
                None => lt,
            });
        }
        let mut plan = input;
        if let Some(f) = filter {
            plan = build(LogicalPlanBuilder::from(plan).filter(f).map_err(df)?)?;
        }

        // 2. the aggregates per key and bin, by `summarize`
        let span = m.span;
        let call = |name: &str, args: Vec<&Expr>| Expr {
            kind: ExprKind::Call {
                name: Ident { name: name.to_owned(), span },
                args: args.into_iter().map(|a| Arg { name: None, value: a.clone(), span }).collect(),
            },
            span,
        };
        let bin = match &m.from {
            Some(f) if !m.range_syntax => call("bin_at", vec![&m.axis, &m.step, f]),
            _ => call("bin", vec![&m.axis, &m.step]),
        };
        let mut by = m.by.clone();
        by.push(NamedExpr { names: vec![Ident { name: BIN.to_owned(), span }], expr: bin, span });
        let summarize = Summarize {
            params: Vec::new(),
            aggregates: m.aggregates.iter().map(|a| a.aggregate.clone()).collect(),
            by,
            span,
        };
        let summarized = self.summarize(plan, &summarize, scope, depth)?;
        let names = column_names(summarized.schema());
        let keys: Vec<String> = names[..m.by.len()].to_vec();
        let aggregates: Vec<String> = names[m.by.len() + 1..].to_vec();
        let types: Vec<DataType> = aggregates
            .iter()
            .map(|n| summarized.schema().field_with_unqualified_name(n).map(|f| f.data_type().clone()))
            .collect::<std::result::Result<_, _>>()
            .map_err(df)?;

        // 3. per key, the bins and each aggregate's values as lists (in the same order)
        let mut lists = vec![array_agg(col(BIN)).alias(BINS)];
        lists.extend(aggregates.iter().map(|a| array_agg(col(a)).alias(a)));
        let group: Vec<DfExpr> = keys.iter().map(|k| col(k)).collect();
        let mut gathered = build(LogicalPlanBuilder::from(summarized).aggregate(group, lists).map_err(df)?)?;
        if !nonempty {
            // No rows, no series (a global aggregate still makes one row of nulls).
            gathered = build(LogicalPlanBuilder::from(gathered).filter(col(BINS).is_not_null()).map_err(df)?)?;
        }

        // 4. the lists laid out over the axis
        let mut out: Vec<DfExpr> = keys.iter().map(|k| col(k)).collect();
        for ((name, ty), a) in aggregates.iter().zip(&types).zip(&m.aggregates) {
            let default = match &a.default {
                Some(d) => {
                    let v = fold(self.expr(d, &constant_ctx)?);
                    as_literal(&v)
                        .cloned()
                        .ok_or_else(|| KqlError::plan(d.span, "the default of make-series must be a constant"))?
                }
                None => ScalarValue::Int64(Some(0)),
            };
            let default = if default.is_null() { default } else { default.cast_to(ty).unwrap_or(default) };
            let default = crate::dynamic::arrow::to_dyn(default.to_array().map_err(df)?.as_ref(), 0).map_err(df)?;
            out.push(
                SeriesLayoutUdf::call(layout_axis, Layout::Values(default), vec![col(BINS), col(name)]).alias(name),
            );
        }
        let axis_name = self.output_name(
            &NamedExpr { names: Vec::new(), expr: m.axis.clone(), span: m.axis.span },
            &mut Namer::default(),
        )?;
        out.push(SeriesLayoutUdf::call(layout_axis, Layout::Axis, vec![col(BINS)]).alias(axis_name));
        build(LogicalPlanBuilder::from(gathered).project(out).map_err(df)?)
    }
}

/// The start of the bin of `v` (as `bin()` computes it) in the axis' units.
fn floor_bin(v: i64, step: i64, kind: AxisKind) -> i64 {
    if kind == AxisKind::Real {
        let (v, step) = (f64::from_bits(v as u64), f64::from_bits(step as u64));
        ((v / step).floor() * step).to_bits() as i64
    } else {
        v.div_euclid(step).saturating_mul(step)
    }
}

/// A bound or step in the axis' units: nanoseconds for datetimes and timespans (a step of a
/// datetime axis is a timespan), the number for longs, the bits of the `f64` for reals.
fn axis_units(v: &ScalarValue, kind: AxisKind, step: bool) -> Option<i64> {
    let time = |v: &ScalarValue| -> Option<i64> {
        let a = v.to_array().ok()?;
        crate::format::nanos(a.as_ref(), 0)
    };
    match kind {
        AxisKind::DateTime if !step => matches!(v.data_type(), DataType::Timestamp(..)).then(|| time(v)).flatten(),
        AxisKind::DateTime | AxisKind::TimeSpan => {
            matches!(v.data_type(), DataType::Duration(_)).then(|| time(v)).flatten()
        }
        AxisKind::Long => match v.cast_to(&DataType::Int64).ok()? {
            ScalarValue::Int64(Some(n)) if v.data_type().is_integer() => Some(n),
            _ => None,
        },
        AxisKind::Real => match v.cast_to(&DataType::Float64).ok()? {
            ScalarValue::Float64(Some(f)) if v.data_type().is_numeric() => Some(f.to_bits() as i64),
            _ => None,
        },
    }
}
