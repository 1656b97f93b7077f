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
    Expr as DfExpr, ExprFunctionExt, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Operator, binary_expr, cast, lit,
    when,
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
#[derive(Default)]
struct Collected {
    /// `(alias, aggregate)` pairs for the aggregation node.
    aggregates: Vec<(String, DfExpr)>,
    /// `(alias, value)` pairs computed right after it: each aggregate call's value (with its
    /// empty-input default) over the aggregation's columns.
    values: Vec<(String, DfExpr)>,
    /// Whether there are group keys (then no group is empty).
    grouped: bool,
}

impl Collected {
    /// Adds an aggregate; returns a reference to its column.
    fn add(&mut self, e: DfExpr) -> DfExpr {
        let name = format!("__kql_agg_{}", self.aggregates.len());
        self.aggregates.push((name.clone(), e));
        col(&name)
    }

    /// Adds the value of one aggregate call; returns the column name it will have.
    fn value(&mut self, e: DfExpr) -> String {
        let name = format!("__kql_val_{}", self.values.len());
        self.values.push((name.clone(), e));
        name
    }
}

/// An output column of `summarize`, planned once the aggregation exists.
enum Output {
    /// Exactly one aggregate call's value.
    Value(String),
    /// An expression over aggregate values (placeholders are `__kql_val_N` names).
    Expr(Expr),
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
            let name = match (k.names.as_slice(), passthrough(&k.expr)) {
                ([], Some(n)) => namer.unique(&n),
                ([], None) => namer.next_unnamed(),
                ([n], _) => namer.unique(&n.name),
                _ => return Err(KqlError::not_supported(k.span, "several names for one key")),
            };
            let e = self.expr(&k.expr, &ctx)?;
            if self.kql_type(&e, &ctx)? == KqlType::Dynamic {
                return Err(KqlError::plan(
                    k.expr.span,
                    format!("a `summarize` key cannot be dynamic, and `{}` is dynamic", k.expr),
                )
                .with_help(format!("group by a value of one type, for example `by tostring({})`", k.expr)));
            }
            // Null and "" are one group: a KQL string is never null (an expression that cannot
            // be null, such as `tostring(d.a)`, needs no default).
            let nullable = e.nullable(ctx.schema).unwrap_or(true);
            let e = if nullable && self.kql_type(&e, &ctx)? == KqlType::String { non_null_string(e) } else { e };
            keys.push(e.alias(&name));
            key_names.push(name);
        }
        // Aggregates.
        let key_columns: Vec<&str> = s.by.iter().filter_map(|k| k.expr.as_name()).collect();
        let mut collected = Collected { grouped: !s.by.is_empty(), ..Collected::default() };
        let mut outputs: Vec<(String, Output)> = Vec::new();
        for a in &s.aggregates {
            self.aggregate_output(a, &ctx, &key_columns, &mut collected, &mut namer, &mut outputs)?;
        }
        // When every column is one aggregate call's value (the usual hunt), no second
        // projection is needed; when each is exactly its aggregate, in order, the aggregates
        // carry the columns' names and no projection at all follows (a hand-written plan's
        // shape, less for the optimizer).
        let direct: Option<Vec<(&str, &DfExpr)>> = outputs
            .iter()
            .map(|(name, out)| match out {
                Output::Value(v) => collected.values.iter().find(|(n, _)| n == v).map(|(_, e)| (name.as_str(), e)),
                Output::Expr(_) => None,
            })
            .collect();
        if let Some(direct) = direct {
            let bare = direct.len() == collected.aggregates.len()
                && direct
                    .iter()
                    .zip(&collected.aggregates)
                    .all(|((_, e), (agg, _))| matches!(e, DfExpr::Column(c) if c.relation.is_none() && &c.name == agg));
            if bare {
                let aggr = collected.aggregates.iter().zip(&direct).map(|((_, a), (name, _))| a.clone().alias(*name));
                return LogicalPlanBuilder::from(input)
                    .aggregate(keys, aggr)
                    .and_then(LogicalPlanBuilder::build)
                    .map_err(df);
            }
            let aggr = collected.aggregates.iter().map(|(n, e)| e.clone().alias(n));
            let exprs =
                key_names.iter().map(|n| col(n)).chain(direct.iter().map(|(name, e)| (*e).clone().alias(*name)));
            return LogicalPlanBuilder::from(input)
                .aggregate(keys, aggr)
                .and_then(|b| b.project(exprs))
                .and_then(LogicalPlanBuilder::build)
                .map_err(df);
        }
        let aggr: Vec<DfExpr> = collected.aggregates.iter().map(|(n, e)| e.clone().alias(n)).collect();
        let grouped =
            LogicalPlanBuilder::from(input).aggregate(keys, aggr).and_then(LogicalPlanBuilder::build).map_err(df)?;
        // The aggregate calls' values next to the keys...
        let mut values: Vec<DfExpr> = key_names.iter().map(|n| col(n)).collect();
        values.extend(collected.values.iter().map(|(n, e)| e.clone().alias(n)));
        let valued =
            LogicalPlanBuilder::from(grouped).project(values).and_then(LogicalPlanBuilder::build).map_err(df)?;
        // ...then the written columns, which may compute over them.
        let after = ExprCtx { schema: valued.schema(), scope, depth, filter: false };
        let mut exprs: Vec<DfExpr> = key_names.iter().map(|n| col(n)).collect();
        for (name, out) in outputs {
            let e = match out {
                Output::Value(v) => col(&v),
                Output::Expr(e) => self.expr(&e, &after)?,
            };
            exprs.push(e.alias(name));
        }
        LogicalPlanBuilder::from(valued).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }

    /// One written aggregate: its output column(s), by name.
    fn aggregate_output(
        &self,
        a: &NamedExpr,
        ctx: &ExprCtx<'_>,
        key_columns: &[&str],
        collected: &mut Collected,
        namer: &mut Namer,
        outputs: &mut Vec<(String, Output)>,
    ) -> Result<()> {
        if let ExprKind::Call { name, args } = &a.expr.kind
            && matches!(name.name.as_str(), "arg_max" | "arg_min" | "argmax" | "argmin")
        {
            return self.arg_extreme(
                a,
                matches!(name.name.as_str(), "arg_max" | "argmax"),
                name.name.starts_with("argm"),
                args,
                a.expr.span,
                ctx,
                key_columns,
                collected,
                namer,
                outputs,
            );
        }
        // `percentiles(x, 5, 50, 95)` and `percentilesw(x, w, 5, 50)`: a column per percentile,
        // `percentile_x_5`, ...; given names rename them in order.
        if let ExprKind::Call { name, args } = &a.expr.kind
            && matches!(name.name.as_str(), "percentiles" | "percentilesw")
        {
            let fname = name.name.as_str();
            let weighted = fname == "percentilesw";
            let first = if weighted { 2 } else { 1 };
            if args.len() <= first {
                return Err(KqlError::plan(
                    a.expr.span,
                    format!("`{fname}` takes a value{} and percentiles", if weighted { ", a weight" } else { "" }),
                ));
            }
            if a.names.len() > args.len() - first {
                return Err(KqlError::plan(
                    a.span,
                    format!("{} names for {} columns", a.names.len(), args.len() - first),
                ));
            }
            let ps = args[first..].iter().map(|p| self.percent(&p.value, ctx)).collect::<Result<Vec<f64>>>()?;
            let picks = if weighted {
                self.weighted_percentiles(args, &ps, fname, collected, ctx)?
            } else {
                let v = self.orderable(self.expr(&args[0].value, ctx)?, &args[0].value, fname, ctx)?;
                let sorted = self.sorted_values(v, collected, ctx)?;
                ps.iter().map(|p| nearest_rank(sorted.clone(), *p)).collect()
            };
            let base = passthrough(&args[0].value).unwrap_or_default();
            for (i, (p, pick)) in args[first..].iter().zip(picks).enumerate() {
                let default = format!("percentile_{base}_{}", super::names::percent_suffix(&p.value));
                let name = a.names.get(i).map_or(default, |n| n.name.clone());
                outputs.push((namer.unique(&name), Output::Value(collected.value(pick))));
            }
            return Ok(());
        }
        if !contains_aggregate(&a.expr) {
            // A misspelt aggregation (`dcout(x)`) is an unknown function, with suggestions.
            if let ExprKind::Call { name, .. } = &a.expr.kind
                && !super::catalog::known_names().contains(&name.name.as_str())
                && !matches!(ctx.scope.get(&name.name), Some(super::scope::Binding::Function(_)))
            {
                return Err(super::catalog::unsupported(name));
            }
            return Err(KqlError::plan(
                a.expr.span,
                "each `summarize` column needs an aggregation such as count() or max(x)",
            ));
        }
        let name = match (a.names.as_slice(), aggregate_name(&a.expr)) {
            ([], Some(n)) => namer.unique(&n),
            ([], None) => namer.next_unnamed(),
            ([n], _) => namer.unique(&n.name),
            _ => return Err(KqlError::not_supported(a.span, "several names for this aggregation")),
        };
        let out = match &a.expr.kind {
            ExprKind::Call { name: f, args } if AGGREGATES.contains(&f.name.as_str()) => {
                Output::Value(self.aggregate_call(&f.name, args, a.expr.span, ctx, collected)?)
            }
            _ => Output::Expr(substitute(&a.expr, &mut |call| match &call.kind {
                ExprKind::Call { name: f, args } if AGGREGATES.contains(&f.name.as_str()) => {
                    self.aggregate_call(&f.name, args, call.span, ctx, collected)
                }
                _ => Err(KqlError::plan(
                    call.span,
                    "aggregations cannot be nested inside other functions' arguments like this",
                )),
            })?),
        };
        outputs.push((name, out));
        Ok(())
    }

    fn aggregate_call(
        &self,
        fname: &str,
        args: &[Arg],
        span: Span,
        ctx: &ExprCtx<'_>,
        collected: &mut Collected,
    ) -> Result<String> {
        let arity = |lo: usize, hi: usize| super::check_arity(fname, span, args.len(), lo, hi);
        // A missing argument is an error, whatever arity check a branch does first.
        let nth = |i: usize| -> Result<&Arg> {
            args.get(i).ok_or_else(|| KqlError::plan(span, format!("`{fname}` needs at least {} argument(s)", i + 1)))
        };
        let arg = |i: usize| -> Result<DfExpr> {
            let a = nth(i)?;
            if contains_aggregate(&a.value) {
                return Err(KqlError::plan(a.value.span, "aggregations cannot be nested"));
            }
            self.expr(&a.value, ctx)
        };
        let predicate = |i: usize| -> Result<DfExpr> {
            let p = arg(i)?;
            self.expect_bool(&p, nth(i)?.value.span, fname, ctx)?;
            Ok(p)
        };
        // String values: null is "" (so it groups, counts and collects as "").
        let value = |i: usize| -> Result<DfExpr> {
            let e = arg(i)?;
            Ok(if self.kql_type(&e, ctx)? == KqlType::String { non_null_string(e) } else { e })
        };
        let only_if = |e: DfExpr, p: DfExpr| when(p, e).end().map_err(df);
        let v = match fname {
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
                if self.kql_type(&v, ctx)? == KqlType::Dynamic {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        format!("`{fname}` needs values that have an order, got dynamic"),
                    )
                    .with_help(format!(
                        "convert them first: {fname}(toreal({})) or {fname}(tostring({}))",
                        args[0].value, args[0].value
                    )));
                }
                let v = if fname.ends_with("if") { only_if(v, predicate(1)?)? } else { v };
                collected.add(if fname.starts_with("min") { agg::min(v) } else { agg::max(v) })
            }
            "stdev" | "variance" | "stdevif" | "varianceif" | "stdevp" | "variancep" => {
                let with_if = fname.ends_with("if");
                arity(if with_if { 2 } else { 1 }, if with_if { 2 } else { 1 })?;
                let v = cast(self.numeric(arg(0)?, &args[0].value, fname, ctx)?, DataType::Float64);
                let v = if with_if { only_if(v, predicate(1)?)? } else { v };
                let s = collected.add(match fname {
                    "stdev" | "stdevif" => agg::stddev(v),
                    "variance" | "varianceif" => agg::var_sample(v),
                    "stdevp" => agg::stddev_pop(v),
                    _ => agg::var_pop(v),
                });
                // One value (or none) has no spread: 0, as Kusto gives.
                datafusion::functions::expr_fn::coalesce(vec![s, lit(0.0f64)])
            }
            "count_distinct" | "count_distinctif" => {
                let with_if = fname.ends_with("if");
                arity(if with_if { 2 } else { 1 }, if with_if { 2 } else { 1 })?;
                let v = value(0)?;
                let v = if with_if { only_if(v, predicate(1)?)? } else { v };
                collected.add(agg::count_distinct(v))
            }
            "take_any" | "any" => {
                arity(1, 1)?;
                collected.add(agg::first_value(arg(0)?, vec![]))
            }
            "take_anyif" | "anyif" => {
                arity(2, 2)?;
                let v = only_if(arg(0)?, predicate(1)?)?;
                let not_null = v.clone().is_not_null();
                collected.add(agg::first_value(v, vec![not_null.sort(false, false)]))
            }
            "binary_all_and" | "binary_all_or" | "binary_all_xor" => {
                arity(1, 1)?;
                let v = arg(0)?;
                if !matches!(self.kql_type(&v, ctx)?, KqlType::Int | KqlType::Long | KqlType::Null) {
                    return Err(KqlError::plan(args[0].value.span, format!("`{fname}` needs an int or long")));
                }
                let v = cast(v, DataType::Int64);
                collected.add(match fname {
                    "binary_all_and" => agg::bit_and(v),
                    "binary_all_or" => agg::bit_or(v),
                    _ => agg::bit_xor(v),
                })
            }
            "percentile" | "percentiles_array" => {
                arity(2, 64)?;
                if fname == "percentile" {
                    arity(2, 2)?;
                }
                let v = self.orderable(arg(0)?, &args[0].value, fname, ctx)?;
                let ps = (1..args.len()).map(|i| self.percent(&args[i].value, ctx)).collect::<Result<Vec<f64>>>()?;
                let sorted = self.sorted_values(v.clone(), collected, ctx)?;
                if fname == "percentile" {
                    nearest_rank(sorted, ps[0])
                } else {
                    let picks: Vec<DfExpr> = ps.iter().map(|p| nearest_rank(sorted.clone(), *p)).collect();
                    crate::functions::dynamic::value_of(arrays::make_array(picks))
                }
            }
            "percentilew" | "percentilesw_array" => {
                arity(3, 64)?;
                if fname == "percentilew" {
                    arity(3, 3)?;
                }
                let ps = (2..args.len()).map(|i| self.percent(&args[i].value, ctx)).collect::<Result<Vec<f64>>>()?;
                let picks = self.weighted_percentiles(args, &ps, fname, collected, ctx)?;
                if fname == "percentilew" {
                    picks.into_iter().next().ok_or_else(|| KqlError::Internal("one percentile".into()))?
                } else {
                    crate::functions::dynamic::value_of(arrays::make_array(picks))
                }
            }
            "covariance" | "covariancep" | "covarianceif" | "covariancepif" => {
                let with_if = fname.ends_with("if");
                arity(if with_if { 3 } else { 2 }, if with_if { 3 } else { 2 })?;
                let x = cast(self.numeric(arg(0)?, &args[0].value, fname, ctx)?, DataType::Float64);
                let y = cast(self.numeric(arg(1)?, &args[1].value, fname, ctx)?, DataType::Float64);
                let (x, y) = if with_if {
                    let p = predicate(2)?;
                    (only_if(x, p.clone())?, only_if(y, p)?)
                } else {
                    (x, y)
                };
                let c = collected.add(if fname.starts_with("covariancep") {
                    agg::covar_pop(x, y)
                } else {
                    agg::covar_samp(x, y)
                });
                // One pair (or none) has no spread: 0, as for stdev and variance.
                datafusion::functions::expr_fn::coalesce(vec![c, lit(0.0f64)])
            }
            "make_list_with_nulls" => {
                arity(1, 2)?;
                let v = arg(0)?;
                if crate::dynamic::is_json_type(&v.get_type(ctx.schema).map_err(df)?) {
                    return Err(KqlError::not_supported(
                        args[0].value.span,
                        "make_list_with_nulls() of dynamic values",
                    ));
                }
                let max = match args.get(1) {
                    Some(a) => self.constant_long(&a.value, ctx.scope, "the size limit of make_list_with_nulls()")?,
                    None => crate::functions::dynamic::aggregate::MAX_SIZE as i64,
                };
                let list = collected.add(agg::array_agg(v));
                arrays::array_slice(list, lit(1i64), lit(max.max(0)), None)
            }
            "buildschema" => {
                arity(1, 1)?;
                let v = value(0)?;
                let vt = v.get_type(ctx.schema).map_err(df)?;
                let v = if crate::dynamic::is_json_type(&vt) { v } else { crate::functions::dynamic::value_of(v) };
                let c = collected.add(crate::functions::dynamic::schema::buildschema(v));
                return Ok(collected.value(c));
            }
            "make_set" | "make_set_if" | "make_list" | "make_list_if" | "makeset" | "makelist" | "make_bag"
            | "make_bag_if" | "make_dictionary" | "hll" | "hll_if" | "hll_merge" | "tdigest" | "tdigest_merge"
            | "merge_tdigest" => {
                use crate::functions::dynamic::aggregate::{Collect, LEGACY_MAX_SIZE, MAX_SIZE, collect};
                // The sketches are exact (README, "Semantics choices"): `hll` is the set of
                // distinct values, `tdigest` the list of values, and merging unions them.
                let sketch =
                    matches!(fname, "hll" | "hll_if" | "hll_merge" | "tdigest" | "tdigest_merge" | "merge_tdigest");
                let with_if = fname.ends_with("_if");
                arity(if with_if { 2 } else { 1 }, if with_if { 3 } else { 2 })?;
                if fname == "tdigest" && args.len() == 2 {
                    return Err(KqlError::not_supported(args[1].value.span, "a weighted tdigest()"));
                }
                let max_index = if with_if { 2 } else { 1 };
                let legacy = matches!(fname, "makeset" | "makelist" | "make_dictionary");
                // The size cap: given (up to Kusto's maximum), or the default; a sketch's second
                // argument is its accuracy, which an exact sketch does not need.
                let max = match args.get(max_index) {
                    _ if sketch => usize::MAX,
                    Some(a) => {
                        let n = self.constant_long(&a.value, ctx.scope, &format!("the size limit of {fname}()"))?;
                        usize::try_from(n).unwrap_or(0).min(MAX_SIZE)
                    }
                    None if legacy => LEGACY_MAX_SIZE,
                    None => MAX_SIZE,
                };
                let v = value(0)?;
                let vt = v.get_type(ctx.schema).map_err(df)?;
                let kind = match fname {
                    "make_bag" | "make_bag_if" | "make_dictionary" => Collect::Bag,
                    "make_set" | "make_set_if" | "makeset" | "hll" | "hll_if" | "hll_merge" => Collect::Set,
                    _ => Collect::List,
                };
                // JSON values and bags: Kusto's own collection over `dynamic` values.
                if kind == Collect::Bag || crate::dynamic::is_json_type(&vt) {
                    if kind == Collect::Bag && KqlType::of(&vt) != KqlType::Dynamic && KqlType::of(&vt) != KqlType::Null
                    {
                        return Err(KqlError::plan(
                            args[0].value.span,
                            format!("`{fname}` collects property bags (dynamic), got {}", KqlType::of(&vt).name()),
                        ));
                    }
                    let v = if with_if { only_if(v, predicate(1)?)? } else { v };
                    let v = if crate::dynamic::is_json_type(&vt) { v } else { crate::functions::dynamic::value_of(v) };
                    let c = collected.add(collect(kind, v, max));
                    return Ok(collected.value(c));
                }
                let set = kind == Collect::Set;
                // Nulls are skipped; a value that cannot be null needs no filter (the same
                // aggregate as a hand-written `array_agg`).
                let not_null = v.nullable(ctx.schema).map_err(df)?.then(|| v.clone().is_not_null());
                let keep = match (not_null, with_if) {
                    (Some(n), true) => Some(n.and(predicate(1)?)),
                    (None, true) => Some(predicate(1)?),
                    (n, false) => n,
                };
                let nested = KqlType::of(&vt) == KqlType::Dynamic;
                let all = agg::array_agg(v.clone());
                // Every group has a row: without a filter the list is never null, and needs no
                // empty default.
                let never_null = collected.grouped && keep.is_none() && !nested;
                let collected_values = match (set && !nested, keep) {
                    (true, Some(keep)) => all.distinct().filter(keep).build().map_err(df)?,
                    (true, None) => all.distinct().build().map_err(df)?,
                    (false, Some(keep)) => all.filter(keep).build().map_err(df)?,
                    (false, None) => all,
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
                let mut out =
                    if never_null { list } else { datafusion::functions::expr_fn::coalesce(vec![list, lit(empty)]) };
                if (args.len() > max_index || legacy) && !sketch {
                    out = arrays::array_slice(out, lit(1i64), lit(max as i64), None);
                }
                out
            }
            other => return Err(KqlError::not_supported(span, format!("the aggregation `{other}()`"))),
        };
        Ok(collected.value(v))
    }

    /// A constant percentile (0 to 100).
    fn percent(&self, e: &Expr, ctx: &ExprCtx<'_>) -> Result<f64> {
        let v = super::statement::fold(self.expr(e, ctx)?);
        let p = super::statement::as_literal(&v)
            .and_then(|s| s.cast_to(&DataType::Float64).ok())
            .and_then(|s| match s {
                ScalarValue::Float64(Some(p)) => Some(p),
                _ => None,
            })
            .ok_or_else(|| KqlError::plan(e.span, "a percentile is a constant number"))?;
        if !(0.0..=100.0).contains(&p) {
            return Err(KqlError::plan(e.span, format!("a percentile is between 0 and 100, got {p}")));
        }
        Ok(p)
    }

    /// `percentilew(x, w, p...)`: the weighted nearest-rank percentiles, each in `x`'s type.
    fn weighted_percentiles(
        &self,
        args: &[Arg],
        ps: &[f64],
        fname: &str,
        collected: &mut Collected,
        ctx: &ExprCtx<'_>,
    ) -> Result<Vec<DfExpr>> {
        let x = self.orderable(self.expr(&args[0].value, ctx)?, &args[0].value, fname, ctx)?;
        let w = self.expr(&args[1].value, ctx)?;
        if !matches!(self.kql_type(&w, ctx)?, KqlType::Int | KqlType::Long | KqlType::Null) {
            return Err(KqlError::plan(args[1].value.span, format!("the weight of `{fname}` is an int or long")));
        }
        let want = self.kql_type(&x, ctx)?;
        let keep = x.clone().is_not_null();
        let order = vec![x.clone().sort(true, false)];
        let values = agg::array_agg(x).filter(keep.clone()).order_by(order.clone()).build().map_err(df)?;
        let weights = agg::array_agg(w).filter(keep).order_by(order).build().map_err(df)?;
        let (values, weights) = (collected.add(values), collected.add(weights));
        ps.iter()
            .map(|p| {
                let pick = crate::functions::dynamic::rowwise::weighted(values.clone(), weights.clone(), lit(*p));
                self.dynamic_as(pick, want, args[0].value.span, ctx)
            })
            .collect()
    }

    /// A value with an order (a number, datetime or timespan) for percentiles.
    fn orderable(&self, e: DfExpr, src: &Expr, fname: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match self.kql_type(&e, ctx)? {
            t if t.is_numeric() => Ok(e),
            KqlType::DateTime | KqlType::TimeSpan | KqlType::Null => Ok(e),
            t => Err(KqlError::plan(
                src.span,
                format!("`{fname}` needs numbers, datetimes or timespans, got {}", t.name()),
            )),
        }
    }

    /// The non-null values of a group, sorted ascending (one aggregate per value expression).
    fn sorted_values(&self, v: DfExpr, collected: &mut Collected, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let keep = v.nullable(ctx.schema).map_err(df)?.then(|| v.clone().is_not_null());
        let all = agg::array_agg(v.clone());
        let all = match keep {
            Some(k) => all.filter(k).order_by(vec![v.sort(true, false)]).build().map_err(df)?,
            None => all.order_by(vec![v.sort(true, false)]).build().map_err(df)?,
        };
        Ok(collected.add(all))
    }

    fn numeric(&self, e: DfExpr, src: &Expr, fname: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match self.kql_type(&e, ctx)? {
            t if t.is_numeric() || t == KqlType::Null => Ok(e),
            KqlType::TimeSpan if fname.starts_with("sum") || fname.starts_with("avg") => Ok(e),
            KqlType::Dynamic => Err(KqlError::plan(src.span, format!("`{fname}` needs a number, got dynamic"))
                .with_help(format!("convert it first: {fname}(toreal({src}))"))),
            t => Err(KqlError::plan(src.span, format!("`{fname}` needs a number, got {}", t.name()))),
        }
    }

    /// `arg_max(e, cols | *)`: the row with the largest `e` (nulls ignored unless all are null);
    /// every returned column comes from that row (spec §9.3). The deprecated `argmax`/`argmin`
    /// (`prefixed`) name the returned columns `<e>_<column>`, as Kusto.Language binds them.
    #[allow(clippy::too_many_arguments)]
    fn arg_extreme(
        &self,
        a: &NamedExpr,
        max: bool,
        prefixed: bool,
        args: &[Arg],
        span: Span,
        ctx: &ExprCtx<'_>,
        key_columns: &[&str],
        collected: &mut Collected,
        namer: &mut Namer,
        outputs: &mut Vec<(String, Output)>,
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
                            let out = if prefixed { format!("{by_name}_{n}") } else { n.clone() };
                            columns.push((out, col(&n)));
                        }
                    }
                }
                _ => {
                    let name = passthrough(&arg.value).unwrap_or_else(|| namer.next_unnamed());
                    let name = if prefixed { format!("{by_name}_{name}") } else { name };
                    columns.push((name, self.expr(&arg.value, ctx)?));
                }
            }
        }
        // Given names rename the first columns in order (`Last = arg_max(Timestamp, ReportId)`
        // names the Timestamp column `Last`); the others keep their own names.
        if a.names.len() > columns.len() {
            return Err(KqlError::plan(a.span, format!("{} names for {} columns", a.names.len(), columns.len())));
        }
        let names: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, (n, _))| a.names.get(i).map_or_else(|| n.clone(), |given| given.name.clone()))
            .collect();
        for ((_, e), name) in columns.into_iter().zip(names) {
            let pick = collected.add(agg::first_value(e, order.clone()));
            outputs.push((namer.unique(&name), Output::Value(collected.value(pick))));
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

/// Replaces each aggregate call by a name produced by `replace`, keeping the expression
/// around it.
fn substitute(e: &Expr, replace: &mut dyn FnMut(&Expr) -> Result<String>) -> Result<Expr> {
    kql_parser::ast::visit::map_expr(e, &mut |x| match &x.kind {
        ExprKind::Call { name, .. } if AGGREGATES.contains(&name.name.as_str()) => {
            Ok(Some(Expr::new(ExprKind::Name(replace(x)?), x.span)))
        }
        _ => Ok(None),
    })
}

/// The nearest-rank percentile of a sorted array: the element at rank `ceil(p/100 * n)` (the
/// first for 0); null for no values.
fn nearest_rank(sorted: DfExpr, p: f64) -> DfExpr {
    let n = cast(arrays::cardinality(sorted.clone()), DataType::Float64);
    let rank = datafusion::functions::expr_fn::ceil(binary_expr(n, Operator::Multiply, lit(p / 100.0)));
    let rank = datafusion::functions::expr_fn::greatest(vec![cast(rank, DataType::Int64), lit(1i64)]);
    arrays::array_element(sorted, rank)
}
