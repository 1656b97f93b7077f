//! Row functions over a serialized row set (after `sort`, `top` or `serialize`): `prev`,
//! `next`, `row_number`, `row_cumsum`, `row_rank_dense`, `row_rank_min`.
//!
//! Each is a DataFusion window function whose order is the row set's own: the keys of the
//! nearest `sort` below (through projections, filters and limits), so the engine keeps that
//! order however it parallelises the scan; without one (`serialize` of unsorted rows) the
//! window runs over the input as it comes, which is what Kusto's order is then too. Calls are
//! planned with an empty `OVER ()`; [`KqlToRel::plan_windows`] fills in the order and adds the
//! window nodes below the operator that uses them.

use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::functions_window::expr_fn as win;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{
    Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, SortExpr, WindowFrame, WindowFrameBound, WindowFrameUnits,
    WindowFunctionDefinition, lit, when,
};
use kql_parser::Span;
use kql_parser::ast::Arg;

use super::expr::ExprCtx;
use super::statement::{as_literal, fold};
use super::tabular::df;
use super::{KqlContextProvider, KqlToRel};
use crate::error::{KqlError, Result};

/// The row functions, by name.
pub(crate) const ROW_FUNCTIONS: &[&str] =
    &["prev", "next", "row_number", "row_cumsum", "row_rank_dense", "row_rank_min", "row_window_session"];

/// `ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`.
fn running() -> WindowFrame {
    WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        WindowFrameBound::CurrentRow,
    )
}

/// An aggregate over the rows so far.
fn running_aggregate(udaf: std::sync::Arc<datafusion::logical_expr::AggregateUDF>, x: DfExpr) -> DfExpr {
    let mut w = WindowFunction::new(WindowFunctionDefinition::AggregateUDF(udaf), vec![x]);
    w.params.window_frame = running();
    DfExpr::WindowFunction(Box::new(w))
}

/// Whether the value differs from the previous row's (the first row always starts a run).
fn starts_run(x: DfExpr) -> DfExpr {
    let first = win::row_number().eq(lit(1u64));
    let changed = datafusion::logical_expr::binary_expr(
        x.clone(),
        datafusion::logical_expr::Operator::IsDistinctFrom,
        win::lag(x, Some(1), None),
    );
    first.or(changed)
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// A row function call, with an empty `OVER ()` for [`Self::plan_windows`] to order.
    pub(crate) fn row_function(&self, fname: &str, args: &[Arg], span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let v = ctx.value();
        let arg = |i: usize| self.expr(&args[i].value, &v);
        let arity = |lo: usize, hi: usize| super::check_arity(fname, span, args.len(), lo, hi);
        let constant = |i: usize, what: &str| -> Result<ScalarValue> {
            let e = fold(arg(i)?);
            as_literal(&e)
                .cloned()
                .ok_or_else(|| KqlError::plan(args[i].value.span, format!("{what} must be a constant")))
        };
        // A restart condition, unless it is absent or the constant `false`.
        let restart = |i: usize| -> Result<Option<DfExpr>> {
            let Some(a) = args.get(i) else { return Ok(None) };
            let r = fold(arg(i)?);
            Ok(match as_literal(&r) {
                Some(ScalarValue::Boolean(Some(false))) => None,
                _ => Some(self.boolean(r, a.value.span, fname, ctx)?),
            })
        };
        Ok(match fname {
            "prev" | "next" => {
                arity(1, 3)?;
                let offset = match args.get(1) {
                    None => 1,
                    Some(a) => match constant(1, "the offset of prev()/next()")?
                        .cast_to(&datafusion::arrow::datatypes::DataType::Int64)
                    {
                        Ok(ScalarValue::Int64(Some(n))) if n >= 0 => n,
                        _ => {
                            return Err(KqlError::plan(
                                a.value.span,
                                "the offset is a constant whole number, 0 or more",
                            ));
                        }
                    },
                };
                let x = arg(0)?;
                let default = match args.get(2) {
                    None => None,
                    Some(_) => {
                        let d = constant(2, "the default value")?;
                        let t = datafusion::logical_expr::ExprSchemable::get_type(&x, ctx.schema).map_err(df)?;
                        Some(d.cast_to(&t).map_err(|e| {
                            KqlError::plan(
                                args[2].value.span,
                                format!("the default value does not fit the column: {e}"),
                            )
                        })?)
                    }
                };
                if fname == "prev" { win::lag(x, Some(offset), default) } else { win::lead(x, Some(offset), default) }
            }
            "row_number" => {
                arity(0, 2)?;
                let restart = restart(1)?;
                let start = match args.first() {
                    None => 1,
                    Some(a) => match constant(0, "the start of row_number()")?
                        .cast_to(&datafusion::arrow::datatypes::DataType::Int64)
                    {
                        Ok(ScalarValue::Int64(Some(n))) => n,
                        _ => {
                            return Err(KqlError::plan(
                                a.value.span,
                                "the start of row_number() is a constant whole number",
                            ));
                        }
                    },
                };
                if let Some(r) = restart {
                    return Ok(super::session::row_number(start, r));
                }
                let n =
                    datafusion::logical_expr::cast(win::row_number(), datafusion::arrow::datatypes::DataType::Int64);
                datafusion::logical_expr::binary_expr(n, datafusion::logical_expr::Operator::Plus, lit(start - 1))
            }
            "row_cumsum" => {
                arity(1, 2)?;
                let term = arg(0)?;
                let t = self.kql_type(&term, ctx)?;
                if !t.is_numeric() && t != super::types::KqlType::Null {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        format!("`{fname}` needs a number, got {}", t.name()),
                    ));
                }
                if let Some(r) = restart(1)? {
                    let real = matches!(t, super::types::KqlType::Real | super::types::KqlType::Decimal);
                    let target = if real {
                        datafusion::arrow::datatypes::DataType::Float64
                    } else {
                        datafusion::arrow::datatypes::DataType::Int64
                    };
                    return Ok(super::session::row_cumsum(datafusion::logical_expr::cast(term, target), r, real));
                }
                running_aggregate(datafusion::functions_aggregate::sum::sum_udaf(), term)
            }
            "row_window_session" => {
                arity(3, 4)?;
                let time = arg(0)?;
                self.time_arg(&args[0].value, time.clone(), fname, ctx)?;
                let mut planned = vec![datafusion::logical_expr::cast(
                    time,
                    datafusion::arrow::datatypes::DataType::Timestamp(
                        datafusion::arrow::datatypes::TimeUnit::Nanosecond,
                        Some("UTC".into()),
                    ),
                )];
                for i in 1..3 {
                    let span = fold(arg(i)?);
                    if !matches!(self.kql_type(&span, ctx)?, super::types::KqlType::TimeSpan) {
                        return Err(KqlError::plan(args[i].value.span, format!("`{fname}` needs a timespan here")));
                    }
                    planned.push(datafusion::logical_expr::cast(
                        span,
                        datafusion::arrow::datatypes::DataType::Duration(
                            datafusion::arrow::datatypes::TimeUnit::Nanosecond,
                        ),
                    ));
                }
                if args.len() == 4 {
                    planned.push(self.boolean(arg(3)?, args[3].value.span, fname, ctx)?);
                }
                super::session::call(planned)
            }
            "row_rank_dense" => {
                arity(1, 1)?;
                let step = when(starts_run(arg(0)?), lit(1i64)).otherwise(lit(0i64)).map_err(df)?;
                running_aggregate(datafusion::functions_aggregate::sum::sum_udaf(), step)
            }
            _ => {
                arity(1, 1)?;
                let n =
                    datafusion::logical_expr::cast(win::row_number(), datafusion::arrow::datatypes::DataType::Int64);
                let start = when(starts_run(arg(0)?), n).otherwise(lit(ScalarValue::Int64(None))).map_err(df)?;
                running_aggregate(datafusion::functions_aggregate::min_max::max_udaf(), start)
            }
        })
    }

    /// Adds the window nodes `value` needs below it (innermost first, each ordered as the row
    /// set is) and returns the plan and `value` reading their columns.
    pub(crate) fn plan_windows(&self, plan: LogicalPlan, value: DfExpr) -> Result<(LogicalPlan, DfExpr)> {
        let mut plan = plan;
        let mut value = value;
        let order = serial_order(&plan);
        loop {
            if !has_window(&value) {
                return Ok((plan, value));
            }
            // The innermost first: windows whose arguments hold no window.
            let inner = innermost_windows(&value);
            if inner.is_empty() {
                return Err(KqlError::Internal("a window function with no innermost window".into()));
            }
            let mut named = Vec::with_capacity(inner.len());
            for w in &inner {
                let ordered = match w.clone() {
                    DfExpr::WindowFunction(mut f) => {
                        if f.params.order_by.is_empty() {
                            f.params.order_by = order.clone();
                        }
                        DfExpr::WindowFunction(f)
                    }
                    other => other,
                };
                // The window node names its column after the expression.
                let name = ordered.schema_name().to_string();
                if !named.iter().any(|(_, _, n): &(DfExpr, DfExpr, String)| *n == name) {
                    named.push((w.clone(), ordered, name));
                }
            }
            plan = LogicalPlanBuilder::window_plan(plan, named.iter().map(|(_, e, _)| e.clone())).map_err(df)?;
            value = value
                .transform_up(|e| {
                    Ok(match named.iter().find(|(w, _, _)| *w == e) {
                        Some((_, _, name)) => {
                            Transformed::yes(DfExpr::Column(datafusion::common::Column::from_name(name)))
                        }
                        None => Transformed::no(e),
                    })
                })
                .map_err(df)?
                .data;
        }
    }
}

/// Whether an expression calls a row function.
pub(crate) fn has_window(e: &DfExpr) -> bool {
    !datafusion::logical_expr::utils::find_window_exprs([e]).is_empty()
}

/// The window calls of `e` whose arguments hold no other window call (found at any depth,
/// each once).
fn innermost_windows(e: &DfExpr) -> Vec<DfExpr> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut out: Vec<DfExpr> = Vec::new();
    let _ = e.apply(|node| {
        if let DfExpr::WindowFunction(f) = node
            && !f.params.args.iter().any(has_window)
            && !out.contains(node)
        {
            out.push(node.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

/// The order of the row set `plan` produces: the keys of the nearest sort below it, if every
/// column they use is still there.
fn serial_order(plan: &LogicalPlan) -> Vec<SortExpr> {
    let mut node = plan;
    loop {
        match node {
            LogicalPlan::Sort(s) => {
                let visible = s.expr.iter().all(|k| {
                    k.expr.column_refs().iter().all(|c| plan.schema().has_column_with_unqualified_name(&c.name))
                });
                return if visible {
                    s.expr
                        .iter()
                        .map(|k| {
                            // Columns as the window's input names them (qualified), so the
                            // window's column is named as planned.
                            let e = k.expr.clone().transform_up(|e| {
                                Ok(match e {
                                    DfExpr::Column(c) => {
                                        let q = plan
                                            .schema()
                                            .qualified_field_with_unqualified_name(&c.name)
                                            .ok()
                                            .and_then(|(q, _)| q.cloned());
                                        Transformed::yes(DfExpr::Column(datafusion::common::Column::new(q, &c.name)))
                                    }
                                    other => Transformed::no(other),
                                })
                            });
                            SortExpr { expr: e.map(|t| t.data).unwrap_or_else(|_| k.expr.clone()), ..k.clone() }
                        })
                        .collect()
                } else {
                    Vec::new()
                };
            }
            LogicalPlan::Projection(p) => node = &p.input,
            LogicalPlan::Filter(f) => node = &f.input,
            LogicalPlan::Limit(l) => node = &l.input,
            LogicalPlan::Window(w) => node = &w.input,
            LogicalPlan::SubqueryAlias(a) => node = &a.input,
            _ => return Vec::new(),
        }
    }
}
