//! The query: `set`, `let`, and the result statements; user functions.

use std::sync::Arc;

use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use kql_parser::ast::{
    Arg, Expr, ExprKind, FunctionDecl, LetStatement, LetValue, Literal, ParamType, Query, Statement,
};

use super::scope::{Binding, FunctionBinding};
use super::tabular::df;
use super::{KqlContextProvider, KqlToRel, PlannerOptions, Scope};
use crate::error::{KqlError, Result};

/// How deeply user functions may call each other (recursion is an error in Kusto).
const MAX_CALL_DEPTH: usize = 32;

/// The value of the last `set query_now = datetime(...)`, in nanoseconds.
fn query_now(q: &Query) -> Result<Option<i64>> {
    let mut now = None;
    for s in &q.statements {
        let Statement::Set(set) = s else { continue };
        if set.name.name != "query_now" {
            // Kusto accepts unknown request properties silently (spec §1).
            continue;
        }
        let value = set.value.as_ref().ok_or_else(|| KqlError::plan(set.span, "`set query_now` needs a value"))?;
        match &value.kind {
            ExprKind::Literal(Literal::DateTime(d)) => {
                now =
                    Some(d.unix_nanos().ok_or_else(|| {
                        KqlError::plan(value.span, "query_now must be between the years 1678 and 2261")
                    })?);
            }
            _ => {
                return Err(KqlError::plan(
                    value.span,
                    "query_now must be a datetime literal, such as `set query_now = datetime(2024-06-01);`",
                ));
            }
        }
    }
    Ok(now)
}

/// `set truncationmaxrecords = N` (each result keeps its first N rows) unless `set
/// notruncation` is also given; without either there is no limit (a local engine has no
/// service to protect, so Kusto's default of 500,000 rows is not imposed).
fn truncation(q: &Query) -> Result<Option<usize>> {
    let mut limit = None;
    let mut off = false;
    for s in &q.statements {
        let Statement::Set(set) = s else { continue };
        match set.name.name.as_str() {
            "notruncation" => {
                off = !matches!(set.value.as_ref().map(|v| &v.kind), Some(ExprKind::Literal(Literal::Bool(false))))
            }
            "truncationmaxrecords" => {
                let value = set.value.as_ref().map(|v| (&v.kind, v.span));
                match value {
                    Some((ExprKind::Literal(Literal::Long(n)), _)) if *n >= 0 => {
                        limit = Some(usize::try_from(*n).unwrap_or(usize::MAX));
                    }
                    Some((_, span)) => {
                        return Err(KqlError::plan(span, "truncationmaxrecords must be a whole number of rows"));
                    }
                    None => return Err(KqlError::plan(set.span, "`set truncationmaxrecords` needs a number")),
                }
            }
            _ => {}
        }
    }
    Ok(if off { None } else { limit })
}

/// A result statement's plan, its visualization when it ends with `render`, and its name (a
/// `fork` leg's).
pub(crate) type Planned = (LogicalPlan, Option<crate::render::Visualization>, Option<String>);

/// What a `let` value or function body turned out to be.
pub(crate) enum Value {
    Scalar(DfExpr),
    Tabular(LogicalPlan),
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(super) fn query(&self, q: &Query) -> Result<Vec<Planned>> {
        let plans = self.query_with_clock(q)?;
        match truncation(q)? {
            None => Ok(plans),
            Some(n) => plans
                .into_iter()
                .map(|(p, v, name)| {
                    let p = LogicalPlanBuilder::from(p)
                        .limit(0, Some(n))
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?;
                    Ok((p, v, name))
                })
                .collect(),
        }
    }

    fn query_with_clock(&self, q: &Query) -> Result<Vec<Planned>> {
        match query_now(q)? {
            Some(now) => {
                let with_clock = KqlToRel::new(self.provider, PlannerOptions { now, ..self.options.clone() });
                let out = with_clock.statements(q);
                if let Some(r) = with_clock.pending.take() {
                    self.pending.replace(Some(r));
                }
                out
            }
            None => self.statements(q),
        }
    }

    fn statements(&self, q: &Query) -> Result<Vec<Planned>> {
        let planner = self;
        // Request properties hold for the whole query text (`bin_auto()` reads two of them).
        let mut bin_auto = super::BinAuto::default();
        for s in &q.statements {
            if let Statement::Set(set) = s {
                match set.name.name.as_str() {
                    "query_bin_auto_size" => bin_auto.size = set.value.clone(),
                    "query_bin_auto_at" => bin_auto.at = set.value.clone(),
                    _ => {}
                }
            }
        }
        self.bin_auto.replace(bin_auto);
        let mut scope = Scope::default();
        let mut results = Vec::new();
        let mut naming: Option<(kql_parser::Span, Vec<String>)> = None;
        for s in &q.statements {
            match s {
                Statement::Let(l) => scope = planner.bind_let(&scope, l, 0)?,
                Statement::Set(_) => {}
                Statement::Declare(d) => {
                    for p in &d.params {
                        let value = planner.query_parameter(p, &scope)?;
                        if scope.get(&p.name.name).is_some() {
                            return Err(KqlError::plan(p.name.span, format!("`{}` is already declared", p.name.name)));
                        }
                        scope = scope.with(&p.name.name, Binding::Scalar(value));
                    }
                }
                Statement::Expr(e) => {
                    // `graph-to-table nodes as N, edges as E` names tables for the statements
                    // after it, and gives no result of its own.
                    if let Some(named) = planner.named_graph_tables(e, &scope)? {
                        naming = Some((e.span, named.iter().map(|(n, _)| n.name.clone()).collect::<Vec<_>>()));
                        for (name, plan) in named {
                            if scope.get(&name.name).is_some() {
                                return Err(KqlError::plan(name.span, format!("`{}` is already defined", name.name)));
                            }
                            scope = scope.with(&name.name, Binding::Tabular(plan));
                        }
                        continue;
                    }
                    // `fork` and `facet` end a statement with several results.
                    if let Some(plans) = planner.several_results(e, &scope)? {
                        results.extend(plans.into_iter().map(|(p, name)| (p, None, name)));
                        continue;
                    }
                    let plan = planner.tabular(e, &scope)?;
                    // A `render` ending the statement describes how to draw its result.
                    let render = match &e.kind {
                        kql_parser::ast::ExprKind::Tabular(p) => match p.operators.last().map(|o| &o.kind) {
                            Some(kql_parser::ast::OperatorKind::Render(r)) => {
                                Some(crate::render::visualization(r, plan.schema())?)
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    results.push((plan, render, None));
                }
            }
        }
        if let (true, Some((span, names))) = (results.is_empty(), naming) {
            return Err(KqlError::plan(
                span,
                format!(
                    "this statement only names tables ({}); add a statement that returns one, such as `; {}`",
                    names.join(", "),
                    names.first().map_or("N", String::as_str)
                ),
            ));
        }
        Ok(results)
    }

    /// The tables a statement ending with `graph-to-table ... as Name` names
    /// (graph-to-table-operator.md: `graph-to-table nodes as N ..., edges as E ...; N; E`), each
    /// planned as the same pipeline ending with its own output; `None` for other statements.
    fn named_graph_tables(
        &self,
        e: &kql_parser::ast::Expr,
        scope: &Scope,
    ) -> Result<Option<Vec<(kql_parser::ast::Ident, LogicalPlan)>>> {
        use kql_parser::ast::{Expr, ExprKind, OperatorKind};
        let ExprKind::Tabular(p) = &e.kind else { return Ok(None) };
        let Some((last, before)) = p.operators.split_last() else { return Ok(None) };
        let OperatorKind::GraphToTable(outputs) = &last.kind else { return Ok(None) };
        if outputs.iter().all(|o| o.name.is_none()) {
            return Ok(None);
        }
        if let Some(unnamed) = outputs.iter().find(|o| o.name.is_none()) {
            return Err(KqlError::plan(
                unnamed.span,
                "name every output of graph-to-table (`nodes as N, edges as E`), or none",
            ));
        }
        let mut named = Vec::with_capacity(outputs.len());
        for o in outputs {
            let name = o.name.clone().ok_or_else(|| KqlError::plan(o.span, "graph-to-table output without a name"))?;
            let output = kql_parser::ast::GraphOutput { name: None, ..o.clone() };
            let mut operators = before.to_vec();
            operators
                .push(kql_parser::ast::Operator { kind: OperatorKind::GraphToTable(vec![output]), ..last.clone() });
            let pipeline = kql_parser::ast::Pipeline { operators, ..(**p).clone() };
            let plan = self.tabular(&Expr { kind: ExprKind::Tabular(Box::new(pipeline)), span: e.span }, scope)?;
            named.push((name, plan));
        }
        Ok(Some(named))
    }

    /// A declared query parameter's value: the caller's text converted to its type (by the
    /// `to*` rules), else its default.
    fn query_parameter(&self, p: &kql_parser::ast::QueryParam, scope: &Scope) -> Result<DfExpr> {
        use kql_parser::ast::{Arg, Expr, ExprKind, Ident, Literal, ScalarType};
        let empty = DFSchema::empty();
        let ctx = super::expr::ExprCtx { schema: &empty, scope, depth: 0, filter: false };
        let Some(text) = self.options.parameters.get(&p.name.name) else {
            return match &p.default {
                Some(d) => {
                    let v = fold(self.expr(d, &ctx)?);
                    Ok(fold(datafusion::logical_expr::cast(v, super::types::arrow_type(p.ty))))
                }
                None => Err(KqlError::plan(
                    p.name.span,
                    format!(
                        "the query parameter `{}` has no value and no default: give one (`kql query --param {}=VALUE`, \
                         `parameters=` in Python, `KqlContext::kql_with_parameters` in Rust)",
                        p.name.name, p.name.name
                    ),
                )),
            };
        };
        let span = p.name.span;
        let literal = Expr { kind: ExprKind::Literal(Literal::String(text.clone())), span };
        let value = match super::external::conversion(p.ty) {
            None => return Ok(datafusion::logical_expr::lit(text.clone())),
            Some(function) => {
                let args = vec![Arg { name: None, value: literal, span }];
                let call =
                    Expr { kind: ExprKind::Call { name: Ident { name: function.to_owned(), span }, args }, span };
                fold(self.expr(&call, &ctx)?)
            }
        };
        match super::statement::as_literal(&value) {
            Some(v) if !v.is_null() || p.ty == ScalarType::Dynamic => Ok(value),
            _ => Err(KqlError::plan(
                span,
                format!("the query parameter `{}` is a {}; `{text}` is not one", p.name.name, p.ty),
            )),
        }
    }

    fn bind_let(&self, scope: &Scope, l: &LetStatement, depth: usize) -> Result<Scope> {
        let name = &l.name.name;
        if scope.get(name).is_some() {
            return Err(KqlError::plan(
                l.name.span,
                format!("`{name}` is already declared; a `let` name cannot be declared twice"),
            ));
        }
        let binding = match &l.value {
            LetValue::Function(decl) => Binding::Function(Arc::new(FunctionBinding {
                name: name.clone(),
                decl: decl.clone(),
                closure: scope.clone(),
            })),
            // `let G = E | make-graph ...`: a graph for the graph operators that use `G`.
            LetValue::Expr(Expr { kind: ExprKind::Tabular(p), .. }) if graph_value(p).is_some() => {
                let at = graph_value(p).ok_or_else(|| KqlError::Internal("make-graph".into()))?;
                let kql_parser::ast::OperatorKind::MakeGraph(m) = &p.operators[at].kind else {
                    return Err(KqlError::Internal("make-graph".into()));
                };
                let edges_pipeline =
                    kql_parser::ast::Pipeline { operators: p.operators[..at].to_vec(), ..(**p).clone() };
                let edges = self.tabular_at(
                    &Expr { kind: ExprKind::Tabular(Box::new(edges_pipeline)), span: l.span },
                    scope,
                    depth,
                )?;
                let mut g = self.make_graph(edges, m, scope, depth)?;
                for op in &p.operators[at + 1..] {
                    if let kql_parser::ast::OperatorKind::GraphMarkComponents(params) = &op.kind {
                        g = self.mark_components(&g, params)?;
                    }
                }
                Binding::Graph(Arc::new(g))
            }
            LetValue::Expr(e) => match self.value(e, scope, &DFSchema::empty(), depth)? {
                Value::Scalar(expr) => Binding::Scalar(fold(expr)),
                Value::Tabular(plan) => Binding::Tabular(plan),
            },
        };
        Ok(scope.with(name, binding))
    }

    /// Whether `e` denotes a table (rather than a scalar).
    pub(crate) fn is_tabular(&self, e: &Expr, scope: &Scope) -> bool {
        match &e.kind {
            ExprKind::Tabular(_) => true,
            ExprKind::Name(n) => match scope.get(n) {
                Some(Binding::Tabular(_)) => true,
                Some(_) => false,
                None => self.provider.get_table_source(n).is_some(),
            },
            ExprKind::Call { name, args } => match scope.get(&name.name) {
                Some(Binding::Function(f)) => f
                    .decl
                    .body
                    .iter()
                    .rev()
                    .find_map(|s| match s {
                        Statement::Expr(e) => Some(e),
                        _ => None,
                    })
                    .is_some_and(|body| matches!(body.kind, ExprKind::Tabular(_)) || self.is_tabular(body, &f.closure)),
                _ => {
                    matches!(name.name.as_str(), "materialize" | "table" | "view")
                        && args.first().is_some_and(|a| name.name == "table" || self.is_tabular(&a.value, scope))
                }
            },
            _ => false,
        }
    }

    /// Plans `e` as whatever it is: a table or a scalar (against `schema`).
    pub(crate) fn value(&self, e: &Expr, scope: &Scope, schema: &DFSchema, depth: usize) -> Result<Value> {
        if self.is_tabular(e, scope) {
            return Ok(Value::Tabular(self.tabular_at(e, scope, depth)?));
        }
        let ctx = super::expr::ExprCtx { schema, scope, depth, filter: false };
        Ok(Value::Scalar(self.expr(e, &ctx)?))
    }

    /// Calls a user function: parameters are bound to the arguments (by position or name,
    /// defaults filling the rest) in the scope the function closes over, and the body is
    /// planned there.
    pub(crate) fn call_function(
        &self,
        f: &FunctionBinding,
        args: &[Arg],
        call_span: kql_parser::Span,
        scope: &Scope,
        schema: &DFSchema,
        depth: usize,
    ) -> Result<Value> {
        if depth >= MAX_CALL_DEPTH {
            return Err(KqlError::plan(
                call_span,
                format!(
                    "`{}` calls itself (or functions nest more than {MAX_CALL_DEPTH} deep); recursion is not allowed",
                    f.name
                ),
            ));
        }
        let decl: &FunctionDecl = &f.decl;
        if args.len() > decl.params.len() {
            return Err(KqlError::plan(
                call_span,
                format!("`{}` takes {} argument(s), got {}", f.name, decl.params.len(), args.len()),
            ));
        }
        let mut inner = f.closure.clone();
        // A function may call itself only through its own name, which the closure lacks.
        let self_binding = Binding::Function(Arc::new(FunctionBinding {
            name: f.name.clone(),
            decl: f.decl.clone(),
            closure: f.closure.clone(),
        }));
        inner = inner.with(&f.name, self_binding);
        for (i, p) in decl.params.iter().enumerate() {
            let given = args
                .iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.name == p.name.name))
                .or_else(|| args.get(i).filter(|a| a.name.is_none()));
            let binding = match (&p.ty, given) {
                (ParamType::Tabular { .. }, Some(a)) => {
                    Binding::Tabular(self.tabular_at(&a.value, scope, depth + 1).map_err(|e| match e {
                        KqlError::Plan(_) => e,
                        other => other,
                    })?)
                }
                (ParamType::Tabular { .. }, None) => {
                    return Err(KqlError::plan(call_span, format!("`{}` needs a table for `{}`", f.name, p.name.name)));
                }
                (ParamType::Scalar(_), Some(a)) => {
                    let ctx = super::expr::ExprCtx { schema, scope, depth: depth + 1, filter: false };
                    Binding::Scalar(self.expr(&a.value, &ctx)?)
                }
                (ParamType::Scalar(_), None) => match &p.default {
                    Some(d) => {
                        let ctx = super::expr::ExprCtx { schema, scope: &f.closure, depth: depth + 1, filter: false };
                        Binding::Scalar(self.expr(d, &ctx)?)
                    }
                    None => {
                        return Err(KqlError::plan(
                            call_span,
                            format!("`{}` needs a value for `{}`", f.name, p.name.name),
                        ));
                    }
                },
            };
            inner = inner.with(&p.name.name, binding);
        }
        let mut result = None;
        for s in &decl.body {
            match s {
                Statement::Let(l) => inner = self.bind_let(&inner, l, depth + 1)?,
                Statement::Set(s) => return Err(KqlError::not_supported(s.span, "`set` inside a function")),
                Statement::Declare(d) => {
                    return Err(KqlError::plan(d.span, "`declare query_parameters` belongs at the top of the query"));
                }
                Statement::Expr(e) => result = Some(self.value(e, &inner, schema, depth + 1)?),
            }
        }
        result.ok_or_else(|| KqlError::plan(call_span, format!("`{}` returns nothing", f.name)))
    }
}

/// Where a pipeline's `make-graph` is when the pipeline gives a graph (only
/// `graph-mark-components` after it).
fn graph_value(p: &kql_parser::ast::Pipeline) -> Option<usize> {
    use kql_parser::ast::OperatorKind;
    let at = p.operators.iter().rposition(|o| matches!(o.kind, OperatorKind::MakeGraph(_)))?;
    p.operators[at + 1..].iter().all(|o| matches!(o.kind, OperatorKind::GraphMarkComponents(_))).then_some(at)
}

/// Evaluates constant expressions (`now(-5d)` is a constant) so they become literals.
pub(crate) fn fold(expr: DfExpr) -> DfExpr {
    let simplifier = ExprSimplifier::new(SimplifyContext::default());
    simplifier.simplify(expr.clone()).unwrap_or(expr)
}

/// The literal value of a folded expression.
pub(crate) fn as_literal(expr: &DfExpr) -> Option<&ScalarValue> {
    match expr {
        DfExpr::Literal(v, _) => Some(v),
        DfExpr::Alias(a) => as_literal(&a.expr),
        _ => None,
    }
}
