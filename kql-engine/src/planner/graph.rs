//! Graphs: `make-graph` (make-graph-operator.md) builds one from an edges table and node
//! tables, and the graph operator after it (`graph-match`, `graph-to-table`) turns it back into
//! rows. A graph is two plans: the edges (their columns plus the source and target node keys
//! and an edge id) and the nodes (the node tables' columns, one row per node id, plus the node
//! key). Node keys are the ids as text, so ids of any type meet.
//!
//! Nodes are the node tables' rows (merged per id, an arbitrary row's values winning where two
//! disagree, as documented) and every id an edge names; a node only an edge names has the id
//! in the node tables' id columns and empty other properties.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprFunctionExt as _, ExprSchemable as _, JoinType, LogicalPlan, LogicalPlanBuilder, cast,
};
use datafusion::prelude::coalesce;
use kql_parser::Span;
use kql_parser::ast::{Arg, Expr, ExprKind, GraphOutput, Ident, MakeGraph, Operator, OperatorKind};

use super::expr::ExprCtx;
use super::tabular::df;
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};

/// The node key column.
pub(crate) const NODE: &str = "__kql_node";
/// The edges' source and target node keys, and edge id.
pub(crate) const SRC: &str = "__kql_src";
pub(crate) const DST: &str = "__kql_dst";
pub(crate) const EDGE: &str = "__kql_edge";

/// A graph built by `make-graph`.
#[derive(Clone, Debug)]
pub(crate) struct Graph {
    /// The edges: their own columns, then [`SRC`], [`DST`], [`EDGE`].
    pub(crate) edges: LogicalPlan,
    pub(crate) edge_columns: Vec<String>,
    /// The nodes: their properties, then [`NODE`].
    pub(crate) nodes: LogicalPlan,
    pub(crate) node_columns: Vec<String>,
    /// `-->` (false for `--`: every edge goes both ways).
    pub(crate) directed: bool,
}

/// A synthesized call `f(args)` (names are columns of the plan it is planned over).
pub(crate) fn call(f: &str, args: &[&str], span: Span) -> Expr {
    let args = args
        .iter()
        .map(|a| Arg { name: None, value: Expr { kind: ExprKind::Name((*a).to_owned()), span }, span })
        .collect();
    Expr { kind: ExprKind::Call { name: Ident::new(f, span), args }, span }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `edges | make-graph ...`.
    pub(crate) fn make_graph(&self, edges: LogicalPlan, m: &MakeGraph, scope: &Scope, depth: usize) -> Result<Graph> {
        let edge_columns = column_names(edges.schema());
        for c in &edge_columns {
            if c.starts_with("__kql_") {
                return Err(KqlError::plan(m.span, format!("make-graph: `{c}` is a name reserved by this engine")));
            }
        }
        let ctx = ExprCtx { schema: edges.schema(), scope, depth, filter: false };
        let endpoint = |id: &Ident| -> Result<(DfExpr, DataType)> {
            let e = super::find_column(edges.schema(), &id.name)
                .ok_or_else(|| super::unknown_column(id.span, &id.name, edges.schema(), &[]))?;
            let t = e.get_type(edges.schema()).map_err(df)?;
            Ok((self.as_text(e, &ctx)?, t))
        };
        let (src, src_type) = endpoint(&m.source)?;
        let (dst, _) = endpoint(&m.target)?;
        // Edge ids: rows numbered in the order of their sortable columns (equal rows are
        // interchangeable), so every use of the plan numbers them alike.
        let order: Vec<_> = edges
            .schema()
            .iter()
            .filter(|(_, f)| matches!(KqlType::of(f.data_type()), t if t != KqlType::Dynamic && t != KqlType::Other))
            .map(|(q, f)| DfExpr::Column(datafusion::common::Column::new(q.cloned(), f.name())).sort(true, true))
            .collect();
        let id = row_number().order_by(order).build().map_err(df)?;
        let mut exprs: Vec<DfExpr> = edge_columns.iter().map(|c| col(c)).collect();
        exprs.extend([src.alias(SRC), dst.alias(DST)]);
        let keyed =
            LogicalPlanBuilder::from(edges.clone()).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)?;
        let edges_plan = LogicalPlanBuilder::from(keyed)
            .window(vec![id.alias(EDGE)])
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let edges_plan = LogicalPlanBuilder::from(edges_plan)
            .project(edge_columns.iter().map(|c| col(c)).chain([
                col(SRC),
                col(DST),
                cast(col(EDGE), DataType::Int64).alias(EDGE),
            ]))
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        // Every id an edge names.
        let ends = |key: &str| {
            LogicalPlanBuilder::from(edges_plan.clone())
                .project(vec![col(key).alias(NODE)])
                .and_then(LogicalPlanBuilder::build)
        };
        let named = LogicalPlanBuilder::from(ends(SRC).map_err(df)?)
            .union(ends(DST).map_err(df)?)
            .and_then(|b| b.distinct())
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let (nodes, node_columns) = if m.tables.is_empty() {
            match &m.node_id {
                // The id as a property, typed as the edges' source column.
                Some(name) => {
                    let typed = if KqlType::of(&src_type) == KqlType::String {
                        col(NODE)
                    } else {
                        cast(col(NODE), src_type.clone())
                    };
                    let plan = LogicalPlanBuilder::from(named)
                        .project(vec![typed.alias(&name.name), col(NODE)])
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?;
                    (plan, vec![name.name.clone()])
                }
                None => (named, Vec::new()),
            }
        } else {
            self.node_tables(named, m, scope, depth)?
        };
        Ok(Graph { edges: edges_plan, edge_columns, nodes, node_columns, directed: m.directed })
    }

    /// The node tables merged per id, joined with the ids the edges name.
    fn node_tables(
        &self,
        named: LogicalPlan,
        m: &MakeGraph,
        scope: &Scope,
        depth: usize,
    ) -> Result<(LogicalPlan, Vec<String>)> {
        let mut branches = Vec::new();
        let mut ids: Vec<(String, DataType)> = Vec::new();
        for (table, id) in &m.tables {
            let plan = self.tabular_at(table, scope, depth)?;
            let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
            let key = super::find_column(plan.schema(), &id.name)
                .ok_or_else(|| super::unknown_column(id.span, &id.name, plan.schema(), &[]))?;
            ids.push((id.name.clone(), key.get_type(plan.schema()).map_err(df)?));
            let text = self.as_text(key, &ctx)?;
            let exprs: Vec<DfExpr> =
                column_names(plan.schema()).iter().map(|c| col(c)).chain([text.alias(NODE)]).collect();
            branches
                .push(LogicalPlanBuilder::from(plan).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)?);
        }
        let all = super::tabular::union_filled(branches, m.span, "make-graph: no node tables")?;
        let columns: Vec<String> = column_names(all.schema()).into_iter().filter(|c| c != NODE).collect();
        // One row per node id (an arbitrary row's values where rows disagree).
        let merged = LogicalPlanBuilder::from(all)
            .aggregate(vec![col(NODE)], columns.iter().map(|c| agg::first_value(col(c), vec![]).alias(c)))
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let right = LogicalPlanBuilder::from(merged)
            .project(columns.iter().map(|c| col(c)).chain([col(NODE).alias("__kql_node_r")]))
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let joined = LogicalPlanBuilder::from(named)
            .join(
                right,
                JoinType::Full,
                (
                    vec![datafusion::common::Column::new_unqualified(NODE)],
                    vec![datafusion::common::Column::new_unqualified("__kql_node_r")],
                ),
                None,
            )
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let key = coalesce(vec![col(NODE), col("__kql_node_r")]);
        let mut exprs = Vec::with_capacity(columns.len() + 1);
        for c in &columns {
            // A node only an edge names carries its id in the id columns.
            exprs.push(match ids.iter().find(|(n, _)| n == c) {
                Some((_, t)) if KqlType::of(t) == KqlType::String => coalesce(vec![col(c), key.clone()]).alias(c),
                Some((_, t)) if KqlType::of(t).is_numeric() => {
                    coalesce(vec![col(c), cast(key.clone(), t.clone())]).alias(c)
                }
                _ => col(c),
            });
        }
        exprs.push(key.alias(NODE));
        let plan = LogicalPlanBuilder::from(joined).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)?;
        Ok((plan, columns))
    }

    /// The graph operators at the start of `ops` over `g`: any `graph-mark-components`, then the
    /// operator that gives rows; the plan and how many operators it took.
    pub(crate) fn graph_operators(
        &self,
        mut g: Graph,
        ops: &[Operator],
        span: Span,
        scope: &Scope,
        depth: usize,
    ) -> Result<(LogicalPlan, usize)> {
        let mut used = 0;
        while let Some(OperatorKind::GraphMarkComponents(params)) = ops.get(used).map(|o| &o.kind) {
            g = self.mark_components(&g, params)?;
            used += 1;
        }
        let Some(last) = ops.get(used).filter(|o| is_graph_operator(o)) else {
            return Err(KqlError::plan(
                ops.get(used).map_or(span, |o| o.span),
                "a graph is followed by `graph-match`, `graph-shortest-paths` or `graph-to-table`",
            ));
        };
        Ok((self.graph_operator(&g, last, scope, depth)?, used + 1))
    }

    /// The graph operator `op` over `g`.
    pub(crate) fn graph_operator(&self, g: &Graph, op: &Operator, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        match &op.kind {
            OperatorKind::GraphMatch(m) => self.graph_match(g, m, scope, depth),
            OperatorKind::GraphToTable(outputs) => match outputs.as_slice() {
                [o] => self.graph_to_table(g, o, scope, depth),
                _ => Err(KqlError::not_supported(op.span, "graph-to-table of nodes and edges together")),
            },
            _ => Err(KqlError::plan(
                op.span,
                "a graph is followed by a graph operator (`graph-match` or `graph-to-table`)",
            )),
        }
    }

    /// `graph-to-table nodes|edges [with_node_id | with_source_id | with_target_id = C]`: the
    /// nodes' or edges' properties, the hash columns first (a node's hash is `hash()` of its
    /// id's text: Kusto's own node hashes are not published).
    fn graph_to_table(&self, g: &Graph, o: &GraphOutput, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        if let Some(n) = &o.name {
            return Err(KqlError::plan(
                n.span,
                "`graph-to-table ... as Name` names tables for the statements after it, so it ends a statement \
                 (`G | graph-to-table nodes as N, edges as E; N | ...`)",
            ));
        }
        let (plan, columns) = if o.edges { (&g.edges, &g.edge_columns) } else { (&g.nodes, &g.node_columns) };
        let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
        let mut exprs = Vec::new();
        let mut seen = Vec::new();
        for (param, name) in &o.params {
            let key = match (o.edges, param.name.as_str()) {
                (false, "with_node_id") => NODE,
                (true, "with_source_id") => SRC,
                (true, "with_target_id") => DST,
                _ => {
                    return Err(KqlError::plan(
                        param.span,
                        format!(
                            "unknown graph-to-table parameter `{}`; {} take {}",
                            param.name,
                            if o.edges { "edges" } else { "nodes" },
                            if o.edges { "with_source_id and with_target_id" } else { "with_node_id" }
                        ),
                    ));
                }
            };
            if seen.contains(&key) {
                return Err(KqlError::plan(param.span, format!("`{}` is given twice", param.name)));
            }
            seen.push(key);
            exprs.push(self.expr(&call("hash", &[key], name.span), &ctx)?.alias(&name.name));
        }
        exprs.extend(columns.iter().map(|c| col(c)));
        LogicalPlanBuilder::from(plan.clone()).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `graph-mark-components [kind = weak|strong] [with_component_id = C]`: each node's
    /// component (numbered from 0 in the order of the components' smallest node id) as a new
    /// node property, `ComponentId` unless named.
    pub(crate) fn mark_components(&self, g: &Graph, params: &[(Ident, Ident)]) -> Result<Graph> {
        let mut strong = false;
        let mut name = "ComponentId".to_owned();
        for (n, v) in params {
            match n.name.as_str() {
                "kind" => {
                    strong = match v.name.as_str() {
                        "weak" => false,
                        "strong" => true,
                        other => {
                            return Err(KqlError::plan(
                                v.span,
                                format!("unknown component kind `{other}`; the kinds are weak, strong"),
                            ));
                        }
                    }
                }
                "with_component_id" => name = v.name.clone(),
                _ => {
                    return Err(KqlError::plan(
                        n.span,
                        format!(
                            "unknown graph-mark-components parameter `{}`; it takes kind and with_component_id",
                            n.name
                        ),
                    ));
                }
            }
            if g.node_columns.contains(&name) {
                return Err(KqlError::plan(v.span, format!("the nodes already have a property `{name}`")));
            }
        }
        let pairs = |plan: &LogicalPlan, a: &str, b: &str| {
            LogicalPlanBuilder::from(plan.clone())
                .project(vec![col(a).alias("__kql_a"), col(b).alias("__kql_b")])
                .and_then(LogicalPlanBuilder::build)
        };
        let all = LogicalPlanBuilder::from(pairs(&g.edges, SRC, DST).map_err(df)?)
            .union(pairs(&g.nodes, NODE, NODE).map_err(df)?)
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        // An undirected graph's strong components are its weak ones.
        let node = crate::physical::ComponentsNode::try_new(all, strong && g.directed).map_err(df)?;
        let components =
            LogicalPlan::Extension(datafusion::logical_expr::Extension { node: std::sync::Arc::new(node) });
        let joined = LogicalPlanBuilder::from(g.nodes.clone())
            .join(
                components,
                JoinType::Left,
                (
                    vec![datafusion::common::Column::new_unqualified(NODE)],
                    vec![datafusion::common::Column::new_unqualified(crate::physical::COMPONENT_KEY)],
                ),
                None,
            )
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let exprs =
            g.node_columns.iter().map(|c| col(c)).chain([col(crate::physical::COMPONENT).alias(&name), col(NODE)]);
        let nodes = LogicalPlanBuilder::from(joined).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)?;
        let mut node_columns = g.node_columns.clone();
        node_columns.push(name);
        Ok(Graph {
            edges: g.edges.clone(),
            edge_columns: g.edge_columns.clone(),
            nodes,
            node_columns,
            directed: g.directed,
        })
    }
}

/// Whether `op` is a graph operator (it needs a graph before it).
pub(crate) fn is_graph_operator(op: &Operator) -> bool {
    matches!(op.kind, OperatorKind::GraphMatch(_) | OperatorKind::GraphToTable(_))
}
