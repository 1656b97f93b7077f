//! Scalar expressions (and tabular expressions nested inside them).

use super::{Literal, Pipeline, ScalarType, eq_ignoring_span};
use crate::Span;

/// A name as written: a column, table, `let` binding, function, or parameter.
///
/// `['quoted names']` are unquoted here; `Display` re-quotes when the name needs it.
#[derive(Clone, Debug)]
pub struct Ident {
    /// The name itself, without quotes.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Ident { name });

impl Ident {
    /// A name with the given span.
    pub fn new(name: impl Into<String>, span: Span) -> Self {
        Self { name: name.into(), span }
    }
}

/// A scalar expression (or, in a few positions such as `in (...)`, a tabular one).
#[derive(Clone, Debug)]
pub struct Expr {
    /// What kind of expression this is.
    pub kind: ExprKind,
    /// The text it was parsed from.
    pub span: Span,
}
eq_ignoring_span!(Expr { kind });

impl Expr {
    /// An expression with the given span.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Self { kind, span }
    }

    /// The name, when this expression is a bare name (`DeviceId`, `['Device Name']`).
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// The kinds of [`Expr`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A literal value: `'atera.com'`, `5d`, `datetime(2024-01-01)`, `dynamic([1])`.
    Literal(Literal),
    /// A name: a column, a `let` binding, or a table.
    Name(String),
    /// `*`, as in `* has "x"` or `arg_max(Timestamp, *)`.
    Star,
    /// `-x` or `+x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// `a and b and c` or `a or b or c`. Chains are flat (any number of operands, at least
    /// two), so the long `or` lists of hunting rules do not nest deeply.
    Logical {
        /// `and` or `or`.
        op: LogicalOp,
        /// The operands in order.
        operands: Vec<Expr>,
    },
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `operand between (low .. high)` or `operand !between (low .. high)`.
    Between {
        /// The value tested.
        operand: Box<Expr>,
        /// `!between`.
        negated: bool,
        /// Inclusive lower bound.
        low: Box<Expr>,
        /// Inclusive upper bound (a timespan means `low + high`, spec §6).
        high: Box<Expr>,
    },
    /// `operand in (a, b)`, `has_any (...)`, `has_all (...)` and their variants.
    InList {
        /// The value tested.
        operand: Box<Expr>,
        /// Which list operator.
        op: ListOp,
        /// The list items: scalars, dynamic arrays, names, or tabular expressions.
        items: Vec<Expr>,
    },
    /// A function call: `now(-5d)`, `make_set(ReportId)`, `strcat(a, b)`.
    Call {
        /// The function name.
        name: Ident,
        /// The arguments in order.
        args: Vec<Arg>,
    },
    /// `base.member` (also `$left.Key` in join conditions).
    Member {
        /// The expression accessed.
        base: Box<Expr>,
        /// The member name.
        member: Ident,
    },
    /// `base[index]`.
    Index {
        /// The expression indexed.
        base: Box<Expr>,
        /// The index or key.
        index: Box<Expr>,
    },
    /// `typeof(string)`, as an argument of `extract` or `mv-expand ... to`.
    TypeOf(ScalarType),
    /// A tabular expression in expression position: `(T | where x)`.
    Tabular(Box<Pipeline>),
}

/// A function-call argument, optionally named (`f(x = 1)`).
#[derive(Clone, Debug)]
pub struct Arg {
    /// The argument name when passed by name.
    pub name: Option<Ident>,
    /// The argument value.
    pub value: Expr,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Arg { name, value });

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
}

/// `and` / `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogicalOp {
    /// `and`
    And,
    /// `or`
    Or,
}

impl LogicalOp {
    /// The KQL keyword.
    pub const fn token(self) -> &'static str {
        match self {
            Self::And => "and",
            Self::Or => "or",
        }
    }
}

/// Binary operators (`and`/`or` are [`LogicalOp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `==`
    Eq,
    /// `!=` (also written `<>`)
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// A string operator: `has`, `contains_cs`, `=~`, ...
    String(StringOp),
}

/// The string operators (spec §5), which bind tighter than arithmetic (spec §4).
///
/// Legacy spellings map onto these (`notcontains` is [`StringOp::NotContains`], `containscs`
/// is [`StringOp::ContainsCs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is documented by its KQL token in `token()`
pub enum StringOp {
    EqualsCi,
    NotEqualsCi,
    Has,
    NotHas,
    HasCs,
    NotHasCs,
    HasPrefix,
    NotHasPrefix,
    HasPrefixCs,
    NotHasPrefixCs,
    HasSuffix,
    NotHasSuffix,
    HasSuffixCs,
    NotHasSuffixCs,
    Contains,
    NotContains,
    ContainsCs,
    NotContainsCs,
    StartsWith,
    NotStartsWith,
    StartsWithCs,
    NotStartsWithCs,
    EndsWith,
    NotEndsWith,
    EndsWithCs,
    NotEndsWithCs,
    MatchesRegex,
    Like,
    NotLike,
    LikeCs,
    NotLikeCs,
}

impl StringOp {
    /// Every string operator, for exhaustive tests.
    pub const ALL: [Self; 31] = [
        Self::EqualsCi,
        Self::NotEqualsCi,
        Self::Has,
        Self::NotHas,
        Self::HasCs,
        Self::NotHasCs,
        Self::HasPrefix,
        Self::NotHasPrefix,
        Self::HasPrefixCs,
        Self::NotHasPrefixCs,
        Self::HasSuffix,
        Self::NotHasSuffix,
        Self::HasSuffixCs,
        Self::NotHasSuffixCs,
        Self::Contains,
        Self::NotContains,
        Self::ContainsCs,
        Self::NotContainsCs,
        Self::StartsWith,
        Self::NotStartsWith,
        Self::StartsWithCs,
        Self::NotStartsWithCs,
        Self::EndsWith,
        Self::NotEndsWith,
        Self::EndsWithCs,
        Self::NotEndsWithCs,
        Self::MatchesRegex,
        Self::Like,
        Self::NotLike,
        Self::LikeCs,
        Self::NotLikeCs,
    ];

    /// The canonical KQL token.
    pub const fn token(self) -> &'static str {
        match self {
            Self::EqualsCi => "=~",
            Self::NotEqualsCi => "!~",
            Self::Has => "has",
            Self::NotHas => "!has",
            Self::HasCs => "has_cs",
            Self::NotHasCs => "!has_cs",
            Self::HasPrefix => "hasprefix",
            Self::NotHasPrefix => "!hasprefix",
            Self::HasPrefixCs => "hasprefix_cs",
            Self::NotHasPrefixCs => "!hasprefix_cs",
            Self::HasSuffix => "hassuffix",
            Self::NotHasSuffix => "!hassuffix",
            Self::HasSuffixCs => "hassuffix_cs",
            Self::NotHasSuffixCs => "!hassuffix_cs",
            Self::Contains => "contains",
            Self::NotContains => "!contains",
            Self::ContainsCs => "contains_cs",
            Self::NotContainsCs => "!contains_cs",
            Self::StartsWith => "startswith",
            Self::NotStartsWith => "!startswith",
            Self::StartsWithCs => "startswith_cs",
            Self::NotStartsWithCs => "!startswith_cs",
            Self::EndsWith => "endswith",
            Self::NotEndsWith => "!endswith",
            Self::EndsWithCs => "endswith_cs",
            Self::NotEndsWithCs => "!endswith_cs",
            Self::MatchesRegex => "matches regex",
            Self::Like => "like",
            Self::NotLike => "notlike",
            Self::LikeCs => "likecs",
            Self::NotLikeCs => "notlikecs",
        }
    }

    /// Parses a token as written in a query, including legacy spellings.
    pub fn from_token(token: &str) -> Option<Self> {
        let canonical = match token {
            "containscs" => Self::ContainsCs,
            "notcontains" => Self::NotContains,
            "notcontainscs" | "!containscs" => Self::NotContainsCs,
            "!like" => Self::NotLike,
            _ => {
                let normalized: String;
                let token = if token.starts_with("matches") {
                    normalized = "matches regex".to_owned();
                    normalized.as_str()
                } else {
                    token
                };
                return Self::ALL.into_iter().find(|op| op.token() == token);
            }
        };
        Some(canonical)
    }

    /// Whether this is a negated form (`!has`, `!~`, `notlike`, ...).
    pub const fn is_negated(self) -> bool {
        matches!(
            self,
            Self::NotEqualsCi
                | Self::NotHas
                | Self::NotHasCs
                | Self::NotHasPrefix
                | Self::NotHasPrefixCs
                | Self::NotHasSuffix
                | Self::NotHasSuffixCs
                | Self::NotContains
                | Self::NotContainsCs
                | Self::NotStartsWith
                | Self::NotStartsWithCs
                | Self::NotEndsWith
                | Self::NotEndsWithCs
                | Self::NotLike
                | Self::NotLikeCs
        )
    }

    /// Whether the comparison is case-sensitive (`_cs` forms, `matches regex`, `likecs`).
    pub const fn is_case_sensitive(self) -> bool {
        matches!(
            self,
            Self::HasCs
                | Self::NotHasCs
                | Self::HasPrefixCs
                | Self::NotHasPrefixCs
                | Self::HasSuffixCs
                | Self::NotHasSuffixCs
                | Self::ContainsCs
                | Self::NotContainsCs
                | Self::StartsWithCs
                | Self::NotStartsWithCs
                | Self::EndsWithCs
                | Self::NotEndsWithCs
                | Self::MatchesRegex
                | Self::LikeCs
                | Self::NotLikeCs
        )
    }

    /// The positive form of a negated operator (`!has_cs` → `has_cs`); itself otherwise.
    pub const fn positive(self) -> Self {
        match self {
            Self::NotEqualsCi => Self::EqualsCi,
            Self::NotHas => Self::Has,
            Self::NotHasCs => Self::HasCs,
            Self::NotHasPrefix => Self::HasPrefix,
            Self::NotHasPrefixCs => Self::HasPrefixCs,
            Self::NotHasSuffix => Self::HasSuffix,
            Self::NotHasSuffixCs => Self::HasSuffixCs,
            Self::NotContains => Self::Contains,
            Self::NotContainsCs => Self::ContainsCs,
            Self::NotStartsWith => Self::StartsWith,
            Self::NotStartsWithCs => Self::StartsWithCs,
            Self::NotEndsWith => Self::EndsWith,
            Self::NotEndsWithCs => Self::EndsWithCs,
            Self::NotLike => Self::Like,
            Self::NotLikeCs => Self::LikeCs,
            other => other,
        }
    }
}

/// List operators at the equality level: `in`, `has_any`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListOp {
    /// `in` (case-sensitive)
    In,
    /// `!in`
    NotIn,
    /// `in~` (case-insensitive)
    InCi,
    /// `!in~`
    NotInCi,
    /// `has_any`
    HasAny,
    /// `has_all`
    HasAll,
}

impl ListOp {
    /// The KQL token.
    pub const fn token(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::NotIn => "!in",
            Self::InCi => "in~",
            Self::NotInCi => "!in~",
            Self::HasAny => "has_any",
            Self::HasAll => "has_all",
        }
    }
}

impl BinaryOp {
    /// The KQL token.
    pub const fn token(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::NotEq => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Mod => "%",
            Self::String(op) => op.token(),
        }
    }
}
