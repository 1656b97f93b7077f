//! Statements with several results: `fork` (`fork-operator.md`: one result per leg, each leg's
//! operators over the input) and `facet` (`facet-operator.md`: the `with` subquery's table, then
//! per column the count of each value, as `<column>` and `count_<column>`). Either ends its
//! statement.

use datafusion::logical_expr::LogicalPlan;
use kql_parser::ast::{Expr, ExprKind, Ident, NamedExpr, OperatorKind, Pipeline, Summarize};

use super::{KqlContextProvider, KqlToRel, Scope};
use crate::error::Result;

/// A result's plan and its name, if it has one.
pub(crate) type NamedPlan = (LogicalPlan, Option<String>);

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// The results of a statement that ends with `fork` or `facet`; `None` for other statements.
    /// Each result comes with its name: a fork leg's `name = (...)`, or its final `as name`.
    pub(crate) fn several_results(&self, e: &Expr, scope: &Scope) -> Result<Option<Vec<NamedPlan>>> {
        let ExprKind::Tabular(p) = &e.kind else { return Ok(None) };
        let Some(last) = p.operators.last() else { return Ok(None) };
        if !matches!(last.kind, OperatorKind::Fork(_) | OperatorKind::Facet { .. }) {
            return Ok(None);
        }
        let before = Pipeline {
            source: p.source.clone(),
            operators: p.operators[..p.operators.len() - 1].to_vec(),
            span: p.span,
        };
        let input = self.tabular(&Expr { kind: ExprKind::Tabular(Box::new(before)), span: e.span }, scope)?;
        let mut plans = Vec::new();
        match &last.kind {
            OperatorKind::Fork(legs) => {
                for leg in legs {
                    let name = leg.name.as_ref().map(|n| n.name.clone()).or_else(|| match leg.body.last() {
                        Some(kql_parser::ast::Operator { kind: OperatorKind::As(a), .. }) => Some(a.name.name.clone()),
                        _ => None,
                    });
                    plans.push((self.operators_over(input.clone(), &leg.body, scope, 0)?, name));
                }
            }
            OperatorKind::Facet { columns, with } => {
                if let Some(ops) = with {
                    plans.push((self.operators_over(input.clone(), ops, scope, 0)?, None));
                }
                for c in columns {
                    let span = c.span;
                    let count = Expr {
                        kind: ExprKind::Call { name: Ident { name: "count".into(), span }, args: Vec::new() },
                        span,
                    };
                    let summarize = Summarize {
                        params: Vec::new(),
                        aggregates: vec![NamedExpr {
                            names: vec![Ident { name: format!("count_{}", c.name), span }],
                            expr: count,
                            span,
                        }],
                        by: vec![NamedExpr {
                            names: Vec::new(),
                            expr: Expr { kind: ExprKind::Name(c.name.clone()), span },
                            span,
                        }],
                        span,
                    };
                    plans.push((self.summarize(input.clone(), &summarize, scope, 0)?, None));
                }
            }
            _ => return Ok(None),
        }
        Ok(Some(plans))
    }
}
