//! The typed KQL syntax tree.
//!
//! Every node carries the byte [`Span`] of the text it was parsed from, but **equality ignores
//! spans**: the few span-carrying structs implement `PartialEq` by destructuring every field
//! except `span` (adding a field without updating the comparison is a compile error), and all
//! other nodes derive it. Two parses of the same query written with different whitespace,
//! comments, quoting or keyword aliases (`filter`/`where`, `limit`/`take`) compare equal.
//!
//! `Display` on every node prints canonical KQL that parses back to an equal tree.

mod display;
mod display_ops;
mod expr;
mod graph;
mod literal;
mod operator;
mod scan;
mod statement;
pub mod visit;

pub use expr::{Arg, BinaryOp, Expr, ExprKind, Ident, ListOp, LogicalOp, StringOp, UnaryOp};
pub use graph::{EdgeDirection, GraphEdge, GraphMatch, GraphOutput, GraphPattern, MakeGraph};
pub use literal::{DateTime, Dynamic, Literal, Real, ScalarType, TimeSpan};
pub use operator::{
    As, ColumnDecl, Datatable, Distinct, Evaluate, ExternalData, ExternalUri, Find, FindColumn, ForkLeg, Invoke, Join,
    KvKey, MakeSeries, MvApply, MvExpand, MvExpandItem, NamePattern, NamedExpr, NullsOrder, OpParam, Operator,
    OperatorKind, OutputSchema, ParamValue, Parse, ParseKv, ParsePart, Partition, PartitionBody, Pipeline, Print,
    Range, Rename, Render, RenderProperty, RenderValue, ReorderItem, Search, SeriesAggregate, SortKey, SortOrder,
    Source, Summarize, Top, TopNestedClause, Union, UnionTable,
};
pub use scan::{Scan, ScanOutput, ScanStep};
pub use statement::{
    DeclareStatement, FunctionDecl, LetStatement, LetValue, Param, ParamType, Query, QueryParam, SetStatement,
    Statement,
};

/// Implements `PartialEq` for a span-carrying struct: every field but `span` is compared.
///
/// The exhaustive destructuring makes a new field a compile error until it is listed here.
macro_rules! eq_ignoring_span {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                let $ty { $($field,)* span: _ } = self;
                $( *$field == other.$field && )* true
            }
        }
        impl Eq for $ty {}
    };
}
pub(crate) use eq_ignoring_span;
