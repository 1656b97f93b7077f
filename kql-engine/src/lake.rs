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

/// The top-level columns that the first Parquet file of a table (a file, or a folder searched
/// recursively) stores with the JSON logical type. Unreadable files give none (reading the
/// table reports them).
pub(crate) fn json_columns(path: &Path) -> std::collections::HashSet<String> {
    use parquet::basic::LogicalType;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let first = if path.is_dir() {
        let mut files = Vec::new();
        if collect_parquet(path, &mut files).is_err() {
            return Default::default();
        }
        files.sort();
        files.into_iter().next()
    } else {
        Some(path.to_path_buf())
    };
    let Some(Ok(file)) = first.map(std::fs::File::open) else { return Default::default() };
    let Ok(reader) = SerializedFileReader::new(file) else { return Default::default() };
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    schema
        .root_schema()
        .get_fields()
        .iter()
        .filter(|f| f.is_primitive() && matches!(f.get_basic_info().logical_type_ref(), Some(LogicalType::Json)))
        .map(|f| f.name().to_owned())
        .collect()
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
