//! The rule model: a Sentinel hunting or analytic rule as written in its YAML file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

/// One hunting or analytic rule.
///
/// The fields Sentinel defines for hunting queries are typed; every other field of the file
/// (`severity`, `queryFrequency`, `entityMappings`, `version`, ...) is kept, untouched, in
/// [`Rule::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The rule's GUID. The same rule may appear in several catalogs under the same id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// What the rule looks for (free text, often with links).
    #[serde(default)]
    pub description: String,
    /// The connectors and the tables (`dataTypes`) the rule reads.
    #[serde(default)]
    pub required_data_connectors: Vec<DataConnector>,
    /// MITRE ATT&CK tactics (a single name or a list in the file).
    #[serde(default, deserialize_with = "one_or_many")]
    pub tactics: Vec<String>,
    /// MITRE ATT&CK technique ids such as `T1219` (a single id or a list in the file).
    #[serde(default, deserialize_with = "one_or_many")]
    pub relevant_techniques: Vec<String>,
    /// The KQL text, exactly as in the file.
    pub query: String,
    /// Every other field of the file, kept as it was.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Where the rule came from.
    #[serde(skip)]
    pub source: RuleSource,
    /// The line of the file on which the query's first line sits (1-based), so that a location
    /// in the query can be reported as a location in the file (`None` unless the query is a
    /// block scalar, `query: |`, as in every Sentinel rule).
    #[serde(skip)]
    pub query_line: Option<usize>,
    /// The indentation of the query's lines in the file (a block scalar's indentation, which
    /// YAML removes from the text), to turn a column of the query into a column of the file.
    #[serde(skip)]
    pub query_indent: usize,
    /// Repairs made to read a file that is not valid YAML (see [`crate::load`]); empty when the
    /// file was valid.
    #[serde(skip)]
    pub repairs: Vec<Repair>,
}

/// A connector entry of `requiredDataConnectors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataConnector {
    /// The Sentinel connector, e.g. `MicrosoftThreatProtection`.
    #[serde(default)]
    pub connector_id: String,
    /// The tables the rule needs from that connector.
    #[serde(default)]
    pub data_types: Vec<String>,
}

/// Where a rule was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleSource {
    /// A rule of the built-in catalog, by its file name.
    Builtin(&'static str),
    /// A file on disk.
    File(PathBuf),
    /// Text handed to [`crate::Catalog::from_yaml`] (or a rule built in code).
    #[default]
    Inline,
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(name) => write!(f, "builtin:{name}"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Inline => f.write_str("<inline>"),
        }
    }
}

/// A change made to a file that is not valid YAML so that it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The line of the file that was changed (1-based).
    pub line: usize,
    /// What was changed, in words.
    pub message: String,
}

impl Rule {
    /// The tables named by `requiredDataConnectors[].dataTypes`, in order, without repeats.
    pub fn tables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in self.required_data_connectors.iter().flat_map(|c| &c.data_types) {
            if !out.contains(&t.as_str()) {
                out.push(t);
            }
        }
        out
    }

    /// The line and column in the rule's file (both 1-based) of a line and column of its query.
    pub fn file_position(&self, query_line: usize, query_column: usize) -> Option<(usize, usize)> {
        let first = self.query_line?;
        Some((first + query_line.saturating_sub(1), query_column + self.query_indent))
    }

    /// A label for messages: the file (or built-in name) and the rule name.
    pub fn label(&self) -> String {
        format!("{} ({})", self.source, self.name)
    }
}

/// `tactics: CommandAndControl` and `tactics: [CommandAndControl, Persistence]` both read as a list.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
        Nothing(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        OneOrMany::Many(v) => v,
        OneOrMany::Nothing(()) => Vec::new(),
    })
}
