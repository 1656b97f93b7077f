//! The ground truth: for every rule, the exact rows its hunt must return, computed by the
//! generator's own evaluator over what it planted (the background never matches a rule, which
//! the tests prove), never by the engine under test.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::oracle;
use crate::plant::PlantedRow;
use crate::rules::{RULE_WINDOW_SECONDS, RuleProfile};
use crate::schema::Table;
use crate::time::{NANOS_PER_SECOND, format_rfc3339};

/// What a rule's hunt returns over the generated lake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// At least one result row.
    Hits,
    /// No result rows.
    NoHits,
    /// The rule cannot run as published (`reason` says why); the engine must report an error.
    Broken,
}

/// One expected result row: the group keys and the four aggregates of the RMM rules
/// (`FirstSeen=min(Timestamp), LastSeen=max(Timestamp), Report=make_set(ReportId), Count=count()`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedRow {
    /// The `by` columns and their values (a null string is `""`, as in Kusto).
    pub keys: BTreeMap<String, String>,
    /// `min(Timestamp)`, RFC 3339.
    #[serde(rename = "FirstSeen")]
    pub first_seen: String,
    /// `max(Timestamp)`, RFC 3339.
    #[serde(rename = "LastSeen")]
    pub last_seen: String,
    /// `make_set(ReportId)`, sorted (the set's order is undefined in Kusto).
    #[serde(rename = "Report")]
    pub report: Vec<i64>,
    /// `count()`.
    #[serde(rename = "Count")]
    pub count: u64,
}

/// The expectation for one rule file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleExpectation {
    /// The rule file, relative to `../shared` (seeds) or `../shared/corpus`.
    pub file: String,
    /// The rule `id`.
    pub id: String,
    /// The rule `name`.
    pub name: String,
    /// The table it queries.
    pub table: Option<String>,
    /// Hits, no hits, or broken.
    pub status: Status,
    /// Why a broken rule cannot run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The group keys, in order.
    #[serde(default)]
    pub by: Vec<String>,
    /// The expected rows, sorted by their keys.
    #[serde(default)]
    pub rows: Vec<ExpectedRow>,
}

/// The generator settings a manifest was made with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorInfo {
    /// Random seed.
    pub seed: u64,
    /// Pin `now()` to this time to reproduce the expectations (RFC 3339).
    pub now: String,
    /// Background rows per table.
    pub rows: BTreeMap<String, u64>,
    /// Planted rows per table.
    pub planted: BTreeMap<String, u64>,
    /// Devices in the estate.
    pub devices: usize,
    /// How far back the background reaches, in seconds.
    pub window_seconds: i64,
}

/// The ground truth written beside a generated lake (`manifest.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// How the data was generated.
    pub generator: GeneratorInfo,
    /// The rules' time window: `[now - 5d, now]`, both ends included.
    pub rule_window: [String; 2],
    /// One entry per rule file of the seeds and both corpora.
    pub rules: Vec<RuleExpectation>,
}

impl Manifest {
    /// The expectation for a rule file (`sentinel-rmm/rmm_Atera_netconn.yaml`).
    pub fn rule(&self, file: &str) -> Option<&RuleExpectation> {
        self.rules.iter().find(|r| r.file == file)
    }
}

/// Evaluates `rule` over the planted rows of its table.
pub(crate) fn expect(rule: &RuleProfile, planted: &BTreeMap<Table, Vec<PlantedRow>>, now: i64) -> RuleExpectation {
    let mut out = RuleExpectation {
        file: rule.file.clone(),
        id: rule.id.clone(),
        name: rule.name.clone(),
        table: rule.table.clone(),
        status: Status::Broken,
        reason: rule.broken.clone(),
        by: rule.by.clone().unwrap_or_default(),
        rows: Vec::new(),
    };
    let (Some(table), Some(predicate), None) = (rule.table(), rule.predicate.as_ref(), rule.broken.as_ref()) else {
        if out.reason.is_none() {
            out.reason = Some("the rule could not be read".into());
        }
        return out;
    };
    let start = now - RULE_WINDOW_SECONDS * NANOS_PER_SECOND;
    let mut groups: BTreeMap<Vec<String>, (i64, i64, BTreeSet<i64>, u64)> = BTreeMap::new();
    for row in planted.get(&table).map_or(&[][..], Vec::as_slice) {
        if row.time < start || row.time > now || !oracle::eval(predicate, &|c| row.string(c)) {
            continue;
        }
        let key: Vec<String> = out.by.iter().map(|c| row.string(c).unwrap_or("").to_owned()).collect();
        let g = groups.entry(key).or_insert((i64::MAX, i64::MIN, BTreeSet::new(), 0));
        g.0 = g.0.min(row.time);
        g.1 = g.1.max(row.time);
        g.2.insert(row.report_id);
        g.3 += 1;
    }
    out.status = if groups.is_empty() { Status::NoHits } else { Status::Hits };
    out.rows = groups
        .into_iter()
        .map(|(key, (first, last, reports, count))| ExpectedRow {
            keys: out.by.iter().cloned().zip(key).collect(),
            first_seen: format_rfc3339(first),
            last_seen: format_rfc3339(last),
            report: reports.into_iter().collect(),
            count,
        })
        .collect();
    out
}
