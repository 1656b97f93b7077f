//! Pest pairs → typed AST. One method per grammar rule; every child is matched by rule, and a
//! shape the grammar cannot produce is an internal error naming the rule (never a panic).

mod expr;
mod graph;
mod literal;
mod scan;
mod tabular;

use std::cell::Cell;

use pest::iterators::{Pair, Pairs};

use crate::Span;
use crate::ast::{
    DeclareStatement, Expr, ExprKind, FunctionDecl, Ident, LetStatement, LetValue, Param, ParamType, Query, QueryParam,
    ScalarType, SetStatement, Statement,
};
use crate::error::ParseError;
use crate::grammar::Rule;

pub(crate) type Result<T> = std::result::Result<T, ParseError>;

/// How deeply the builder may recurse (parentheses, nested pipelines).
pub(crate) const MAX_NESTING: usize = 128;

/// The greatest height an expression tree may have. Every later pass (printing, comparing,
/// dropping, planning) walks the tree recursively, so deeper input is rejected here with a
/// clear error instead of risking the stack. Long `and`/`or` chains are flat and do not count.
pub(crate) const MAX_HEIGHT: usize = 256;

/// Builds the AST for one query text.
pub(crate) struct Builder<'i> {
    text: &'i str,
    depth: Cell<usize>,
    /// The greatest height of any expression completed in the current measuring scope.
    scope_height: Cell<usize>,
}

/// Restores the nesting depth when a recursive build step ends.
struct DepthGuard<'a>(&'a Cell<usize>);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

pub(crate) fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

impl<'i> Builder<'i> {
    pub(crate) fn new(text: &'i str) -> Self {
        Self { text, depth: Cell::new(0), scope_height: Cell::new(0) }
    }

    /// Runs `f` and also returns the greatest height of the expressions it completed.
    fn measured<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<(T, usize)> {
        let saved = self.scope_height.replace(0);
        let result = f();
        let inner = self.scope_height.get();
        self.scope_height.set(saved.max(inner));
        Ok((result?, inner))
    }

    /// Checks a new node's height against [`MAX_HEIGHT`] and records it in the scope.
    fn record_height(&self, height: usize, span: Span) -> Result<usize> {
        if height > MAX_HEIGHT {
            return Err(self.error(
                span,
                format!("this expression nests more than {MAX_HEIGHT} operators deep; split it with `let` or `extend`"),
            ));
        }
        self.scope_height.set(self.scope_height.get().max(height));
        Ok(height)
    }

    /// Enters one level of nesting; errors past [`MAX_NESTING`].
    fn nest(&self, span: Span) -> Result<DepthGuard<'_>> {
        let d = self.depth.get() + 1;
        if d > MAX_NESTING {
            return Err(self.error(
                span,
                format!("the query nests parentheses or sub-queries more than {MAX_NESTING} levels deep"),
            ));
        }
        self.depth.set(d);
        Ok(DepthGuard(&self.depth))
    }

    fn error(&self, span: Span, message: impl Into<String>) -> ParseError {
        ParseError::custom(self.text, span, message)
    }

    /// A grammar/builder mismatch: a bug, reported as an error rather than a panic.
    fn internal(&self, pair: &Pair<'_, Rule>, what: &str) -> ParseError {
        self.error(
            span_of(pair),
            format!("internal parser error (a bug): unexpected {:?} while building {what}", pair.as_rule()),
        )
    }

    /// The next child, which must exist.
    fn next<'p>(&self, parent: &Pair<'p, Rule>, inner: &mut Pairs<'p, Rule>) -> Result<Pair<'p, Rule>> {
        inner.next().ok_or_else(|| {
            self.error(span_of(parent), format!("internal parser error (a bug): {:?} ended early", parent.as_rule()))
        })
    }

    /// The next child, which must be `rule`.
    fn expect<'p>(&self, parent: &Pair<'p, Rule>, inner: &mut Pairs<'p, Rule>, rule: Rule) -> Result<Pair<'p, Rule>> {
        let p = self.next(parent, inner)?;
        if p.as_rule() == rule {
            Ok(p)
        } else {
            Err(self.internal(&p, &format!("{:?} (expected {rule:?})", parent.as_rule())))
        }
    }

    // ------------------------------------------------------------------ statements

    pub(crate) fn query(&self, pair: Pair<'_, Rule>) -> Result<Query> {
        let span = Span::new(0, self.text.len());
        let statements = self.statements(pair.into_inner())?;
        if !statements.iter().any(|s| matches!(s, Statement::Expr(_))) {
            let at = statements.last().map_or(Span::new(self.text.len(), self.text.len()), Statement::span);
            return Err(self.error(
                at,
                "the query has no tabular expression to run (it needs a statement such as `T | where ...` after its `let`s)",
            ));
        }
        Ok(Query { statements, span })
    }

    fn statements(&self, pairs: Pairs<'_, Rule>) -> Result<Vec<Statement>> {
        let mut out = Vec::new();
        for p in pairs {
            match p.as_rule() {
                Rule::semi | Rule::EOI => {}
                Rule::let_stmt => out.push(Statement::Let(self.let_stmt(p)?)),
                Rule::set_stmt => out.push(Statement::Set(self.set_stmt(p)?)),
                Rule::declare_stmt => out.push(Statement::Declare(self.declare_stmt(p)?)),
                Rule::pipeline => out.push(Statement::Expr(self.pipeline(p)?)),
                _ => return Err(self.internal(&p, "a statement")),
            }
        }
        Ok(out)
    }

    fn let_stmt(&self, pair: Pair<'_, Rule>) -> Result<LetStatement> {
        let span = span_of(&pair);
        let mut inner = pair.clone().into_inner();
        self.expect(&pair, &mut inner, Rule::kw_let)?;
        let name = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
        let v = self.next(&pair, &mut inner)?;
        let value = match v.as_rule() {
            Rule::function_decl => LetValue::Function(self.function_decl(v)?),
            Rule::pipeline => LetValue::Expr(self.pipeline(v)?),
            _ => return Err(self.internal(&v, "a let statement")),
        };
        Ok(LetStatement { name, value, span })
    }

    fn function_decl(&self, pair: Pair<'_, Rule>) -> Result<FunctionDecl> {
        let span = span_of(&pair);
        let mut is_view = false;
        let mut params = Vec::new();
        let mut body = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_view => is_view = true,
                Rule::param => params.push(self.param(p)?),
                Rule::function_body => body = self.statements(p.into_inner())?,
                _ => return Err(self.internal(&p, "a function declaration")),
            }
        }
        if !body.iter().any(|s| matches!(s, Statement::Expr(_))) {
            return Err(self.error(span, "the function body has no expression to return"));
        }
        Ok(FunctionDecl { is_view, params, body, span })
    }

    fn param(&self, pair: Pair<'_, Rule>) -> Result<Param> {
        let span = span_of(&pair);
        let mut inner = pair.clone().into_inner();
        let name = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
        let t = self.next(&pair, &mut inner)?;
        let ty = match t.as_rule() {
            Rule::type_name => ParamType::Scalar(self.type_name(&t)?),
            Rule::tabular_type => {
                let mut columns = Vec::new();
                let mut open = false;
                for c in t.into_inner() {
                    match c.as_rule() {
                        Rule::star => open = true,
                        Rule::column_decl => columns.push(self.column_decl(c)?),
                        _ => return Err(self.internal(&c, "a tabular parameter type")),
                    }
                }
                ParamType::Tabular { columns, open }
            }
            _ => return Err(self.internal(&t, "a parameter")),
        };
        let default = inner.next().map(|e| self.expr(e)).transpose()?;
        Ok(Param { name, ty, default, span })
    }

    fn declare_stmt(&self, pair: Pair<'_, Rule>) -> Result<DeclareStatement> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        for p in pair.clone().into_inner().filter(|p| p.as_rule() == Rule::query_param) {
            params.push(self.query_param(p)?);
        }
        Ok(DeclareStatement { params, span })
    }

    /// `name:type [= default]` (query parameters, `scan`'s declared columns).
    pub(crate) fn query_param(&self, p: Pair<'_, Rule>) -> Result<QueryParam> {
        let span = span_of(&p);
        let mut inner = p.clone().into_inner();
        let name = self.name(self.expect(&p, &mut inner, Rule::name)?)?;
        let ty = self.type_name(&self.expect(&p, &mut inner, Rule::type_name)?)?;
        let default = inner.next().map(|e| self.expr(e)).transpose()?;
        Ok(QueryParam { name, ty, default, span })
    }

    fn set_stmt(&self, pair: Pair<'_, Rule>) -> Result<SetStatement> {
        let span = span_of(&pair);
        let mut inner = pair.clone().into_inner();
        self.expect(&pair, &mut inner, Rule::kw_set)?;
        let n = self.expect(&pair, &mut inner, Rule::option_name)?;
        let name = Ident::new(n.as_str(), span_of(&n));
        let value = inner.next().map(|e| self.expr(e)).transpose()?;
        Ok(SetStatement { name, value, span })
    }

    // ------------------------------------------------------------------ names and types

    pub(crate) fn name(&self, pair: Pair<'_, Rule>) -> Result<Ident> {
        let span = span_of(&pair);
        let inner = pair.clone().into_inner().next().ok_or_else(|| self.internal(&pair, "a name"))?;
        let name = match inner.as_rule() {
            Rule::identifier => inner.as_str().to_owned(),
            Rule::quoted_name => {
                let part = inner.clone().into_inner().next().ok_or_else(|| self.internal(&inner, "a quoted name"))?;
                self.string_part(&part)?
            }
            _ => return Err(self.internal(&inner, "a name")),
        };
        Ok(Ident::new(name, span))
    }

    fn type_name(&self, pair: &Pair<'_, Rule>) -> Result<ScalarType> {
        ScalarType::from_name(pair.as_str()).ok_or_else(|| {
            self.error(
                span_of(pair),
                format!(
                    "unknown type `{}`; the scalar types are bool, int, long, real, decimal, string, datetime, timespan, guid and dynamic",
                    pair.as_str()
                ),
            )
        })
    }

    pub(crate) fn column_decl(&self, pair: Pair<'_, Rule>) -> Result<crate::ast::ColumnDecl> {
        let span = span_of(&pair);
        let mut inner = pair.clone().into_inner();
        let name = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
        let ty = self.type_name(&self.expect(&pair, &mut inner, Rule::type_name)?)?;
        Ok(crate::ast::ColumnDecl { name, ty, span })
    }

    /// A pipeline in a position where a plain expression is also allowed: a pipeline with
    /// no operators and an expression source is that expression.
    pub(crate) fn pipeline(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = span_of(&pair);
        let _guard = self.nest(span)?;
        let (p, inner) = self.measured(|| self.pipeline_node(pair))?;
        Ok(match p.source {
            // Its height is already recorded.
            crate::ast::Source::Expr(e) if p.operators.is_empty() => e,
            _ => {
                self.record_height(inner + 1, span)?;
                Expr::new(ExprKind::Tabular(Box::new(p)), span)
            }
        })
    }
}
