//! `render` (render-operator.md): how a result should be drawn. The engine returns the data
//! and, beside it, a [`Visualization`] with Kusto's properties (what Kusto puts in the result's
//! `@ExtendedProperties`); drawing is the client's business (the `kql` CLI draws SVG charts).

use std::collections::BTreeMap;

use datafusion::common::DFSchema;
use kql_parser::ast::{Literal, Render, RenderValue};

use crate::error::{KqlError, Result};

/// The visualizations `render` names (render-operator.md).
pub const KINDS: &[&str] = &[
    "anomalychart",
    "areachart",
    "barchart",
    "card",
    "columnchart",
    "ladderchart",
    "linechart",
    "piechart",
    "pivotchart",
    "scatterchart",
    "stackedareachart",
    "table",
    "timechart",
    "timepivot",
    "treemap",
    "3Dchart",
    "graph",
    "plotly",
    "sankey",
];

/// The properties `with (...)` may set, with Kusto's names for them in the visualization JSON.
const PROPERTIES: &[(&str, &str)] = &[
    ("accumulate", "Accumulate"),
    ("anomalycolumns", "AnomalyColumns"),
    ("kind", "Kind"),
    ("legend", "Legend"),
    ("series", "Series"),
    ("title", "Title"),
    ("xaxis", "XAxis"),
    ("xcolumn", "XColumn"),
    ("xmax", "Xmax"),
    ("xmin", "Xmin"),
    ("xtitle", "XTitle"),
    ("yaxis", "YAxis"),
    ("ycolumns", "YColumns"),
    ("ymax", "Ymax"),
    ("ymin", "Ymin"),
    ("ysplit", "YSplit"),
    ("ytitle", "YTitle"),
];

/// Properties whose values name columns of the result.
const COLUMN_PROPERTIES: &[&str] = &["xcolumn", "ycolumns", "series", "anomalycolumns"];

/// A `render` of a result: its visualization and properties.
#[derive(Clone, Debug, PartialEq)]
pub struct Visualization {
    /// `timechart`, `barchart`, ...
    pub kind: String,
    /// The `with (...)` properties by their KQL names (`title`, `ycolumns`, ...): text, numbers
    /// and booleans as JSON values, name lists as arrays of strings.
    pub properties: BTreeMap<String, serde_json::Value>,
}

impl Visualization {
    /// A property's text (`title`, `xcolumn`, `kind`, ...).
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.properties.get(name)? {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Array(items) => items.first()?.as_str(),
            _ => None,
        }
    }

    /// A property's list of names (`ycolumns`, `series`, ...).
    pub fn names(&self, name: &str) -> Vec<String> {
        match self.properties.get(name) {
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
            }
            Some(serde_json::Value::String(s)) => s.split(',').map(|p| p.trim().to_owned()).collect(),
            _ => Vec::new(),
        }
    }

    /// The visualization as Kusto describes it in a result's `@ExtendedProperties`:
    /// `{"Visualization":"timechart","Title":null,...}`.
    pub fn to_kusto_json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        out.insert("Visualization".into(), serde_json::Value::String(self.kind.clone()));
        for (kql, kusto) in PROPERTIES {
            let value = match self.properties.get(*kql) {
                None if *kql == "accumulate" => serde_json::Value::Bool(false),
                None if matches!(*kql, "ymin" | "ymax") => serde_json::Value::String("NaN".into()),
                None => serde_json::Value::Null,
                Some(serde_json::Value::Array(items)) => {
                    serde_json::Value::String(items.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(","))
                }
                Some(v) => v.clone(),
            };
            out.insert((*kusto).to_owned(), value);
        }
        out.insert("IsQuerySorted".into(), serde_json::Value::Bool(false));
        serde_json::Value::Object(out)
    }
}

/// The visualization of `render`, its column names checked against the result's columns.
///
/// # Errors
/// An unknown visualization or property, or a column the result does not have.
pub fn visualization(r: &Render, schema: &DFSchema) -> Result<Visualization> {
    let kind = KINDS.iter().find(|k| k.eq_ignore_ascii_case(&r.kind.name)).ok_or_else(|| {
        KqlError::plan(
            r.kind.span,
            format!("unknown visualization `{}`; render takes {}", r.kind.name, KINDS.join(", ")),
        )
    })?;
    let mut properties = BTreeMap::new();
    for p in &r.properties {
        let name = p.name.name.to_ascii_lowercase();
        if !PROPERTIES.iter().any(|(k, _)| *k == name) {
            let names: Vec<&str> = PROPERTIES.iter().map(|(k, _)| *k).collect();
            return Err(KqlError::plan(
                p.name.span,
                format!("unknown render property `{}`; properties: {}", p.name.name, names.join(", ")),
            ));
        }
        let value = match &p.value {
            RenderValue::Names(names) => {
                if COLUMN_PROPERTIES.contains(&name.as_str()) {
                    for n in names {
                        if schema.field_with_unqualified_name(&n.name).is_err() {
                            return Err(crate::planner::unknown_column(n.span, &n.name, schema, &[]));
                        }
                    }
                }
                if names.len() == 1 && !matches!(name.as_str(), "ycolumns" | "series" | "anomalycolumns") {
                    serde_json::Value::String(names[0].name.clone())
                } else {
                    serde_json::Value::Array(names.iter().map(|n| serde_json::Value::String(n.name.clone())).collect())
                }
            }
            RenderValue::Literal(Literal::String(s)) => serde_json::Value::String(s.clone()),
            RenderValue::Literal(Literal::Bool(b)) => serde_json::Value::Bool(*b),
            RenderValue::Literal(Literal::Long(v)) => serde_json::Value::from(*v),
            RenderValue::Literal(Literal::Int(v)) => serde_json::Value::from(*v),
            RenderValue::Literal(Literal::Real(v)) => serde_json::Value::from(v.0),
            RenderValue::Literal(other) => serde_json::Value::String(other.to_string()),
        };
        properties.insert(name, value);
    }
    Ok(Visualization { kind: (*kind).to_owned(), properties })
}
