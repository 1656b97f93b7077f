//! The layout of a lake folder (architecture §6): which tables it holds and their files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{KqlError, Result};

/// A table of a lake: its name and where its data is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeTable {
    /// The table name: a file's stem, or a folder's name.
    pub name: String,
    /// The `*.parquet` file, or the folder of Parquet files (hive `key=value/` folders allowed).
    pub path: PathBuf,
}

impl LakeTable {
    /// The Parquet files of the table, sorted (a folder is searched recursively, hidden and
    /// `_`-prefixed entries skipped).
    ///
    /// # Errors
    /// When a folder cannot be read.
    pub fn files(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        if self.path.is_dir() {
            collect_parquet(&self.path, &mut out)?;
        } else {
            out.push(self.path.clone());
        }
        out.sort();
        Ok(out)
    }
}

/// The tables of a lake folder: each `*.parquet` file is a table named by its stem, each
/// sub-folder holding Parquet files a table named by the folder. Other files (a
/// `manifest.json`) and hidden or `_`-prefixed entries are ignored; an empty folder is a valid,
/// empty lake. Sorted by name.
///
/// # Errors
/// When the folder cannot be read.
pub fn lake_tables(dir: &Path) -> Result<Vec<LakeTable>> {
    let entries = std::fs::read_dir(dir).map_err(|e| KqlError::Lake(format!("{}: {e}", dir.display())))?;
    let mut tables: BTreeMap<String, PathBuf> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| KqlError::Lake(format!("{}: {e}", dir.display())))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if hidden(&name) {
            continue;
        }
        if path.is_dir() {
            if contains_parquet(&path) {
                tables.insert(name, path);
            }
        } else if let Some(stem) = name.strip_suffix(".parquet") {
            tables.insert(stem.to_owned(), path);
        }
    }
    Ok(tables.into_iter().map(|(name, path)| LakeTable { name, path }).collect())
}

/// What the first Parquet file of a table says about its top-level columns.
#[derive(Debug, Default)]
pub(crate) struct ColumnFacts {
    /// Columns with the JSON logical type (`dynamic`).
    pub(crate) json: std::collections::HashSet<String>,
    /// Byte-array columns whose first row group is dictionary-encoded, each with whether it is
    /// UTF-8 text (Parquet's `UTF8` converted type) rather than bytes or JSON.
    pub(crate) dictionary_encoded: std::collections::HashMap<String, bool>,
}

/// What the footers say: columns with the JSON logical type in any file, and the byte-array
/// columns dictionary-encoded in the first row group of the first file.
pub(crate) fn column_facts(footers: &[super::footers::Footer]) -> ColumnFacts {
    use parquet::basic::LogicalType;
    let mut json = std::collections::HashSet::new();
    for footer in footers {
        let schema = footer.metadata.file_metadata().schema_descr_ptr();
        for f in schema.root_schema().get_fields() {
            if f.is_primitive() && matches!(f.get_basic_info().logical_type_ref(), Some(LogicalType::Json)) {
                json.insert(f.name().to_owned());
            }
        }
    }
    let mut dictionary_encoded = std::collections::HashMap::new();
    if let Some(group) = footers.first().and_then(|f| f.metadata.row_groups().first()) {
        for column in group.columns() {
            let descr = column.column_descr();
            let top_level = descr.path().parts().len() == 1;
            if top_level
                && descr.physical_type() == parquet::basic::Type::BYTE_ARRAY
                && column.dictionary_page_offset().is_some()
            {
                let utf8 = descr.converted_type() == parquet::basic::ConvertedType::UTF8;
                dictionary_encoded.insert(descr.name().to_owned(), utf8);
            }
        }
    }
    ColumnFacts { json, dictionary_encoded }
}

fn hidden(name: &str) -> bool {
    name.starts_with(['.', '_'])
}

/// Whether a folder holds a Parquet file (recursively, hidden entries skipped).
pub(crate) fn contains_parquet(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let p = e.path();
        !hidden(&e.file_name().to_string_lossy())
            && (if p.is_dir() { contains_parquet(&p) } else { p.extension().is_some_and(|x| x == "parquet") })
    })
}

fn collect_parquet(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| KqlError::Lake(format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| KqlError::Lake(format!("{}: {e}", dir.display())))?;
        let path = entry.path();
        if hidden(&entry.file_name().to_string_lossy()) {
            continue;
        }
        if path.is_dir() {
            collect_parquet(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "parquet") {
            out.push(path);
        }
    }
    Ok(())
}
