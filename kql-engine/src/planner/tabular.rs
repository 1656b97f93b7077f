//! Tabular expressions: table names, `let`-bound tables, pipelines and their sources
//! (`datatable`, `print`, `union`), and the dispatch of tabular operators.

use std::collections::BTreeSet;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ScalarValue, TableReference};
use datafusion::logical_expr::{Expr as DfExpr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, lit};
use kql_parser::Span;
use kql_parser::ast::{
    Datatable, Expr, ExprKind, OpParam, Operator, OperatorKind, ParamValue, Pipeline, Print, Source, Union, UnionTable,
};

use super::expr::ExprCtx;
use super::scope::Binding;
use super::statement::{Value, as_literal, fold};
use super::types::arrow_type;
use super::{KqlContextProvider, KqlToRel, Scope, column_names};
use crate::error::{KqlError, Result, closest_names, did_you_mean};

pub(crate) fn df(e: datafusion::error::DataFusionError) -> KqlError {
    KqlError::from(e)
}

/// A builder's plan, with DataFusion's error as ours.
pub(crate) fn build(b: LogicalPlanBuilder) -> Result<LogicalPlan> {
    b.build().map_err(df)
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// Plans a tabular expression at the top level.
    pub(crate) fn tabular(&self, e: &Expr, scope: &Scope) -> Result<LogicalPlan> {
        self.tabular_at(e, scope, 0)
    }

    /// Plans a tabular expression; `depth` counts user-function calls.
    pub(crate) fn tabular_at(&self, e: &Expr, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        match &e.kind {
            ExprKind::Tabular(p) => self.pipeline(p, scope, depth),
            ExprKind::Name(n) => self.named_table(n, e.span, scope, depth),
            ExprKind::Call { name, args } => match scope.get(&name.name) {
                Some(Binding::Function(f)) => {
                    match self.call_function(f, args, e.span, scope, &DFSchema::empty(), depth)? {
                        Value::Tabular(plan) => Ok(plan),
                        Value::Scalar(_) => {
                            Err(KqlError::plan(e.span, format!("`{}` returns a scalar, not a table", name.name)))
                        }
                    }
                }
                _ => match (name.name.as_str(), args.as_slice()) {
                    ("materialize", [a]) => self.materialize(a, scope, depth),
                    ("table", [a]) => match &a.value.kind {
                        ExprKind::Literal(kql_parser::ast::Literal::String(t)) => {
                            self.named_table(t, a.value.span, scope, depth)
                        }
                        _ => Err(KqlError::plan(a.value.span, "table() needs the table name as a string literal")),
                    },
                    _ => Err(KqlError::plan(e.span, format!("`{}(...)` is not a table", name.name))),
                },
            },
            _ => Err(KqlError::plan(e.span, "expected a table here (a table name, a `let` table, or `(T | ...)`)")),
        }
    }

    /// `materialize(T)`: `T` runs once per query (a data round keeps its rows in memory) and
    /// every use reads those rows, so a `sample`, `take` or `rand()` in it gives every use the
    /// same rows (`materialize-function.md`).
    fn materialize(&self, a: &kql_parser::ast::Arg, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        let plan = self.tabular_at(&a.value, scope, depth)?;
        let key = super::ValuesKey::of(a.value.span, &plan);
        match self.options.materialized.get(&key) {
            Some(m) => LogicalPlanBuilder::scan(
                datafusion::common::TableReference::bare("materialized"),
                datafusion::datasource::provider_as_source(std::sync::Arc::clone(&m.0) as _),
                None,
            )
            .and_then(LogicalPlanBuilder::build)
            .map_err(df),
            None => {
                *self.pending.borrow_mut() = Some(super::DataRequest::Materialize { key, span: a.value.span, plan });
                Err(KqlError::not_supported(a.value.span, "materialize() here (its rows are read first)"))
            }
        }
    }

    pub(crate) fn named_table(&self, name: &str, span: Span, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        match scope.get(name) {
            Some(Binding::Tabular(plan)) => Ok(plan.clone()),
            Some(Binding::Scalar(_)) => Err(KqlError::plan(span, format!("`{name}` is a scalar, not a table"))),
            Some(Binding::Prefix(what)) => Err(KqlError::plan(span, format!("`{name}` is a {what}, not a table"))),
            Some(Binding::Graph(_)) => Err(KqlError::plan(
                span,
                format!("`{name}` is a graph; use it with a graph operator (`{name} | graph-match ...`)"),
            )),
            Some(Binding::Function(f)) => match self.call_function(f, &[], span, scope, &DFSchema::empty(), depth)? {
                Value::Tabular(plan) => Ok(plan),
                Value::Scalar(_) => Err(KqlError::plan(span, format!("`{name}` returns a scalar, not a table"))),
            },
            None => match self.provider.get_table_source(name) {
                Some(source) => {
                    let scan = LogicalPlanBuilder::scan(TableReference::bare(name), source, None)
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?;
                    self.typed_scan(name, scan)
                }
                None => {
                    let tables = self.provider.table_names();
                    let candidates: BTreeSet<&str> = tables.iter().map(String::as_str).chain(scope.names()).collect();
                    let suggestions = closest_names(name, candidates);
                    let err = KqlError::plan(span, format!("unknown table `{name}`"));
                    Err(match did_you_mean(&suggestions) {
                        Some(h) => err.with_help(h),
                        None if tables.is_empty() => err.with_help("no tables are registered"),
                        None => err.with_help(format!("the tables are: {}", tables.join(", "))),
                    })
                }
            },
        }
    }

    /// A table's columns as KQL reads them: JSON text (the Parquet JSON logical type, or a
    /// string column the documented schema types `dynamic`) as `dynamic`, re-labelled without a
    /// copy; a binary column (KQL has no binary type) as a `string`. Other columns are used as
    /// they are, so scans prune and push filters down as before.
    fn typed_scan(&self, table: &str, scan: LogicalPlan) -> Result<LogicalPlan> {
        let schema = std::sync::Arc::clone(scan.schema());
        let mut changed = false;
        let exprs: Vec<DfExpr> = schema
            .iter()
            .map(|(q, f)| {
                let c = DfExpr::Column(datafusion::common::Column::new(q.cloned(), f.name()));
                match super::read_type(f, self.provider.documented_type(table, f.name())) {
                    super::ReadAs::Json => {
                        changed = true;
                        crate::functions::dynamic::access::to_dynamic(c).alias(f.name())
                    }
                    super::ReadAs::BinaryText => {
                        changed = true;
                        crate::functions::bytes::call(c).alias(f.name())
                    }
                    super::ReadAs::AsIs(_) => c,
                }
            })
            .collect();
        if !changed {
            return Ok(scan);
        }
        LogicalPlanBuilder::from(scan).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }

    fn pipeline(&self, p: &Pipeline, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        // `G | graph-match ...` over a graph-valued `let`.
        if let Source::Expr(Expr { kind: ExprKind::Name(n), span }) = &p.source
            && let Some(Binding::Graph(g)) = scope.get(n)
        {
            let g = super::graph::Graph::clone(g);
            let (plan, used) = self.graph_operators(g, &p.operators, *span, scope, depth)?;
            return self.operators_over(plan, &p.operators[used..], scope, depth);
        }
        let plan = match &p.source {
            Source::Expr(e) => self.tabular_at(e, scope, depth)?,
            Source::Datatable(d) => self.datatable(d, scope)?,
            Source::Print(pr) => self.print(pr, scope, depth)?,
            Source::Union(u) => self.union(None, u, scope, depth)?,
            Source::Range(r) => self.range(r, scope)?,
            Source::ExternalData(e) => self.externaldata(e, scope)?,
            Source::Search(s) => self.search(None, s, scope, depth)?,
            Source::Find(f) => self.find(f, scope, depth)?,
        };
        self.operators_over(plan, &p.operators, scope, depth)
    }

    /// Operators applied in order to `plan` (a pipeline's, or a subquery's with an implicit
    /// source): `as name` binds the rows so far for the operators after it.
    pub(crate) fn operators_over(
        &self,
        plan: LogicalPlan,
        operators: &[Operator],
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut plan = plan;
        let mut named = std::borrow::Cow::Borrowed(scope);
        let mut skip = 0;
        for (i, op) in operators.iter().enumerate() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            // `make-graph` and the graph operators after it turn rows into a graph and back.
            if let OperatorKind::MakeGraph(m) = &op.kind {
                let g = self.make_graph(plan, m, &named, depth)?;
                let (p, used) = self.graph_operators(g, &operators[i + 1..], op.span, &named, depth)?;
                plan = p;
                skip = used;
                continue;
            }
            if super::graph::is_graph_operator(op) || matches!(op.kind, OperatorKind::GraphMarkComponents(_)) {
                return Err(KqlError::plan(op.span, "a graph operator needs a graph: `T | make-graph a --> b | ...`"));
            }
            if let OperatorKind::Render(r) = &op.kind {
                if i + 1 != operators.len() {
                    return Err(KqlError::plan(r.span, "`render` must be the last operator of the query"));
                }
                continue;
            }
            if let OperatorKind::As(a) = &op.kind {
                for param in &a.params {
                    if !param.name.starts_with("hint.") {
                        return Err(unsupported_param(param, "as"));
                    }
                }
                named = std::borrow::Cow::Owned(named.with(&a.name.name, Binding::Tabular(plan.clone())));
                continue;
            }
            let scope: &Scope = &named;
            // `| as T | union withsource=S ...` labels the piped rows `T`.
            let previous = operators.iter().take_while(|o| !std::ptr::eq(*o, op)).last();
            if let (OperatorKind::Union(u), Some(OperatorKind::As(a))) = (&op.kind, previous.map(|o| &o.kind)) {
                plan = self.union_labeled(Some((a.name.name.clone(), plan)), u, scope, depth)?;
                continue;
            }
            // DataFusion's own checks (type coercion in a builder) know nothing of KQL spans:
            // their errors are placed on the operator that caused them.
            plan = self.operator(plan, op, scope, depth).map_err(|e| match e {
                KqlError::DataFusion(inner) => KqlError::plan(op.span, crate::error::datafusion_message(&inner)),
                other => other,
            })?;
        }
        Ok(plan)
    }

    pub(crate) fn operator(
        &self,
        input: LogicalPlan,
        op: &Operator,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        match &op.kind {
            OperatorKind::Where(p) => self.where_op(input, p, scope, depth),
            OperatorKind::Summarize(s) => self.summarize(input, s, scope, depth),
            OperatorKind::Project(cols) => self.project(input, cols, scope, depth),
            OperatorKind::Extend(cols) => self.extend(input, cols, scope, depth),
            OperatorKind::ProjectAway(p) => self.project_away(input, p),
            OperatorKind::ProjectKeep(p) => self.project_keep(input, p),
            OperatorKind::ProjectRename(r) => self.project_rename(input, r),
            OperatorKind::ProjectReorder(r) => self.project_reorder(input, r),
            OperatorKind::Take(n) => self.take(input, n, scope),
            OperatorKind::Top(t) => self.top(input, t, scope, depth),
            OperatorKind::Sort(keys) => self.sort(input, keys, scope, depth),
            OperatorKind::Count => self.count(input),
            OperatorKind::Distinct(d) => self.distinct(input, d, scope, depth),
            OperatorKind::Join(j) => self.join(input, j, false, scope, depth),
            OperatorKind::Lookup(j) => self.join(input, j, true, scope, depth),
            OperatorKind::Union(u) => self.union(Some(input), u, scope, depth),
            OperatorKind::MvExpand(m) => self.mv_expand(input, m, scope, depth),
            OperatorKind::MvApply(m) => self.mv_apply(input, m, scope, depth),
            OperatorKind::Partition(p) => self.partition(input, p, scope, depth),
            OperatorKind::Scan(s) => self.scan(input, s, scope, depth, None),
            OperatorKind::MakeGraph(_)
            | OperatorKind::GraphMatch(_)
            | OperatorKind::GraphToTable(_)
            | OperatorKind::GraphMarkComponents(_) => Err(KqlError::not_supported(op.span, "a graph operator here")),
            OperatorKind::Fork(_) | OperatorKind::Facet { .. } => Err(KqlError::plan(
                op.span,
                "`fork` and `facet` give several results: they end a query statement, with nothing after them",
            )),
            OperatorKind::TopHitters { count, of, by } => self.top_hitters(input, count, of, by.as_ref(), scope, depth),
            OperatorKind::Evaluate(e) => self.evaluate(input, e, scope, depth),
            OperatorKind::Invoke(i) => self.invoke(input, i, scope, depth),
            OperatorKind::GetSchema => self.getschema(&input),
            OperatorKind::Serialize(cols) if cols.is_empty() => Ok(input),
            // The row functions of the new columns run in the input's order.
            OperatorKind::Serialize(cols) => self.extend(input, cols, scope, depth),
            OperatorKind::Parse(p) => self.parse_op(input, p, scope, depth),
            OperatorKind::ParseKv(p) => self.parse_kv(input, p, scope, depth),
            OperatorKind::MakeSeries(m) => self.make_series(input, m, scope, depth),
            // Handled by the pipeline: it describes the result, it does not change it.
            OperatorKind::Render(_) => Ok(input),
            OperatorKind::Search(s) => self.search(Some(input), s, scope, depth),
            OperatorKind::TopNested(clauses) => self.top_nested(input, clauses, scope, depth),
            OperatorKind::Sample(n) => self.sample(input, n, None, scope, depth),
            OperatorKind::SampleDistinct { count, of } => self.sample(input, count, Some(of), scope, depth),
            // Bound by the pipeline (see `pipeline`); alone it passes its input through.
            OperatorKind::As(_) => Ok(input),
        }
    }

    /// `T | invoke f(args)`: `f(T, args)`, the piped table bound to `f`'s first parameter,
    /// which must be tabular.
    fn invoke(
        &self,
        input: LogicalPlan,
        i: &kql_parser::ast::Invoke,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let f = match scope.get(&i.function.name) {
            Some(Binding::Function(f)) => f,
            Some(_) => {
                return Err(KqlError::plan(i.function.span, format!("`{}` is not a function", i.function.name)));
            }
            None => return Err(super::catalog::unsupported(&i.function)),
        };
        if !matches!(f.decl.params.first().map(|p| &p.ty), Some(kql_parser::ast::ParamType::Tabular { .. })) {
            return Err(KqlError::plan(
                i.function.span,
                format!("`{}` cannot be invoked: its first parameter is not a table", i.function.name),
            ));
        }
        // The piped table is the first argument, under a name no query can write.
        const INPUT: &str = " invoke input";
        let inner = scope.with(INPUT, Binding::Tabular(input));
        let first = kql_parser::ast::Arg {
            name: None,
            value: Expr { kind: ExprKind::Name(INPUT.to_owned()), span: i.span },
            span: i.span,
        };
        let args: Vec<kql_parser::ast::Arg> = std::iter::once(first).chain(i.args.iter().cloned()).collect();
        match self.call_function(f, &args, i.span, &inner, &DFSchema::empty(), depth)? {
            Value::Tabular(plan) => Ok(plan),
            Value::Scalar(_) => {
                Err(KqlError::plan(i.span, format!("`{}` returns a scalar, not a table", i.function.name)))
            }
        }
    }

    /// `datatable(a:long, b:string) [1, "x", ...]`: literal rows cast to the declared types.
    fn datatable(&self, d: &Datatable, scope: &Scope) -> Result<LogicalPlan> {
        let width = d.columns.len();
        if width == 0 || !d.values.len().is_multiple_of(width) {
            return Err(KqlError::plan(
                d.span,
                format!(
                    "datatable has {} column(s) but {} value(s); give a value for every column of every row",
                    width,
                    d.values.len()
                ),
            ));
        }
        let empty = DFSchema::empty();
        let ctx = ExprCtx { schema: &empty, scope, depth: 0, filter: false };
        let mut rows = Vec::new();
        for chunk in d.values.chunks(width) {
            let mut row = Vec::with_capacity(width);
            for (v, c) in chunk.iter().zip(&d.columns) {
                let e = fold(self.expr(v, &ctx)?);
                let Some(value) = as_literal(&e) else {
                    return Err(KqlError::plan(v.span, "datatable values must be constants"));
                };
                let target = arrow_type(c.ty);
                let converted = if c.ty == kql_parser::ast::ScalarType::Dynamic {
                    dynamic_cell(value).map_err(df)?
                } else if value.is_null() {
                    ScalarValue::try_from(&target).map_err(df)?
                } else {
                    value.cast_to(&target).map_err(|_| {
                        KqlError::plan(v.span, format!("`{v}` is not a valid {} for column `{}`", c.ty, c.name.name))
                    })?
                };
                row.push(lit(converted));
            }
            rows.push(row);
        }
        let names: Vec<&str> = d.columns.iter().map(|c| c.name.name.as_str()).collect();
        if rows.is_empty() {
            let typed: Vec<DfExpr> = d
                .columns
                .iter()
                .map(|c| Ok(lit(ScalarValue::try_from(&arrow_type(c.ty)).map_err(df)?).alias(&c.name.name)))
                .collect::<Result<_>>()?;
            return LogicalPlanBuilder::empty(false).project(typed).and_then(LogicalPlanBuilder::build).map_err(df);
        }
        let plan = LogicalPlanBuilder::values(rows).map_err(df)?.build().map_err(df)?;
        let renamed: Vec<DfExpr> =
            plan.schema().columns().into_iter().zip(&names).map(|(c, n)| DfExpr::Column(c).alias(*n)).collect();
        LogicalPlanBuilder::from(plan).project(renamed).and_then(LogicalPlanBuilder::build).map_err(df)
    }

    /// `print a = 1, 2`: one row; unnamed columns are `print_0`, `print_1`, ...
    fn print(&self, p: &Print, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        let empty = DFSchema::empty();
        let ctx = ExprCtx { schema: &empty, scope, depth, filter: false };
        let mut exprs = Vec::new();
        for (i, c) in p.columns.iter().enumerate() {
            if let Some(span) = super::calls::tuple_result(&c.expr) {
                return Err(KqlError::not_supported(
                    span,
                    "a function returning several columns here; index its result ([0], [1]) to pick one array",
                ));
            }
            let e = self.expr(&c.expr, &ctx)?;
            let name = match c.names.as_slice() {
                [] => format!("print_{i}"),
                [n] => n.name.clone(),
                _ => return Err(KqlError::not_supported(c.span, "several names for one print column")),
            };
            exprs.push(e.alias(name));
        }
        LogicalPlanBuilder::empty(true).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }

    /// `union [kind=inner|outer] [withsource=C] T1, T2, ...` (after a pipe, the input is first).
    pub(crate) fn union(
        &self,
        input: Option<LogicalPlan>,
        u: &Union,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        self.union_labeled(input.map(|p| ("union_arg0".to_owned(), p)), u, scope, depth)
    }

    /// `union`, the piped input (if any) with its `withsource` label.
    fn union_labeled(
        &self,
        input: Option<(String, LogicalPlan)>,
        u: &Union,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut inner = false;
        let mut source_column = None;
        let mut fuzzy = false;
        for p in &u.params {
            match (p.name.as_str(), &p.value) {
                ("kind", ParamValue::Name(k)) if k == "inner" => inner = true,
                ("kind", ParamValue::Name(k)) if k == "outer" => inner = false,
                ("withsource" | "with_source", ParamValue::Name(c)) => source_column = Some(c.clone()),
                ("isfuzzy", ParamValue::Literal(kql_parser::ast::Literal::Bool(b))) => fuzzy = *b,
                (n, _) if n.starts_with("hint.") => {}
                _ => return Err(unsupported_param(p, "union")),
            }
        }
        let mut inputs: Vec<(String, LogicalPlan)> = Vec::new();
        if let Some(labeled) = input {
            inputs.push(labeled);
        }
        inputs.extend(self.union_inputs(&u.tables, fuzzy, inputs.len(), scope, depth)?);
        if let Some(c) = &source_column {
            inputs = inputs
                .into_iter()
                .map(|(label, plan)| {
                    let mut exprs = vec![lit(label.clone()).alias(c.as_str())];
                    exprs.extend(plan.schema().columns().into_iter().map(DfExpr::Column));
                    let p = LogicalPlanBuilder::from(plan)
                        .project(exprs)
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?;
                    Ok((label, p))
                })
                .collect::<Result<_>>()?;
        }
        if inner {
            let common: Vec<String> = column_names(inputs[0].1.schema())
                .into_iter()
                .filter(|c| inputs.iter().all(|(_, p)| column_names(p.schema()).contains(c)))
                .collect();
            inputs = inputs
                .into_iter()
                .map(|(label, plan)| {
                    let exprs: Vec<DfExpr> = common.iter().map(|c| super::col(c)).collect();
                    let p = LogicalPlanBuilder::from(plan)
                        .project(exprs)
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?;
                    Ok((label, p))
                })
                .collect::<Result<_>>()?;
        }
        let empty = if fuzzy { "none of the union's tables exists" } else { "union needs at least one table" };
        union_filled(inputs.into_iter().map(|(_, p)| p).collect(), u.span, empty)
    }

    /// The tables of a `union` or `search in (...)`, each with its label (its name, the name an
    /// `as` gave it, or `union_argN`); `fuzzy` skips tables that do not exist.
    pub(crate) fn union_inputs(
        &self,
        tables: &[UnionTable],
        fuzzy: bool,
        first_index: usize,
        scope: &Scope,
        depth: usize,
    ) -> Result<Vec<(String, LogicalPlan)>> {
        let mut inputs: Vec<(String, LogicalPlan)> = Vec::new();
        for t in tables {
            match t {
                UnionTable::Expr(e) => {
                    // A name, or a pipeline that ends with `as Name`, labels its rows.
                    let named_by_as = match &e.kind {
                        ExprKind::Tabular(p) => match p.operators.last().map(|o| &o.kind) {
                            Some(OperatorKind::As(a)) => Some(a.name.name.clone()),
                            _ => None,
                        },
                        _ => None,
                    };
                    let label = named_by_as
                        .or_else(|| e.as_name().map(str::to_owned))
                        .unwrap_or_else(|| format!("union_arg{}", first_index + inputs.len()));
                    // isfuzzy=true: a table that does not exist is skipped, as Kusto does.
                    if fuzzy
                        && let Some(name) = e.as_name()
                        && scope.get(name).is_none()
                        && self.provider.get_table_source(name).is_none()
                    {
                        continue;
                    }
                    inputs.push((label, self.tabular_at(e, scope, depth)?));
                }
                UnionTable::Pattern(p) => {
                    let mut names: Vec<String> =
                        self.provider.table_names().into_iter().filter(|n| p.matches(n)).collect();
                    names.sort();
                    if names.is_empty() && !fuzzy {
                        return Err(KqlError::plan(p.span, format!("no table matches `{}`", p.pattern)));
                    }
                    for n in names {
                        let plan = self.named_table(&n, p.span, scope, depth)?;
                        inputs.push((n, plan));
                    }
                }
            }
        }
        Ok(inputs)
    }

    /// `getschema`: one row per column.
    fn getschema(&self, input: &LogicalPlan) -> Result<LogicalPlan> {
        let rows: Vec<Vec<DfExpr>> = input
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let t = super::KqlType::of(f.data_type());
                vec![lit(f.name().clone()), lit(i as i32), lit(super::KqlType::clr_name(t)), lit(t.name())]
            })
            .collect();
        if rows.is_empty() {
            return LogicalPlanBuilder::empty(false).build().map_err(df);
        }
        let plan = LogicalPlanBuilder::values(rows).map_err(df)?.build().map_err(df)?;
        let names = ["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"];
        let exprs: Vec<DfExpr> =
            plan.schema().columns().into_iter().zip(names).map(|(c, n)| DfExpr::Column(c).alias(n)).collect();
        LogicalPlanBuilder::from(plan).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }

    /// `sample N` (N rows at random) and `sample-distinct N of x` (N distinct values of x at
    /// random): ordered by a random number, the first N kept.
    fn sample(
        &self,
        input: LogicalPlan,
        n: &Expr,
        of: Option<&Expr>,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let what = if of.is_some() { "the count of sample-distinct" } else { "the count of sample" };
        let count = self.constant_long(n, scope, what)?;
        let count = usize::try_from(count).map_err(|_| KqlError::plan(n.span, format!("{what} is negative")))?;
        let plan = match of {
            None => input,
            Some(e) => {
                let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
                let value = self.expr(e, &ctx)?;
                let name = self.output_name(
                    &kql_parser::ast::NamedExpr { names: Vec::new(), expr: e.clone(), span: e.span },
                    &mut super::names::Namer::default(),
                )?;
                let projected = build(LogicalPlanBuilder::from(input).project(vec![value.alias(name)]).map_err(df)?)?;
                build(LogicalPlanBuilder::from(projected).distinct().map_err(df)?)?
            }
        };
        // The random key is a column of its own, so the sort keeps a column when a later
        // operator (`count`) needs none of the input's.
        let columns: Vec<DfExpr> = plan.schema().columns().into_iter().map(DfExpr::Column).collect();
        let mut with_key = columns.clone();
        with_key.push(datafusion::functions::math::expr_fn::random().alias("__kql_sample"));
        let keyed = build(LogicalPlanBuilder::from(plan).project(with_key).map_err(df)?)?;
        let sorted = first_sorted(keyed, vec![super::col("__kql_sample").sort(true, false)], count)?;
        build(LogicalPlanBuilder::from(sorted).project(columns).map_err(df)?)
    }

    /// A constant `long` (take counts, limits).
    pub(crate) fn constant_long(&self, e: &Expr, scope: &Scope, what: &str) -> Result<i64> {
        let empty = DFSchema::empty();
        let ctx = ExprCtx { schema: &empty, scope, depth: 0, filter: false };
        let v = fold(self.expr(e, &ctx)?);
        let value = as_literal(&v).cloned();
        let casted =
            value.and_then(|v| if v.data_type().is_integer() { v.cast_to(&DataType::Int64).ok() } else { None });
        match casted {
            Some(ScalarValue::Int64(Some(n))) => Ok(n),
            _ => Err(KqlError::plan(e.span, format!("{what} must be a constant whole number"))),
        }
    }
}

/// The first `n` rows in the order of `keys` (`top`, `sample`); no rows for `n == 0`, which
/// DataFusion's top-k does not take.
pub(crate) fn first_sorted(
    plan: LogicalPlan,
    keys: Vec<datafusion::logical_expr::SortExpr>,
    n: usize,
) -> Result<LogicalPlan> {
    if n == 0 {
        return build(LogicalPlanBuilder::from(plan).limit(0, Some(0)).map_err(df)?);
    }
    build(LogicalPlanBuilder::from(plan).sort_with_limit(keys, Some(n)).map_err(df)?)
}

/// `plans` stacked by column name (`union` semantics); a string column some plan lacks is `""`
/// there, not null (a KQL string is never null). `empty` is the error when there is no plan.
pub(crate) fn union_filled(plans: Vec<LogicalPlan>, span: Span, empty: &str) -> Result<LogicalPlan> {
    let all_names: Vec<Vec<String>> = plans.iter().map(|p| column_names(p.schema())).collect();
    let mut it = plans.into_iter();
    let first = it.next().ok_or_else(|| KqlError::plan(span, empty))?;
    let mut builder = LogicalPlanBuilder::from(first);
    for p in it {
        builder = builder
            .union_by_name(p)
            .map_err(|e| KqlError::plan(span, format!("these tables cannot be combined: {e}")))?;
    }
    let plan = builder.build().map_err(df)?;
    let fill = |f: &datafusion::arrow::datatypes::Field| {
        super::KqlType::of(f.data_type()) == super::KqlType::String
            && all_names.iter().any(|names| !names.iter().any(|n| n == f.name()))
    };
    if !plan.schema().fields().iter().any(|f| fill(f)) {
        return Ok(plan);
    }
    let exprs: Vec<DfExpr> = plan
        .schema()
        .iter()
        .map(|(q, f)| {
            let c = DfExpr::Column(datafusion::common::Column::new(q.cloned(), f.name()));
            if fill(f) { super::non_null_string_expr(c).alias(f.name()) } else { c }
        })
        .collect();
    LogicalPlanBuilder::from(plan).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
}

/// A `datatable` value for a `dynamic` column: JSON text stays, any other value is wrapped (a
/// string stays a string, it is not parsed).
fn dynamic_cell(value: &ScalarValue) -> datafusion::error::Result<ScalarValue> {
    if let ScalarValue::Binary(_) = value {
        return Ok(value.clone());
    }
    let v = crate::dynamic::arrow::to_dyn(value.to_array_of_size(1)?.as_ref(), 0)?;
    Ok(match v {
        crate::dynamic::Dyn::Null => ScalarValue::Binary(None),
        v => ScalarValue::Binary(Some(v.to_json().into_bytes())),
    })
}

/// An operator parameter this engine does not know.
pub(crate) fn unsupported_param(p: &OpParam, op: &str) -> KqlError {
    if p.name.starts_with("hint.") {
        // Hints never change results; they are accepted where Kusto accepts them.
        return KqlError::Internal(format!("hint {} should have been ignored", p.name));
    }
    KqlError::not_supported(p.span, format!("`{p}` on `{op}`"))
}

/// The type of `e` over `schema`.
pub(crate) fn type_of(e: &DfExpr, schema: &DFSchema) -> Result<DataType> {
    e.get_type(schema).map_err(df)
}
