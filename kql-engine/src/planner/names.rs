//! Kusto's default column names (spec §9.2, from KL `Binder_Projection.cs` and measured on the
//! emulator): a bare column keeps its name, a few functions pass their first argument's name
//! through, aggregates are `prefix_argument`, everything else is `Column1`, `Column2`, ...
//! numbered among the unnamed columns only; a repeated name gets `1`, `2`, ... appended.

use std::collections::HashSet;

use kql_parser::ast::{Arg, Expr, ExprKind};

/// Functions whose result is named after their first argument (`tostring(x)` → `x`), from
/// `Kusto.Language`'s `ResultNameKind.FirstArgument` (and `OnlyArgument`, one argument given).
const FIRST_ARGUMENT: &[&str] = &[
    "tostring",
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
    "toguid",
    "tohex",
    "todynamic",
    "parse_json",
    "parsejson",
    "toobject",
    "parse_csv",
    "parse_xml",
    "split",
    "bin",
    "floor",
    "round",
    "bin_at",
    "bin_auto",
    "ceiling",
    "abs",
    "pow",
    "sqrt",
    "log",
    "log2",
    "log10",
    "exp",
    "exp2",
    "exp10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "gamma",
    "loggamma",
    "rand",
    "binary_and",
    "binary_or",
    "binary_xor",
    "binary_not",
    "binary_shift_left",
    "binary_shift_right",
    "bitset_count_ones",
    "format_datetime",
    "format_timespan",
    "format_bytes",
    "startofday",
    "series_fir",
    "series_iir",
    "series_outliers",
    "series_fill_backward",
    "series_fill_forward",
    "series_fill_const",
    "series_fill_linear",
];

/// Functions named `<name>_<first argument>` (`strlen(Name)` → `strlen_Name`; KL
/// `ResultNameKind.NameAndFirstArgument`), or `<prefix>_<first argument>`.
const NAME_AND_FIRST_ARGUMENT: &[(&str, &str)] = &[
    ("strlen", "strlen"),
    ("string_size", "string_size"),
    ("dcount_hll", "dcount_hll"),
    ("percentile_tdigest", "percentile_tdigest"),
    ("percentiles_array_tdigest", "percentile_tdigest"),
    ("gettype", "type"),
    ("treepath", "tree"),
    ("repeat", "repeat"),
];

/// Functions whose result has a fixed name (KL `ResultNameKind.PrefixOnly`).
const FIXED_NAME: &[(&str, &str)] = &[
    ("hll_merge", "hll_merged_result"),
    ("tdigest_merge", "tdigests_merge_result"),
    ("merge_tdigest", "tdigests_merge_result"),
    ("ingestion_time", "$IngestionTime"),
];

/// Functions named after their argument only when they have exactly one (KL `OnlyArgument`).
const ONLY_ARGUMENT: &[&str] = &["make_datetime", "make_timespan"];

/// The name an unnamed expression passes through, if any. Member access joins the names with
/// `_` (`parse_json(AdditionalFields).Command` is `AdditionalFields_Command`, `d['a'][0]` is
/// `d_a_0`; KL `Binder_Projection.cs`, `GetExpressionResultName`).
pub(crate) fn passthrough(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Call { name, args } if FIRST_ARGUMENT.contains(&name.name.as_str()) => {
            args.first().and_then(arg_name)
        }
        ExprKind::Call { name, args } if ONLY_ARGUMENT.contains(&name.name.as_str()) && args.len() == 1 => {
            arg_name(&args[0])
        }
        ExprKind::Call { name, args } => {
            let n = name.name.as_str();
            if let Some((_, fixed)) = FIXED_NAME.iter().find(|(f, _)| *f == n) {
                return Some((*fixed).to_owned());
            }
            let (_, prefix) = NAME_AND_FIRST_ARGUMENT.iter().find(|(f, _)| *f == n)?;
            let first = args.first().and_then(arg_name)?;
            Some(format!("{prefix}_{first}"))
        }
        // A column the planner made for a call (a graph function's value) names nothing: the
        // call was unnamed.
        ExprKind::Member { member, .. } if member.name.starts_with("__kql_") => None,
        ExprKind::Member { base, member } if !matches!(&base.kind, ExprKind::Name(n) if n.starts_with('$')) => {
            Some(match passthrough(base) {
                Some(left) if !left.trim().is_empty() => format!("{left}_{}", member.name),
                _ => member.name.clone(),
            })
        }
        ExprKind::Index { base, index } => {
            let right = match &index.kind {
                ExprKind::Literal(kql_parser::ast::Literal::String(s)) => s.clone(),
                ExprKind::Literal(kql_parser::ast::Literal::Long(v)) => v.to_string(),
                ExprKind::Literal(kql_parser::ast::Literal::Int(v)) => v.to_string(),
                _ => String::new(),
            };
            Some(match passthrough(base) {
                Some(left) if !left.trim().is_empty() => format!("{left}_{right}"),
                _ => right,
            })
            .filter(|n| !n.is_empty())
        }
        _ => None,
    }
}

/// The name an argument passes through: a built-in function takes `name = value` arguments by
/// position (KL `Signature.AllowsNamedArguments` is false for them) and the name is the
/// argument's result name (`toint(Compliant = dcountif(...))` is `Compliant`).
fn arg_name(a: &Arg) -> Option<String> {
    match &a.name {
        Some(n) => Some(n.name.clone()),
        None => passthrough(&a.value),
    }
}

/// The default name of an unnamed aggregate: `count_`, `sum_x`, `set_x`, `x` for `take_any(x)`.
/// The first-argument chain is followed: `round(sum(y), 2)` is `sum_y`.
pub(crate) fn aggregate_name(e: &Expr) -> Option<String> {
    let ExprKind::Call { name, args } = &e.kind else { return None };
    let first_name = || args.first().and_then(arg_name);
    let prefix = match name.name.as_str() {
        "count" => return Some("count_".into()),
        "countif" => return Some("countif_".into()),
        "take_any" | "take_anyif" | "anyif" | "arg_max" | "arg_min" | "argmax" | "argmin" => {
            return first_name().or_else(|| Some(String::new()));
        }
        "any" => "any",
        "make_set" | "make_set_if" | "makeset" => "set",
        "make_list" | "make_list_if" | "makelist" => "list",
        "make_bag" | "make_bag_if" | "make_dictionary" => "bag",
        "buildschema" => "schema",
        "sum" | "sumif" | "min" | "max" | "avg" | "avgif" | "minif" | "maxif" | "dcount" | "dcountif" | "stdev"
        | "variance" | "stdevif" | "stdevp" | "varianceif" | "variancep" | "count_distinct" | "count_distinctif"
        | "binary_all_and" | "binary_all_or" | "binary_all_xor" | "percentiles_array" | "percentilesw_array"
        | "hll" | "hll_if" | "hll_merge" | "tdigest" | "tdigest_merge" | "merge_tdigest" => name.name.as_str(),
        "covariance" | "covariancep" | "covarianceif" | "covariancepif" | "make_list_with_nulls" => name.name.as_str(),
        "percentile" | "percentilew" => {
            let at = if name.name == "percentilew" { 2 } else { 1 };
            let p = args.get(at).map(|a| percent_suffix(&a.value)).unwrap_or_default();
            return Some(format!("percentile_{}_{p}", first_name().unwrap_or_default()));
        }
        _ => {
            return args.first().and_then(|a| match &a.name {
                Some(n) => Some(n.name.clone()),
                None => aggregate_name(&a.value),
            });
        }
    };
    Some(format!("{prefix}_{}", first_name().unwrap_or_default()))
}

/// A percentile as it appears in a column name: `95`, `99_5` for 99.5.
pub(crate) fn percent_suffix(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(kql_parser::ast::Literal::Int(v)) => v.to_string(),
        ExprKind::Literal(kql_parser::ast::Literal::Long(v)) => v.to_string(),
        ExprKind::Literal(kql_parser::ast::Literal::Real(r)) => {
            crate::functions::tostring::format_real(r.0).replace('.', "_")
        }
        _ => e.to_string().replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
    }
}

/// Hands out column names: explicit ones as given, unnamed ones numbered, repeats suffixed.
#[derive(Debug, Default)]
pub(crate) struct Namer {
    used: HashSet<String>,
    unnamed: usize,
}

impl Namer {
    /// A namer that already has `names` in use (kept columns).
    pub(crate) fn with_used<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Self { used: names.into_iter().map(str::to_owned).collect(), unnamed: 0 }
    }

    /// `ColumnN`, the next unnamed column.
    pub(crate) fn next_unnamed(&mut self) -> String {
        loop {
            self.unnamed += 1;
            let name = format!("Column{}", self.unnamed);
            if !self.used.contains(&name) {
                self.used.insert(name.clone());
                return name;
            }
        }
    }

    /// `name`, or `name1`, `name2`, ... if taken.
    pub(crate) fn unique(&mut self, name: &str) -> String {
        if self.used.insert(name.to_owned()) {
            return name.to_owned();
        }
        (1..)
            .map(|i| format!("{name}{i}"))
            .find(|candidate| self.used.insert(candidate.clone()))
            .unwrap_or_else(|| name.to_owned())
    }
}
