//! The RMM rule catalog as the generator understands it: each rule's table, filter and group
//! keys, read once from the rule files by an independent script (`data/extract_rules.py`) and
//! embedded here, so ground truth never depends on the engine under test.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::schema::Table;

/// A rule's filter, as a small tree (the shapes the RMM rules use).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicate {
    /// All must hold.
    And(Vec<Self>),
    /// Any must hold.
    Or(Vec<Self>),
    /// `column has 'x'` / `column has_any ('x', 'y')` (case-insensitive term match).
    Has {
        /// The column tested.
        column: String,
        /// The needles; one is enough.
        needles: Vec<String>,
    },
    /// `column startswith 'x'` (case-insensitive).
    Startswith {
        /// The column tested.
        column: String,
        /// The prefix.
        prefix: String,
    },
    /// `column =~ 'x'` (case-insensitive equality).
    EqualsCi {
        /// The column tested.
        column: String,
        /// The value.
        value: String,
    },
    /// `isempty(column)`.
    Isempty(String),
}

impl Predicate {
    /// Every column the predicate reads.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out
    }

    fn collect_columns<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Self::And(ps) | Self::Or(ps) => ps.iter().for_each(|p| p.collect_columns(out)),
            Self::Has { column, .. } | Self::Startswith { column, .. } | Self::EqualsCi { column, .. } => {
                out.push(column)
            }
            Self::Isempty(column) => out.push(column),
        }
    }
}

/// One rule file of the catalog (or a seed rule).
#[derive(Clone, Debug, Deserialize)]
pub struct RuleProfile {
    /// Where the rule lives, relative to `../shared` (`seeds/…`) or `../shared/corpus`
    /// (`rmm-tools/rules/…`, `sentinel-rmm/…`).
    pub file: String,
    /// The rule's `id`.
    pub id: String,
    /// The rule's `name`.
    pub name: String,
    /// The remote-management tool it hunts (`Atera`), when the file names one.
    pub tool: Option<String>,
    /// `filesig`, `createproc` or `netconn`.
    pub kind: Option<String>,
    /// The table queried.
    pub table: Option<String>,
    /// The filter after the time window, when the rule is readable.
    pub predicate: Option<Predicate>,
    /// The `summarize ... by` keys.
    pub by: Option<Vec<String>>,
    /// Why the rule cannot run as published (a syntax error, an unknown column), if so.
    pub broken: Option<String>,
}

impl RuleProfile {
    /// The table, when the rule names a known one.
    pub fn table(&self) -> Option<Table> {
        self.table.as_deref().and_then(|t| t.parse().ok())
    }
}

#[derive(Deserialize)]
struct Catalog {
    rules: Vec<RuleProfile>,
    domains: BTreeMap<String, Vec<String>>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // The file is part of this crate and checked by its tests; failing here is a build defect.
    serde_json::from_str(include_str!("../data/rmm_rules.json")).expect("data/rmm_rules.json is valid")
});

/// Every rule of the seeds and both corpora, in file order.
pub fn rules() -> &'static [RuleProfile] {
    &CATALOG.rules
}

/// Network indicators per tool, from `RMM_SummaryNetworkURI.csv`.
pub fn tool_domains() -> &'static BTreeMap<String, Vec<String>> {
    &CATALOG.domains
}

/// The length of every rule's time window (`now(-5d) .. now()`).
pub const RULE_WINDOW_SECONDS: i64 = 5 * 24 * 3600;
