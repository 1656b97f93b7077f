//! A table of Parquet files whose footers have been read: one merged schema (schema drift
//! reconciled as `union` would), the files with their hive partition values, and the files
//! left out as unreadable.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::config::TableParquetOptions;
use datafusion::common::{Result as DfResult, ScalarValue, Statistics};
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::FileFormat as _;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::datasource::physical_plan::parquet::{transform_binary_to_string, transform_schema_to_view};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::object_store::ObjectMeta;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;

use super::footers::{BadFile, Footer, read_footers};
use crate::error::KqlError;
use crate::scan::KqlParquetFormat;
use crate::schemas::DocumentedSchemas;

/// How a table's files are opened.
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenOptions {
    /// Leave unreadable files out (reported in [`ParquetTable::skipped`]) instead of failing.
    pub(crate) skip_bad_files: bool,
    /// The documented schemas: their `dynamic` columns are read as JSON, and a table whose
    /// every file is skipped keeps its documented columns.
    pub(crate) schemas: Option<Arc<DocumentedSchemas>>,
}

/// A table of Parquet files (see the module documentation).
#[derive(Debug)]
pub(crate) struct ParquetTable {
    pub(crate) schema: SchemaRef,
    pub(crate) file_schema: SchemaRef,
    pub(crate) partition_columns: Vec<FieldRef>,
    pub(crate) format: Arc<KqlParquetFormat>,
    pub(crate) files: Vec<PartitionedFile>,
    /// The files left out, with why.
    pub(crate) skipped: Vec<BadFile>,
}

/// Opens table `name` of `files` (sorted; hive `key=value` folders under `root` are partition
/// columns): reads every footer, merges the schemas.
///
/// # Errors
/// An unreadable file (unless skipped), files that disagree on a column's type beyond widening,
/// or files in folders of different partition columns; each message names the files.
pub(crate) async fn open(
    runtime: &RuntimeEnv,
    parquet_options: &TableParquetOptions,
    name: &str,
    root: &Path,
    files: &[(PathBuf, ObjectMeta)],
    options: &OpenOptions,
) -> Result<ParquetTable, KqlError> {
    let mut footers = Vec::new();
    let mut bad = Vec::new();
    for r in read_footers(runtime, files).await {
        match r {
            Ok(f) => footers.push(f),
            Err(b) => bad.push(b),
        }
    }
    if !bad.is_empty() && !options.skip_bad_files {
        return Err(KqlError::Lake(bad_files_message(name, &bad, files.len())));
    }
    let documented = options.schemas.as_ref().and_then(|s| s.arrow_schema(name));
    let merged = if footers.is_empty() {
        match documented {
            Some(schema) => schema.as_ref().clone(),
            None if bad.is_empty() => Schema::empty(),
            None => {
                return Err(KqlError::Lake(format!(
                    "table {name}: none of its {} files can be read, so it has no columns: {}",
                    files.len(),
                    list(&bad)
                )));
            }
        }
    } else {
        let merged = super::merge::merge(footers.iter().map(|f| (f.path.as_path(), &f.schema)))
            .map_err(|e| KqlError::Lake(format!("table {name}: {e}")))?;
        let merged = if parquet_options.global.binary_as_string { transform_binary_to_string(&merged) } else { merged };
        if parquet_options.global.schema_force_view_types { transform_schema_to_view(&merged) } else { merged }
    };
    // Columns typed `dynamic` (by the files or the documentation) are JSON; those stored
    // dictionary-encoded are read as dictionaries (see `scan`).
    let facts = super::layout::column_facts(&footers);
    let dynamic = |c: &str| {
        facts.json.contains(c)
            || options.schemas.as_ref().and_then(|s| s.kql_type(name, c)) == Some(crate::planner::KqlType::Dynamic)
    };
    let dictionary = facts
        .dictionary_encoded
        .iter()
        .filter(|(c, _)| dynamic(c))
        .map(|(c, &utf8)| (c.clone(), crate::scan::dictionary_type(utf8)))
        .collect();
    let file_schema = Arc::new(crate::scan::typed(&merged, &facts.json, &dictionary));
    let format = Arc::new(KqlParquetFormat::new(
        ParquetFormat::default().with_options(parquet_options.clone()),
        facts.json.clone(),
        dictionary,
    ));
    let keys = partition_keys(name, root, &footers, &file_schema)?;
    let partition_columns: Vec<FieldRef> = keys
        .iter()
        .map(|k| {
            let t = DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Utf8));
            Arc::new(Field::new(k.as_str(), t, false))
        })
        .collect();
    let files = footers.iter().map(|f| partitioned_file(f, root, &keys, &file_schema)).collect();
    let mut fields: Vec<FieldRef> = file_schema.fields().iter().cloned().collect();
    fields.extend(partition_columns.iter().cloned());
    let schema = Arc::new(Schema::new_with_metadata(fields, file_schema.metadata().clone()));
    Ok(ParquetTable { schema, file_schema, partition_columns, format, files, skipped: bad })
}

/// "table T: 2 of its 40 files cannot be read: a: why; b: why" with the way out.
fn bad_files_message(name: &str, bad: &[BadFile], total: usize) -> String {
    let what = if bad.len() == 1 && total == 1 {
        "its file cannot be read".to_owned()
    } else {
        format!("{} of its {total} files cannot be read", bad.len())
    };
    format!(
        "table {name}: {what}: {} (--skip-bad-files, or `KqlContextBuilder::skip_bad_files`, leaves such files out)",
        list(bad)
    )
}

/// The first few bad files, and how many more.
fn list(bad: &[BadFile]) -> String {
    const SHOWN: usize = 5;
    let mut text: Vec<String> = bad.iter().take(SHOWN).map(ToString::to_string).collect();
    if bad.len() > SHOWN {
        text.push(format!("and {} more", bad.len() - SHOWN));
    }
    text.join("; ")
}

/// The `key=value` folders between `root` and a file, as (key, value) pairs.
fn hive_pairs(root: &Path, file: &Path) -> Vec<(String, String)> {
    let Ok(relative) = file.strip_prefix(root) else { return Vec::new() };
    let Some(parent) = relative.parent() else { return Vec::new() };
    parent
        .components()
        .filter_map(|c| {
            let text = c.as_os_str().to_str()?;
            let (k, v) = text.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The partition columns: the keys of the first file's `key=value` folders, which every file
/// must share (a key that is also a column of the files is not a partition column).
fn partition_keys(name: &str, root: &Path, footers: &[Footer], file_schema: &Schema) -> Result<Vec<String>, KqlError> {
    let Some(first) = footers.first() else { return Ok(Vec::new()) };
    let keys: Vec<String> = hive_pairs(root, &first.path)
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| file_schema.field_with_name(k).is_err())
        .collect();
    for f in footers {
        let theirs: Vec<String> = hive_pairs(root, &f.path)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| file_schema.field_with_name(k).is_err())
            .collect();
        if theirs != keys {
            return Err(KqlError::Lake(format!(
                "table {name}: {} is under partition folders [{}] but {} under [{}]; a table's files must share \
                 their `key=value` folders",
                first.path.display(),
                keys.join(", "),
                f.path.display(),
                theirs.join(", ")
            )));
        }
    }
    Ok(keys)
}

fn partitioned_file(f: &Footer, root: &Path, keys: &[String], file_schema: &SchemaRef) -> PartitionedFile {
    let pairs = hive_pairs(root, &f.path);
    let values = keys
        .iter()
        .map(|k| {
            let v = pairs.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
            ScalarValue::Dictionary(Box::new(DataType::UInt16), Box::new(ScalarValue::Utf8(v)))
        })
        .collect();
    let file = PartitionedFile::from(f.object.clone()).with_partition_values(values);
    match DFParquetMetadata::statistics_from_parquet_metadata(&f.metadata, file_schema) {
        Ok(stats) => file.with_statistics(Arc::new(stats)),
        Err(_) => file,
    }
}

/// `files` in `n` groups of about equal bytes, each a run of consecutive files.
fn spread(files: &[PartitionedFile], n: usize) -> Vec<Vec<PartitionedFile>> {
    let n = n.max(1).min(files.len().max(1));
    let total: u64 = files.iter().map(|f| f.object_meta.size.max(1)).sum();
    let mut groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); n];
    let mut so_far = 0u64;
    for f in files {
        let size = f.object_meta.size.max(1);
        // The group whose share the middle of this file falls in.
        let middle = so_far + size / 2;
        let i = usize::try_from(u128::from(middle) * n as u128 / u128::from(total.max(1))).unwrap_or(n - 1).min(n - 1);
        groups[i].push(f.clone());
        so_far += size;
    }
    groups.retain(|g| !g.is_empty());
    groups
}

#[async_trait]
impl TableProvider for ParquetTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DfResult<Vec<TableProviderFilterPushDown>> {
        // The Parquet scan prunes files (partition values, statistics), row groups and pages
        // with the filters and evaluates them during the scan; they stay in the plan too.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if self.files.is_empty() {
            let schema = match projection {
                Some(p) => Arc::new(self.schema.project(p)?),
                None => Arc::clone(&self.schema),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let groups: Vec<FileGroup> =
            spread(&self.files, state.config().target_partitions()).into_iter().map(FileGroup::new).collect();
        let stats_of = |files: &[PartitionedFile]| -> Option<Statistics> {
            let all: Option<Vec<&Statistics>> = files.iter().map(|f| f.statistics.as_deref()).collect();
            Statistics::try_merge_iter(all?, &self.schema).ok()
        };
        let mut builder = FileScanConfigBuilder::new(
            ObjectStoreUrl::local_filesystem(),
            self.format.file_source(
                TableSchema::builder(Arc::clone(&self.file_schema))
                    .with_table_partition_cols(self.partition_columns.clone())
                    .build(),
            ),
        );
        if state.config().collect_statistics()
            && let Some(stats) = stats_of(&self.files)
        {
            builder = builder.with_statistics(stats);
        }
        let groups = groups
            .into_iter()
            .map(|g| match stats_of(g.files()) {
                Some(s) => g.with_statistics(Arc::new(s)),
                None => g,
            })
            .collect();
        let config =
            builder.with_file_groups(groups).with_projection_indices(projection.cloned())?.with_limit(limit).build();
        self.format.create_physical_plan(state, config).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_folders_give_partition_values() {
        let root = Path::new("/lake/T");
        let file = Path::new("/lake/T/day=2024-06-01/host=a/part-0.parquet");
        assert_eq!(
            hive_pairs(root, file),
            [("day".to_owned(), "2024-06-01".to_owned()), ("host".to_owned(), "a".to_owned())]
        );
        assert!(hive_pairs(root, Path::new("/lake/T/part-0.parquet")).is_empty());
        assert!(hive_pairs(Path::new("/lake/T/x.parquet"), Path::new("/lake/T/x.parquet")).is_empty());
    }

    #[test]
    fn files_spread_evenly_in_order() {
        let file = |name: &str, size: u64| PartitionedFile::new(name, size);
        let files = [file("a", 10), file("b", 10), file("c", 10), file("d", 10)];
        let groups = spread(&files, 2);
        let names: Vec<Vec<String>> =
            groups.iter().map(|g| g.iter().map(|f| f.object_meta.location.to_string()).collect()).collect();
        assert_eq!(names, [vec!["a", "b"], vec!["c", "d"]]);
        assert_eq!(spread(&files[..1], 4).len(), 1);
        let uneven = [file("big", 100), file("s1", 1), file("s2", 1)];
        assert_eq!(spread(&uneven, 2).len(), 2);
    }
}
