//! `graph-match [cycles = c] pattern, ... [where p] project ...` (graph-match-operator.md):
//! each pattern is a chain of joins (a node's rows, then an edge whose start is that node, then
//! the node at the edge's end, ...), patterns join on the node variables they share, and the
//! constraints and projection are planned over columns named `variable.property`.
//!
//! A variable length edge `-[e*lo..hi]->` is the union, for each length L in lo..hi, of chains
//! of L edges that each meet the constraints about `e` alone; its properties are arrays, in
//! the pattern's order. `cycles`: `unique_edges` (the default) never uses an edge twice in a
//! match, `none` never visits a node twice (between the pattern's nodes and within each
//! variable length chain), `all` allows both.

use std::collections::{BTreeSet, HashMap};

use datafusion::logical_expr::{Expr as DfExpr, JoinType, LogicalPlan, LogicalPlanBuilder};
use kql_parser::Span;
use kql_parser::ast::{EdgeDirection, Expr, ExprKind, GraphMatch, LogicalOp};

use super::expr::ExprCtx;
use super::graph::{DST, EDGE, Graph, NODE, SRC, call};
use super::graph_functions::{Fold, GraphCalls, PathFn};
use super::scope::Binding;
use super::tabular::df;
use super::{KqlContextProvider, KqlToRel, Scope, col};
use crate::error::{KqlError, Result};

/// The longest variable length edge (its chains are planned one length at a time).
pub(crate) const MAX_HOPS: u32 = 32;

const FROM: &str = "__kql_from";
pub(crate) const TO: &str = "__kql_to";
const EDGES: &str = "__kql_edges";
const LEN: &str = "__kql_len";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cycles {
    All,
    None,
    UniqueEdges,
}

/// A pattern with every variable named: its nodes (and where each was written) and edges.
type NamedPattern = (Vec<(String, Span)>, Vec<EdgeSlot>);

/// An edge of a pattern, its variable named.
struct EdgeSlot {
    name: String,
    direction: EdgeDirection,
    range: Option<(u32, u32)>,
    span: Span,
}

/// An unqualified column (names here hold dots).
fn key(name: &str) -> datafusion::common::Column {
    datafusion::common::Column::new_unqualified(name)
}

fn c(var: &str, column: &str) -> String {
    format!("{var}.{column}")
}

fn build(b: datafusion::common::Result<LogicalPlanBuilder>) -> Result<LogicalPlan> {
    b.and_then(LogicalPlanBuilder::build).map_err(df)
}

/// The operands of a top-level `and`.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Logical { op: LogicalOp::And, operands } => operands.iter().flat_map(conjuncts).collect(),
        _ => vec![e],
    }
}

/// The pattern variables an expression reads (`v.x`).
fn variables(e: &Expr, vars: &BTreeSet<String>) -> BTreeSet<String> {
    struct Refs<'a>(&'a BTreeSet<String>, BTreeSet<String>);
    impl kql_parser::ast::visit::Visitor for Refs<'_> {
        fn visit_expr(&mut self, e: &Expr) {
            if let ExprKind::Name(n) = &e.kind
                && self.0.contains(n)
            {
                self.1.insert(n.clone());
            }
        }
    }
    let mut r = Refs(vars, BTreeSet::new());
    kql_parser::ast::visit::walk_expr(&mut r, e);
    r.1
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn graph_match(&self, g: &Graph, m: &GraphMatch, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        let what = if m.shortest { "graph-shortest-paths" } else { "graph-match" };
        let mut cycles = Cycles::UniqueEdges;
        let mut all_paths = false;
        for (n, v) in &m.params {
            match (m.shortest, n.name.as_str()) {
                (false, "cycles") => {
                    cycles = match v.name.as_str() {
                        "all" => Cycles::All,
                        "none" => Cycles::None,
                        "unique_edges" => Cycles::UniqueEdges,
                        other => {
                            return Err(KqlError::plan(
                                v.span,
                                format!("unknown cycles option `{other}`; the options are all, none, unique_edges"),
                            ));
                        }
                    }
                }
                (true, "output") => {
                    all_paths = match v.name.as_str() {
                        "any" => false,
                        "all" => true,
                        other => {
                            return Err(KqlError::plan(
                                v.span,
                                format!("unknown output option `{other}`; the options are any, all"),
                            ));
                        }
                    }
                }
                _ => {
                    return Err(KqlError::plan(
                        n.span,
                        format!(
                            "unknown {what} parameter `{}`; it takes `{}`",
                            n.name,
                            if m.shortest { "output" } else { "cycles" }
                        ),
                    ));
                }
            }
        }
        // A shortest path never visits a node twice (so none from a node back to itself).
        if m.shortest {
            cycles = Cycles::None;
        }
        if m.project.is_empty() {
            return Err(KqlError::plan(m.span, format!("{what} needs a `project` clause naming its columns")));
        }
        // Name every node and edge.
        let mut anonymous = 0;
        let mut fresh = |prefix: &str| {
            anonymous += 1;
            format!("__kql_{prefix}{anonymous}")
        };
        let mut patterns: Vec<NamedPattern> = Vec::new();
        let mut node_vars: BTreeSet<String> = BTreeSet::new();
        let mut edge_vars: HashMap<String, bool> = HashMap::new();
        for p in &m.patterns {
            let nodes: Vec<(String, Span)> =
                p.nodes.iter().map(|(n, s)| (n.as_ref().map_or_else(|| fresh("n"), |n| n.name.clone()), *s)).collect();
            let mut edges = Vec::new();
            for e in &p.edges {
                let name = e.name.as_ref().map_or_else(|| fresh("e"), |n| n.name.clone());
                if edge_vars.insert(name.clone(), e.range.is_some()).is_some() {
                    return Err(KqlError::plan(e.span, format!("the edge `{name}` appears twice in the patterns")));
                }
                if let Some((_, hi)) = e.range
                    && hi > MAX_HOPS
                {
                    return Err(KqlError::not_supported(
                        e.span,
                        format!("a variable length edge of more than {MAX_HOPS} edges"),
                    ));
                }
                let direction = if g.directed { e.direction } else { EdgeDirection::Any };
                edges.push(EdgeSlot { name, direction, range: e.range, span: e.span });
            }
            for (n, s) in &nodes {
                if edge_vars.contains_key(n) {
                    return Err(KqlError::plan(*s, format!("`{n}` names both a node and an edge")));
                }
                node_vars.insert(n.clone());
            }
            patterns.push((nodes, edges));
        }
        let all_vars: BTreeSet<String> = node_vars.iter().cloned().chain(edge_vars.keys().cloned()).collect();
        // Graph functions become columns of the match (path functions are computed in the walk).
        let mut calls = GraphCalls::default();
        let project: Vec<kql_parser::ast::NamedExpr> = m
            .project
            .iter()
            .map(|c| {
                Ok(kql_parser::ast::NamedExpr { expr: calls.rewrite(&c.expr, &edge_vars, &node_vars)?, ..c.clone() })
            })
            .collect::<Result<_>>()?;
        let var_scope =
            all_vars.iter().fold(scope.clone(), |s, v| s.with(v, Binding::Prefix("graph pattern variable")));
        // Constraints about one variable length edge apply to each of its edges.
        let mut local: HashMap<String, Vec<(Expr, bool)>> = HashMap::new();
        let mut rest: Vec<Expr> = Vec::new();
        for cj in m.condition.as_ref().map(conjuncts).unwrap_or_default() {
            // `all(e, condition)`: the condition, over e's properties by name, holds for each
            // edge, so it filters the edges before the walk.
            if let ExprKind::Call { name, args } = &cj.kind
                && name.name == "all"
                && let [edge, condition] = args.as_slice()
                && let ExprKind::Name(e) = &edge.value.kind
                && edge_vars.get(e) == Some(&true)
            {
                let condition = super::graph_functions::element_body(&condition.value, false)?;
                local.entry(e.clone()).or_default().push((condition, true));
                continue;
            }
            // Other graph functions hold per match: evaluated after it.
            let before = calls.found();
            let cj = &calls.rewrite(cj, &edge_vars, &node_vars)?;
            if calls.found() > before {
                rest.push(cj.clone());
                continue;
            }
            let vars = variables(cj, &all_vars);
            let varlen: Vec<&String> = vars.iter().filter(|v| edge_vars.get(*v) == Some(&true)).collect();
            match (varlen.as_slice(), vars.len()) {
                ([], _) => rest.push(cj.clone()),
                ([v], 1) => local.entry((*v).clone()).or_default().push((cj.clone(), false)),
                _ => {
                    return Err(KqlError::not_supported(
                        cj.span,
                        "a constraint joining a variable length edge with other variables",
                    ));
                }
            }
        }
        let with_degrees;
        let g = if calls.degrees {
            with_degrees = super::graph_functions::with_degrees(g)?;
            &with_degrees
        } else {
            g
        };
        // Each pattern, then the patterns joined on their shared nodes.
        let mut plan: Option<(LogicalPlan, BTreeSet<String>)> = None;
        for (nodes, edges) in &patterns {
            let p = self.pattern_plan(g, nodes, edges, &local, &calls, cycles, &var_scope, depth)?;
            let vars: BTreeSet<String> = nodes.iter().map(|(n, _)| n.clone()).collect();
            plan = Some(match plan {
                None => (p, vars),
                Some((left, bound)) => {
                    let shared: Vec<&String> = vars.intersection(&bound).collect();
                    if shared.is_empty() {
                        return Err(KqlError::not_supported(
                            m.span,
                            "graph-match patterns that share no node (only one connected pattern is matched)",
                        ));
                    }
                    let keep: Vec<DfExpr> = super::column_names(p.schema())
                        .into_iter()
                        .filter(|name| !shared.iter().any(|v| name.starts_with(&format!("{v}."))))
                        .map(|name| col(&name))
                        .chain(shared.iter().enumerate().map(|(k, v)| col(&c(v, NODE)).alias(format!("__kql_join{k}"))))
                        .collect();
                    let right = build(LogicalPlanBuilder::from(p).project(keep))?;
                    let lk: Vec<_> = shared.iter().map(|v| key(&c(v, NODE))).collect();
                    let rk: Vec<_> = (0..shared.len()).map(|k| key(&format!("__kql_join{k}"))).collect();
                    let joined = build(LogicalPlanBuilder::from(left).join(right, JoinType::Inner, (lk, rk), None))?;
                    let names: Vec<DfExpr> = super::column_names(joined.schema())
                        .into_iter()
                        .filter(|n| !n.starts_with("__kql_join"))
                        .map(|n| col(&n))
                        .collect();
                    (build(LogicalPlanBuilder::from(joined).project(names))?, bound.union(&vars).cloned().collect())
                }
            });
        }
        let Some((mut plan, _)) = plan else {
            return Err(KqlError::plan(m.span, "graph-match needs a pattern"));
        };
        // No edge twice, or no node twice.
        let ctx = ExprCtx { schema: plan.schema(), scope: &var_scope, depth, filter: false };
        let mut distinct: Vec<DfExpr> = Vec::new();
        let edge_list: Vec<(&String, bool)> =
            patterns.iter().flat_map(|(_, es)| es).map(|e| (&e.name, e.range.is_some())).collect();
        match cycles {
            Cycles::UniqueEdges => {
                for (i, (a, a_var)) in edge_list.iter().enumerate() {
                    for (b, b_var) in &edge_list[i + 1..] {
                        distinct.push(match (a_var, b_var) {
                            (false, false) => col(&c(a, EDGE)).not_eq(col(&c(b, EDGE))),
                            (true, false) | (false, true) => {
                                let (list, one) = if *a_var { (a, b) } else { (b, a) };
                                let has = self
                                    .expr(&call("set_has_element", &[&c(list, EDGES), &c(one, EDGE)], m.span), &ctx)?;
                                datafusion::logical_expr::not(super::expr::total(has, false))
                            }
                            (true, true) => {
                                let both = call("set_intersect", &[&c(a, EDGES), &c(b, EDGES)], m.span);
                                let n = Expr {
                                    kind: ExprKind::Call {
                                        name: kql_parser::ast::Ident::new("array_length", m.span),
                                        args: vec![kql_parser::ast::Arg { name: None, value: both, span: m.span }],
                                    },
                                    span: m.span,
                                };
                                super::expr::total(self.expr(&n, &ctx)?.eq(datafusion::prelude::lit(0i64)), true)
                            }
                        });
                    }
                }
            }
            Cycles::None => {
                let nodes: Vec<&String> = node_vars.iter().collect();
                for (i, a) in nodes.iter().enumerate() {
                    for b in &nodes[i + 1..] {
                        distinct.push(col(&c(a, NODE)).not_eq(col(&c(b, NODE))));
                    }
                }
            }
            Cycles::All => {}
        }
        if let Some(p) = distinct.into_iter().reduce(DfExpr::and) {
            plan = build(LogicalPlanBuilder::from(plan).filter(p))?;
        }
        if !rest.is_empty() {
            let span = m.condition.as_ref().map_or(m.span, |c| c.span);
            let p = Expr { kind: ExprKind::Logical { op: LogicalOp::And, operands: rest }, span };
            plan = self.where_op(plan, &p, &var_scope, depth)?;
        }
        if m.shortest {
            let [(nodes, edges)] = patterns.as_slice() else {
                return Err(KqlError::plan(m.span, "graph-shortest-paths takes one pattern"));
            };
            if edges.iter().all(|e| e.range.is_none()) {
                return Err(KqlError::plan(m.span, "graph-shortest-paths needs a variable length edge in its pattern"));
            }
            plan = self.shortest(plan, nodes, edges, all_paths)?;
        }
        self.project(plan, &project, &var_scope, depth)
    }

    /// The shortest matches per pair of end nodes (one of them unless `all`).
    fn shortest(
        &self,
        plan: LogicalPlan,
        nodes: &[(String, Span)],
        edges: &[EdgeSlot],
        all: bool,
    ) -> Result<LogicalPlan> {
        use datafusion::logical_expr::expr::WindowFunction;
        use datafusion::logical_expr::{ExprFunctionExt as _, WindowFunctionDefinition};
        let names = super::column_names(plan.schema());
        let fixed = edges.iter().filter(|e| e.range.is_none()).count() as i64;
        let length = edges
            .iter()
            .filter(|e| e.range.is_some())
            .fold(datafusion::prelude::lit(fixed), |acc, e| acc + col(&c(&e.name, LEN)));
        let ends = vec![col(&c(&nodes[0].0, NODE)), col(&c(&nodes[nodes.len() - 1].0, NODE))];
        let with_len = build(
            LogicalPlanBuilder::from(plan)
                .project(names.iter().map(|n| col(n)).chain([length.alias("__kql_path_len")])),
        )?;
        let min = DfExpr::WindowFunction(Box::new(WindowFunction::new(
            WindowFunctionDefinition::AggregateUDF(datafusion::functions_aggregate::min_max::min_udaf()),
            vec![col("__kql_path_len")],
        )))
        .partition_by(ends.clone())
        .build()
        .map_err(df)?
        .alias("__kql_path_min");
        let mut keep = col("__kql_path_len").eq(col("__kql_path_min"));
        let mut plan = build(LogicalPlanBuilder::from(with_len).window(vec![min]))?;
        if !all {
            let first = datafusion::functions_window::expr_fn::row_number()
                .partition_by(ends)
                .order_by(vec![col("__kql_path_len").sort(true, true)])
                .build()
                .map_err(df)?
                .alias("__kql_path_rank");
            // A window of its own: DataFusion groups only windows of equal order.
            plan = build(LogicalPlanBuilder::from(plan).window(vec![first]))?;
            keep = keep.and(col("__kql_path_rank").eq(datafusion::prelude::lit(1u64)));
        }
        build(LogicalPlanBuilder::from(plan).filter(keep).and_then(|b| b.project(names.iter().map(|n| col(n)))))
    }

    /// A node variable's rows: its properties as `v.property`, and its key.
    fn node_rows(&self, g: &Graph, v: &str) -> Result<LogicalPlan> {
        let exprs = g.node_columns.iter().map(|p| col(p).alias(c(v, p))).chain([col(NODE).alias(c(v, NODE))]);
        build(LogicalPlanBuilder::from(g.nodes.clone()).project(exprs))
    }

    /// An edge variable's rows, walked in `direction`: its properties, its id, and the nodes
    /// it goes from and to.
    fn edge_rows(&self, g: &Graph, e: &str, direction: EdgeDirection) -> Result<LogicalPlan> {
        let oriented = |from: &str, to: &str| {
            let exprs = g.edge_columns.iter().map(|p| col(p).alias(c(e, p))).chain([
                col(EDGE).alias(c(e, EDGE)),
                col(from).alias(c(e, FROM)),
                col(to).alias(c(e, TO)),
            ]);
            build(LogicalPlanBuilder::from(g.edges.clone()).project(exprs))
        };
        match direction {
            EdgeDirection::Right => oriented(SRC, DST),
            EdgeDirection::Left => oriented(DST, SRC),
            EdgeDirection::Any => {
                let back = build(
                    LogicalPlanBuilder::from(oriented(DST, SRC)?).filter(col(&c(e, FROM)).not_eq(col(&c(e, TO)))),
                )?;
                build(LogicalPlanBuilder::from(oriented(SRC, DST)?).union(back))
            }
        }
    }

    /// One pattern as joins.
    #[allow(clippy::too_many_arguments)]
    fn pattern_plan(
        &self,
        g: &Graph,
        nodes: &[(String, Span)],
        edges: &[EdgeSlot],
        local: &HashMap<String, Vec<(Expr, bool)>>,
        calls: &GraphCalls,
        cycles: Cycles,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let first = &nodes[0].0;
        let mut plan = self.node_rows(g, first)?;
        let mut bound = vec![first.clone()];
        for (i, e) in edges.iter().enumerate() {
            let here = &nodes[i].0;
            let next = &nodes[i + 1].0;
            plan = match e.range {
                None => build(LogicalPlanBuilder::from(plan).join(
                    self.edge_rows(g, &e.name, e.direction)?,
                    JoinType::Inner,
                    (vec![key(&c(here, NODE))], vec![key(&c(&e.name, FROM))]),
                    None,
                ))?,
                // Chains grow from the rows so far, so constraints on them bound the walk.
                Some((lo, hi)) => {
                    let local = local.get(&e.name).map_or(&[][..], Vec::as_slice);
                    let fns = calls.paths.get(&e.name).map_or(&[][..], Vec::as_slice);
                    self.chains(g, plan, here, e, (lo, hi), (local, fns), cycles, scope, depth)?
                }
            };
            plan = if bound.contains(next) {
                build(LogicalPlanBuilder::from(plan).filter(col(&c(&e.name, TO)).eq(col(&c(next, NODE)))))?
            } else {
                bound.push(next.clone());
                let rows = self.node_rows(g, next)?;
                build(LogicalPlanBuilder::from(plan).join(
                    rows,
                    JoinType::Inner,
                    (vec![key(&c(&e.name, TO))], vec![key(&c(next, NODE))]),
                    None,
                ))?
            };
        }
        Ok(plan)
    }

    /// `start` (the rows so far, ending at node `here`) extended by a variable length edge: its
    /// chains of `lo` to `hi` edges from `here`, as the edge's columns.
    #[allow(clippy::too_many_arguments)]
    fn chains(
        &self,
        g: &Graph,
        start: LogicalPlan,
        here: &str,
        e: &EdgeSlot,
        (lo, hi): (u32, u32),
        (local, fns): (&[(Expr, bool)], &[PathFn]),
        cycles: Cycles,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let name = &e.name;
        let mut single = self.edge_rows(g, name, e.direction)?;
        let own: Vec<String> = super::column_names(single.schema());
        for (cj, bare) in local {
            if *bare {
                // The edge's properties by their own names, for the condition only.
                let view = own.iter().map(|n| col(n)).chain(g.edge_columns.iter().map(|p| col(&c(name, p)).alias(p)));
                let filtered =
                    self.where_op(build(LogicalPlanBuilder::from(single).project(view))?, cj, scope, depth)?;
                single = build(LogicalPlanBuilder::from(filtered).project(own.iter().map(|n| col(n))))?;
            } else {
                single = self.where_op(single, cj, scope, depth)?;
            }
        }
        // Each edge's value of each graph function, before the chains are joined.
        for f in fns {
            single = self.path_element(g, single, name, f, scope, depth)?;
        }
        let own: Vec<String> = super::column_names(single.schema());
        let copy = |k: u32| -> Result<LogicalPlan> {
            let exprs = own.iter().map(|n| col(n).alias(n.replacen(&format!("{name}."), &format!("{name}#{k}."), 1)));
            build(LogicalPlanBuilder::from(single.clone()).project(exprs))
        };
        let at = |k: u32, column: &str| format!("{name}#{k}.{column}");
        let kept: Vec<DfExpr> = super::column_names(start.schema()).iter().map(|n| col(n)).collect();
        let here_key = c(here, NODE);
        let mut branches = Vec::new();
        for len in lo..=hi {
            let plan = if len == 0 {
                // No edge: from the node to itself, empty lists.
                let empty = self.expr(
                    &call("pack_array", &[], e.span),
                    &ExprCtx { schema: start.schema(), scope, depth, filter: false },
                )?;
                let exprs = kept
                    .iter()
                    .cloned()
                    .chain([col(&here_key).alias(c(name, FROM)), col(&here_key).alias(c(name, TO))])
                    .chain(g.edge_columns.iter().map(|p| empty.clone().alias(c(name, p))))
                    .chain([empty.clone().alias(c(name, EDGES)), datafusion::prelude::lit(0i64).alias(c(name, LEN))])
                    .chain(fns.iter().map(|f| {
                        match f.fold {
                            Fold::All => datafusion::prelude::lit(true),
                            Fold::Any => datafusion::prelude::lit(false),
                            Fold::Map => empty.clone(),
                        }
                        .alias(c(name, &f.column))
                    }));
                build(LogicalPlanBuilder::from(start.clone()).project(exprs))?
            } else {
                let mut chain = build(LogicalPlanBuilder::from(start.clone()).join(
                    copy(1)?,
                    JoinType::Inner,
                    (vec![key(&here_key)], vec![key(&at(1, FROM))]),
                    None,
                ))?;
                for k in 2..=len {
                    chain = build(LogicalPlanBuilder::from(chain).join(
                        copy(k)?,
                        JoinType::Inner,
                        (vec![key(&at(k - 1, TO))], vec![key(&at(k, FROM))]),
                        None,
                    ))?;
                }
                let mut distinct = Vec::new();
                for a in 1..=len {
                    for b in a + 1..=len {
                        match cycles {
                            Cycles::UniqueEdges => distinct.push(col(&at(a, EDGE)).not_eq(col(&at(b, EDGE)))),
                            Cycles::None => distinct.push(col(&at(a, TO)).not_eq(col(&at(b, TO)))),
                            Cycles::All => {}
                        }
                    }
                    if cycles == Cycles::None {
                        distinct.push(col(&at(1, FROM)).not_eq(col(&at(a, TO))));
                    }
                }
                if let Some(p) = distinct.into_iter().reduce(DfExpr::and) {
                    chain = build(LogicalPlanBuilder::from(chain).filter(p))?;
                }
                let ctx = ExprCtx { schema: chain.schema(), scope, depth, filter: false };
                let list = |column: &str| -> Result<DfExpr> {
                    let names: Vec<String> = (1..=len).map(|k| at(k, column)).collect();
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    self.expr(&call("pack_array", &refs, e.span), &ctx)
                };
                let mut exprs = kept.clone();
                exprs.extend([col(&at(1, FROM)).alias(c(name, FROM)), col(&at(len, TO)).alias(c(name, TO))]);
                for p in &g.edge_columns {
                    exprs.push(list(p)?.alias(c(name, p)));
                }
                exprs.push(list(EDGE)?.alias(c(name, EDGES)));
                exprs.push(datafusion::prelude::lit(i64::from(len)).alias(c(name, LEN)));
                for f in fns {
                    // An inner node is the target of every edge but the last.
                    let last = if f.inner_nodes { len - 1 } else { len };
                    let names: Vec<String> = (1..=last).map(|k| at(k, &f.column)).collect();
                    let value = match f.fold {
                        Fold::All => names
                            .iter()
                            .map(|n| super::expr::total(col(n), false))
                            .reduce(DfExpr::and)
                            .unwrap_or(datafusion::prelude::lit(true)),
                        Fold::Any => names
                            .iter()
                            .map(|n| super::expr::total(col(n), false))
                            .reduce(DfExpr::or)
                            .unwrap_or(datafusion::prelude::lit(false)),
                        Fold::Map => {
                            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                            self.expr(&call("pack_array", &refs, f.span), &ctx)?
                        }
                    };
                    exprs.push(value.alias(c(name, &f.column)));
                }
                build(LogicalPlanBuilder::from(chain).project(exprs))?
            };
            branches.push(plan);
        }
        super::tabular::union_filled(branches, e.span, "an empty range of lengths")
    }
}
