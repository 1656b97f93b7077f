//! Scalar expressions: the Pratt table (spec §4) and primaries.

use std::sync::LazyLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::{Builder, Result, span_of};
use crate::Span;
use crate::ast::{Arg, BinaryOp, Expr, ExprKind, ListOp, LogicalOp, StringOp, UnaryOp};
use crate::grammar::Rule;

/// Operator precedence, loosest first (spec §4; KL `QueryGrammar.cs`). `.op` calls go from
/// loosest to tightest; `|` joins operators of one level.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::infix(Rule::op_eq, Assoc::Left) | Op::postfix(Rule::list_postfix) | Op::postfix(Rule::between_postfix))
        .op(Op::infix(Rule::op_rel, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left))
        .op(Op::infix(Rule::op_str, Assoc::Left))
        .op(Op::prefix(Rule::neg) | Op::prefix(Rule::plus))
        .op(Op::postfix(Rule::member) | Op::postfix(Rule::index))
});

/// The precedence levels whose operators do not chain (`a == b == c` is an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Equality,
    Relational,
    String,
}

/// An expression under construction, remembering which non-chainable operator (if any)
/// produced it without parentheses.
struct Built {
    expr: Expr,
    level: Option<(Level, Span)>,
    /// Height of the tree (a leaf is 1).
    height: usize,
}

impl Built {
    fn plain(expr: Expr, height: usize) -> Self {
        Self { expr, level: None, height }
    }
}

fn binary_op(pair: &Pair<'_, Rule>) -> Option<(BinaryOp, Option<Level>)> {
    let s = pair.as_str();
    Some(match pair.as_rule() {
        Rule::op_eq => (if s == "==" { BinaryOp::Eq } else { BinaryOp::NotEq }, Some(Level::Equality)),
        Rule::op_rel => (
            match s {
                "<" => BinaryOp::Lt,
                "<=" => BinaryOp::Le,
                ">" => BinaryOp::Gt,
                _ => BinaryOp::Ge,
            },
            Some(Level::Relational),
        ),
        Rule::op_add => (if s == "+" { BinaryOp::Add } else { BinaryOp::Sub }, None),
        Rule::op_mul => (
            match s {
                "*" => BinaryOp::Mul,
                "/" => BinaryOp::Div,
                _ => BinaryOp::Mod,
            },
            None,
        ),
        Rule::op_str => (BinaryOp::String(StringOp::from_token(s)?), Some(Level::String)),
        _ => return None,
    })
}

/// `a and b`, flattening operands that are themselves `and` chains (the operator is
/// associative, so parentheses around them mean nothing).
fn logical_chain(op: LogicalOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    let mut operands = Vec::new();
    for side in [lhs, rhs] {
        match side.kind {
            ExprKind::Logical { op: inner, operands: more } if inner == op => operands.extend(more),
            _ => operands.push(side),
        }
    }
    Expr::new(ExprKind::Logical { op, operands }, span)
}

fn list_op(token: &str) -> Option<ListOp> {
    Some(match token {
        "in" => ListOp::In,
        "!in" => ListOp::NotIn,
        "in~" => ListOp::InCi,
        "!in~" => ListOp::NotInCi,
        "has_any" => ListOp::HasAny,
        "has_all" => ListOp::HasAll,
        _ => return None,
    })
}

impl Builder<'_> {
    pub(crate) fn expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        if pair.as_rule() != Rule::expr {
            return Err(self.internal(&pair, "an expression"));
        }
        let _guard = self.nest(span_of(&pair))?;
        let built = PRATT
            .map_primary(|p| {
                let span = span_of(&p);
                let (e, inner) = self.measured(|| self.primary(p))?;
                Ok(Built::plain(e, self.record_height(inner + 1, span)?))
            })
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let uop = if op.as_rule() == Rule::neg { UnaryOp::Neg } else { UnaryOp::Plus };
                let span = span_of(&op).to(rhs.expr.span);
                let height = self.record_height(rhs.height + 1, span)?;
                Ok(Built::plain(Expr::new(ExprKind::Unary { op: uop, operand: Box::new(rhs.expr) }, span), height))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let logical = match op.as_rule() {
                    Rule::op_and => Some(LogicalOp::And),
                    Rule::op_or => Some(LogicalOp::Or),
                    _ => None,
                };
                if let Some(lop) = logical {
                    // A side that is the same chain contributes its operands, not itself.
                    let contribution = |b: &Built| match b.expr.kind {
                        ExprKind::Logical { op, .. } if op == lop => b.height - 1,
                        _ => b.height,
                    };
                    let height = contribution(&lhs).max(contribution(&rhs)) + 1;
                    let span = lhs.expr.span.to(rhs.expr.span);
                    let height = self.record_height(height, span)?;
                    return Ok(Built::plain(logical_chain(lop, lhs.expr, rhs.expr), height));
                }
                let (bop, level) = binary_op(&op).ok_or_else(|| self.internal(&op, "a binary operator"))?;
                let op_span = span_of(&op);
                if let Some(level) = level {
                    self.check_unchained(level, op_span, &op, &lhs)?;
                    self.check_unchained(level, op_span, &op, &rhs)?;
                }
                let span = lhs.expr.span.to(rhs.expr.span);
                let height = self.record_height(lhs.height.max(rhs.height) + 1, span)?;
                let expr =
                    Expr::new(ExprKind::Binary { op: bop, left: Box::new(lhs.expr), right: Box::new(rhs.expr) }, span);
                Ok(Built { expr, level: level.map(|l| (l, op_span)), height })
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                self.postfix(lhs, op)
            })
            .parse(pair.into_inner())?;
        Ok(built.expr)
    }

    /// `a == b == c` and `a < b < c` are errors in Kusto (spec §4: not chainable).
    fn check_unchained(&self, level: Level, op_span: Span, op: &Pair<'_, Rule>, operand: &Built) -> Result<()> {
        match operand.level {
            Some((l, inner_span)) if l == level => Err(self.error(
                op_span,
                format!(
                    "`{}` cannot be chained with the operator at {}; add parentheses to say which comparison comes first",
                    op.as_str(),
                    inner_span.line_col(self.text),
                ),
            )),
            _ => Ok(()),
        }
    }

    fn postfix(&self, lhs: Built, op: Pair<'_, Rule>) -> Result<Built> {
        let op_span = span_of(&op);
        let span = lhs.expr.span.to(op_span);
        let lhs_height = lhs.height;
        let (mut built, inner) = self.measured(|| self.postfix_node(lhs, op))?;
        built.height = self.record_height(lhs_height.max(inner) + 1, span)?;
        Ok(built)
    }

    /// Builds a postfix node; its height is set by [`Self::postfix`].
    fn postfix_node(&self, lhs: Built, op: Pair<'_, Rule>) -> Result<Built> {
        let op_span = span_of(&op);
        let span = lhs.expr.span.to(op_span);
        match op.as_rule() {
            Rule::member => {
                let m = op.clone().into_inner().next().ok_or_else(|| self.internal(&op, "a member access"))?;
                let expr = match m.as_rule() {
                    Rule::name => ExprKind::Member { base: Box::new(lhs.expr), member: self.name(m)? },
                    Rule::string_lit => {
                        let key = self.string_lit(&m)?;
                        let index = Expr::new(ExprKind::Literal(crate::ast::Literal::String(key)), span_of(&m));
                        ExprKind::Index { base: Box::new(lhs.expr), index: Box::new(index) }
                    }
                    _ => return Err(self.internal(&m, "a member access")),
                };
                Ok(Built::plain(Expr::new(expr, span), 0))
            }
            Rule::index => {
                let e = op.clone().into_inner().next().ok_or_else(|| self.internal(&op, "an index"))?;
                let index = self.expr(e)?;
                Ok(Built::plain(
                    Expr::new(ExprKind::Index { base: Box::new(lhs.expr), index: Box::new(index) }, span),
                    0,
                ))
            }
            Rule::list_postfix => {
                let mut inner = op.clone().into_inner();
                let tok = self.expect(&op, &mut inner, Rule::list_op)?;
                self.check_unchained(Level::Equality, op_span, &tok, &lhs)?;
                let lop = list_op(tok.as_str()).ok_or_else(|| self.internal(&tok, "a list operator"))?;
                let items = inner.map(|i| self.pipeline(i)).collect::<Result<Vec<_>>>()?;
                if items.is_empty() {
                    return Err(self.error(op_span, format!("`{}` needs at least one value in its list", tok.as_str())));
                }
                let expr = Expr::new(ExprKind::InList { operand: Box::new(lhs.expr), op: lop, items }, span);
                Ok(Built { expr, level: Some((Level::Equality, span_of(&tok))), height: 0 })
            }
            Rule::between_postfix => {
                let mut inner = op.clone().into_inner();
                let tok = self.expect(&op, &mut inner, Rule::between_op)?;
                self.check_unchained(Level::Equality, op_span, &tok, &lhs)?;
                let low = self.expr(self.expect(&op, &mut inner, Rule::expr)?)?;
                self.expect(&op, &mut inner, Rule::dotdot)?;
                let high = self.expr(self.expect(&op, &mut inner, Rule::expr)?)?;
                let expr = Expr::new(
                    ExprKind::Between {
                        operand: Box::new(lhs.expr),
                        negated: tok.as_str().starts_with('!'),
                        low: Box::new(low),
                        high: Box::new(high),
                    },
                    span,
                );
                Ok(Built { expr, level: Some((Level::Equality, span_of(&tok))), height: 0 })
            }
            _ => Err(self.internal(&op, "a postfix operator")),
        }
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::star => ExprKind::Star,
            Rule::paren => {
                let inner = pair.clone().into_inner().next().ok_or_else(|| self.internal(&pair, "parentheses"))?;
                // `(expr)` is just `expr`; `(T | op)` stays tabular. Either way the span
                // recorded is the content's.
                return self.pipeline(inner);
            }
            Rule::name_or_call => {
                let mut inner = pair.clone().into_inner();
                let name = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
                match inner.next() {
                    // The rule's own span runs on over the blanks where call arguments could
                    // have started; a bare name is where the name is.
                    None => return Ok(Expr::new(ExprKind::Name(name.name), name.span)),
                    Some(args) => {
                        ExprKind::Call { name, args: args.into_inner().map(|a| self.arg(a)).collect::<Result<_>>()? }
                    }
                }
            }
            Rule::column_term => {
                // `Column:"term"` (search syntax) is `Column has "term"`.
                let mut inner = pair.clone().into_inner();
                let name = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
                let term = self.expect(&pair, &mut inner, Rule::string_lit)?;
                let right =
                    Expr::new(ExprKind::Literal(crate::ast::Literal::String(self.string_lit(&term)?)), span_of(&term));
                ExprKind::Binary {
                    op: crate::ast::BinaryOp::String(crate::ast::StringOp::Has),
                    left: Box::new(Expr::new(ExprKind::Name(name.name), name.span)),
                    right: Box::new(right),
                }
            }
            Rule::typeof_expr => {
                let mut inner = pair.clone().into_inner();
                self.expect(&pair, &mut inner, Rule::kw_typeof)?;
                ExprKind::TypeOf(self.type_name(&self.expect(&pair, &mut inner, Rule::type_name)?)?)
            }
            _ => ExprKind::Literal(self.literal(pair)?),
        };
        Ok(Expr::new(kind, span))
    }

    pub(crate) fn arg(&self, pair: Pair<'_, Rule>) -> Result<Arg> {
        let span = span_of(&pair);
        let mut name = None;
        let mut value = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::name => name = Some(self.name(p)?),
                Rule::pipeline => value = Some(self.pipeline(p)?),
                _ => return Err(self.internal(&p, "a function argument")),
            }
        }
        let value = value.ok_or_else(|| self.internal(&pair, "a function argument"))?;
        Ok(Arg { name, value, span })
    }
}
