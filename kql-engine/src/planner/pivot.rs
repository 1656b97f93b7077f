//! `evaluate pivot(pivotColumn [, aggregation] [, column, ...]) [: (schema)]`
//! (`pivot-plugin.md`): each distinct value of the pivot column becomes a column holding the
//! aggregation (default `count()`) of the rows with that value, grouped by the named columns
//! (default: every column but the pivot column and the aggregation's columns).
//!
//! Without an output schema the columns depend on the data: planning asks for the pivot
//! column's distinct values (as text, a [`DataRequest::Values`](super::DataRequest) round) and
//! plans again; the value columns come in ascending order of their text (Kusto does not
//! document an order). With a schema, the declared columns that are not group columns are the
//! values, typed as declared. Each cell is the aggregation's `if` form with the predicate
//! `tostring(pivotColumn) == value`, so `count` and `dcount` of no rows are 0, `min`, `max`,
//! `avg` and `take_any` of no rows null, and `make_list`/`make_set`/`make_bag` of no rows empty.

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use kql_parser::Span;
use kql_parser::ast::{Arg, BinaryOp, Evaluate, Expr, ExprKind, Ident, Literal, NamedExpr, Summarize};

use super::expr::ExprCtx;
use super::tabular::df;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};

/// The aggregations pivot takes, with their `if` forms.
const AGGREGATIONS: &[(&str, &str)] = &[
    ("count", "countif"),
    ("sum", "sumif"),
    ("min", "minif"),
    ("max", "maxif"),
    ("avg", "avgif"),
    ("dcount", "dcountif"),
    ("take_any", "take_anyif"),
    ("any", "take_anyif"),
    ("stdev", "stdevif"),
    ("variance", "varianceif"),
    ("make_list", "make_list_if"),
    ("make_set", "make_set_if"),
    ("make_bag", "make_bag_if"),
];

fn expr(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn arg(value: Expr) -> Arg {
    Arg { name: None, span: value.span, value }
}

/// The column names an expression reads.
fn names(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Name(n) => out.push(n.clone()),
        ExprKind::Call { args, .. } => args.iter().for_each(|a| names(&a.value, out)),
        ExprKind::Unary { operand, .. } => names(operand, out),
        ExprKind::Binary { left, right, .. } => {
            names(left, out);
            names(right, out);
        }
        ExprKind::Logical { operands, .. } => operands.iter().for_each(|o| names(o, out)),
        ExprKind::Member { base, .. } | ExprKind::Index { base, .. } => names(base, out),
        _ => {}
    }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn pivot(&self, input: LogicalPlan, e: &Evaluate, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        if let Some(a) = e.args.iter().find(|a| a.name.is_some()) {
            return Err(KqlError::plan(a.span, "pivot takes its arguments by position"));
        }
        let Some(first) = e.args.first() else {
            return Err(KqlError::plan(e.span, "pivot needs the column to rotate"));
        };
        let ExprKind::Name(pivot) = &first.value.kind else {
            return Err(KqlError::plan(first.value.span, "pivot rotates a column: name it"));
        };
        let pivot_expr = super::find_column(input.schema(), pivot)
            .ok_or_else(|| super::unknown_column(first.value.span, pivot, input.schema(), &[]))?;
        // The aggregation: the second argument when it is a call.
        let (aggregation, rest) = match e.args.get(1).map(|a| &a.value) {
            Some(a @ Expr { kind: ExprKind::Call { .. }, .. }) => (Some(a), &e.args[2..]),
            _ => (None, &e.args[1..]),
        };
        let (if_name, agg_args) = match aggregation {
            None => ("countif", Vec::new()),
            Some(Expr { kind: ExprKind::Call { name, args }, .. }) => {
                let Some((_, if_name)) = AGGREGATIONS.iter().find(|(n, _)| *n == name.name) else {
                    let supported: Vec<String> = AGGREGATIONS.iter().map(|(n, _)| format!("{n}()")).collect();
                    return Err(KqlError::plan(
                        name.span,
                        format!("pivot aggregates with one of {}, not `{}()`", supported.join(", "), name.name),
                    ));
                };
                (*if_name, args.clone())
            }
            Some(_) => return Err(KqlError::Internal("the aggregation is a call".into())),
        };
        // The group columns: named, or every other column.
        let mut groups = Vec::new();
        for a in rest {
            let ExprKind::Name(n) = &a.value.kind else {
                return Err(KqlError::plan(a.value.span, "pivot groups by columns: name them"));
            };
            if super::find_column(input.schema(), n).is_none() {
                return Err(super::unknown_column(a.value.span, n, input.schema(), &[]));
            }
            groups.push((n.clone(), a.value.span));
        }
        if rest.is_empty() {
            let mut read = Vec::new();
            agg_args.iter().for_each(|a| names(&a.value, &mut read));
            groups = column_names(input.schema())
                .into_iter()
                .filter(|c| c != pivot && !read.contains(c))
                .map(|c| (c, e.span))
                .collect();
        }
        // The value columns: declared, or found in the data.
        let declared: Option<Vec<(String, kql_parser::ast::ScalarType)>> = e.schema.as_ref().map(|s| {
            s.columns
                .iter()
                .filter(|c| !groups.iter().any(|(g, _)| *g == c.name.name))
                .map(|c| (c.name.name.clone(), c.ty))
                .collect()
        });
        let values: Vec<String> = match &declared {
            Some(d) => d.iter().map(|(n, _)| n.clone()).collect(),
            None => self.pivot_values(&input, pivot_expr, e.span, scope, depth)?,
        };
        // summarize [v] = agg_if(args..., tostring(pivot) == v), ... by groups
        let span = e.span;
        let text = expr(
            ExprKind::Call {
                name: Ident { name: "tostring".into(), span },
                args: vec![arg(expr(ExprKind::Name(pivot.clone()), first.value.span))],
            },
            span,
        );
        let aggregates = values
            .iter()
            .map(|v| {
                let predicate = expr(
                    ExprKind::Binary {
                        op: BinaryOp::Eq,
                        left: Box::new(text.clone()),
                        right: Box::new(expr(ExprKind::Literal(Literal::String(v.clone())), span)),
                    },
                    span,
                );
                let mut args = agg_args.clone();
                args.push(arg(predicate));
                NamedExpr {
                    names: vec![Ident { name: v.clone(), span }],
                    expr: expr(ExprKind::Call { name: Ident { name: if_name.into(), span }, args }, span),
                    span,
                }
            })
            .collect();
        let by = groups
            .iter()
            .map(|(g, s)| NamedExpr { names: Vec::new(), expr: expr(ExprKind::Name(g.clone()), *s), span: *s })
            .collect();
        let summarize = Summarize { params: Vec::new(), aggregates, by, span };
        let plan = self.summarize(input, &summarize, scope, depth)?;
        let Some(declared) = declared else { return Ok(plan) };
        // A declared schema: its columns in its order, with its types.
        let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
        let mut columns = Vec::new();
        for c in &e.schema.as_ref().map(|s| s.columns.clone()).unwrap_or_default() {
            let value = col(&c.name.name);
            let want = super::types::KqlType::of(&super::types::arrow_type(c.ty));
            let have = self.kql_type(&value, &ctx)?;
            let value = if have == want || declared.iter().all(|(n, _)| *n != c.name.name) {
                value
            } else if have == super::types::KqlType::Dynamic {
                self.dynamic_as(value, want, c.name.span, &ctx)?
            } else {
                datafusion::logical_expr::cast(value, super::types::arrow_type(c.ty))
            };
            columns.push(value.alias(&c.name.name));
        }
        LogicalPlanBuilder::from(plan).project(columns).and_then(LogicalPlanBuilder::build).map_err(df)
    }

    /// The distinct values of the pivot column as text, ascending, from the data.
    fn pivot_values(
        &self,
        input: &LogicalPlan,
        pivot: DfExpr,
        span: Span,
        scope: &Scope,
        depth: usize,
    ) -> Result<Vec<String>> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let text = self.as_text(pivot, &ctx)?;
        self.distinct_texts(input, text, span, "pivot without an output schema")?.ok_or_else(|| {
            KqlError::plan(span, format!("pivot would make more than {} columns", super::MAX_TABLE_VALUES))
        })
    }
}
