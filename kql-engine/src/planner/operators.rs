//! Row and column operators: `where`, `project` and its variants, `extend`, `take`, `top`,
//! `sort`, `count`, `distinct` (spec §10).

use datafusion::common::DFSchema;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, SortExpr, lit};
use kql_parser::ast::{
    Arg, Distinct, Expr, ExprKind, Ident, NamePattern, NamedExpr, NullsOrder, Rename, ReorderItem, SortKey, SortOrder,
    Summarize, Top,
};

use super::expr::{ExprCtx, non_null_string};
use super::names::{Namer, passthrough};
use super::tabular::{build, df, type_of};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn where_op(&self, input: LogicalPlan, p: &Expr, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: true };
        let pred = self.boolean(self.expr(p, &ctx)?, p.span, "where", &ctx)?;
        // Row functions run in window nodes below the filter; the window columns are dropped
        // again after it.
        if super::rows::has_window(&pred) {
            let columns: Vec<DfExpr> = input
                .schema()
                .iter()
                .map(|(q, f)| DfExpr::Column(datafusion::common::Column::new(q.cloned(), f.name())))
                .collect();
            let (windowed, pred) = self.plan_windows(input, pred)?;
            let filtered = LogicalPlanBuilder::from(windowed).filter(pred).map_err(df)?;
            return build(filtered.project(columns).map_err(df)?);
        }
        // `where a | where b` is one filter `a and b` (what the optimizer would make of it; a
        // smaller plan to optimize).
        if let LogicalPlan::Filter(f) = &input {
            let both = f.predicate.clone().and(pred);
            return build(LogicalPlanBuilder::from(f.input.as_ref().clone()).filter(both).map_err(df)?);
        }
        build(LogicalPlanBuilder::from(input).filter(pred).map_err(df)?)
    }

    /// The name of a named expression: given, passed through, or `ColumnN`.
    pub(crate) fn output_name(&self, c: &NamedExpr, namer: &mut Namer) -> Result<String> {
        if let Some(span) = super::calls::tuple_result(&c.expr) {
            return Err(KqlError::not_supported(
                span,
                "a function returning several columns here; index its result ([0], [1]) to pick one array",
            ));
        }
        match c.names.as_slice() {
            [] => Ok(match passthrough(&c.expr) {
                Some(n) => n,
                None => namer.next_unnamed(),
            }),
            [n] => Ok(n.name.clone()),
            _ => Err(KqlError::not_supported(c.span, "several names for one expression")),
        }
    }

    pub(crate) fn project(
        &self,
        input: LogicalPlan,
        cols: &[NamedExpr],
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        // Functions returning several columns (`(a, b) = series_fit_line(s)`) are extended
        // first; the projection then names their columns where they were written.
        let mut input = input;
        let mut tuple_columns: std::collections::HashMap<usize, Vec<String>> = std::collections::HashMap::new();
        for (i, c) in cols.iter().enumerate() {
            if let Some(tuple) = super::tuples::tuple_call(&c.expr) {
                let before = column_names(input.schema());
                let mut tuple_namer = Namer::with_used(before.iter().map(String::as_str));
                input = self.extend_tuple(input, c, tuple, scope, depth, &mut tuple_namer)?;
                let named: Vec<&str> = c.names.iter().map(|n| n.name.as_str()).collect();
                let mut new = column_names(input.schema())
                    .into_iter()
                    .filter(|n| !before.contains(n) && !named.contains(&n.as_str()));
                let names: Vec<String> = (0..tuple.0.fields.len())
                    .filter_map(|k| c.names.get(k).map(|n| n.name.clone()).or_else(|| new.next()))
                    .collect();
                tuple_columns.insert(i, names);
            }
        }
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let mut namer = Namer::default();
        let mut seen = std::collections::HashSet::new();
        let mut exprs = Vec::with_capacity(cols.len());
        for (i, c) in cols.iter().enumerate() {
            if let Some(names) = tuple_columns.get(&i) {
                for n in names {
                    if !seen.insert(n.clone()) {
                        return Err(KqlError::plan(
                            c.span,
                            format!("`{n}` is projected twice; give one of them another name"),
                        ));
                    }
                    exprs.push(col(n));
                }
                continue;
            }
            let name = self.output_name(c, &mut namer)?;
            if !seen.insert(name.clone()) {
                return Err(KqlError::plan(
                    c.span,
                    format!("`{name}` is projected twice; give one of them another name"),
                ));
            }
            exprs.push(self.expr(&c.expr, &ctx)?.alias(name));
        }
        // Row functions (`prev`, `row_number`, ...) run in window nodes below the projection.
        if exprs.iter().any(super::rows::has_window) {
            let mut rewritten = Vec::with_capacity(exprs.len());
            for e in exprs {
                let (plan, e) = self.plan_windows(input, e)?;
                input = plan;
                rewritten.push(e);
            }
            exprs = rewritten;
        }
        build(LogicalPlanBuilder::from(input).project(exprs).map_err(df)?)
    }

    /// `extend`: new columns at the end; an existing name is replaced where it stands. Later
    /// columns may use earlier ones of the same `extend`.
    pub(crate) fn extend(
        &self,
        input: LogicalPlan,
        cols: &[NamedExpr],
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut plan = input;
        let mut namer = Namer::with_used(column_names(plan.schema()).iter().map(String::as_str));
        let mut defined = std::collections::HashSet::new();
        for c in cols {
            if let Some(tuple) = super::tuples::tuple_call(&c.expr) {
                plan = self.extend_tuple(plan, c, tuple, scope, depth, &mut namer)?;
                continue;
            }
            let name = self.output_name(c, &mut namer)?;
            if !defined.insert(name.clone()) {
                return Err(KqlError::plan(c.span, format!("`{name}` is defined twice in one `extend`")));
            }
            let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
            let value = self.expr(&c.expr, &ctx)?;
            // Row functions (`prev`, `row_number`, ...) run in window nodes below the projection,
            // which keeps only the columns there were before them.
            let columns = std::sync::Arc::clone(plan.schema());
            let (windowed, value) = self.plan_windows(plan, value)?;
            plan = windowed;
            let value = value.alias(&name);
            let mut replaced = false;
            let mut exprs: Vec<DfExpr> = columns
                .iter()
                .map(|(q, f)| {
                    if f.name() == &name {
                        replaced = true;
                        value.clone()
                    } else {
                        DfExpr::Column(datafusion::common::Column::new(q.cloned(), f.name()))
                    }
                })
                .collect();
            if !replaced {
                exprs.push(value);
            }
            plan = build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)?;
        }
        Ok(plan)
    }

    fn matching(&self, schema: &DFSchema, pattern: &NamePattern, op: &str) -> Result<Vec<String>> {
        let names: Vec<String> = column_names(schema).into_iter().filter(|n| pattern.matches(n)).collect();
        if names.is_empty() && !pattern.is_wildcard() {
            return Err(super::unknown_column(pattern.span, &pattern.pattern, schema, &[])
                .with_help_if_none(format!("`{op}` names a column the input does not have")));
        }
        Ok(names)
    }

    pub(crate) fn project_away(&self, input: LogicalPlan, patterns: &[NamePattern]) -> Result<LogicalPlan> {
        self.project_away_keeping(input, patterns, "")
    }

    /// `project-away` that never drops the column `keep` (the record number inside `mv-apply`).
    pub(crate) fn project_away_keeping(
        &self,
        input: LogicalPlan,
        patterns: &[NamePattern],
        keep: &str,
    ) -> Result<LogicalPlan> {
        let mut drop = std::collections::HashSet::new();
        for p in patterns {
            drop.extend(self.matching(input.schema(), p, "project-away")?);
        }
        drop.remove(keep);
        let keep: Vec<DfExpr> =
            column_names(input.schema()).iter().filter(|n| !drop.contains(*n)).map(|n| col(n)).collect();
        build(LogicalPlanBuilder::from(input).project(keep).map_err(df)?)
    }

    pub(crate) fn project_keep(&self, input: LogicalPlan, patterns: &[NamePattern]) -> Result<LogicalPlan> {
        self.project_keep_keeping(input, patterns, "")
    }

    /// `project-keep` that also keeps the column `also` (the record number inside `mv-apply`).
    pub(crate) fn project_keep_keeping(
        &self,
        input: LogicalPlan,
        patterns: &[NamePattern],
        also: &str,
    ) -> Result<LogicalPlan> {
        let mut keep = std::collections::HashSet::new();
        for p in patterns {
            keep.extend(self.matching(input.schema(), p, "project-keep")?);
        }
        keep.insert(also.to_owned());
        let exprs: Vec<DfExpr> =
            column_names(input.schema()).iter().filter(|n| keep.contains(*n)).map(|n| col(n)).collect();
        build(LogicalPlanBuilder::from(input).project(exprs).map_err(df)?)
    }

    /// `project-rename new = old`: the column keeps its position.
    pub(crate) fn project_rename(&self, input: LogicalPlan, renames: &[Rename]) -> Result<LogicalPlan> {
        let names = column_names(input.schema());
        for r in renames {
            if !names.contains(&r.old.name) {
                return Err(super::unknown_column(r.old.span, &r.old.name, input.schema(), &[]));
            }
        }
        let exprs: Vec<DfExpr> = names
            .iter()
            .map(|n| match renames.iter().find(|r| &r.old.name == n) {
                Some(r) => col(n).alias(&r.new.name),
                None => col(n),
            })
            .collect();
        build(LogicalPlanBuilder::from(input).project(exprs).map_err(df)?)
    }

    /// `project-reorder`: the named columns first (a wildcard's matches sorted by `asc`/`desc`
    /// if asked), the others after them in their order.
    pub(crate) fn project_reorder(&self, input: LogicalPlan, items: &[ReorderItem]) -> Result<LogicalPlan> {
        let mut first: Vec<String> = Vec::new();
        for item in items {
            let mut names = self.matching(input.schema(), &item.column, "project-reorder")?;
            match item.order {
                Some(SortOrder::Asc) => names.sort(),
                Some(SortOrder::Desc) => names.sort_by(|a, b| b.cmp(a)),
                None => {}
            }
            for n in names {
                if !first.contains(&n) {
                    first.push(n);
                }
            }
        }
        let rest = column_names(input.schema()).into_iter().filter(|n| !first.contains(n));
        let exprs: Vec<DfExpr> = first.iter().cloned().chain(rest).map(|n| col(&n)).collect();
        build(LogicalPlanBuilder::from(input).project(exprs).map_err(df)?)
    }

    pub(crate) fn take(&self, input: LogicalPlan, n: &Expr, scope: &Scope) -> Result<LogicalPlan> {
        let n = self.constant_long(n, scope, "the number of rows")?.max(0);
        build(LogicalPlanBuilder::from(input).limit(0, Some(n as usize)).map_err(df)?)
    }

    pub(crate) fn sort_expr(&self, key: &SortKey, ctx: &ExprCtx<'_>) -> Result<SortExpr> {
        let e = self.expr(&key.expr, ctx)?;
        // Kusto sorts descending by default; null is the smallest value (spec §10).
        let asc = key.order == Some(SortOrder::Asc);
        let nulls_first = match key.nulls {
            Some(NullsOrder::First) => true,
            Some(NullsOrder::Last) => false,
            None => asc,
        };
        Ok(e.sort(asc, nulls_first))
    }

    pub(crate) fn top(&self, input: LogicalPlan, t: &Top, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        let n = self.constant_long(&t.count, scope, "the number of rows of `top`")?.max(0);
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let key = self.sort_expr(&t.key, &ctx)?;
        super::tabular::first_sorted(input, vec![key], n as usize)
    }

    pub(crate) fn sort(
        &self,
        input: LogicalPlan,
        keys: &[SortKey],
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let exprs = keys.iter().map(|k| self.sort_expr(k, &ctx)).collect::<Result<Vec<_>>>()?;
        build(LogicalPlanBuilder::from(input).sort(exprs).map_err(df)?)
    }

    /// `top-hitters N of value [by summed]`: the N values with the most rows (or the largest
    /// sums), largest first, in `approximate_count_<value>` (`approximate_sum_<value>`). Kusto
    /// estimates with a count-min sketch; the counts here are exact, which is what Kusto's
    /// documentation gives as the operator's equivalent (`summarize ... | top N by ... desc`).
    pub(crate) fn top_hitters(
        &self,
        input: LogicalPlan,
        count: &Expr,
        of: &NamedExpr,
        by: Option<&Expr>,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let span = of.span;
        let name = self.output_name(of, &mut Namer::default())?;
        let (kind, aggregate) = match by {
            Some(b) => (
                "sum",
                ExprKind::Call {
                    name: Ident { name: "sum".into(), span: b.span },
                    args: vec![Arg { name: None, span: b.span, value: b.clone() }],
                },
            ),
            None => ("count", ExprKind::Call { name: Ident { name: "count".into(), span }, args: Vec::new() }),
        };
        let total = format!("approximate_{kind}_{name}");
        let summarize = Summarize {
            params: Vec::new(),
            aggregates: vec![NamedExpr {
                names: vec![Ident { name: total.clone(), span }],
                expr: Expr { kind: aggregate, span },
                span,
            }],
            by: vec![NamedExpr { names: vec![Ident { name: name.clone(), span }], expr: of.expr.clone(), span }],
            span,
        };
        let grouped = self.summarize(input, &summarize, scope, depth)?;
        let grouped = build(LogicalPlanBuilder::from(grouped).project(vec![col(&name), col(&total)]).map_err(df)?)?;
        let top = Top {
            count: count.clone(),
            key: SortKey {
                expr: Expr { kind: ExprKind::Name(total), span },
                order: Some(SortOrder::Desc),
                nulls: None,
                span,
            },
            span,
        };
        self.top(grouped, &top, scope, depth)
    }

    /// `count`: one row, one `long` column `Count`.
    pub(crate) fn count(&self, input: LogicalPlan) -> Result<LogicalPlan> {
        build(
            LogicalPlanBuilder::from(input)
                .aggregate(Vec::<DfExpr>::new(), vec![count(lit(1i64)).alias("Count")])
                .map_err(df)?,
        )
    }

    /// `distinct a, b` (strings compare with null as `""`) or `distinct *`.
    pub(crate) fn distinct(
        &self,
        input: LogicalPlan,
        d: &Distinct,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        if d.columns.is_empty() {
            let exprs: Vec<DfExpr> = input
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    if KqlType::of(f.data_type()) == KqlType::String {
                        non_null_string(col(f.name())).alias(f.name())
                    } else {
                        col(f.name())
                    }
                })
                .collect();
            let plan = build(LogicalPlanBuilder::from(input).project(exprs).map_err(df)?)?;
            return build(LogicalPlanBuilder::from(plan).distinct().map_err(df)?);
        }
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let mut namer = Namer::default();
        let mut keys = Vec::new();
        let mut names = Vec::new();
        for c in &d.columns {
            let name = self.output_name(c, &mut namer)?;
            let e = self.expr(&c.expr, &ctx)?;
            let e = if KqlType::of(&type_of(&e, input.schema())?) == KqlType::String { non_null_string(e) } else { e };
            keys.push(e.alias(&name));
            names.push(name);
        }
        let plan = build(LogicalPlanBuilder::from(input).aggregate(keys, Vec::<DfExpr>::new()).map_err(df)?)?;
        let exprs: Vec<DfExpr> = names.iter().map(|n| col(n)).collect();
        build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)
    }
}

trait HelpIfNone {
    fn with_help_if_none(self, help: String) -> Self;
}

impl HelpIfNone for KqlError {
    fn with_help_if_none(self, help: String) -> Self {
        if self.help().is_some() { self } else { self.with_help(help) }
    }
}
