//! Errors reading a Parquet file name the file.
//!
//! A lake's footers are read when a table is first used, so a truncated file or one that is not
//! Parquet at all is reported by name then (`footers.rs`). A file whose footer is sound but whose
//! data is damaged (a corrupt page, a bad compression block) fails only when a query decodes
//! it, deep inside the Parquet reader, whose error does not say which file it was reading. The
//! lake's scans therefore read through [`NamedFileSource`]: DataFusion's `ParquetSource`
//! unchanged, except that every error its per-file readers give is prefixed with the file's
//! path. Every other capability (filter, projection and sort pushdown, repartitioning) is the
//! inner source's, re-wrapped where it returns a new source.

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{FileOpener, FileScanConfig, FileSource, ParquetSource};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::object_store::ObjectStore;
use datafusion::physical_expr::{EquivalenceProperties, LexOrdering, PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_plan::DisplayFormatType;
use datafusion::physical_plan::filter_pushdown::FilterPushdownPropagation;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::projection::ProjectionExprs;
use datafusion::physical_plan::sort_pushdown::SortOrderPushdownResult;
use datafusion_datasource::PartitionedFile;
use datafusion_datasource::morsel::{Morsel, MorselPlan, MorselPlanner, Morselizer};
use futures::{FutureExt as _, StreamExt as _};

/// A Parquet file source whose read errors name the file.
pub(crate) struct NamedFileSource {
    inner: Arc<dyn FileSource>,
}

impl fmt::Debug for NamedFileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedFileSource").field("file_type", &self.inner.file_type()).finish()
    }
}

impl NamedFileSource {
    /// `inner`, its errors naming their file (a source already wrapped stays as it is).
    pub(crate) fn wrap(inner: Arc<dyn FileSource>) -> Arc<dyn FileSource> {
        if inner.is::<Self>() { inner } else { Arc::new(Self { inner }) }
    }

    /// The `ParquetSource` of a lake scan's source, wrapped or not.
    pub(crate) fn parquet(source: &Arc<dyn FileSource>) -> Option<&ParquetSource> {
        match source.downcast_ref::<Self>() {
            Some(named) => named.inner.downcast_ref::<ParquetSource>(),
            None => source.downcast_ref::<ParquetSource>(),
        }
    }
}

/// `e`, naming the file it happened in. A failure to read or decode the file says so; an
/// error of the query rather than of the file (memory, a function failing in a pushed-down
/// filter) keeps its kind, the file added as context.
fn named(path: &str, e: DataFusionError) -> DataFusionError {
    use datafusion::arrow::error::ArrowError;
    let unreadable = match e.find_root() {
        DataFusionError::ResourcesExhausted(_) => return e,
        DataFusionError::ParquetError(_) | DataFusionError::IoError(_) | DataFusionError::ObjectStore(_) => true,
        DataFusionError::ArrowError(a, _) => matches!(**a, ArrowError::ParquetError(_) | ArrowError::IoError(..)),
        _ => false,
    };
    if !unreadable {
        return e.context(format!("reading {path}"));
    }
    let root = e.find_root().to_string();
    // The reader's own words, without the layers of wrapping around them.
    let what = root.rsplit("Parquet error: ").next().unwrap_or(&root);
    DataFusionError::Execution(format!(
        "{path}: the file cannot be read: {what} (it is damaged, or it changed while the query read it)"
    ))
}

/// How a file is named in errors: its path as the lake's local store spells it.
fn display_path(file: &PartitionedFile) -> Arc<str> {
    Arc::from(format!("/{}", file.object_meta.location))
}

impl FileSource for NamedFileSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        base_config: &FileScanConfig,
        partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        self.inner.create_file_opener(object_store, base_config, partition)
    }

    fn create_morselizer(
        &self,
        object_store: Arc<dyn ObjectStore>,
        base_config: &FileScanConfig,
        partition: usize,
    ) -> Result<Box<dyn Morselizer>> {
        let inner = self.inner.create_morselizer(object_store, base_config, partition)?;
        Ok(Box::new(NamedMorselizer { inner }))
    }

    fn table_schema(&self) -> &TableSchema {
        self.inner.table_schema()
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        Self::wrap(self.inner.with_batch_size(batch_size))
    }

    fn filter(&self) -> Option<Arc<dyn PhysicalExpr>> {
        self.inner.filter()
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        self.inner.projection()
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        self.inner.metrics()
    }

    fn file_type(&self) -> &str {
        self.inner.file_type()
    }

    fn fmt_extra(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt_extra(t, f)
    }

    fn supports_repartitioning(&self) -> bool {
        self.inner.supports_repartitioning()
    }

    fn repartitioned(
        &self,
        target_partitions: usize,
        repartition_file_min_size: usize,
        output_ordering: Option<LexOrdering>,
        config: &FileScanConfig,
    ) -> Result<Option<FileScanConfig>> {
        self.inner.repartitioned(target_partitions, repartition_file_min_size, output_ordering, config)
    }

    fn try_pushdown_filters(
        &self,
        filters: Vec<Arc<dyn PhysicalExpr>>,
        config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn FileSource>>> {
        let mut result = self.inner.try_pushdown_filters(filters, config)?;
        result.updated_node = result.updated_node.map(Self::wrap);
        Ok(result)
    }

    fn try_pushdown_sort(
        &self,
        order: &[PhysicalSortExpr],
        eq_properties: &EquivalenceProperties,
    ) -> Result<SortOrderPushdownResult<Arc<dyn FileSource>>> {
        Ok(match self.inner.try_pushdown_sort(order, eq_properties)? {
            SortOrderPushdownResult::Exact { inner } => SortOrderPushdownResult::Exact { inner: Self::wrap(inner) },
            SortOrderPushdownResult::Inexact { inner } => SortOrderPushdownResult::Inexact { inner: Self::wrap(inner) },
            other => other,
        })
    }

    fn reorder_files(&self, files: Vec<PartitionedFile>) -> Vec<PartitionedFile> {
        self.inner.reorder_files(files)
    }

    fn try_pushdown_projection(&self, projection: &ProjectionExprs) -> Result<Option<Arc<dyn FileSource>>> {
        Ok(self.inner.try_pushdown_projection(projection)?.map(Self::wrap))
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.inner.apply_expressions(f)
    }
}

/// Plans each file with the inner morselizer, naming the file in its errors.
#[derive(Debug)]
struct NamedMorselizer {
    inner: Box<dyn Morselizer>,
}

impl Morselizer for NamedMorselizer {
    fn plan_file(&self, file: PartitionedFile) -> Result<Box<dyn MorselPlanner>> {
        let path = display_path(&file);
        let inner = self.inner.plan_file(file).map_err(|e| named(&path, e))?;
        Ok(Box::new(NamedPlanner { path, inner }))
    }
}

#[derive(Debug)]
struct NamedPlanner {
    path: Arc<str>,
    inner: Box<dyn MorselPlanner>,
}

impl MorselPlanner for NamedPlanner {
    fn plan(self: Box<Self>) -> Result<Option<MorselPlan>> {
        let path = self.path;
        let Some(mut plan) = self.inner.plan().map_err(|e| named(&path, e))? else {
            return Ok(None);
        };
        let morsels = plan
            .take_morsels()
            .into_iter()
            .map(|inner| Box::new(NamedMorsel { path: Arc::clone(&path), inner }) as Box<dyn Morsel>)
            .collect();
        let planners = plan
            .take_ready_planners()
            .into_iter()
            .map(|inner| Box::new(Self { path: Arc::clone(&path), inner }) as Box<dyn MorselPlanner>)
            .collect();
        let mut out = MorselPlan::new().with_morsels(morsels).with_planners(planners);
        if let Some(pending) = plan.take_pending_planner() {
            out.set_pending_planner(pending.into_future().map(move |planned| match planned {
                Ok(inner) => Ok(Box::new(Self { path, inner }) as Box<dyn MorselPlanner>),
                Err(e) => Err(named(&path, e)),
            }));
        }
        Ok(Some(out))
    }
}

#[derive(Debug)]
struct NamedMorsel {
    path: Arc<str>,
    inner: Box<dyn Morsel>,
}

impl Morsel for NamedMorsel {
    fn into_stream(
        self: Box<Self>,
    ) -> futures::stream::BoxStream<'static, Result<datafusion::arrow::array::RecordBatch>> {
        let path = self.path;
        self.inner.into_stream().map(move |batch| batch.map_err(|e| named(&path, e))).boxed()
    }
}

/// The file scan and Parquet source of a lake scan, whether its source is wrapped or not.
pub(crate) fn parquet_scan(
    exec: &datafusion::datasource::source::DataSourceExec,
) -> Option<(&FileScanConfig, &ParquetSource)> {
    let conf = exec.data_source().downcast_ref::<FileScanConfig>()?;
    Some((conf, NamedFileSource::parquet(conf.file_source())?))
}
