//! KQL AST → DataFusion [`LogicalPlan`], shaped like DataFusion's `SqlToRel`: one planner
//! over a [`KqlContextProvider`], its methods split by topic across files, scopes passed as
//! values, and every construct outside the supported subset rejected with a located error.
//!
//! | file | what it plans |
//! |---|---|
//! | `statement.rs` | the query: `let`, `set`, result statements, user functions |
//! | `tabular.rs` | tabular expressions and sources (tables, `datatable`, `print`, `union`, `range`) |
//! | `make_series.rs` | `make-series`: summarize per bin, gather per key, lay out as arrays |
//! | `top_nested.rs` | `top-nested`: per level, summarize, rank within the parent, keep N |
//! | `search.rs` | `search`: terms over every text column, several tables with `$table` |
//! | `parse.rs` | `parse` and `parse-where`: the pattern as one regex, captures converted |
//! | `external.rs` | `externaldata`: properties, access to each source, conversion of text cells |
//! | `operators.rs` | `where`, `project*`, `extend`, `take`, `top`, `sort`, `count`, `distinct`, ... |
//! | `join.rs` | `join` and `lookup` |
//! | `mv.rs` | `mv-expand` and `mv-apply` |
//! | `summarize.rs` | `summarize` and the aggregate functions |
//! | `expr.rs` | scalar expressions: names, literals, operators, `between`, `in` |
//! | `strings.rs` | the string operators (spec §5) |
//! | `calls.rs` | scalar functions |
//! | `dynamic.rs` | member access, `parse_json`, implicit conversions of `dynamic` values |
//! | `names.rs` | Kusto's default column names (spec §9.2) |
//! | `types.rs` | KQL types over Arrow types, literals |

mod binning;
mod calls;
mod catalog;
mod dynamic;
mod evaluate;
mod expr;
mod external;
mod find_smart;
mod graph;
mod graph_functions;
mod graph_match;
mod ipv4_lookup;
mod join;
mod library;
mod make_series;
mod mv;
mod names;
mod operators;
mod parse;
mod partition;
mod partition_rewrite;
mod pivot;
mod plugins;
pub(crate) mod range;
mod results;
mod rows;
mod scan;
mod scope;
mod search;
pub(crate) mod session;
mod statement;
mod strings;
mod summarize;
mod tabular;
mod top_nested;
mod tuples;
mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, TableSource};
use kql_parser::Span;

pub use evaluate::{SlotTypes, Unpacked};
pub(crate) use scope::Scope;
pub use types::KqlType;

/// `coalesce(e, '')`: a string that is never null.
pub(crate) fn non_null_string_expr(e: DfExpr) -> DfExpr {
    expr::non_null_string(e)
}

use crate::error::{KqlError, Result, closest_names, did_you_mean};

/// What the planner needs to know about the tables a query may use.
pub trait KqlContextProvider {
    /// The table registered as `name` (names are case-sensitive), if any.
    fn get_table_source(&self, name: &str) -> Option<Arc<dyn TableSource>>;
    /// Every registered table name, for wildcards and suggestions.
    fn table_names(&self) -> Vec<String>;
    /// The documented KQL type of a table's column, when the table's schema is documented (a
    /// string column documented as `dynamic` is read as `dynamic`).
    fn documented_type(&self, _table: &str, _column: &str) -> Option<KqlType> {
        None
    }
}

/// How the engine reads a table column: JSON text (Parquet's JSON logical type, or a string
/// column documented as `dynamic`) as `dynamic`, a binary column that is not JSON as a
/// `string`, anything else by its Arrow type.
pub fn read_type(field: &datafusion::arrow::datatypes::Field, documented: Option<KqlType>) -> ReadAs {
    let physical = KqlType::of(field.data_type());
    let json = crate::dynamic::has_json_extension(field) || documented == Some(KqlType::Dynamic);
    if physical == KqlType::String && json {
        ReadAs::Json
    } else if crate::dynamic::is_json_type(field.data_type()) && !json {
        ReadAs::BinaryText
    } else {
        ReadAs::AsIs(physical)
    }
}

/// How a table column is read (see [`read_type`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAs {
    /// Text holding JSON, read as `dynamic` (the string buffers re-labelled, not copied).
    Json,
    /// Bytes, read as a `string`.
    BinaryText,
    /// As its Arrow type says.
    AsIs(KqlType),
}

impl ReadAs {
    /// The KQL type a query sees.
    pub fn kql_type(self) -> KqlType {
        match self {
            Self::Json => KqlType::Dynamic,
            Self::BinaryText => KqlType::String,
            Self::AsIs(t) => t,
        }
    }
}

/// The Arrow type the engine gives a KQL type (`dynamic` is JSON text in a binary array).
pub fn arrow_type_of(t: kql_parser::ast::ScalarType) -> datafusion::arrow::datatypes::DataType {
    types::arrow_type(t)
}

/// Settings that change what a query means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannerOptions {
    /// The instant `now()` returns, in nanoseconds since the Unix epoch (Kusto's `query_now`).
    /// Read once per query: every `now()` and `ago()` sees the same value.
    pub now: i64,
    /// The slots of the bags each `evaluate bag_unpack(...)` without an output schema unpacks
    /// (found by running the request [`KqlToRel::take_data_request`] gives).
    pub unpacked: Unpacked,
    /// The distinct values of the tables on the right of `in`, `has_any`, ... (found by running
    /// the requests [`KqlToRel::take_data_request`] gives); `None` when there were more than
    /// [`MAX_TABLE_VALUES`].
    pub values: BTreeMap<ValuesKey, Option<Arc<Vec<ScalarValue>>>>,
    /// The values of `declare query_parameters`, as text (converted to each declared type).
    pub parameters: BTreeMap<String, String>,
    /// What `externaldata` may read (by default: nothing but files under no folder).
    pub externaldata: std::sync::Arc<crate::externaldata::ExternalDataOptions>,
    /// The results of `materialize(...)` calls (found by running the requests
    /// [`KqlToRel::take_data_request`] gives), read by every use.
    pub materialized: BTreeMap<ValuesKey, Materialized>,
}

/// A `materialize()` result held in memory.
#[derive(Clone, Debug)]
pub struct Materialized(pub Arc<datafusion::datasource::MemTable>);

impl PartialEq for Materialized {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for Materialized {}

impl PlannerOptions {
    /// Options with the clock at `now` (nanoseconds since the Unix epoch).
    pub fn at(now: i64) -> Self {
        Self {
            now,
            unpacked: Unpacked::new(),
            values: BTreeMap::new(),
            parameters: BTreeMap::new(),
            externaldata: Arc::default(),
            materialized: BTreeMap::new(),
        }
    }
}

/// The most distinct values a table on the right of `in`, `has_any`, ... is read into the
/// plan as a list; beyond it `in` and `!in` are semi joins and the others an error.
pub const MAX_TABLE_VALUES: usize = 1_000_000;

/// Which table on the right of an operator a list of values answers: where it was written,
/// and a fingerprint of its plan (a function called with other arguments plans another table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValuesKey {
    at: usize,
    plan: u64,
}

impl ValuesKey {
    pub(crate) fn of(span: Span, plan: &LogicalPlan) -> Self {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        plan.hash(&mut h);
        Self { at: span.start, plan: h.finish() }
    }
}

/// Data planning needs before it can finish: run the plan, record the answer in
/// [`PlannerOptions`], and plan again.
#[derive(Debug, Clone)]
pub enum DataRequest {
    /// The bags a `bag_unpack` without an output schema unpacks (one `dynamic` column): their
    /// slots, found with [`SlotTypes`], go in [`PlannerOptions::unpacked`] under `at` (the
    /// `evaluate`'s byte offset).
    Slots {
        /// The `evaluate`'s byte offset in the query text.
        at: usize,
        /// The bags.
        plan: LogicalPlan,
    },
    /// A `materialize(...)` argument: its rows go in [`PlannerOptions::materialized`] under
    /// `key`.
    Materialize {
        /// Which call.
        key: ValuesKey,
        /// Where its argument was written.
        span: Span,
        /// The rows to keep.
        plan: LogicalPlan,
    },
    /// A table on the right of `in`, `has_any`, ... (one column): its distinct values go in
    /// [`PlannerOptions::values`] under `key`.
    Values {
        /// Which table.
        key: ValuesKey,
        /// The values.
        plan: LogicalPlan,
    },
}

/// Plans KQL queries into DataFusion logical plans.
pub struct KqlToRel<'a, P: KqlContextProvider> {
    provider: &'a P,
    options: PlannerOptions,
    /// A question planning could not answer without the data (the slots `bag_unpack` makes
    /// columns of).
    pending: std::cell::RefCell<Option<DataRequest>>,
    /// `set query_bin_auto_size` and `set query_bin_auto_at` of the query, for `bin_auto()`.
    bin_auto: std::cell::RefCell<BinAuto>,
}

/// The query properties `bin_auto()` reads: the bin size and the fixed point.
#[derive(Clone, Debug, Default)]
pub(crate) struct BinAuto {
    pub(crate) size: Option<kql_parser::ast::Expr>,
    pub(crate) at: Option<kql_parser::ast::Expr>,
}

impl<P: KqlContextProvider> std::fmt::Debug for KqlToRel<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KqlToRel").field("options", &self.options).finish_non_exhaustive()
    }
}

impl<'a, P: KqlContextProvider> KqlToRel<'a, P> {
    /// The distinct texts of `text` over `input`, ascending, read in a data round (the rows
    /// `pivot` makes columns of, the values `partition` splits by, the keys of an IP lookup
    /// table). The first time, the request is left pending and the error is a "not supported
    /// yet" naming `what`; `Ok(None)` when there are more than [`MAX_TABLE_VALUES`].
    pub(crate) fn distinct_texts(
        &self,
        input: &LogicalPlan,
        text: DfExpr,
        span: Span,
        what: &str,
    ) -> Result<Option<Vec<String>>> {
        let plan = datafusion::logical_expr::LogicalPlanBuilder::from(input.clone())
            .project(vec![text.alias("value")])
            .and_then(datafusion::logical_expr::LogicalPlanBuilder::build)
            .map_err(tabular::df)?;
        let key = ValuesKey::of(span, &plan);
        match self.options.values.get(&key) {
            Some(Some(values)) => {
                let mut texts: Vec<String> = values.iter().map(expr::scalar_text).collect();
                texts.sort();
                texts.dedup();
                Ok(Some(texts))
            }
            Some(None) => Ok(None),
            None => {
                *self.pending.borrow_mut() = Some(DataRequest::Values { key, plan });
                Err(KqlError::not_supported(span, format!("{what} here (read from the data first)")))
            }
        }
    }

    /// A planner over `provider`.
    pub fn new(provider: &'a P, options: PlannerOptions) -> Self {
        Self { provider, options, pending: std::cell::RefCell::new(None), bin_auto: Default::default() }
    }

    /// After planning failed because it needs data (`bag_unpack` without an output schema, a
    /// table on the right of `in`), the plan whose results answer it (see [`DataRequest`]).
    pub fn take_data_request(&self) -> Option<DataRequest> {
        self.pending.take()
    }

    /// Plans every result statement of `query` (a batch has several), in order.
    ///
    /// # Errors
    /// A located [`KqlError`] for unknown names, type errors and unsupported constructs.
    pub fn plan_query(&self, query: &kql_parser::ast::Query) -> Result<Vec<LogicalPlan>> {
        Ok(self.query(query)?.into_iter().map(|(p, _, _)| p).collect())
    }

    /// [`Self::plan_query`], with each result's visualization when it ends with `render`.
    ///
    /// # Errors
    /// As [`Self::plan_query`].
    pub fn plan_query_with_visualizations(
        &self,
        query: &kql_parser::ast::Query,
    ) -> Result<Vec<(LogicalPlan, Option<crate::render::Visualization>)>> {
        Ok(self.query(query)?.into_iter().map(|(p, v, _)| (p, v)).collect())
    }

    /// [`Self::plan_query_with_visualizations`], with each result's name (a `fork` leg's
    /// `name = (...)` or final `as name`).
    ///
    /// # Errors
    /// As [`Self::plan_query`].
    pub fn plan_query_results(&self, query: &kql_parser::ast::Query) -> Result<Vec<PlannedResult>> {
        Ok(self
            .query(query)?
            .into_iter()
            .map(|(plan, visualization, name)| PlannedResult { plan, visualization, name })
            .collect())
    }
}

/// One result of a query, planned.
#[derive(Debug, Clone)]
pub struct PlannedResult {
    /// Its plan.
    pub plan: LogicalPlan,
    /// Its `render`, if any.
    pub visualization: Option<crate::render::Visualization>,
    /// Its name, if the query gives one (a `fork` leg's).
    pub name: Option<String>,
}

/// An unqualified column reference by its exact (case-sensitive) name. Never parsed: a name
/// with dots or upper case stays as written.
pub(crate) fn col(name: &str) -> DfExpr {
    DfExpr::Column(Column::new_unqualified(name))
}

/// The column names of a schema, in order.
pub(crate) fn column_names(schema: &DFSchema) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

/// The column of `schema` called `name` (exact match), as a qualified reference.
pub(crate) fn find_column(schema: &DFSchema, name: &str) -> Option<DfExpr> {
    schema.iter().find(|(_, f)| f.name() == name).map(|(q, f)| DfExpr::Column(Column::new(q.cloned(), f.name())))
}

/// "unknown column" with the closest names suggested.
pub(crate) fn unknown_column(span: Span, name: &str, schema: &DFSchema, extra: &[&str]) -> KqlError {
    let cols = column_names(schema);
    let candidates: BTreeSet<&str> = cols.iter().map(String::as_str).chain(extra.iter().copied()).collect();
    let suggestions = closest_names(name, candidates);
    let err = KqlError::plan(span, format!("unknown column or name `{name}`"));
    match did_you_mean(&suggestions) {
        Some(help) => err.with_help(help),
        None => err,
    }
}

/// The text of a string literal value (any string layout), for the function kernels.
pub(crate) fn string_of_scalar(v: &datafusion::common::ScalarValue) -> Option<&str> {
    expr::string_of(v)
}

/// The calls in `query` of functions the engine does not know or does not run, each a located
/// error ("unknown function" with the closest names, "not supported yet", or why a service
/// function has no meaning over a lake). Needs no tables: `kql check` uses it without a lake.
pub fn check_function_names(query: &kql_parser::ast::Query) -> Vec<KqlError> {
    catalog::check_function_names(query)
}

/// A located error unless `n` arguments fit `lo..=hi` (every function's arity check).
pub(crate) fn check_arity(fname: &str, span: Span, n: usize, lo: usize, hi: usize) -> Result<()> {
    if (lo..=hi).contains(&n) {
        return Ok(());
    }
    let want = if lo == hi { lo.to_string() } else { format!("{lo} to {hi}") };
    Err(KqlError::plan(span, format!("`{fname}` takes {want} argument(s), got {n}")))
}
