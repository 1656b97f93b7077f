//! `mv-expand` and `mv-apply` (spec §10; `mv-expand-operator.md`, `mv-apply-operator.md`).
//!
//! Every expanded value becomes a list first (`kql_mv_items`: an array's elements, a bag's
//! slots), then one DataFusion unnest expands all of them in parallel: a null value gives one
//! row holding null, an empty array or bag none, and shorter lists are padded with nulls.
//! Arrow lists (`make_list` results, `split`) are unnested as they are.
//!
//! `mv-apply` numbers the input rows, expands them, runs the subquery with the row number as
//! an extra grouping key (so `summarize`, `top`, `take` and `distinct` work per record), and
//! joins the untouched columns back.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, UnnestOptions};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, cast, lit};
use kql_parser::ast::{ExprKind, Ident, MvExpandItem, NamedExpr, OpParam, ParamValue, ScalarType};

use super::names::passthrough;
use super::tabular::{build, df, unsupported_param};
use super::types::{KqlType, arrow_type};
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};
use crate::functions::dynamic::convert::Target;
use crate::functions::dynamic::expand;

/// The options of one `mv-expand` (or the expansion inside `mv-apply`).
pub(crate) struct Expansion<'a> {
    /// The expanded columns.
    pub(crate) items: &'a [MvExpandItem],
    /// `kind=array`.
    pub(crate) bag_as_array: bool,
    /// `with_itemindex=` column.
    pub(crate) index: Option<String>,
    /// At most this many rows per value.
    pub(crate) limit: Option<i64>,
}

/// The target of `to typeof(T)` among the `dynamic` conversions.
fn target_of(t: ScalarType) -> Option<Target> {
    Some(match t {
        ScalarType::Long => Target::Long,
        ScalarType::Int => Target::Int,
        ScalarType::Real | ScalarType::Decimal => Target::Real,
        ScalarType::Bool => Target::Bool,
        ScalarType::DateTime => Target::DateTime,
        ScalarType::TimeSpan => Target::TimeSpan,
        ScalarType::Guid => Target::Guid,
        ScalarType::String => Target::String,
        ScalarType::Dynamic => return None,
    })
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// Reads `kind=`/`bagexpansion=` and `with_itemindex=`.
    pub(crate) fn expansion_params(&self, params: &[OpParam], op: &str) -> Result<(bool, Option<String>)> {
        let mut bag_as_array = false;
        let mut index = None;
        for p in params {
            match (p.name.as_str(), &p.value) {
                ("kind" | "bagexpansion", ParamValue::Name(k)) if k == "array" || k == "bag" => {
                    if op == "mv-apply" {
                        return Err(KqlError::plan(
                            p.span,
                            "`mv-apply` expands arrays only; expand a bag with an inner `mv-expand kind=array`",
                        ));
                    }
                    bag_as_array = k == "array";
                }
                ("with_itemindex", ParamValue::Name(n)) => index = Some(n.clone()),
                (n, _) if n.starts_with("hint.") => {}
                _ => return Err(unsupported_param(p, op)),
            }
        }
        Ok((bag_as_array, index))
    }

    pub(crate) fn mv_expand(
        &self,
        input: LogicalPlan,
        m: &kql_parser::ast::MvExpand,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let (bag_as_array, index) = self.expansion_params(&m.params, "mv-expand")?;
        let limit = match &m.limit {
            Some(l) => Some(self.constant_long(l, scope, "the limit of mv-expand")?.max(0)),
            // The legacy `mvexpand` stops at 128 rows per value.
            None if m.legacy => Some(128),
            None => None,
        };
        let e = Expansion { items: &m.items, bag_as_array, index, limit };
        let (plan, _) = self.expand(input, &e, scope, depth)?;
        Ok(plan)
    }

    /// Expands the items of `e`; returns the plan and the expanded columns' names.
    pub(crate) fn expand(
        &self,
        input: LogicalPlan,
        e: &Expansion<'_>,
        scope: &Scope,
        depth: usize,
    ) -> Result<(LogicalPlan, Vec<String>)> {
        let mut plan = input;
        let mut names = Vec::new();
        let mut singles: Vec<String> = Vec::new();
        // 1. Each item as a column: a column expands in place, an expression (or a new name)
        //    is extended first.
        for item in e.items {
            let name = match (item.column.names.as_slice(), passthrough(&item.column.expr)) {
                ([n], _) => n.name.clone(),
                ([], Some(n)) => n,
                _ => return Err(KqlError::plan(item.span, "name the expanded column: `mv-expand name = expr`")),
            };
            if names.contains(&name) {
                return Err(KqlError::plan(item.span, format!("`{name}` is expanded twice")));
            }
            if !item.column.names.is_empty() || !matches!(item.column.expr.kind, ExprKind::Name(_)) {
                plan = self.extend(
                    plan,
                    std::slice::from_ref(&NamedExpr {
                        names: vec![Ident::new(&name, item.span)],
                        expr: item.column.expr.clone(),
                        span: item.span,
                    }),
                    scope,
                    depth,
                )?;
            }
            let t = plan.schema().field_with_unqualified_name(&name).map_err(df)?.data_type().clone();
            let kind = KqlType::of(&t);
            if kind != KqlType::Dynamic && kind != KqlType::Null {
                // An element of an array (`split(s, ",")[0]`) is `dynamic` in Kusto, where a
                // value that is not an array or a bag expands to itself; here it may have its
                // element's own type, and expands to itself just the same.
                if !matches!(item.column.expr.kind, ExprKind::Index { .. } | ExprKind::Member { .. }) {
                    return Err(KqlError::plan(
                        item.column.expr.span,
                        format!("mv-expand needs an array or a property bag (dynamic), `{name}` is {}", kind.name()),
                    ));
                }
                singles.push(name.clone());
            }
            names.push(name);
        }
        // 2. The expanded columns as lists (and the item index), unnested together.
        let native = |t: &DataType, item: &MvExpandItem| {
            matches!(t, DataType::List(f) | DataType::LargeList(f)
                if item.to_type.is_none_or(|to| KqlType::of(f.data_type()) == KqlType::of(&arrow_type(to))))
        };
        let schema = std::sync::Arc::clone(plan.schema());
        let mut lists = Vec::new();
        let mut exprs = Vec::new();
        for (q, f) in schema.iter() {
            let c = DfExpr::Column(Column::new(q.cloned(), f.name()));
            match names.iter().position(|n| n == f.name()) {
                Some(i) => {
                    let list = if singles.contains(&names[i]) {
                        datafusion::functions_nested::expr_fn::make_array(vec![c])
                    } else if native(f.data_type(), &e.items[i]) {
                        c
                    } else {
                        expand::items(c, e.bag_as_array)
                    };
                    let list = match e.limit {
                        Some(n) => datafusion::functions_nested::expr_fn::array_slice(list, lit(1i64), lit(n), None),
                        None => list,
                    };
                    lists.push(list.clone());
                    exprs.push(list.alias(f.name()));
                }
                None => exprs.push(c),
            }
        }
        let mut unnest = names.clone();
        if let Some(ix) = &e.index {
            if column_names(&schema).contains(ix) {
                return Err(KqlError::plan(e.items[0].span, format!("`with_itemindex={ix}` names an existing column")));
            }
            exprs.push(expand::index(lists).alias(ix));
            unnest.push(ix.clone());
        }
        plan = build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)?;
        let columns: Vec<Column> = unnest.iter().map(Column::new_unqualified).collect();
        plan = build(
            LogicalPlanBuilder::from(plan)
                .unnest_columns_with_options(columns, UnnestOptions::new().with_preserve_nulls(true))
                .map_err(df)?,
        )?;
        // 3. `to typeof(T)`.
        if e.items.iter().any(|i| i.to_type.is_some()) {
            let schema = std::sync::Arc::clone(plan.schema());
            let exprs: Vec<DfExpr> = schema
                .iter()
                .map(|(q, f)| {
                    let c = DfExpr::Column(Column::new(q.cloned(), f.name()));
                    let Some(i) = names.iter().position(|n| n == f.name()) else { return Ok(c) };
                    let Some(to) = e.items[i].to_type else { return Ok(c) };
                    Ok(match target_of(to) {
                        None => c,
                        Some(_) if KqlType::of(f.data_type()) == KqlType::of(&arrow_type(to)) => {
                            cast(c, arrow_type(to)).alias(f.name())
                        }
                        Some(t) => crate::functions::dynamic::convert::conform(t, c).alias(f.name()),
                    })
                })
                .collect::<Result<_>>()?;
            plan = build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)?;
        }
        // An index column is a `long`.
        if let Some(ix) = &e.index {
            let t = plan.schema().field_with_unqualified_name(ix).map_err(df)?.data_type().clone();
            if t != DataType::Int64 {
                let exprs: Vec<DfExpr> = column_names(plan.schema())
                    .iter()
                    .map(|n| if n == ix { cast(col(n), DataType::Int64).alias(n) } else { col(n) })
                    .collect();
                plan = build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)?;
            }
        }
        Ok((plan, names))
    }
}

/// The row number `mv-apply` gives each input record.
const ROW: &str = "__kql_mv_row";

/// A qualified column reference.
fn qcol(relation: &str, name: &str) -> DfExpr {
    DfExpr::Column(Column::new(Some(relation), name))
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `mv-apply items on (subquery)`: the subquery runs once per input record over its
    /// expanded rows; its result rows carry the record's other columns.
    pub(crate) fn mv_apply(
        &self,
        input: LogicalPlan,
        m: &kql_parser::ast::MvApply,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let (bag_as_array, index) = self.expansion_params(&m.params, "mv-apply")?;
        let limit = match &m.limit {
            Some(l) => Some(self.constant_long(l, scope, "the limit of mv-apply")?.max(0)),
            None => None,
        };
        if column_names(input.schema()).iter().any(|c| c == ROW) {
            return Err(KqlError::Internal("nested mv-apply row numbers".into()));
        }
        // Number the records.
        let number = datafusion::functions_window::expr_fn::row_number().alias(ROW);
        let base = build(LogicalPlanBuilder::from(input).window(vec![number]).map_err(df)?)?;
        let e = Expansion { items: &m.items, bag_as_array, index, limit };
        let (expanded, names) = self.expand(base.clone(), &e, scope, depth)?;
        let ids = build(LogicalPlanBuilder::from(base.clone()).project(vec![col(ROW)]).map_err(df)?)?;
        // The subquery, per record.
        let mut plan = expanded;
        for op in &m.body {
            plan = self.per_record(plan, op, &ids, scope, depth).map_err(|e| match e {
                KqlError::DataFusion(inner) => KqlError::plan(op.span, crate::error::datafusion_message(&inner)),
                other => other,
            })?;
        }
        // The record's columns that were not expanded and that the subquery did not give.
        let produced = column_names(plan.schema());
        let carried: Vec<String> = column_names(base.schema())
            .into_iter()
            .filter(|c| c != ROW && !names.contains(c) && !produced.contains(c))
            .collect();
        let sub_columns: Vec<String> = produced.into_iter().filter(|c| c != ROW).collect();
        let left = build(LogicalPlanBuilder::from(base).alias("__kql_record").map_err(df)?)?;
        let right = build(LogicalPlanBuilder::from(plan).alias("__kql_applied").map_err(df)?)?;
        let joined = build(
            LogicalPlanBuilder::from(left)
                .join(
                    right,
                    datafusion::logical_expr::JoinType::Inner,
                    (vec![Column::new(Some("__kql_record"), ROW)], vec![Column::new(Some("__kql_applied"), ROW)]),
                    None,
                )
                .map_err(df)?,
        )?;
        let mut exprs: Vec<DfExpr> = carried.iter().map(|c| qcol("__kql_record", c).alias(c)).collect();
        exprs.extend(sub_columns.iter().map(|c| qcol("__kql_applied", c).alias(c)));
        build(LogicalPlanBuilder::from(joined).project(exprs).map_err(df)?)
    }

    /// One operator of an `mv-apply` subquery, applied to each record's rows separately.
    fn per_record(
        &self,
        plan: LogicalPlan,
        op: &kql_parser::ast::Operator,
        ids: &LogicalPlan,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        use kql_parser::ast::{Distinct, Expr, OperatorKind, Summarize};
        let row_name =
            || NamedExpr { names: vec![], expr: Expr::new(ExprKind::Name(ROW.into()), op.span), span: op.span };
        match &op.kind {
            OperatorKind::Where(_)
            | OperatorKind::Extend(_)
            | OperatorKind::ProjectRename(_)
            | OperatorKind::ProjectReorder(_)
            | OperatorKind::MvExpand(_)
            | OperatorKind::Serialize(_) => self.operator(plan, op, scope, depth),
            OperatorKind::Project(cols) => {
                let mut cols = cols.clone();
                cols.push(row_name());
                self.project(plan, &cols, scope, depth)
            }
            OperatorKind::ProjectAway(patterns) => self.project_away_keeping(plan, patterns, ROW),
            OperatorKind::ProjectKeep(patterns) => self.project_keep_keeping(plan, patterns, ROW),
            OperatorKind::Distinct(d) => {
                if d.columns.is_empty() {
                    return self.distinct(plan, d, scope, depth);
                }
                let mut columns = d.columns.clone();
                columns.insert(0, row_name());
                self.distinct(plan, &Distinct { columns, ..d.clone() }, scope, depth)
            }
            OperatorKind::Summarize(s) => {
                let mut by = s.by.clone();
                by.insert(0, row_name());
                let grouped = self.summarize(plan.clone(), &Summarize { by, ..s.clone() }, scope, depth)?;
                if !s.by.is_empty() {
                    return Ok(grouped);
                }
                // Without `by`, every record gives one row, even one whose rows are all gone:
                // the aggregates' values over no rows fill in (0 for count, [] for make_list).
                let none = build(LogicalPlanBuilder::from(plan).filter(lit(false)).map_err(df)?)?;
                let defaults = self.summarize(none, s, scope, depth)?;
                self.fill_records(grouped, defaults, ids)
            }
            OperatorKind::Count => {
                let count = NamedExpr {
                    names: vec![Ident::new("Count", op.span)],
                    expr: Expr::new(ExprKind::Call { name: Ident::new("count", op.span), args: vec![] }, op.span),
                    span: op.span,
                };
                let s = Summarize { params: vec![], aggregates: vec![count], by: vec![], span: op.span };
                let as_summarize = kql_parser::ast::Operator { kind: OperatorKind::Summarize(s), span: op.span };
                self.per_record(plan, &as_summarize, ids, scope, depth)
            }
            OperatorKind::Take(n) => {
                let n = self.constant_long(n, scope, "the number of rows")?.max(0);
                self.first_per_record(plan, vec![], n)
            }
            OperatorKind::Top(t) => {
                let n = self.constant_long(&t.count, scope, "the number of rows of `top`")?.max(0);
                let ctx = super::expr::ExprCtx { schema: plan.schema(), scope, depth, filter: false };
                let key = self.sort_expr(&t.key, &ctx)?;
                self.first_per_record(plan, vec![key], n)
            }
            OperatorKind::Sort(keys) => {
                let ctx = super::expr::ExprCtx { schema: plan.schema(), scope, depth, filter: false };
                let mut exprs = vec![col(ROW).sort(true, false)];
                for k in keys {
                    exprs.push(self.sort_expr(k, &ctx)?);
                }
                build(LogicalPlanBuilder::from(plan).sort(exprs).map_err(df)?)
            }
            _ => Err(KqlError::not_supported(op.span, "this operator inside an `mv-apply` subquery")),
        }
    }

    /// The first `n` rows of each record, in `order`.
    fn first_per_record(
        &self,
        plan: LogicalPlan,
        order: Vec<datafusion::logical_expr::SortExpr>,
        n: i64,
    ) -> Result<LogicalPlan> {
        use datafusion::logical_expr::ExprFunctionExt;
        let names = column_names(plan.schema());
        // Without a sort key any order will do (the record's own number keeps it valid SQL).
        let order = if order.is_empty() { vec![col(ROW).sort(true, false)] } else { order };
        let rank = datafusion::functions_window::expr_fn::row_number()
            .partition_by(vec![col(ROW)])
            .order_by(order)
            .build()
            .map_err(df)?
            .alias("__kql_mv_rank");
        let ranked = build(LogicalPlanBuilder::from(plan).window(vec![rank]).map_err(df)?)?;
        let kept = build(LogicalPlanBuilder::from(ranked).filter(col("__kql_mv_rank").lt_eq(lit(n))).map_err(df)?)?;
        build(LogicalPlanBuilder::from(kept).project(names.iter().map(|c| col(c))).map_err(df)?)
    }

    /// A per-record summary with a row for every record: records with no rows take the
    /// aggregates' empty-input values.
    fn fill_records(&self, grouped: LogicalPlan, defaults: LogicalPlan, ids: &LogicalPlan) -> Result<LogicalPlan> {
        let values: Vec<String> = column_names(grouped.schema()).into_iter().filter(|c| c != ROW).collect();
        let ids = build(LogicalPlanBuilder::from(ids.clone()).alias("__kql_ids").map_err(df)?)?;
        let grouped = build(LogicalPlanBuilder::from(grouped).alias("__kql_grouped").map_err(df)?)?;
        let defaults = build(LogicalPlanBuilder::from(defaults).alias("__kql_defaults").map_err(df)?)?;
        let joined = build(
            LogicalPlanBuilder::from(ids)
                .join(
                    grouped,
                    datafusion::logical_expr::JoinType::Left,
                    (vec![Column::new(Some("__kql_ids"), ROW)], vec![Column::new(Some("__kql_grouped"), ROW)]),
                    None,
                )
                .map_err(df)?,
        )?;
        let with_defaults = build(LogicalPlanBuilder::from(joined).cross_join(defaults).map_err(df)?)?;
        let mut exprs = vec![qcol("__kql_ids", ROW).alias(ROW)];
        for v in &values {
            let filled =
                datafusion::functions::expr_fn::coalesce(vec![qcol("__kql_grouped", v), qcol("__kql_defaults", v)]);
            exprs.push(filled.alias(v));
        }
        build(LogicalPlanBuilder::from(with_defaults).project(exprs).map_err(df)?)
    }
}
