//! The graph operators: `make-graph`, `graph-match`, `graph-to-table`.

use std::fmt::{self, Display, Formatter, Write as _};

use super::{Expr, Ident, NamedExpr, eq_ignoring_span};
use crate::Span;

/// `make-graph Source --> Target [with T on Id, ...] [with_node_id = Name]`.
#[derive(Clone, Debug)]
pub struct MakeGraph {
    /// The edges' source node id column.
    pub source: Ident,
    /// The edges' target node id column.
    pub target: Ident,
    /// `-->` (true) or `--` (undirected).
    pub directed: bool,
    /// Node tables and their id columns.
    pub tables: Vec<(Expr, Ident)>,
    /// `with_node_id = Name`: the nodes' id as a property.
    pub node_id: Option<Ident>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(MakeGraph { source, target, directed, tables, node_id });

/// Which way an edge of a pattern goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeDirection {
    /// `-[e]->`, `-->`: from the left node to the right one.
    Right,
    /// `<-[e]-`, `<--`: from the right node to the left one.
    Left,
    /// `-[e]-`, `--`: either way.
    Any,
}

/// An edge of a pattern.
#[derive(Clone, Debug)]
pub struct GraphEdge {
    /// Its variable, if named.
    pub name: Option<Ident>,
    /// Its direction.
    pub direction: EdgeDirection,
    /// `*min..max`: a variable length edge.
    pub range: Option<(u32, u32)>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(GraphEdge { name, direction, range });

/// `(a)-[e]->(b)...`: nodes and the edges between them (`nodes.len() == edges.len() + 1`).
#[derive(Clone, Debug)]
pub struct GraphPattern {
    /// The nodes' variables (`None` for `()`), with where each was written.
    pub nodes: Vec<(Option<Ident>, Span)>,
    /// The edges between consecutive nodes.
    pub edges: Vec<GraphEdge>,
    /// Where it was written.
    pub span: Span,
}

impl PartialEq for GraphPattern {
    fn eq(&self, other: &Self) -> bool {
        let names = |p: &Self| p.nodes.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        names(self) == names(other) && self.edges == other.edges
    }
}
impl Eq for GraphPattern {}

/// `graph-match [cycles = c] pattern, ... [where p] [project ...]`, and
/// `graph-shortest-paths [output = any|all] pattern [where p] project ...`.
#[derive(Clone, Debug)]
pub struct GraphMatch {
    /// `graph-shortest-paths`: only the shortest matches per pair of end nodes.
    pub shortest: bool,
    /// `name = value` parameters (`cycles`).
    pub params: Vec<(Ident, Ident)>,
    /// The patterns (sharing node variables).
    pub patterns: Vec<GraphPattern>,
    /// The `where` constraints.
    pub condition: Option<Expr>,
    /// The `project` columns.
    pub project: Vec<NamedExpr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(GraphMatch { shortest, params, patterns, condition, project });

/// One output of `graph-to-table`.
#[derive(Clone, Debug)]
pub struct GraphOutput {
    /// `edges` (true) or `nodes`.
    pub edges: bool,
    /// `as Name`.
    pub name: Option<Ident>,
    /// `with_node_id = C`, `with_source_id = C`, `with_target_id = C`.
    pub params: Vec<(Ident, Ident)>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(GraphOutput { edges, name, params });

impl Display for MakeGraph {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "make-graph {} {} {}", self.source, if self.directed { "-->" } else { "--" }, self.target)?;
        for (i, (t, id)) in self.tables.iter().enumerate() {
            f.write_str(if i == 0 { " with " } else { ", " })?;
            write!(f, "{t} on {id}")?;
        }
        if let Some(n) = &self.node_id {
            write!(f, " with_node_id = {n}")?;
        }
        Ok(())
    }
}

impl Display for GraphPattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, (n, _)) in self.nodes.iter().enumerate() {
            if i > 0 {
                write!(f, "{}", self.edges[i - 1])?;
            }
            f.write_char('(')?;
            if let Some(n) = n {
                write!(f, "{n}")?;
            }
            f.write_char(')')?;
        }
        Ok(())
    }
}

impl Display for GraphEdge {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut body = String::new();
        if let Some(n) = &self.name {
            body.push_str(&n.to_string());
        }
        if let Some((lo, hi)) = self.range {
            write!(body, "*{lo}..{hi}")?;
        }
        match self.direction {
            EdgeDirection::Right => write!(f, "-[{body}]->"),
            EdgeDirection::Left => write!(f, "<-[{body}]-"),
            EdgeDirection::Any => write!(f, "-[{body}]-"),
        }
    }
}

impl Display for GraphMatch {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(if self.shortest { "graph-shortest-paths" } else { "graph-match" })?;
        for (n, v) in &self.params {
            write!(f, " {n} = {v}")?;
        }
        for (i, p) in self.patterns.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            write!(f, "{p}")?;
        }
        if let Some(c) = &self.condition {
            write!(f, " where {c}")?;
        }
        for (i, c) in self.project.iter().enumerate() {
            f.write_str(if i == 0 { " project " } else { ", " })?;
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Display for GraphOutput {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(if self.edges { "edges" } else { "nodes" })?;
        if let Some(n) = &self.name {
            write!(f, " as {n}")?;
        }
        for (n, v) in &self.params {
            write!(f, " {n} = {v}")?;
        }
        Ok(())
    }
}
