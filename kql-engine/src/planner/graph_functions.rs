//! The graph functions of `graph-match` and `graph-shortest-paths`: `all()`, `any()` and `map()`
//! over a variable length edge's edges or, with `inner_nodes()`, its inner nodes
//! (all-graph-function.md, any-graph-function.md, map-graph-function.md,
//! inner-nodes-graph-function.md), and `node_degree_in()`/`node_degree_out()`
//! (node-degree-in.md, node-degree-out.md).
//!
//! Each call is replaced, before planning, by a column the match carries: a path function's
//! value is computed per edge (or per edge's target node, which is the path's next inner node)
//! before the chains are joined, then folded over each chain (`and`, `or` or an array); a
//! node's degrees are columns of its rows.

use std::collections::{BTreeSet, HashMap};

use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr as DfExpr, JoinType, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::lit;
use kql_parser::Span;
use kql_parser::ast::visit::map_expr;
use kql_parser::ast::{Arg, Expr, ExprKind, Ident};

use super::expr::ExprCtx;
use super::graph::{DST, Graph, NODE, SRC};
use super::graph_match::TO;
use super::tabular::df;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};

/// A node's in-degree and out-degree (node rows carry them when a query asks).
pub(crate) const DEG_IN: &str = "__kql_deg_in";
pub(crate) const DEG_OUT: &str = "__kql_deg_out";

/// How a path function combines the values of a chain's elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fold {
    /// `all()`: true when every element's condition is (true for a zero length path).
    All,
    /// `any()`: true when some element's condition is (false for a zero length path).
    Any,
    /// `map()`: the elements' values as a dynamic array.
    Map,
}

/// `all`, `any` or `map` over one variable length edge.
#[derive(Clone, Debug)]
pub(crate) struct PathFn {
    /// The column holding its value per match (`e.<column>`), and each element's value in
    /// the edge rows before folding.
    pub(crate) column: String,
    pub(crate) fold: Fold,
    /// Over the chain's inner nodes (`inner_nodes(e)`) rather than its edges.
    pub(crate) inner_nodes: bool,
    /// The condition or expression, over the element's properties by name.
    pub(crate) body: Expr,
    pub(crate) span: Span,
}

/// The graph functions a `graph-match` uses, found by [`GraphCalls::rewrite`].
#[derive(Debug, Default)]
pub(crate) struct GraphCalls {
    /// Path functions by edge variable.
    pub(crate) paths: HashMap<String, Vec<PathFn>>,
    /// Whether node rows need their degrees.
    pub(crate) degrees: bool,
    count: usize,
}

fn member(var: &str, column: &str, span: Span) -> Expr {
    let base = Expr { kind: ExprKind::Name(var.to_owned()), span };
    Expr { kind: ExprKind::Member { base: Box::new(base), member: Ident::new(column, span) }, span }
}

/// `pack_array()`: an empty dynamic array.
fn empty_array(span: Span) -> Expr {
    Expr { kind: ExprKind::Call { name: Ident::new("pack_array", span), args: Vec::new() }, span }
}

fn degree_column(f: &str) -> Option<&'static str> {
    match f {
        "node_degree_in" => Some(DEG_IN),
        "node_degree_out" => Some(DEG_OUT),
        _ => None,
    }
}

impl GraphCalls {
    /// How many path functions were found so far (a conjunct that adds some is evaluated
    /// after the match, not pushed into the walk).
    pub(crate) fn found(&self) -> usize {
        self.count
    }

    /// `e` with every graph function call replaced by the column that will hold its value.
    /// `edges` maps each edge variable to whether it has a variable length.
    pub(crate) fn rewrite(
        &mut self,
        e: &Expr,
        edges: &HashMap<String, bool>,
        nodes: &BTreeSet<String>,
    ) -> Result<Expr> {
        map_expr(e, &mut |x| match &x.kind {
            ExprKind::Call { name, args } => self.graph_call(&name.name, args, x.span, edges, nodes),
            _ => Ok(None),
        })
    }

    /// The column replacing a graph function call, or `None` for any other call.
    fn graph_call(
        &mut self,
        f: &str,
        args: &[Arg],
        span: Span,
        edges: &HashMap<String, bool>,
        nodes: &BTreeSet<String>,
    ) -> Result<Option<Expr>> {
        let name_of = |a: &Arg| match &a.value.kind {
            ExprKind::Name(n) => Some(n.clone()),
            _ => None,
        };
        if let Some(column) = degree_column(f) {
            return match args {
                [a] if name_of(a).is_some_and(|n| nodes.contains(&n)) => {
                    self.degrees = true;
                    Ok(Some(member(&name_of(a).unwrap_or_default(), column, span)))
                }
                [] => Err(KqlError::plan(
                    span,
                    format!("{f}() without a node is for the inner nodes of all(), any() and map() with inner_nodes()"),
                )),
                _ => Err(KqlError::plan(span, format!("{f}() takes a node variable of the pattern"))),
            };
        }
        match f {
            "inner_nodes" => {
                return Err(KqlError::plan(span, "inner_nodes() is only the first argument of all(), any() and map()"));
            }
            // Labels come from graph models; a graph made by make-graph has none, so every
            // node and edge has the empty array (labels-graph-function.md).
            "labels" => {
                return match args {
                    [a] => match name_of(a) {
                        Some(n) if nodes.contains(&n) || edges.get(&n) == Some(&false) => Ok(Some(empty_array(span))),
                        Some(n) if edges.get(&n) == Some(&true) => Err(KqlError::not_supported(
                            span,
                            format!(
                                "labels() of a variable length edge (`{n}`); use any(), all() or map() with labels()"
                            ),
                        )),
                        _ => Err(KqlError::plan(span, "labels() takes a node or edge variable of the pattern")),
                    },
                    [] => Err(KqlError::plan(
                        span,
                        "labels() without a variable is for the elements of all(), any() and map()",
                    )),
                    _ => Err(KqlError::plan(span, "labels() takes one node or edge variable")),
                };
            }
            "all" | "any" | "map" => {}
            _ => return Ok(None),
        }
        let [target, body] = args else {
            return match args.first().and_then(name_of) {
                Some(n) if edges.contains_key(&n) || nodes.contains(&n) => {
                    Err(KqlError::plan(span, format!("{f}() takes a variable length edge and an expression")))
                }
                _ => Ok(None),
            };
        };
        let (edge, inner_nodes) = match &target.value.kind {
            ExprKind::Name(n) => (n.clone(), false),
            ExprKind::Call { name, args } if name.name == "inner_nodes" => match args.as_slice() {
                [a] if name_of(a).is_some() => (name_of(a).unwrap_or_default(), true),
                _ => return Err(KqlError::plan(target.value.span, "inner_nodes() takes a variable length edge")),
            },
            _ => return Ok(None),
        };
        match edges.get(&edge) {
            Some(true) => {}
            Some(false) => {
                return Err(KqlError::plan(
                    target.value.span,
                    format!("{f}() takes a variable length edge (`-[{edge}*1..3]->`); `{edge}` has one edge"),
                ));
            }
            None if nodes.contains(&edge) => {
                return Err(KqlError::plan(
                    target.value.span,
                    format!("{f}() takes a variable length edge; `{edge}` is a node"),
                ));
            }
            None => return Ok(None),
        }
        let fold = match f {
            "all" => Fold::All,
            "any" => Fold::Any,
            _ => Fold::Map,
        };
        let body = element_body(&body.value, inner_nodes)?;
        self.count += 1;
        let column = format!("__kql_path{}", self.count);
        let out = member(&edge, &column, span);
        self.paths.entry(edge).or_default().push(PathFn { column, fold, inner_nodes, body, span });
        Ok(Some(out))
    }
}

/// A path function's body, with `node_degree_in()`/`node_degree_out()` of an inner node read
/// from its rows.
pub(crate) fn element_body(e: &Expr, inner_nodes: bool) -> Result<Expr> {
    map_expr(e, &mut |x| {
        let ExprKind::Call { name, args } = &x.kind else { return Ok(None) };
        if name.name == "labels" && args.is_empty() {
            return Ok(Some(empty_array(x.span)));
        }
        match degree_column(&name.name) {
            Some(column) if args.is_empty() && inner_nodes => {
                Ok(Some(Expr { kind: ExprKind::Name(column.to_owned()), span: x.span }))
            }
            Some(_) if args.is_empty() => Err(KqlError::plan(
                x.span,
                format!("{}() without a node needs inner_nodes(): edges have no degree", name.name),
            )),
            Some(_) => {
                Err(KqlError::plan(x.span, format!("inside all(), any() and map(), {}() takes no argument", name.name)))
            }
            None => Ok(None),
        }
    })
}

/// The graph's nodes with their in-degree and out-degree as two more properties ([`DEG_IN`],
/// [`DEG_OUT`]); in a graph whose edges go both ways (`--`) both count every edge at the node.
pub(crate) fn with_degrees(g: &Graph) -> Result<Graph> {
    let build = |b: datafusion::common::Result<LogicalPlanBuilder>| b.and_then(LogicalPlanBuilder::build).map_err(df);
    let ends = |end: &str| -> Result<LogicalPlan> {
        build(LogicalPlanBuilder::from(g.edges.clone()).project([col(end).alias("__kql_end")]))
    };
    let counted = |ends_of: &[&str], name: &str| -> Result<LogicalPlan> {
        let mut plan = ends(ends_of[0])?;
        for end in &ends_of[1..] {
            plan = build(LogicalPlanBuilder::from(plan).union(ends(end)?))?;
        }
        build(
            LogicalPlanBuilder::from(plan)
                .aggregate([col("__kql_end").alias(format!("{name}_key"))], [count(lit(1i64)).alias(name)]),
        )
    };
    let (ins, outs): (&[&str], &[&str]) = if g.directed { (&[DST], &[SRC]) } else { (&[SRC, DST], &[SRC, DST]) };
    let mut nodes = g.nodes.clone();
    for (ends_of, name) in [(ins, DEG_IN), (outs, DEG_OUT)] {
        let degrees = counted(ends_of, name)?;
        let key = format!("{name}_key");
        let joined = build(LogicalPlanBuilder::from(nodes).join(
            degrees,
            JoinType::Left,
            (
                vec![datafusion::common::Column::new_unqualified(NODE)],
                vec![datafusion::common::Column::new_unqualified(&key)],
            ),
            None,
        ))?;
        let exprs: Vec<DfExpr> = column_names(joined.schema())
            .into_iter()
            .filter(|c| *c != key && c != name)
            .map(|c| col(&c))
            .chain([datafusion::functions::expr_fn::coalesce(vec![col(name), lit(0i64)]).alias(name)])
            .collect();
        nodes = build(LogicalPlanBuilder::from(joined).project(exprs))?;
    }
    let mut node_columns = g.node_columns.clone();
    node_columns.extend([DEG_IN.to_owned(), DEG_OUT.to_owned()]);
    Ok(Graph { nodes, node_columns, ..g.clone() })
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// The edge rows of variable length edge `edge` with one more column: `f`'s body over
    /// the edge's properties, or over the properties of the node the edge leads to.
    pub(crate) fn path_element(
        &self,
        g: &Graph,
        single: LogicalPlan,
        edge: &str,
        f: &PathFn,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let build =
            |b: datafusion::common::Result<LogicalPlanBuilder>| b.and_then(LogicalPlanBuilder::build).map_err(df);
        let own = column_names(single.schema());
        // The element's properties by their own names (the edge's columns are `edge.x`).
        let view = if f.inner_nodes {
            let nodes = build(
                LogicalPlanBuilder::from(g.nodes.clone())
                    .project(g.node_columns.iter().map(|p| col(p)).chain([col(NODE).alias("__kql_inner")])),
            )?;
            build(LogicalPlanBuilder::from(single).join(
                nodes,
                JoinType::Left,
                (
                    vec![datafusion::common::Column::new_unqualified(format!("{edge}.{TO}"))],
                    vec![datafusion::common::Column::new_unqualified("__kql_inner")],
                ),
                None,
            ))?
        } else {
            let exprs =
                own.iter().map(|n| col(n)).chain(g.edge_columns.iter().map(|p| col(&format!("{edge}.{p}")).alias(p)));
            build(LogicalPlanBuilder::from(single).project(exprs))?
        };
        let ctx = ExprCtx { schema: view.schema(), scope, depth, filter: false };
        let value = self.expr(&f.body, &ctx)?;
        let value = if f.fold == Fold::Map {
            value
        } else {
            use datafusion::logical_expr::ExprSchemable as _;
            let t = value.get_type(view.schema()).map_err(df)?;
            if t != datafusion::arrow::datatypes::DataType::Boolean {
                let what = if f.fold == Fold::All { "all" } else { "any" };
                return Err(KqlError::plan(
                    f.body.span,
                    format!("{what}()'s condition must be a bool, got {}", super::types::KqlType::of(&t).name()),
                ));
            }
            value
        };
        let exprs = own.iter().map(|n| col(n)).chain([value.alias(format!("{edge}.{}", f.column))]);
        build(LogicalPlanBuilder::from(view).project(exprs))
    }
}
