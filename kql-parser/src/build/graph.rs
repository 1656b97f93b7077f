//! The graph operators.

use pest::iterators::Pair;

use super::{Builder, Result, span_of};
use crate::ast::{EdgeDirection, GraphEdge, GraphMatch, GraphOutput, GraphPattern, MakeGraph};
use crate::grammar::Rule;

impl Builder<'_> {
    pub(crate) fn make_graph(&self, pair: Pair<'_, Rule>) -> Result<MakeGraph> {
        let span = span_of(&pair);
        let mut names = Vec::new();
        let mut directed = true;
        let mut tables = Vec::new();
        let mut node_id = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_make_graph => {}
                Rule::name => names.push(self.name(p)?),
                Rule::graph_direction => directed = p.as_str() == "-->",
                Rule::make_graph_with => {
                    for t in p.into_inner().filter(|t| t.as_rule() == Rule::make_graph_table) {
                        let mut inner = t.clone().into_inner();
                        let table = self.expr(self.expect(&t, &mut inner, Rule::expr)?)?;
                        self.expect(&t, &mut inner, Rule::kw_on)?;
                        let id = self.name(self.expect(&t, &mut inner, Rule::name)?)?;
                        tables.push((table, id));
                    }
                }
                Rule::make_graph_id => {
                    let mut inner = p.clone().into_inner();
                    self.expect(&p, &mut inner, Rule::kw_with_node_id)?;
                    node_id = Some(self.name(self.expect(&p, &mut inner, Rule::name)?)?);
                }
                _ => return Err(self.internal(&p, "make-graph")),
            }
        }
        let mut names = names.into_iter();
        match (names.next(), names.next()) {
            (Some(source), Some(target)) => Ok(MakeGraph { source, target, directed, tables, node_id, span }),
            _ => Err(self.internal(&pair, "make-graph")),
        }
    }

    pub(crate) fn graph_match(&self, pair: Pair<'_, Rule>) -> Result<GraphMatch> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut patterns = Vec::new();
        let mut condition = None;
        let mut project = Vec::new();
        let mut shortest = false;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_graph_match | Rule::kw_where | Rule::kw_project => {}
                Rule::kw_graph_shortest_paths => shortest = true,
                Rule::graph_match_param => params.push(self.name_pair(p)?),
                Rule::graph_pattern => patterns.push(self.graph_pattern(p)?),
                Rule::expr => condition = Some(self.expr(p)?),
                Rule::named_expr => project.push(self.named_expr(p)?),
                _ => return Err(self.internal(&p, "graph-match")),
            }
        }
        Ok(GraphMatch { shortest, params, patterns, condition, project, span })
    }

    pub(crate) fn graph_mark_components(
        &self,
        pair: Pair<'_, Rule>,
    ) -> Result<Vec<(crate::ast::Ident, crate::ast::Ident)>> {
        pair.into_inner().filter(|p| p.as_rule() == Rule::graph_match_param).map(|p| self.name_pair(p)).collect()
    }

    /// `name = name`.
    fn name_pair(&self, p: Pair<'_, Rule>) -> Result<(crate::ast::Ident, crate::ast::Ident)> {
        let mut inner = p.clone().into_inner();
        let n = self.name(self.expect(&p, &mut inner, Rule::name)?)?;
        let v = self.name(self.expect(&p, &mut inner, Rule::name)?)?;
        Ok((n, v))
    }

    fn graph_pattern(&self, pair: Pair<'_, Rule>) -> Result<GraphPattern> {
        let span = span_of(&pair);
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::graph_node => {
                    let nspan = span_of(&p);
                    let name = p.into_inner().next().map(|n| self.name(n)).transpose()?;
                    nodes.push((name, nspan));
                }
                Rule::graph_edge => {
                    let espan = span_of(&p);
                    let kind = p.clone().into_inner().next().ok_or_else(|| self.internal(&p, "graph edge"))?;
                    let direction = match kind.as_rule() {
                        Rule::graph_edge_right => EdgeDirection::Right,
                        Rule::graph_edge_left => EdgeDirection::Left,
                        _ => EdgeDirection::Any,
                    };
                    let mut name = None;
                    let mut range = None;
                    if let Some(body) = kind.into_inner().next() {
                        for b in body.into_inner() {
                            match b.as_rule() {
                                Rule::name => name = Some(self.name(b)?),
                                Rule::graph_range => {
                                    let text = b.as_str();
                                    let (lo, hi) = text.split_once("..").unwrap_or((text, text));
                                    let parse = |t: &str| {
                                        t.parse::<u32>().map_err(|_| {
                                            self.error(span_of(&b), format!("`{text}`: the bounds are whole numbers"))
                                        })
                                    };
                                    let (lo, hi) = (parse(lo)?, parse(hi)?);
                                    if lo > hi {
                                        return Err(self.error(
                                            span_of(&b),
                                            format!("`{text}`: the lower bound is above the upper bound"),
                                        ));
                                    }
                                    range = Some((lo, hi));
                                }
                                _ => return Err(self.internal(&b, "graph edge")),
                            }
                        }
                    }
                    edges.push(GraphEdge { name, direction, range, span: espan });
                }
                _ => return Err(self.internal(&p, "graph pattern")),
            }
        }
        Ok(GraphPattern { nodes, edges, span })
    }

    pub(crate) fn graph_to_table(&self, pair: Pair<'_, Rule>) -> Result<Vec<GraphOutput>> {
        let mut outputs = Vec::new();
        for p in pair.into_inner().filter(|p| p.as_rule() == Rule::graph_output) {
            let span = span_of(&p);
            let mut edges = false;
            let mut name = None;
            let mut params = Vec::new();
            for q in p.into_inner() {
                match q.as_rule() {
                    Rule::kw_nodes | Rule::kw_as => {}
                    Rule::kw_edges => edges = true,
                    Rule::name => name = Some(self.name(q)?),
                    Rule::graph_output_param => params.push(self.name_pair(q)?),
                    _ => return Err(self.internal(&q, "graph-to-table")),
                }
            }
            outputs.push(GraphOutput { edges, name, params, span });
        }
        Ok(outputs)
    }
}
