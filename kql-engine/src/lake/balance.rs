//! Row groups spread evenly over the scan's partitions after pruning.
//!
//! DataFusion splits Parquet files into byte ranges before it knows which row groups the
//! filters will prune. A hunt's time window over a time-ordered file keeps a few consecutive
//! row groups, which then all sit in one byte range: one core does all the work
//! (`output_rows_skew=100%`). [`BalanceRowGroups`] runs last among the physical optimizer rules,
//! when the filters have been pushed into the scan: for each Parquet scan of several
//! partitions whose footers are in the session's metadata cache, it prunes the row groups by
//! their statistics (as the scan will), and deals the surviving row groups out to the same
//! number of partitions, about equal in compressed bytes of surviving row groups, each
//! partition reading its row groups through a [`ParquetAccessPlan`]. Every row group is dealt
//! to some partition (the pruned ones weigh nothing), and the scan still prunes with its own
//! statistics and page index, so this estimate only moves work, never drops it. A file whose
//! columns differ from the table's (schema drift) is not pruned here.

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::Result as DfResult;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult as _, TreeNode as _};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::CachedParquetMetaData;
use datafusion::datasource::physical_plan::parquet::{
    ParquetAccessPlan, RowGroupAccessPlanFilter, apply_file_schema_type_coercions,
};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetFileMetrics};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::parquet::arrow::parquet_to_arrow_schema;
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::pruning::PruningPredicateBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;

/// The rule's name (it is added once per session).
pub(crate) const NAME: &str = "kql_balance_row_groups";

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct BalanceRowGroups {
    cache: Arc<FileMetadataCache>,
}

impl BalanceRowGroups {
    pub(crate) fn new(cache: Arc<FileMetadataCache>) -> Self {
        Self { cache }
    }

    /// The footer the cache holds for `file`, if it is still the file's.
    fn footer(&self, file: &PartitionedFile) -> Option<Arc<ParquetMetaData>> {
        let entry = self.cache.get(&file.object_meta.location)?;
        if !entry.is_valid_for(&file.object_meta) {
            return None;
        }
        let cached = entry.file_metadata.as_any().downcast_ref::<CachedParquetMetaData>()?;
        Some(Arc::clone(cached.parquet_metadata()))
    }

    fn rebalance(&self, exec: &DataSourceExec) -> Option<Arc<dyn ExecutionPlan>> {
        let (conf, source) = super::named::parquet_scan(exec)?;
        let partitions = conf.file_groups.len();
        if partitions < 2 || !conf.output_ordering.is_empty() {
            return None;
        }
        let predicate = datafusion::datasource::physical_plan::FileSource::filter(source)?;
        let predicate = &predicate;
        // The files, once each (a split file appears once per byte range), with their footers.
        let mut files: Vec<(PartitionedFile, Arc<ParquetMetaData>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for f in conf.file_groups.iter().flat_map(|g| g.files().iter()) {
            if !f.extensions.is_empty() {
                return None;
            }
            if !seen.insert(f.object_meta.location.clone()) {
                continue;
            }
            files.push((f.clone(), self.footer(f)?));
        }
        let table_schema =
            Arc::clone(datafusion::datasource::physical_plan::FileSource::table_schema(source).table_schema());
        let pruning =
            PruningPredicateBuilder::new().with_file_schema(Arc::clone(&table_schema)).build(Arc::clone(predicate));
        let columns: Vec<(String, usize)> =
            collect_columns(predicate).into_iter().map(|c| (c.name().to_owned(), c.index())).collect();
        let metrics = ExecutionPlanMetricsSet::new();
        // Every row group, as (file, row group, weight): its compressed bytes if it survives
        // pruning, nothing if not. Pruned row groups are dealt out too (the scan prunes them
        // again), so what a partition reads never depends on this estimate.
        let mut units: Vec<(usize, usize, u64)> = Vec::new();
        for (i, (_, footer)) in files.iter().enumerate() {
            let groups = footer.row_groups();
            let mut plan = RowGroupAccessPlanFilter::new(ParquetAccessPlan::new_all(groups.len()));
            if let Some(pruning) = &pruning
                && let Some(file_schema) = comparable_schema(footer, &table_schema, &columns)
            {
                let file_metrics = ParquetFileMetrics::new(0, "balance", &metrics);
                let descr = footer.file_metadata().schema_descr();
                plan.prune_by_statistics(&file_schema, descr, groups, pruning, &file_metrics);
            }
            let surviving: std::collections::HashSet<usize> = plan.row_group_indexes().collect();
            for (rg, group) in groups.iter().enumerate() {
                let bytes = if surviving.contains(&rg) {
                    u64::try_from(group.compressed_size()).unwrap_or(0).max(1)
                } else {
                    0
                };
                units.push((i, rg, bytes));
            }
        }
        let total: u64 = units.iter().map(|u| u.2).sum();
        if total == 0 {
            return None;
        }
        let mut dealt: Vec<Vec<(usize, usize)>> = vec![Vec::new(); partitions];
        let mut so_far = 0u64;
        for &(file, rg, bytes) in &units {
            let middle = u128::from(so_far + bytes / 2);
            let p = usize::try_from(middle * partitions as u128 / u128::from(total)).unwrap_or(partitions - 1);
            dealt[p.min(partitions - 1)].push((file, rg));
            so_far += bytes;
        }
        let groups: Vec<FileGroup> = dealt
            .into_iter()
            .map(|units| {
                let mut out: Vec<PartitionedFile> = Vec::new();
                let mut current: Option<(usize, ParquetAccessPlan)> = None;
                let flush = |current: Option<(usize, ParquetAccessPlan)>, out: &mut Vec<PartitionedFile>| {
                    if let Some((file, plan)) = current {
                        let mut f = files[file].0.clone();
                        f.range = None;
                        out.push(f.with_extension(plan));
                    }
                };
                for (file, rg) in units {
                    if current.as_ref().is_none_or(|(f, _)| *f != file) {
                        flush(current.take(), &mut out);
                        let count = files[file].1.num_row_groups();
                        current = Some((file, ParquetAccessPlan::new_none(count)));
                    }
                    if let Some((_, plan)) = current.as_mut() {
                        plan.scan(rg);
                    }
                }
                flush(current, &mut out);
                FileGroup::new(out)
            })
            .collect();
        let conf = FileScanConfigBuilder::from(conf.clone()).with_file_groups(groups).build();
        Some(DataSourceExec::from_data_source(conf))
    }
}

/// The file's Arrow schema as the scan reads it, when every column the predicate reads is
/// there at the same position and with the same type as in the table (the pruning predicate
/// addresses columns by position and by name; otherwise the file is not pruned here).
fn comparable_schema(footer: &ParquetMetaData, table: &Schema, columns: &[(String, usize)]) -> Option<Schema> {
    let meta = footer.file_metadata();
    let schema = parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata()).ok()?;
    let schema = apply_file_schema_type_coercions(table, &schema).unwrap_or(schema);
    for (name, index) in columns {
        let theirs = schema.fields().get(*index)?;
        let ours = table.fields().get(*index)?;
        if theirs.name() != name || ours.name() != name || theirs.data_type() != ours.data_type() {
            return None;
        }
    }
    Some(schema)
}

impl PhysicalOptimizerRule for BalanceRowGroups {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> DfResult<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let balanced = node.downcast_ref::<DataSourceExec>().and_then(|exec| self.rebalance(exec));
            Ok(match balanced {
                Some(b) => Transformed::yes(b),
                None => Transformed::no(node),
            })
        })
        .data()
    }

    fn name(&self) -> &str {
        NAME
    }

    fn schema_check(&self) -> bool {
        true
    }
}
