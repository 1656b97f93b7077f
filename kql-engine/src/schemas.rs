//! Documented table schemas: the published column names and KQL types of the Defender XDR and
//! Sentinel tables (one JSON file per table, `{"name", "sources", "columns": [[name, type],
//! ...]}`, as in `../shared/schema/tables/`).
//!
//! A context that knows them reads a lake's string column as `dynamic` where the documented
//! type says so (`AdditionalFields` on `DeviceEvents`), and can plan a query against the
//! documented tables with no lake at all ([`crate::KqlContext::register_documented_tables`]),
//! the way Sentinel validates queries. Tables not in the catalog keep their Parquet types.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use kql_parser::ast::ScalarType;

use crate::error::{KqlError, Result};
use crate::planner::KqlType;

/// The documented tables, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentedSchemas {
    tables: BTreeMap<String, Vec<(String, ScalarType)>>,
}

impl DocumentedSchemas {
    /// Reads every `*.json` table file of a folder (other files, such as a README, are
    /// skipped).
    ///
    /// # Errors
    /// When the folder cannot be read, or a file is not a table schema (the file and the problem
    /// are named).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let entries = std::fs::read_dir(dir).map_err(|e| KqlError::Lake(format!("{}: {e}", dir.display())))?;
        let mut paths: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        paths.sort();
        if paths.is_empty() {
            return Err(KqlError::Lake(format!("{}: no table schema files (*.json) in this folder", dir.display())));
        }
        let mut out = Self::default();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| KqlError::Lake(format!("{}: {e}", p.display())))?;
            let (name, columns) = parse_table(&text).map_err(|e| KqlError::Lake(format!("{}: {e}", p.display())))?;
            out.tables.insert(name, columns);
        }
        Ok(out)
    }

    /// One table from its JSON text.
    ///
    /// # Errors
    /// When the text is not a table schema.
    pub fn add_json(&mut self, text: &str) -> Result<()> {
        let (name, columns) = parse_table(text).map_err(KqlError::Lake)?;
        self.tables.insert(name, columns);
        Ok(())
    }

    /// The documented tables' names, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// A table's documented columns and types, in documented order.
    pub fn columns(&self, table: &str) -> Option<&[(String, ScalarType)]> {
        self.tables.get(table).map(Vec::as_slice)
    }

    /// The documented KQL type of one column.
    pub fn column_type(&self, table: &str, column: &str) -> Option<ScalarType> {
        self.columns(table)?.iter().find(|(c, _)| c == column).map(|(_, t)| *t)
    }

    /// The Arrow schema of a documented table, as the engine types its columns (strings
    /// `Utf8`, datetimes nanoseconds in UTC, `dynamic` JSON text).
    pub fn arrow_schema(&self, table: &str) -> Option<SchemaRef> {
        let columns = self.columns(table)?;
        let fields: Vec<Field> =
            columns.iter().map(|(n, t)| Field::new(n, crate::planner::arrow_type_of(*t), true)).collect();
        Some(Arc::new(Schema::new(fields)))
    }

    /// Whether no table is known.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// How many tables are known.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// The documented `dynamic` columns of a table.
    pub fn dynamic_columns(&self, table: &str) -> Vec<String> {
        self.columns(table)
            .map(|cols| cols.iter().filter(|(_, t)| *t == ScalarType::Dynamic).map(|(c, _)| c.clone()).collect())
            .unwrap_or_default()
    }

    /// The documented KQL type of a column, as the planner names types.
    pub fn kql_type(&self, table: &str, column: &str) -> Option<KqlType> {
        self.column_type(table, column).map(|t| KqlType::of(&crate::planner::arrow_type_of(t)))
    }
}

/// `(name, columns)` of one table file.
fn parse_table(text: &str) -> std::result::Result<(String, Vec<(String, ScalarType)>), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let name = v
        .get("name")
        .and_then(serde_json::Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("no table `name`")?
        .to_owned();
    let cols = v.get("columns").and_then(serde_json::Value::as_array).ok_or("no `columns` list")?;
    let mut out = Vec::with_capacity(cols.len());
    for (i, c) in cols.iter().enumerate() {
        let pair = c.as_array().filter(|p| p.len() == 2).ok_or(format!("column {i}: expected [name, type]"))?;
        let (Some(col), Some(ty)) = (pair[0].as_str(), pair[1].as_str()) else {
            return Err(format!("column {i}: expected [name, type] strings"));
        };
        let t = ScalarType::from_name(ty).ok_or(format!("column `{col}`: unknown type `{ty}`"))?;
        out.push((col.to_owned(), t));
    }
    Ok((name, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_table_and_reports_bad_ones() {
        let mut s = DocumentedSchemas::default();
        s.add_json(r#"{"name": "T", "columns": [["A", "string"], ["B", "dynamic"], ["C", "datetime"]]}"#)
            .expect("valid");
        assert_eq!(s.dynamic_columns("T"), vec!["B".to_owned()]);
        assert_eq!(s.column_type("T", "C"), Some(ScalarType::DateTime));
        assert!(s.add_json(r#"{"name": "U", "columns": [["A", "strange"]]}"#).is_err());
        assert!(s.add_json("[]").is_err());
    }
}
