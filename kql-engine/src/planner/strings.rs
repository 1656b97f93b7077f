//! The string operators (spec §5): the `has` family, `contains`, `startswith`, `endswith`,
//! `=~`, `matches regex`. Constant needles are compiled once per query into the vectorized
//! [`HasUdf`](crate::functions::has::HasUdf); a needle that changes per row (a column) is
//! matched pair by pair with [`PairMatchUdf`](crate::functions::pair::PairMatchUdf). Results are never null: a null
//! string is `""`, so positive forms are false on it and `!` forms true (spec §3).

use datafusion::logical_expr::{Expr as DfExpr, lit};
use kql_parser::Span;
use kql_parser::ast::{Expr, StringOp};

use super::expr::{ExprCtx, scalar_text, total};
use super::statement::{as_literal, fold};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel};
use crate::error::{KqlError, Result};
use crate::functions::has::{HasUdf, MatchOp};
use crate::functions::pair::PairMatchUdf;
use crate::functions::term::TermKind;

/// How a string operator maps onto the matcher: kind, case-sensitive, negated.
fn shape(op: StringOp) -> Option<(TermKind, bool, bool)> {
    use StringOp::*;
    let kind = match op.positive() {
        Has | HasCs => TermKind::Has,
        HasPrefix | HasPrefixCs => TermKind::Prefix,
        HasSuffix | HasSuffixCs => TermKind::Suffix,
        Contains | ContainsCs => TermKind::Contains,
        StartsWith | StartsWithCs => TermKind::StartsWith,
        EndsWith | EndsWithCs => TermKind::EndsWith,
        EqualsCi => TermKind::Equals,
        _ => return None,
    };
    Some((kind, op.is_case_sensitive(), op.is_negated()))
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn string_op(
        &self,
        op: StringOp,
        left: &Expr,
        right: &Expr,
        span: Span,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        let token = op.token();
        let l = self.expr(left, &ctx.value())?;
        let mut lt = self.kql_type(&l, ctx)?;
        // A `dynamic` operand is matched as its `tostring` (Kusto's string operators take
        // `dynamic` on the left).
        let l = if lt == KqlType::Dynamic {
            lt = KqlType::String;
            super::dynamic::dynamic_text(l)
        } else {
            l
        };
        if !matches!(lt, KqlType::String | KqlType::Null) {
            return Err(KqlError::plan(left.span, format!("`{token}` needs a string on its left, got {}", lt.name()))
                .with_help(format!("convert it first: tostring({left}) {token} ...")));
        }
        let r = fold(self.expr(right, &ctx.value())?);
        let r = if self.kql_type(&r, ctx)? == KqlType::Dynamic { fold(super::dynamic::dynamic_text(r)) } else { r };
        let Some(needle) = as_literal(&r).filter(|v| !v.is_null()).map(scalar_text) else {
            // A right side that changes per row (a column, an expression): matched row by row.
            let rt = self.kql_type(&r, ctx)?;
            if !matches!(rt, KqlType::String | KqlType::Null) {
                return Err(KqlError::plan(
                    right.span,
                    format!("`{token}` needs a string on its right, got {}", rt.name()),
                )
                .with_help(format!("convert it first: ... {token} tostring({right})")));
            }
            return match (shape(op), op) {
                (Some((kind, case_sensitive, negated)), _) => {
                    let m = MatchOp { kind, case_sensitive, negated, all: false, name: token };
                    Ok(PairMatchUdf::call(m, l, r))
                }
                (None, StringOp::MatchesRegex) => Err(KqlError::not_supported(
                    right.span,
                    "`matches regex` with a pattern that is not a constant string",
                )),
                _ => Err(KqlError::not_supported(span, format!("the `{token}` operator"))),
            };
        };
        if let Some((kind, case_sensitive, negated)) = shape(op) {
            let m = MatchOp { kind, case_sensitive, negated, all: false, name: token };
            return Ok(HasUdf::call(m, l, vec![needle]));
        }
        match op {
            StringOp::MatchesRegex => {
                let needle = crate::functions::re2::to_rust(&needle).into_owned();
                if let Err(e) = regex::Regex::new(&needle) {
                    return Err(KqlError::plan(right.span, format!("invalid regular expression: {e}")));
                }
                let test = datafusion::functions::expr_fn::regexp_like(l, lit(needle), None);
                Ok(if ctx.filter { test } else { total(test, false) })
            }
            _ => Err(KqlError::not_supported(span, format!("the `{token}` operator"))),
        }
    }
}
