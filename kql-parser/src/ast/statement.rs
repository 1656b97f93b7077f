//! Queries and statements.

use super::{ColumnDecl, Expr, Ident, ScalarType, eq_ignoring_span};
use crate::Span;

/// A whole query: statements separated by `;`.
#[derive(Clone, Debug)]
pub struct Query {
    /// The statements in order. At least one is a tabular expression.
    pub statements: Vec<Statement>,
    /// The whole text.
    pub span: Span,
}
eq_ignoring_span!(Query { statements });

impl Query {
    /// The tabular expression statements (the query's results), in order.
    pub fn results(&self) -> impl Iterator<Item = &Expr> {
        self.statements.iter().filter_map(|s| match s {
            Statement::Expr(e) => Some(e),
            _ => None,
        })
    }
}

/// A statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// `let name = value`
    Let(LetStatement),
    /// `set name [= value]`
    Set(SetStatement),
    /// `declare query_parameters(name:type [= default], ...)`
    Declare(DeclareStatement),
    /// A tabular expression statement (its result is a query result).
    Expr(Expr),
}

impl Statement {
    /// The statement's text.
    pub fn span(&self) -> Span {
        match self {
            Self::Let(l) => l.span,
            Self::Set(s) => s.span,
            Self::Declare(d) => d.span,
            Self::Expr(e) => e.span,
        }
    }
}

/// `declare query_parameters(name:type [= default], ...)`: values the caller supplies.
#[derive(Clone, Debug)]
pub struct DeclareStatement {
    /// The parameters, in written order.
    pub params: Vec<QueryParam>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(DeclareStatement { params });

/// One query parameter.
#[derive(Clone, Debug)]
pub struct QueryParam {
    /// Its name, bound as a scalar for the rest of the query.
    pub name: Ident,
    /// Its type.
    pub ty: ScalarType,
    /// The value when the caller gives none.
    pub default: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(QueryParam { name, ty, default });

/// `let name = value`.
#[derive(Clone, Debug)]
pub struct LetStatement {
    /// The bound name.
    pub name: Ident,
    /// A scalar or tabular expression, or a function.
    pub value: LetValue,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(LetStatement { name, value });

/// The right-hand side of `let`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LetValue {
    /// A scalar or tabular expression (which one is decided when planning).
    Expr(Expr),
    /// A function (or view) declaration.
    Function(FunctionDecl),
}

/// `[view] (params) { body }`.
#[derive(Clone, Debug)]
pub struct FunctionDecl {
    /// Declared with `view`.
    pub is_view: bool,
    /// Parameters, tabular ones first.
    pub params: Vec<Param>,
    /// The body: `let` statements and a final expression.
    pub body: Vec<Statement>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(FunctionDecl { is_view, params, body });

/// A function parameter `name:type [= default]`.
#[derive(Clone, Debug)]
pub struct Param {
    /// Parameter name.
    pub name: Ident,
    /// Its type.
    pub ty: ParamType,
    /// Default value.
    pub default: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Param { name, ty, default });

/// A parameter type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// A scalar type.
    Scalar(ScalarType),
    /// A table: `(*)` or `(col:type, ...)`, optionally open with `*`.
    Tabular {
        /// Required columns.
        columns: Vec<ColumnDecl>,
        /// Whether other columns are allowed (`*`).
        open: bool,
    },
}

/// `set name [= value]`: a request option such as `query_now`.
#[derive(Clone, Debug)]
pub struct SetStatement {
    /// The option name (may contain dots).
    pub name: Ident,
    /// The value, when given.
    pub value: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(SetStatement { name, value });
