//! Tabular expressions: a source piped through operators.

use super::{Arg, Expr, Ident, Literal, ScalarType, eq_ignoring_span};
use crate::Span;

/// `source | op | op ...`: a tabular expression.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// Where rows come from.
    pub source: Source,
    /// The operators after each `|`, in order.
    pub operators: Vec<Operator>,
    /// The whole pipeline's text.
    pub span: Span,
}
eq_ignoring_span!(Pipeline { source, operators });

/// The start of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A table or `let` name, a function call (`materialize(...)`, a user function), or a
    /// parenthesized tabular expression.
    Expr(Expr),
    /// `datatable(...)[...]`
    Datatable(Box<Datatable>),
    /// `print x = 1, ...`
    Print(Print),
    /// `union T1, T2`
    Union(Box<Union>),
    /// `range x from a to b step c`
    Range(Box<Range>),
    /// `externaldata(col:type, ...) [uri, ...] with (...)`
    ExternalData(Box<ExternalData>),
    /// `search [in (T, ...)] predicate`
    Search(Box<Search>),
    /// `find [in (T, ...)] where predicate [project ...]`
    Find(Box<Find>),
}

/// One tabular operator after a `|`.
#[derive(Clone, Debug)]
pub struct Operator {
    /// Which operator, with its arguments.
    pub kind: OperatorKind,
    /// The operator's text, from its keyword to its last argument.
    pub span: Span,
}
eq_ignoring_span!(Operator { kind });

/// The tabular operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperatorKind {
    /// `where p` (also `filter p`).
    Where(Expr),
    /// `summarize aggs by keys`.
    Summarize(Summarize),
    /// `project a, b = expr`.
    Project(Vec<NamedExpr>),
    /// `project-away a, b*`.
    ProjectAway(Vec<NamePattern>),
    /// `project-keep a, b*`.
    ProjectKeep(Vec<NamePattern>),
    /// `project-rename new = old`.
    ProjectRename(Vec<Rename>),
    /// `project-reorder a, b* asc`.
    ProjectReorder(Vec<ReorderItem>),
    /// `extend a = expr`.
    Extend(Vec<NamedExpr>),
    /// `take n` (also `limit n`).
    Take(Expr),
    /// `top n by e [asc|desc] [nulls first|last]`.
    Top(Top),
    /// `sort by e, ...` (also `order by`).
    Sort(Vec<SortKey>),
    /// `count`.
    Count,
    /// `distinct a, b` or `distinct *`.
    Distinct(Distinct),
    /// `join [kind=...] (right) on ...`.
    Join(Join),
    /// `lookup [kind=...] (right) on ...`.
    Lookup(Join),
    /// `union T1, T2` after a pipe (the piped input comes first).
    Union(Union),
    /// `mv-expand col [to typeof(t)] [limit n]`.
    MvExpand(MvExpand),
    /// `mv-apply col [to typeof(t)] on (subquery)`.
    MvApply(MvApply),
    /// `partition [hints] by Column (subquery)` or `{ subquery with a source }`.
    Partition(Partition),
    /// `fork [name =] (subquery) ...`: one result per leg.
    Fork(Vec<ForkLeg>),
    /// `facet by c1, c2 [with (subquery)]`: one result per column (and the subquery's).
    Facet {
        /// The columns counted.
        columns: Vec<Ident>,
        /// The `with` subquery.
        with: Option<Vec<Operator>>,
    },
    /// `top-hitters N of value [by summed]`.
    TopHitters {
        /// How many values.
        count: Expr,
        /// The values (optionally named).
        of: NamedExpr,
        /// What is summed per value (the count when absent).
        by: Option<Expr>,
    },
    /// `evaluate plugin(args) [: (schema)]`.
    Evaluate(Evaluate),
    /// `invoke f(args)`: `f` called with the input as its first argument.
    Invoke(Invoke),
    /// `parse expr with * "lit" col:type ...` (and `parse-where`).
    Parse(Parse),
    /// `parse-kv expr as (key:type, ...) with (...)`.
    ParseKv(ParseKv),
    /// `make-series aggs on axis from a to b step s by keys`.
    MakeSeries(Box<MakeSeries>),
    /// `render kind with (...)`: how to draw the result (the last operator).
    Render(Render),
    /// `search predicate` over the piped rows.
    Search(Box<Search>),
    /// `top-nested N of expr by agg, top-nested ...`.
    TopNested(Vec<TopNestedClause>),
    /// `sample N`: N rows picked at random.
    Sample(Expr),
    /// `sample-distinct N of expr`: N distinct values picked at random.
    SampleDistinct {
        /// How many values.
        count: Expr,
        /// The value.
        of: Expr,
    },
    /// `as name`.
    As(As),
    /// `getschema`.
    GetSchema,
    /// `serialize [a = expr, ...]`.
    Serialize(Vec<NamedExpr>),
    /// `scan [with_match_id = m] [declare (...)] with (step ...; ...)`.
    Scan(Box<super::Scan>),
    /// `make-graph Source --> Target [with T on Id, ...]`: a graph for the graph operator after it.
    MakeGraph(Box<super::MakeGraph>),
    /// `graph-match pattern [where p] project ...`.
    GraphMatch(Box<super::GraphMatch>),
    /// `graph-mark-components [kind = weak|strong] [with_component_id = C]`: the graph with
    /// each node's component.
    GraphMarkComponents(Vec<(Ident, Ident)>),
    /// `graph-to-table nodes|edges [as N] [with_*_id = C], ...`.
    GraphToTable(Vec<super::GraphOutput>),
}

/// `name = value` operator parameters such as `kind=inner` or `hint.strategy=shuffle`.
#[derive(Clone, Debug)]
pub struct OpParam {
    /// The parameter name, dots included (`hint.strategy`).
    pub name: String,
    /// Its value.
    pub value: ParamValue,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(OpParam { name, value });

/// The value of an [`OpParam`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// A bare word: `inner`, `shuffle`, `SourceTable`.
    Name(String),
    /// A literal: `true`, `16`, `"x"`.
    Literal(Literal),
}

/// An expression with an optional output name: `Count = count()`, `(a, b) = f(x)`, or just `x`.
#[derive(Clone, Debug)]
pub struct NamedExpr {
    /// Output names: none (Kusto derives one), one, or several for tuple results.
    pub names: Vec<Ident>,
    /// The expression.
    pub expr: Expr,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(NamedExpr { names, expr });

/// `summarize [hints] aggregates [by keys]`.
#[derive(Clone, Debug)]
pub struct Summarize {
    /// `hint.*` parameters.
    pub params: Vec<OpParam>,
    /// The aggregates, in written order.
    pub aggregates: Vec<NamedExpr>,
    /// The group keys, in written order.
    pub by: Vec<NamedExpr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Summarize { params, aggregates, by });

/// A column name, or a pattern with `*` wildcards (`Initiating*`).
#[derive(Clone, Debug)]
pub struct NamePattern {
    /// The name or pattern.
    pub pattern: String,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(NamePattern { pattern });

impl NamePattern {
    /// Whether the pattern contains a `*` wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.pattern.contains('*')
    }

    /// Whether `name` matches the pattern (`*` matches any run of characters).
    pub fn matches(&self, name: &str) -> bool {
        fn go(p: &[u8], s: &[u8]) -> bool {
            match p.split_first() {
                None => s.is_empty(),
                Some((b'*', rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
                Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
            }
        }
        go(self.pattern.as_bytes(), name.as_bytes())
    }
}

/// `new = old` in `project-rename`.
#[derive(Clone, Debug)]
pub struct Rename {
    /// The new name.
    pub new: Ident,
    /// The existing column.
    pub old: Ident,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Rename { new, old });

/// One item of `project-reorder`.
#[derive(Clone, Debug)]
pub struct ReorderItem {
    /// The column or pattern.
    pub column: NamePattern,
    /// `asc`/`desc` ordering of the names a wildcard matches.
    pub order: Option<SortOrder>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(ReorderItem { column, order });

/// `asc` or `desc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// `asc`
    Asc,
    /// `desc`
    Desc,
}

/// `nulls first` or `nulls last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NullsOrder {
    /// `nulls first`
    First,
    /// `nulls last`
    Last,
}

/// A sort key: `expr [asc|desc] [nulls first|last]`. Unwritten parts are `None` (Kusto's
/// default is `desc`, with nulls last for `desc` and first for `asc`).
#[derive(Clone, Debug)]
pub struct SortKey {
    /// The expression sorted by.
    pub expr: Expr,
    /// The written direction.
    pub order: Option<SortOrder>,
    /// The written null placement.
    pub nulls: Option<NullsOrder>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(SortKey { expr, order, nulls });

/// `top n by key`.
#[derive(Clone, Debug)]
pub struct Top {
    /// How many rows.
    pub count: Expr,
    /// The single sort key.
    pub key: SortKey,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Top { count, key });

/// `distinct [hints] columns`.
#[derive(Clone, Debug)]
pub struct Distinct {
    /// `hint.*` parameters.
    pub params: Vec<OpParam>,
    /// The columns; empty means `*`.
    pub columns: Vec<NamedExpr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Distinct { params, columns });

/// `join`/`lookup` with its right side and conditions.
#[derive(Clone, Debug)]
pub struct Join {
    /// `kind=...` and `hint.*` parameters.
    pub params: Vec<OpParam>,
    /// The right side: a name or a parenthesized tabular expression.
    pub right: Expr,
    /// The `on` conditions, split at commas: names or `$left.a == $right.b`.
    pub on: Vec<Expr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Join { params, right, on });

/// `union [params] tables`.
#[derive(Clone, Debug)]
pub struct Union {
    /// `kind=`, `withsource=`, `isfuzzy=` parameters.
    pub params: Vec<OpParam>,
    /// The tables, in order.
    pub tables: Vec<UnionTable>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Union { params, tables });

/// One input of `union`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnionTable {
    /// A name, call or parenthesized tabular expression.
    Expr(Expr),
    /// A table-name pattern: `Device*`.
    Pattern(NamePattern),
}

/// `mv-expand [params] items [limit n]`.
#[derive(Clone, Debug)]
pub struct MvExpand {
    /// `kind=`, `bagexpansion=`, `with_itemindex=` parameters.
    pub params: Vec<OpParam>,
    /// The expanded columns.
    pub items: Vec<MvExpandItem>,
    /// `limit n`.
    pub limit: Option<Expr>,
    /// Written as the legacy `mvexpand` (its default limit is 128 rows per value).
    pub legacy: bool,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(MvExpand { params, items, limit, legacy });

/// `mv-apply [with_itemindex=I] items [limit n] on (subquery)`.
#[derive(Clone, Debug)]
pub struct MvApply {
    /// `with_itemindex=` and hint parameters.
    pub params: Vec<OpParam>,
    /// The expanded columns.
    pub items: Vec<MvExpandItem>,
    /// `limit n`.
    pub limit: Option<Expr>,
    /// The subquery's operators (its source is each record's expanded rows).
    pub body: Vec<Operator>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(MvApply { params, items, limit, body });

/// `partition [hints] by Column (subquery)`.
#[derive(Clone, Debug)]
pub struct Partition {
    /// `hint.strategy=` and other hints.
    pub params: Vec<OpParam>,
    /// The key column.
    pub by: Ident,
    /// What runs on each partition.
    pub body: PartitionBody,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Partition { params, by, body });

/// One leg of a `fork`.
#[derive(Clone, Debug)]
pub struct ForkLeg {
    /// The result's name (`name = (...)`).
    pub name: Option<Ident>,
    /// The leg's operators (its source is the fork's input).
    pub body: Vec<Operator>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(ForkLeg { name, body });

/// The subquery of a `partition`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionBody {
    /// `( operators )`: the source is each partition's rows.
    Operators(Vec<Operator>),
    /// `{ pipeline }`: a subquery with its own source (`toscalar(Column)` is the key).
    Source(Box<Expr>),
}

/// `evaluate [hints] plugin(args) [: (schema)]`.
#[derive(Clone, Debug)]
pub struct Evaluate {
    /// `hint.*` parameters.
    pub params: Vec<OpParam>,
    /// The plugin name (`bag_unpack`, `pivot`, ...).
    pub plugin: Ident,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// The declared output schema: columns, and whether `*` (the input's columns) comes first.
    pub schema: Option<OutputSchema>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Evaluate { params, plugin, args, schema });

/// `invoke function(args)`.
#[derive(Clone, Debug)]
pub struct Invoke {
    /// The function called.
    pub function: Ident,
    /// The arguments after the piped table.
    pub args: Vec<Arg>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Invoke { function, args });

/// `(*, Name:string, Age:long)` after a plugin call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSchema {
    /// `*`: the input's columns come first.
    pub star: bool,
    /// The declared columns.
    pub columns: Vec<ColumnDecl>,
}

/// `[name =] expr [to typeof(t)]` in `mv-expand`.
#[derive(Clone, Debug)]
pub struct MvExpandItem {
    /// The (optionally named) column.
    pub column: NamedExpr,
    /// `to typeof(t)`.
    pub to_type: Option<ScalarType>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(MvExpandItem { column, to_type });

/// `parse [params] expr with pattern`.
#[derive(Clone, Debug)]
pub struct Parse {
    /// `parse-where`: rows that do not parse are dropped.
    pub where_: bool,
    /// `kind=`, `flags=` parameters.
    pub params: Vec<OpParam>,
    /// The string parsed.
    pub source: Expr,
    /// The pattern.
    pub pattern: Vec<ParsePart>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Parse { where_, params, source, pattern });

/// One element of a `parse` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsePart {
    /// `*`
    Wildcard,
    /// A string to match.
    Literal(String),
    /// `col[:type]`: a column to extract.
    Column {
        /// The new column.
        name: Ident,
        /// Its type (default `string`).
        ty: Option<ScalarType>,
    },
}

/// `parse-kv expr as (key[:type], ...) [with (prop = value, ...)]`.
#[derive(Clone, Debug)]
pub struct ParseKv {
    /// The text parsed.
    pub source: Expr,
    /// The keys extracted, each a new column.
    pub keys: Vec<KvKey>,
    /// `pair_delimiter`, `kv_delimiter`, `quote`, `escape`, `greedy`, `regex`, as written.
    pub properties: Vec<OpParam>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(ParseKv { source, keys, properties });

/// `make-series [params] aggregates on axis [from a] [to b] step s [by keys]`.
#[derive(Clone, Debug)]
pub struct MakeSeries {
    /// `kind=nonempty`, `hint.*`.
    pub params: Vec<OpParam>,
    /// The aggregates, each with its `default =` value.
    pub aggregates: Vec<SeriesAggregate>,
    /// The axis expression (usually a datetime column).
    pub axis: Expr,
    /// `from`: the first bin.
    pub from: Option<Expr>,
    /// `to`: the end of the axis (not included).
    pub to: Option<Expr>,
    /// `step`: the bin size.
    pub step: Expr,
    /// `by` keys.
    pub by: Vec<NamedExpr>,
    /// Written as `on axis in range(from, to, step)`: `to` is included and bins are `bin()`'s.
    pub range_syntax: bool,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(MakeSeries { params, aggregates, axis, from, to, step, by, range_syntax });

/// `search [kind=...] [in (T, ...)] predicate`: rows of one or several tables where the
/// predicate holds; a bare string is a term looked for in every column.
#[derive(Clone, Debug)]
pub struct Search {
    /// `kind=case_sensitive|case_insensitive`, `hint.*`.
    pub params: Vec<OpParam>,
    /// The tables of `in (...)` (none: the piped rows, or every table).
    pub tables: Vec<UnionTable>,
    /// The predicate.
    pub predicate: Expr,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Search { params, tables, predicate });

/// One level of `top-nested`.
#[derive(Clone, Debug)]
pub struct TopNestedClause {
    /// How many values to keep per parent (all when absent).
    pub count: Option<Expr>,
    /// The value of this level.
    pub of: NamedExpr,
    /// `with others = v`: one more row aggregating the values not kept.
    pub others: Option<Expr>,
    /// The aggregation that ranks the values.
    pub by: NamedExpr,
    /// `asc` ranks the smallest first (default `desc`).
    pub order: Option<SortOrder>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(TopNestedClause { count, of, others, by, order });

/// `find [withsource=C] [in (T, ...)] where predicate [project c[:type], ..., pack_all()]`.
#[derive(Clone, Debug)]
pub struct Find {
    /// `withsource=`, `hint.*`.
    pub params: Vec<OpParam>,
    /// The tables of `in (...)` (none: every table).
    pub tables: Vec<UnionTable>,
    /// The predicate.
    pub predicate: Expr,
    /// `project c[:type], ...` (none: Kusto's `project-smart`).
    pub project: Option<Vec<FindColumn>>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Find { params, tables, predicate, project });

/// One column of `find ... project`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindColumn {
    /// `name` or `name:type`.
    Column {
        /// The column.
        name: Ident,
        /// Its type, when the tables may lack it.
        ty: Option<ScalarType>,
    },
    /// `pack_all()`: the row's other columns as a bag.
    PackAll,
}

/// `render kind [with (prop = value, ...)]`.
#[derive(Clone, Debug)]
pub struct Render {
    /// The visualization: `timechart`, `barchart`, ...
    pub kind: Ident,
    /// The properties, as written.
    pub properties: Vec<RenderProperty>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Render { kind, properties });

/// One `name = value` of [`Render`].
#[derive(Clone, Debug)]
pub struct RenderProperty {
    /// The property name (`title`, `ycolumns`, ...).
    pub name: Ident,
    /// Its value.
    pub value: RenderValue,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(RenderProperty { name, value });

/// The value of a [`RenderProperty`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderValue {
    /// A literal: `"title"`, `10`, `true`.
    Literal(Literal),
    /// One or more names: `stacked`, `y1, y2`.
    Names(Vec<Ident>),
}

/// One aggregate of [`MakeSeries`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesAggregate {
    /// The aggregate, maybe named.
    pub aggregate: NamedExpr,
    /// The value of bins without rows (default 0).
    pub default: Option<Expr>,
}

/// One key of [`ParseKv`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvKey {
    /// The key, and the column's name.
    pub name: Ident,
    /// The column's type (default `string`).
    pub ty: Option<ScalarType>,
}

/// `as [params] name`.
#[derive(Clone, Debug)]
pub struct As {
    /// `hint.materialized=` parameters.
    pub params: Vec<OpParam>,
    /// The name bound.
    pub name: Ident,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(As { params, name });

/// `datatable(col:type, ...)[values]`.
#[derive(Clone, Debug)]
pub struct Datatable {
    /// The columns.
    pub columns: Vec<ColumnDecl>,
    /// Values, row by row (a multiple of the column count when valid).
    pub values: Vec<Expr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Datatable { columns, values });

/// `externaldata(col:type, ...) [uri, ...] [with (prop = value, ...)]`.
#[derive(Clone, Debug)]
pub struct ExternalData {
    /// The declared columns.
    pub columns: Vec<ColumnDecl>,
    /// The sources (URLs or paths), in written order.
    pub uris: Vec<ExternalUri>,
    /// The `with (...)` properties (`format`, `ignoreFirstRecord`, ...), names as written.
    pub properties: Vec<OpParam>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(ExternalData { columns, uris, properties });

/// One source of [`ExternalData`]: a string literal's value.
#[derive(Clone, Debug)]
pub struct ExternalUri {
    /// The URL or path.
    pub value: String,
    /// Where the literal was written.
    pub span: Span,
}
eq_ignoring_span!(ExternalUri { value });

/// `name:type`.
#[derive(Clone, Debug)]
pub struct ColumnDecl {
    /// Column name.
    pub name: Ident,
    /// Column type.
    pub ty: ScalarType,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(ColumnDecl { name, ty });

/// `print a = expr, ...`.
#[derive(Clone, Debug)]
pub struct Print {
    /// The printed columns.
    pub columns: Vec<NamedExpr>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Print { columns });

/// `range col from start to stop step step`.
#[derive(Clone, Debug)]
pub struct Range {
    /// The column produced.
    pub column: Ident,
    /// First value.
    pub from: Expr,
    /// Last value (inclusive).
    pub to: Expr,
    /// Increment.
    pub step: Expr,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Range { column, from, to, step });
