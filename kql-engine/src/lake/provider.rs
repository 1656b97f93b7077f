//! The default schema of a KQL session: the tables registered one by one, and Parquet tables
//! (lake folders, `register_parquet` paths) opened lazily.
//!
//! Registering a lake lists its tables from the directory alone; a table's footers are read
//! the first time a query names it, and kept while its files stay the same: every lookup lists
//! the table's files again (names, sizes, modification times) and reopens the table when that
//! listing changed. So `kql query` on a lake of many tables and thousands of files reads only
//! the footers of the tables the query uses, and one bad file fails only the queries that read
//! its table.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::config::TableParquetOptions;
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::object_store::ObjectMeta;

use super::footers::{BadFile, object_meta};
use super::layout::{LakeTable, lake_tables};
use super::table::{OpenOptions, ParquetTable, open};
use crate::error::KqlError;

/// A table opened, with the listing it was opened from.
#[derive(Debug)]
struct Opened {
    listing: Vec<(PathBuf, ObjectMeta)>,
    table: Arc<ParquetTable>,
}

/// The session's default schema (see the module documentation).
#[derive(Debug)]
pub(crate) struct KqlSchemaProvider {
    /// The schema the session had: tables registered one by one live there.
    inner: Arc<dyn SchemaProvider>,
    runtime: Arc<RuntimeEnv>,
    parquet: TableParquetOptions,
    options: RwLock<OpenOptions>,
    lakes: RwLock<Vec<PathBuf>>,
    /// Tables registered by path (`register_parquet`).
    paths: RwLock<BTreeMap<String, PathBuf>>,
    opened: Mutex<HashMap<String, Opened>>,
}

impl KqlSchemaProvider {
    pub(crate) fn new(inner: Arc<dyn SchemaProvider>, runtime: Arc<RuntimeEnv>, parquet: TableParquetOptions) -> Self {
        Self {
            inner,
            runtime,
            parquet,
            options: RwLock::default(),
            lakes: RwLock::default(),
            paths: RwLock::default(),
            opened: Mutex::default(),
        }
    }

    /// Sets how tables are opened from now on (tables opened already are reopened).
    pub(crate) fn set_options(&self, options: OpenOptions) {
        if let Ok(mut o) = self.options.write() {
            *o = options;
        }
        if let Ok(mut opened) = self.opened.lock() {
            opened.clear();
        }
    }

    pub(crate) fn options(&self) -> OpenOptions {
        self.options.read().map(|o| o.clone()).unwrap_or_default()
    }

    /// Adds a lake folder: its tables are listed, not opened.
    ///
    /// # Errors
    /// When the folder cannot be read, or names a table that is registered already.
    pub(crate) fn add_lake(&self, dir: &Path) -> Result<Vec<String>, KqlError> {
        let dir = std::fs::canonicalize(dir).map_err(|e| KqlError::Lake(format!("{}: {e}", dir.display())))?;
        let tables = lake_tables(&dir)?;
        for t in &tables {
            if self.table_exist(&t.name) {
                return Err(KqlError::Lake(format!(
                    "{}: table {} is registered already (from another lake or path)",
                    t.path.display(),
                    t.name
                )));
            }
        }
        if let Ok(mut lakes) = self.lakes.write() {
            lakes.push(dir);
        }
        Ok(tables.into_iter().map(|t| t.name).collect())
    }

    /// Adds table `name` from a Parquet file or folder, opened now so that errors show at once.
    ///
    /// # Errors
    /// A path that is not there or holds no Parquet file, a name registered already, or any
    /// error of opening the table.
    pub(crate) async fn add_path(&self, name: &str, path: &Path) -> Result<(), KqlError> {
        if self.table_exist(name) {
            return Err(KqlError::Lake(format!("table {name} is registered already")));
        }
        std::fs::metadata(path).map_err(|e| KqlError::Lake(format!("{}: {e}", path.display())))?;
        let absolute = std::fs::canonicalize(path).map_err(|e| KqlError::Lake(format!("{}: {e}", path.display())))?;
        if absolute.is_dir() && !super::layout::contains_parquet(&absolute) {
            return Err(KqlError::Lake(format!("{}: no Parquet files in this folder", path.display())));
        }
        if let Ok(mut paths) = self.paths.write() {
            paths.insert(name.to_owned(), absolute.clone());
        }
        let table = LakeTable { name: name.to_owned(), path: absolute };
        if let Err(e) = self.open_table(&table).await {
            if let Ok(mut paths) = self.paths.write() {
                paths.remove(name);
            }
            return Err(e);
        }
        Ok(())
    }

    /// The Parquet table of that name, if a lake or path has one.
    fn parquet_table(&self, name: &str) -> Option<LakeTable> {
        if let Some(path) = self.paths.read().ok()?.get(name) {
            return Some(LakeTable { name: name.to_owned(), path: path.clone() });
        }
        let lakes = self.lakes.read().ok()?;
        lakes.iter().find_map(|dir| {
            let folder = dir.join(name);
            if folder.is_dir() && super::layout::contains_parquet(&folder) {
                return Some(LakeTable { name: name.to_owned(), path: folder });
            }
            let file = dir.join(format!("{name}.parquet"));
            file.is_file().then(|| LakeTable { name: name.to_owned(), path: file })
        })
    }

    /// Opens `table`, or hands out the table opened before from the same listing.
    async fn open_table(&self, table: &LakeTable) -> Result<Arc<ParquetTable>, KqlError> {
        let files = table.files()?;
        let mut listing = Vec::with_capacity(files.len());
        let mut unlisted = Vec::new();
        for path in files {
            match object_meta(&path) {
                Ok(meta) => listing.push((path, meta)),
                Err(bad) => unlisted.push(bad),
            }
        }
        if let Ok(opened) = self.opened.lock()
            && let Some(o) = opened.get(&table.name)
            && o.listing == listing
            && unlisted.is_empty()
        {
            return Ok(Arc::clone(&o.table));
        }
        let options = self.options();
        if let Some(bad) = unlisted.first()
            && !options.skip_bad_files
        {
            return Err(KqlError::Lake(format!("table {}: {bad}", table.name)));
        }
        let mut opened = open(&self.runtime, &self.parquet, &table.name, &table.path, &listing, &options).await?;
        opened.skipped.extend(unlisted);
        let opened = Arc::new(opened);
        if let Ok(mut cache) = self.opened.lock() {
            cache.insert(table.name.clone(), Opened { listing, table: Arc::clone(&opened) });
        }
        Ok(opened)
    }

    /// The files left out of the tables opened so far, by table.
    pub(crate) fn skipped_files(&self) -> Vec<(String, BadFile)> {
        let Ok(opened) = self.opened.lock() else { return Vec::new() };
        let mut out: Vec<(String, BadFile)> = opened
            .iter()
            .flat_map(|(name, o)| o.table.skipped.iter().map(move |b| (name.clone(), b.clone())))
            .collect();
        out.sort_by(|a, b| (&a.0, &a.1.path).cmp(&(&b.0, &b.1.path)));
        out
    }

    fn lake_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.paths.read().map(|p| p.keys().cloned().collect()).unwrap_or_default();
        if let Ok(lakes) = self.lakes.read() {
            for dir in lakes.iter() {
                // A lake folder that cannot be listed any more has no tables now.
                if let Ok(tables) = lake_tables(dir) {
                    names.extend(tables.into_iter().map(|t| t.name));
                }
            }
        }
        names
    }
}

#[async_trait]
impl SchemaProvider for KqlSchemaProvider {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        names.extend(self.lake_names());
        names.sort();
        names.dedup();
        names
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        if let Some(t) = self.inner.table(name).await? {
            return Ok(Some(t));
        }
        let Some(table) = self.parquet_table(name) else { return Ok(None) };
        let opened = self.open_table(&table).await.map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(Some(opened))
    }

    fn register_table(&self, name: String, table: Arc<dyn TableProvider>) -> DfResult<Option<Arc<dyn TableProvider>>> {
        if self.parquet_table(&name).is_some() {
            return Err(DataFusionError::Execution(format!("The table {name} already exists")));
        }
        self.inner.register_table(name, table)
    }

    fn deregister_table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        if let Some(path) = self.paths.write().ok().and_then(|mut p| p.remove(name)) {
            if let Ok(mut opened) = self.opened.lock() {
                opened.remove(name);
            }
            drop(path);
            return Ok(None);
        }
        self.inner.deregister_table(name)
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name) || self.parquet_table(name).is_some()
    }
}
