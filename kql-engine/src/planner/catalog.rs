//! The catalogue of Kusto's function names (from `Kusto.Language`'s `Functions.cs` and
//! `Aggregates.cs`, and the functions the Defender and Sentinel services add) that the engine
//! does not run, so that each gets the right error: a Kusto function we have not built yet is a
//! located "not supported yet"; a function of the service (it reads the service's own data) says
//! why it has no meaning over a lake; any other name is unknown, with the closest known names.

use kql_parser::ast::Ident;

use crate::error::KqlError;

/// Scalar functions handled by the planner's own arms (`calls.rs`, `expr.rs`), outside the
/// registries.
pub(crate) const PLANNER_FUNCTIONS: &[&str] = &[
    "now",
    "ago",
    "bin",
    "floor",
    "tostring",
    "toguid",
    "parse_json",
    "todynamic",
    "parsejson",
    "toobject",
    "tolower",
    "toupper",
    "strcat",
    "strlen",
    "substring",
    "extract",
    "iff",
    "iif",
    "case",
    "isempty",
    "isnotempty",
    "notempty",
    "isnull",
    "isnotnull",
    "notnull",
    "not",
    "coalesce",
    "toint",
    "tolong",
    "toreal",
    "todouble",
    "tobool",
    "toboolean",
    "todatetime",
    "totimespan",
    "totime",
    "todecimal",
    "abs",
    "sqrt",
    "exp",
    "log",
    "log10",
    "log2",
    "ceiling",
    "sign",
    "round",
    "pow",
    "min_of",
    "max_of",
    "trim",
    "trim_start",
    "trim_end",
    "replace_string",
    "split",
    "pack_all",
    "bag_pack_columns",
    "extract_json",
    "extractjson",
    "getyear",
    "getmonth",
    "dayofmonth",
    "hourofday",
    "dayofyear",
    "datetime_diff",
    "toscalar",
    "ingestion_time",
    "column_ifexists",
    "columnifexists",
    "iscolumnexists",
    "bin_auto",
    "bin_at",
    "around",
    "assert",
];

/// Functions that return a table, planned where a table is expected (`tabular.rs`).
pub(crate) const TABULAR_FUNCTIONS: &[&str] = &["materialize", "table"];

/// Kusto functions the engine does not run yet.
const NOT_YET: &[&str] = &[
    "datetime_to_locale_string",
    "hash_combine",
    "hash_many",
    "series_periods_detect",
    "series_periods_validate",
    "geo_intersection_2lines",
    "geo_intersection_line_with_polygon",
    "geo_intersection_2polygons",
    "geo_union_polygons_array",
    "geo_union_lines_array",
    "geo_polygon_simplify",
    "geo_simplify_polygons_array",
    "geo_line_simplify",
    "geo_point_buffer",
    "geo_line_buffer",
    "geo_polygon_buffer",
];

/// Functions of the Kusto cluster or of the Defender / Sentinel services: they read what only
/// the service has.
const SERVICE: &[(&str, &str)] = &[
    ("cluster", "reads another Kusto cluster"),
    ("database", "reads a database of a Kusto cluster"),
    ("external_table", "reads an external table of a Kusto cluster"),
    ("materialized_view", "reads a materialized view of a Kusto cluster"),
    ("stored_query_result", "reads a stored query result of a Kusto cluster"),
    ("current_cluster_endpoint", "names the Kusto cluster that runs the query"),
    ("current_database", "names the Kusto database of the query"),
    ("current_principal", "names the signed-in principal of a Kusto cluster"),
    ("current_principal_details", "describes the signed-in principal of a Kusto cluster"),
    ("current_principal_is_member_of", "checks the signed-in principal's groups on a Kusto cluster"),
    ("current_node_id", "names a node of a Kusto cluster"),
    ("extent_id", "reads the storage extents of a Kusto table"),
    ("extentid", "reads the storage extents of a Kusto table"),
    ("extent_tags", "reads the storage extents of a Kusto table"),
    ("cursor_after", "reads the ingestion cursors of a Kusto database"),
    ("cursor_before_or_at", "reads the ingestion cursors of a Kusto database"),
    ("cursor_current", "reads the ingestion cursors of a Kusto database"),
    ("current_cursor", "reads the ingestion cursors of a Kusto database"),
    ("estimate_data_size", "measures data as a Kusto cluster stores it"),
    ("rowstore_ordinal_range", "reads a Kusto cluster's row store"),
    ("FileProfile", "looks files up in Microsoft Defender's global file intelligence"),
    ("DeviceFromIP", "looks devices up in Microsoft Defender's network inventory"),
    ("AssignedIPAddresses", "looks addresses up in Microsoft Defender's device inventory"),
    ("SeenBy", "looks devices up in Microsoft Defender's network discovery"),
    ("geo_info_from_ip_address", "needs the service's IP geolocation database"),
];

/// Aggregations Kusto has that `summarize` does not run yet.
pub(crate) const AGGREGATES_NOT_YET: &[&str] = &[];

/// Every function name the engine knows (runs, or names in an error).
pub(crate) fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = PLANNER_FUNCTIONS.to_vec();
    for d in crate::functions::scalar::registry().filter(|d| !d.internal) {
        names.push(d.name);
        names.extend(d.aliases.iter().copied());
    }
    for d in crate::functions::dynamic::rowwise::REGISTRY {
        names.push(d.name);
        names.extend(d.aliases.iter().copied());
    }
    names.extend(super::calls::AGGREGATES.iter().copied());
    names.extend(NOT_YET.iter().copied());
    names.extend(TABULAR_FUNCTIONS.iter().copied());
    names.extend(super::rows::ROW_FUNCTIONS.iter().copied());
    names.extend(super::tuples::tuple_names());
    names.extend(AGGREGATES_NOT_YET.iter().copied());
    names.extend(SERVICE.iter().map(|(n, _)| *n));
    names.sort_unstable();
    names.dedup();
    names
}

/// The error for a call of a name no planner arm or registry runs.
pub(crate) fn unsupported(name: &Ident) -> KqlError {
    let n = name.name.as_str();
    if let Some((_, why)) = SERVICE.iter().find(|(s, _)| *s == n) {
        return KqlError::plan(
            name.span,
            format!(
                "`{n}()` is a function of the Kusto or Defender service: it {why}, which a local lake does not have"
            ),
        );
    }
    if let Some(twin) = super::tuples::tuple_twin(n) {
        return KqlError::plan(
            name.span,
            format!(
                "`{n}()` returns several columns: use it alone in `extend` or `project` (`extend (a, b) = {n}(...)`), \
                 or `{twin}()` for one bag"
            ),
        );
    }
    if super::tuples::is_tuple_function(n) {
        return KqlError::plan(
            name.span,
            format!(
                "`{n}()` returns several columns: use it alone in `extend` or `project` (`extend (a, b) = {n}(...)`)"
            ),
        );
    }
    if NOT_YET.contains(&n) || AGGREGATES_NOT_YET.contains(&n) {
        return KqlError::not_supported(name.span, format!("the function `{n}()`"));
    }
    let err = KqlError::plan(name.span, format!("unknown function `{n}()`"));
    match super::library::suggest(n) {
        Some(help) => err.with_help(help),
        None => err,
    }
}

/// The calls of functions the engine does not know or run, found without planning (so without
/// tables): names bound by `let` anywhere in the query are user functions and pass.
pub(crate) fn check_function_names(query: &kql_parser::ast::Query) -> Vec<KqlError> {
    use kql_parser::ast::visit::{Visitor, walk_query};
    use kql_parser::ast::{ExprKind, LetValue, Statement};

    fn lets(statements: &[Statement], out: &mut std::collections::HashSet<String>) {
        for s in statements {
            if let Statement::Let(l) = s {
                out.insert(l.name.name.clone());
                if let LetValue::Function(f) = &l.value {
                    lets(&f.body, out);
                }
            }
        }
    }
    struct Calls(Vec<Ident>);
    impl Visitor for Calls {
        fn visit_expr(&mut self, e: &kql_parser::ast::Expr) {
            if let ExprKind::Call { name, .. } = &e.kind {
                self.0.push(name.clone());
            }
        }
        fn visit_operator(&mut self, op: &kql_parser::ast::Operator) {
            if let kql_parser::ast::OperatorKind::Invoke(i) = &op.kind {
                self.0.push(i.function.clone());
            }
        }
    }
    let mut bound = std::collections::HashSet::new();
    lets(&query.statements, &mut bound);
    let mut calls = Calls(Vec::new());
    walk_query(&mut calls, query);
    let runs = |n: &str| {
        PLANNER_FUNCTIONS.contains(&n)
            || crate::functions::scalar::lookup(n).is_some()
            || crate::functions::dynamic::rowwise::lookup(n).is_some()
            || super::calls::AGGREGATES.contains(&n)
            || TABULAR_FUNCTIONS.contains(&n)
            || super::rows::ROW_FUNCTIONS.contains(&n)
            || super::tuples::is_tuple_function(n)
    };
    calls.0.iter().filter(|c| !bound.contains(&c.name) && !runs(&c.name)).map(unsupported).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_do_not_overlap_what_runs() {
        for n in NOT_YET.iter().chain(AGGREGATES_NOT_YET).chain(SERVICE.iter().map(|(n, _)| n)) {
            assert!(crate::functions::scalar::lookup(n).is_none(), "{n} runs but is listed as not running");
            assert!(crate::functions::dynamic::rowwise::lookup(n).is_none(), "{n} runs but is listed");
            assert!(!PLANNER_FUNCTIONS.contains(n), "{n} is planned but listed as not running");
            assert!(!super::super::rows::ROW_FUNCTIONS.contains(n), "{n} is planned but listed as not running");
        }
    }
}
