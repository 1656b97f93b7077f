//! `summarize` (spec §9): group keys first, then the aggregates in written order, with Kusto's
//! default names and empty-input defaults (`count`, `sum`, `dcount` give 0, `avg` NaN,
//! `make_set`/`make_list` `[]`, the rest null). Aggregates may sit inside scalar expressions
//! (`round(avg(x), 2)`): each aggregate call becomes a column of the aggregation, and the
//! expression around it is computed after it.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::functions_nested::expr_fn as arrays;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprFunctionExt, ExprSchemable, LogicalPlan, LogicalPlanBuilder, lit, when,
};
use kql_parser::Span;
use kql_parser::ast::{Arg, Expr, ExprKind, NamedExpr, Summarize};

use super::calls::AGGREGATES;
use super::expr::{ExprCtx, non_null_string};
use super::names::{Namer, aggregate_name, passthrough};
use super::tabular::df;
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};

/// Aggregations collected while planning the aggregate expressions.
struct Collected {
    /// `(alias, aggregate)` pairs for the aggregation node.
    aggregates: Vec<(String, DfExpr)>,
}

impl Collected {
    fn add(&mut self, e: DfExpr) -> DfExpr {
        let name = format!("__kql_agg_{}", self.aggregates.len());
        self.aggregates.push((name.clone(), e));
        col(&name)
    }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn summarize(
        &self,
        input: LogicalPlan,
        s: &Summarize,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let mut namer = Namer::default();
        // Group keys.
        let mut keys = Vec::new();
        let mut key_names = Vec::new();
        for k in &s.by {
            if contains_aggregate(&k.expr) {
                return Err(KqlError::plan(k.expr.span, "a `by` key cannot contain an aggregation"));
            }
            let name = match k.names.as_slice() {
                [] => passthrough(&k.expr).unwrap_or_else(|| namer.next_unnamed()),
                [n] => n.name.clone(),
                _ => return Err(KqlError::not_supported(k.span, "several names for one key")),
            };
            let name = namer.unique(&name);
            let e = self.expr(&k.expr, &ctx)?;
            // Null and "" are one group: a KQL string is never null.
            let e = if self.kql_type(&e, &ctx)? == KqlType::String { non_null_string(e) } else { e };
            keys.push(e.alias(&name));
            key_names.push(name);
        }
        // Aggregates.
        let key_columns: Vec<&str> = s.by.iter().filter_map(|k| k.expr.as_name()).collect();
        let mut collected = Collected { aggregates: Vec::new() };
        let mut outputs: Vec<(String, DfExpr)> = Vec::new();
        for a in &s.aggregates {
            self.aggregate_output(a, &ctx, &key_columns, &mut collected, &mut namer, &mut outputs)?;
        }
        let aggr: Vec<DfExpr> = collected.aggregates.iter().map(|(n, e)| e.clone().alias(n)).collect();
        let grouped =
            LogicalPlanBuilder::from(input).aggregate(keys, aggr).and_then(LogicalPlanBuilder::build).map_err(df)?;
        let mut exprs: Vec<DfExpr> = key_names.iter().map(|n| col(n)).collect();
        exprs.extend(outputs.into_iter().map(|(n, e)| e.alias(n)));
        LogicalPlanBuilder::from(grouped).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }

    /// One written aggregate: its output column(s), by name.
    fn aggregate_output(
        &self,
        a: &NamedExpr,
        ctx: &ExprCtx<'_>,
        key_columns: &[&str],
        collected: &mut Collected,
        namer: &mut Namer,
        outputs: &mut Vec<(String, DfExpr)>,
    ) -> Result<()> {
        if let ExprKind::Call { name, args } = &a.expr.kind
            && matches!(name.name.as_str(), "arg_max" | "arg_min")
        {
            return self.arg_extreme(
                a,
                name.name == "arg_max",
                args,
                a.expr.span,
                ctx,
                key_columns,
                collected,
                namer,
                outputs,
            );
        }
        if !contains_aggregate(&a.expr) {
            return Err(KqlError::plan(
                a.expr.span,
                "each `summarize` column needs an aggregation such as count() or max(x)",
            ));
        }
        let name = match a.names.as_slice() {
            [] => aggregate_name(&a.expr).unwrap_or_else(|| namer.next_unnamed()),
            [n] => n.name.clone(),
            _ => return Err(KqlError::not_supported(a.span, "several names for this aggregation")),
        };
        let e = self.aggregate_expr(&a.expr, ctx, collected)?;
        outputs.push((namer.unique(&name), e));
        Ok(())
    }

    /// A scalar expression whose aggregate calls become columns of the aggregation.
    fn aggregate_expr(&self, e: &Expr, ctx: &ExprCtx<'_>, collected: &mut Collected) -> Result<DfExpr> {
        match &e.kind {
            ExprKind::Call { name, args } if AGGREGATES.contains(&name.name.as_str()) => {
                self.aggregate_call(&name.name, args, e.span, ctx, collected)
            }
            ExprKind::Call { name, args } => {
                // A scalar function over aggregates: plan the arguments, then the call over
                // the aggregated columns.
                let planned: Vec<DfExpr> =
                    args.iter().map(|a| self.aggregate_expr(&a.value, ctx, collected)).collect::<Result<_>>()?;
                self.call_over(&name.name, name.span, args, planned, e.span, ctx)
            }
            ExprKind::Binary { .. } | ExprKind::Unary { .. } | ExprKind::Logical { .. } => {
                // Replace each aggregate sub-expression by its column, then plan the rest
                // normally against a schema that has those columns.
                let mut subs = Vec::new();
                let rewritten = substitute(e, &mut |sub| {
                    let planned = self.aggregate_expr(sub, ctx, collected)?;
                    let name = format!("__kql_sub_{}", subs.len());
                    subs.push((name.clone(), planned));
                    Ok(name)
                })?;
                self.over_columns(&rewritten, &subs, ctx)
            }
            _ => Err(KqlError::plan(e.span, "outside an aggregation, a `summarize` column may only use group keys")),
        }
    }

    /// Plans `e` where some names stand for already planned expressions.
    fn over_columns(&self, e: &Expr, subs: &[(String, DfExpr)], ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let mut scope = ctx.scope.clone();
        for (name, planned) in subs {
            scope = scope.with(name, super::scope::Binding::Scalar(planned.clone()));
        }
        // The placeholders must not be shadowed by input columns: plan without the input.
        let empty = datafusion::common::DFSchema::empty();
        let inner = ExprCtx { schema: &empty, scope: &scope, ..*ctx };
        self.expr(e, &inner)
    }

    /// A scalar function applied to planned (aggregated) arguments.
    fn call_over(
        &self,
        fname: &str,
        fspan: Span,
        args: &[Arg],
        planned: Vec<DfExpr>,
        span: Span,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        let names: Vec<(String, DfExpr)> =
            planned.into_iter().enumerate().map(|(i, e)| (format!("__kql_arg_{i}"), e)).collect();
        let call = Expr::new(
            ExprKind::Call {
                name: kql_parser::ast::Ident::new(fname, fspan),
                args: args
                    .iter()
                    .zip(&names)
                    .map(|(a, (n, _))| Arg {
                        name: None,
                        value: Expr::new(ExprKind::Name(n.clone()), a.span),
                        span: a.span,
                    })
                    .collect(),
            },
            span,
        );
        self.over_columns(&call, &names, ctx)
    }

    fn aggregate_call(
        &self,
        fname: &str,
        args: &[Arg],
        span: Span,
        ctx: &ExprCtx<'_>,
        collected: &mut Collected,
    ) -> Result<DfExpr> {
        let arity = |lo: usize, hi: usize| -> Result<()> {
            if args.len() < lo || args.len() > hi {
                return Err(KqlError::plan(
                    span,
                    format!("`{fname}` takes {lo} to {hi} argument(s), got {}", args.len()),
                ));
            }
            Ok(())
        };
        let arg = |i: usize| -> Result<DfExpr> {
            if contains_aggregate(&args[i].value) {
                return Err(KqlError::plan(args[i].value.span, "aggregations cannot be nested"));
            }
            self.expr(&args[i].value, ctx)
        };
        let predicate = |i: usize| -> Result<DfExpr> {
            let p = arg(i)?;
            self.expect_bool(&p, args[i].value.span, fname, ctx)?;
            Ok(p)
        };
        // String values: null is "" (so it groups, counts and collects as "").
        let value = |i: usize| -> Result<DfExpr> {
            let e = arg(i)?;
            Ok(if self.kql_type(&e, ctx)? == KqlType::String { non_null_string(e) } else { e })
        };
        let only_if = |e: DfExpr, p: DfExpr| when(p, e).end().map_err(df);
        Ok(match fname {
            "count" => {
                arity(0, 1)?;
                // count(expr) counts rows like count() (Kusto's documented example).
                collected.add(agg::count(lit(1i64)))
            }
            "countif" => {
                arity(1, 1)?;
                collected.add(agg::count(only_if(lit(1i64), predicate(0)?)?))
            }
            "dcount" | "dcountif" => {
                arity(if fname == "dcount" { 1 } else { 2 }, if fname == "dcount" { 2 } else { 3 })?;
                let v = value(0)?;
                let v = if fname == "dcountif" { only_if(v, predicate(1)?)? } else { v };
                collected.add(agg::count_distinct(v))
            }
            "sum" | "sumif" => {
                arity(if fname == "sum" { 1 } else { 2 }, if fname == "sum" { 1 } else { 2 })?;
                let v = self.numeric(arg(0)?, &args[0].value, fname, ctx)?;
                let v = if fname == "sumif" { only_if(v, predicate(1)?)? } else { v };
                let zero =
                    ScalarValue::new_zero(&v.get_type(ctx.schema).map_err(df)?).unwrap_or(ScalarValue::Int64(Some(0)));
                let s = collected.add(agg::sum(v));
                datafusion::functions::expr_fn::coalesce(vec![s, lit(zero)])
            }
            "avg" | "avgif" => {
                let v = self.numeric(arg(0)?, &args[0].value, fname, ctx)?;
                let v = if fname == "avgif" { only_if(v, predicate(1)?)? } else { v };
                let a = collected.add(agg::avg(v));
                datafusion::functions::expr_fn::coalesce(vec![a, lit(f64::NAN)])
            }
            "min" | "max" | "minif" | "maxif" => {
                let v = value(0)?;
                let v = if fname.ends_with("if") { only_if(v, predicate(1)?)? } else { v };
                collected.add(if fname.starts_with("min") { agg::min(v) } else { agg::max(v) })
            }
            "stdev" | "variance" => {
                arity(1, 1)?;
                let v = self.numeric(arg(0)?, &args[0].value, fname, ctx)?;
                let s = collected.add(if fname == "stdev" { agg::stddev(v) } else { agg::var_sample(v) });
                datafusion::functions::expr_fn::coalesce(vec![s, lit(0.0f64)])
            }
            "take_any" | "any" => {
                arity(1, 1)?;
                collected.add(agg::first_value(arg(0)?, vec![]))
            }
            "make_set" | "make_set_if" | "make_list" | "make_list_if" => {
                let with_if = fname.ends_with("_if");
                arity(if with_if { 2 } else { 1 }, if with_if { 3 } else { 2 })?;
                let v = value(0)?;
                let vt = v.get_type(ctx.schema).map_err(df)?;
                let mut keep = v.clone().is_not_null();
                if with_if {
                    keep = keep.and(predicate(1)?);
                }
                let set = fname.starts_with("make_set");
                let nested = KqlType::of(&vt) == KqlType::Dynamic;
                let collected_values = if set && !nested {
                    agg::array_agg(v.clone()).distinct().filter(keep).build().map_err(df)?
                } else {
                    agg::array_agg(v.clone()).filter(keep).build().map_err(df)?
                };
                let list = collected.add(collected_values);
                // make_set over arrays unions their elements.
                let list = if nested {
                    let flat = arrays::flatten(list);
                    if set { arrays::array_distinct(flat) } else { flat }
                } else {
                    list
                };
                let element = match &vt {
                    DataType::List(f) if nested => f.data_type().clone(),
                    other => other.clone(),
                };
                let empty = ScalarValue::List(ScalarValue::new_list_nullable(&[], &element));
                let mut out = datafusion::functions::expr_fn::coalesce(vec![list, lit(empty)]);
                let max_index = if with_if { 2 } else { 1 };
                if args.len() > max_index {
                    out = arrays::array_slice(
                        out,
                        lit(1i64),
                        datafusion::logical_expr::cast(arg(max_index)?, DataType::Int64),
                        None,
                    );
                }
                out
            }
            other => return Err(KqlError::not_supported(span, format!("the aggregation `{other}()`"))),
        })
    }

    fn numeric(&self, e: DfExpr, src: &Expr, fname: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match self.kql_type(&e, ctx)? {
            t if t.is_numeric() || t == KqlType::Null => Ok(e),
            KqlType::TimeSpan if fname.starts_with("sum") || fname.starts_with("avg") => Ok(e),
            t => Err(KqlError::plan(src.span, format!("`{fname}` needs a number, got {}", t.name()))),
        }
    }

    /// `arg_max(e, cols | *)`: the row with the largest `e` (nulls ignored unless all are null);
    /// every returned column comes from that row (spec §9.3).
    #[allow(clippy::too_many_arguments)]
    fn arg_extreme(
        &self,
        a: &NamedExpr,
        max: bool,
        args: &[Arg],
        span: Span,
        ctx: &ExprCtx<'_>,
        key_columns: &[&str],
        collected: &mut Collected,
        namer: &mut Namer,
        outputs: &mut Vec<(String, DfExpr)>,
    ) -> Result<()> {
        let fname = if max { "arg_max" } else { "arg_min" };
        if args.len() < 2 {
            return Err(KqlError::plan(
                span,
                format!("`{fname}` takes the expression to maximize and the columns to return (or *)"),
            ));
        }
        let by = self.expr(&args[0].value, ctx)?;
        let order = vec![by.clone().sort(!max, false)];
        let by_name = match &args[0].value.kind {
            ExprKind::Name(n) => n.clone(),
            _ => "max_".to_owned(),
        };
        let mut columns: Vec<(String, DfExpr)> = vec![(by_name.clone(), by)];
        for arg in &args[1..] {
            match &arg.value.kind {
                ExprKind::Star => {
                    for n in column_names(ctx.schema) {
                        if n != by_name && !key_columns.contains(&n.as_str()) && !columns.iter().any(|(c, _)| *c == n) {
                            columns.push((n.clone(), col(&n)));
                        }
                    }
                }
                _ => {
                    let name = passthrough(&arg.value).unwrap_or_else(|| namer.next_unnamed());
                    columns.push((name, self.expr(&arg.value, ctx)?));
                }
            }
        }
        let names: Vec<String> = if a.names.is_empty() {
            columns.iter().map(|(n, _)| n.clone()).collect()
        } else if a.names.len() == columns.len() {
            a.names.iter().map(|n| n.name.clone()).collect()
        } else {
            return Err(KqlError::plan(a.span, format!("{} names for {} columns", a.names.len(), columns.len())));
        };
        for ((_, e), name) in columns.into_iter().zip(names) {
            let pick = agg::first_value(e, order.clone());
            outputs.push((namer.unique(&name), collected.add(pick)));
        }
        Ok(())
    }
}

/// Whether an expression calls an aggregation.
pub(crate) fn contains_aggregate(e: &Expr) -> bool {
    struct Finder(bool);
    impl kql_parser::ast::visit::Visitor for Finder {
        fn visit_expr(&mut self, e: &Expr) {
            if let ExprKind::Call { name, .. } = &e.kind
                && AGGREGATES.contains(&name.name.as_str())
            {
                self.0 = true;
            }
        }
    }
    let mut f = Finder(false);
    kql_parser::ast::visit::walk_expr(&mut f, e);
    f.0
}

/// Replaces each maximal sub-expression that contains an aggregation, but is a call, by a
/// name produced by `replace`.
fn substitute(e: &Expr, replace: &mut dyn FnMut(&Expr) -> Result<String>) -> Result<Expr> {
    let kind = match &e.kind {
        ExprKind::Call { .. } if contains_aggregate(e) => ExprKind::Name(replace(e)?),
        ExprKind::Binary { op, left, right } => ExprKind::Binary {
            op: *op,
            left: Box::new(substitute(left, replace)?),
            right: Box::new(substitute(right, replace)?),
        },
        ExprKind::Unary { op, operand } => {
            ExprKind::Unary { op: *op, operand: Box::new(substitute(operand, replace)?) }
        }
        ExprKind::Logical { op, operands } => ExprKind::Logical {
            op: *op,
            operands: operands.iter().map(|o| substitute(o, replace)).collect::<Result<_>>()?,
        },
        other => other.clone(),
    };
    Ok(Expr::new(kind, e.span))
}
