//! Parquet scans that read chosen string columns as Arrow dictionaries.
//!
//! A `dynamic` column stored as JSON text is, in real lakes, dictionary-encoded: a few thousand
//! distinct bags repeated over millions of rows. DataFusion's Parquet opener reads such a
//! column as string views, so every operator sees one value per row. Read as an Arrow
//! dictionary instead, each batch carries the row group's dictionary page once (the same
//! values array for every batch of the row group) and one small key per row: member access
//! and `has` run once per distinct text and per row group, and per row only a key is mapped
//! (see `functions::dynamic::access` and `functions::has`).
//!
//! The Parquet reader gives a dictionary when the Arrow schema it reads with says so. DataFusion
//! takes that schema from the file (its embedded `ARROW:schema`, if any) and only coerces
//! strings to views, so [`KqlParquetFormat`] hands the scan a reader factory whose footers
//! carry an `ARROW:schema` typing the chosen columns as dictionaries; the table's own schema
//! types them the same way. The reader decodes a dictionary page as `Utf8` values only for
//! Parquet's `UTF8` converted type and as `Binary` otherwise (the JSON logical type), so a
//! column is `Dictionary(Int32, Utf8)` or `Dictionary(Int32, Binary)` by the first file, and a
//! file whose column is of the other kind is read unhinted (DataFusion casts it). A page that
//! fell back from dictionary to plain encoding still reads correctly (the reader builds a
//! dictionary for it).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Result as DfResult, Statistics, internal_datafusion_err};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::{FileFormat, FileMeta};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::ParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{
    FileScanConfig, FileScanConfigBuilder, FileSinkConfig, FileSource, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::object_store::{ObjectMeta, ObjectStore};
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::arrow::{ARROW_SCHEMA_META_KEY, encode_arrow_schema, parquet_to_arrow_schema};
use datafusion::parquet::basic::{ConvertedType, Type as PhysicalType};
use datafusion::parquet::file::metadata::{FileMetaData, KeyValue, ParquetMetaData, ParquetMetaDataBuilder};
use datafusion::physical_expr_common::sort_expr::{LexOrdering, LexRequirement};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::FutureExt as _;
use futures::future::BoxFuture;

/// The type a column read as a dictionary has: of `Utf8` values for UTF-8 text, of `Binary`
/// values for other bytes (JSON).
pub(crate) fn dictionary_type(utf8: bool) -> DataType {
    let values = if utf8 { DataType::Utf8 } else { DataType::Binary };
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(values))
}

/// Whether a column type can be read as a dictionary of strings.
fn readable_as_dictionary(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

/// `schema` with `json` columns marked `arrow.json` and the `dictionary` columns that hold
/// strings or bytes typed as given (metadata kept).
pub(crate) fn typed(schema: &Schema, json: &HashSet<String>, dictionary: &HashMap<String, DataType>) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut f = f.as_ref().clone();
            if json.contains(f.name()) {
                f = f.with_metadata(crate::dynamic::json_extension_metadata());
            }
            match dictionary.get(f.name()) {
                Some(t) if readable_as_dictionary(f.data_type()) => f.with_data_type(t.clone()),
                _ => f,
            }
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// Footers with their hints, by the address of the footer they were made from (which they
/// hold, so the address is not reused).
type HintCache = Mutex<HashMap<usize, (Arc<ParquetMetaData>, Arc<ParquetMetaData>)>>;

/// A session setting: lake scans are DataFusion's own Parquet scans, their read errors not
/// prefixed with the file they happened in (a cluster sets it: its plans travel to executors
/// as DataFusion's serialized scans, which know no wrapper).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainParquetScans;

/// Footers a table keeps hinted (about one per file; beyond this the cache starts over).
const MAX_HINTED: usize = 1024;

/// Parquet, with `json` columns typed `arrow.json` and the `dictionary` columns read as Arrow
/// dictionaries.
#[derive(Debug)]
pub(crate) struct KqlParquetFormat {
    inner: ParquetFormat,
    pub(crate) json: HashSet<String>,
    pub(crate) dictionary: Arc<HashMap<String, DataType>>,
    hinted: Arc<HintCache>,
}

impl KqlParquetFormat {
    pub(crate) fn new(inner: ParquetFormat, json: HashSet<String>, dictionary: HashMap<String, DataType>) -> Self {
        Self { inner, json, dictionary: Arc::new(dictionary), hinted: Arc::default() }
    }
}

#[async_trait]
impl FileFormat for KqlParquetFormat {
    fn get_ext(&self) -> String {
        self.inner.get_ext()
    }

    fn get_ext_with_compression(&self, c: &FileCompressionType) -> DfResult<String> {
        self.inner.get_ext_with_compression(c)
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        self.inner.compression_type()
    }

    async fn infer_schema(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        objects: &[ObjectMeta],
    ) -> DfResult<SchemaRef> {
        let schema = self.inner.infer_schema(state, store, objects).await?;
        Ok(Arc::new(typed(&schema, &self.json, &self.dictionary)))
    }

    async fn infer_stats(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> DfResult<Statistics> {
        self.inner.infer_stats(state, store, table_schema, object).await
    }

    async fn infer_ordering(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> DfResult<Option<LexOrdering>> {
        self.inner.infer_ordering(state, store, table_schema, object).await
    }

    async fn infer_stats_and_ordering(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> DfResult<FileMeta> {
        self.inner.infer_stats_and_ordering(state, store, table_schema, object).await
    }

    async fn create_physical_plan(
        &self,
        state: &dyn Session,
        conf: FileScanConfig,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let plan = self.inner.create_physical_plan(state, conf).await?;
        let plain = state.config().get_extension::<PlainParquetScans>().is_some();
        if self.dictionary.is_empty() && plain {
            return Ok(plan);
        }
        // ParquetFormat's own scan, its reader factory wrapped in one that hints the footers.
        let (conf, source) = plan
            .downcast_ref::<DataSourceExec>()
            .and_then(DataSourceExec::downcast_to_file_source::<ParquetSource>)
            .ok_or_else(|| internal_datafusion_err!("expected ParquetFormat to plan a Parquet scan"))?;
        let inner = source
            .parquet_file_reader_factory()
            .cloned()
            .ok_or_else(|| internal_datafusion_err!("expected ParquetFormat's scan to have a reader factory"))?;
        let source: Arc<dyn FileSource> = if self.dictionary.is_empty() {
            Arc::new(source.clone())
        } else {
            let hints =
                DictionaryHints { inner, columns: Arc::clone(&self.dictionary), hinted: Arc::clone(&self.hinted) };
            Arc::new(source.clone().with_parquet_file_reader_factory(Arc::new(hints)))
        };
        // Read errors name their file (a cluster's plans travel as DataFusion's own scans).
        let source = if plain { source } else { crate::lake::NamedFileSource::wrap(source) };
        let conf = FileScanConfigBuilder::from(conf.clone()).with_source(source).build();
        Ok(DataSourceExec::from_data_source(conf))
    }

    async fn create_writer_physical_plan(
        &self,
        input: Arc<dyn ExecutionPlan>,
        state: &dyn Session,
        conf: FileSinkConfig,
        order_requirements: Option<LexRequirement>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.inner.create_writer_physical_plan(input, state, conf, order_requirements).await
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        self.inner.file_source(table_schema)
    }
}

/// A reader factory whose footers type `columns` as dictionaries (through `ARROW:schema`).
#[derive(Debug)]
struct DictionaryHints {
    inner: Arc<dyn ParquetFileReaderFactory>,
    columns: Arc<HashMap<String, DataType>>,
    hinted: Arc<HintCache>,
}

impl ParquetFileReaderFactory for DictionaryHints {
    fn create_reader(
        &self,
        partition_index: usize,
        file: PartitionedFile,
        metadata_size_hint: Option<usize>,
        metrics: &ExecutionPlanMetricsSet,
    ) -> DfResult<Box<dyn AsyncFileReader + Send>> {
        let inner = self.inner.create_reader(partition_index, file, metadata_size_hint, metrics)?;
        Ok(Box::new(HintedReader { inner, columns: Arc::clone(&self.columns), hinted: Arc::clone(&self.hinted) }))
    }
}

struct HintedReader {
    inner: Box<dyn AsyncFileReader + Send>,
    columns: Arc<HashMap<String, DataType>>,
    hinted: Arc<HintCache>,
}

impl AsyncFileReader for HintedReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, datafusion::parquet::errors::Result<bytes::Bytes>> {
        self.inner.get_bytes(range)
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, datafusion::parquet::errors::Result<Vec<bytes::Bytes>>> {
        self.inner.get_byte_ranges(ranges)
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, datafusion::parquet::errors::Result<Arc<ParquetMetaData>>> {
        let columns = Arc::clone(&self.columns);
        let cache = Arc::clone(&self.hinted);
        self.inner.get_metadata(options).map(move |m| m.and_then(|m| hinted_cached(&m, &columns, &cache))).boxed()
    }
}

/// [`hinted`], once per footer.
fn hinted_cached(
    metadata: &Arc<ParquetMetaData>,
    columns: &HashMap<String, DataType>,
    cache: &HintCache,
) -> datafusion::parquet::errors::Result<Arc<ParquetMetaData>> {
    let key = Arc::as_ptr(metadata) as usize;
    if let Ok(cache) = cache.lock()
        && let Some((_, hinted)) = cache.get(&key)
    {
        return Ok(Arc::clone(hinted));
    }
    let result = hinted(metadata, columns)?;
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= MAX_HINTED {
            cache.clear();
        }
        cache.insert(key, (Arc::clone(metadata), Arc::clone(&result)));
    }
    Ok(result)
}

/// `metadata` with an `ARROW:schema` that types `columns` as dictionaries: those that are
/// top-level byte arrays of the matching kind in this file (see the module docs).
fn hinted(
    metadata: &Arc<ParquetMetaData>,
    columns: &HashMap<String, DataType>,
) -> datafusion::parquet::errors::Result<Arc<ParquetMetaData>> {
    let file = metadata.file_metadata();
    let descr = file.schema_descr();
    // A footer whose schema does not convert is left for the reader to report as it would.
    let Ok(schema) = parquet_to_arrow_schema(descr, file.key_value_metadata()) else {
        return Ok(Arc::clone(metadata));
    };
    let mut wanted = HashMap::new();
    for column in descr.columns() {
        let Some(t) = columns.get(column.name()) else { continue };
        let utf8 = column.converted_type() == ConvertedType::UTF8;
        if column.path().parts().len() == 1
            && column.physical_type() == PhysicalType::BYTE_ARRAY
            && *t == dictionary_type(utf8)
        {
            wanted.insert(column.name().to_owned(), t.clone());
        }
    }
    if wanted.is_empty() {
        return Ok(Arc::clone(metadata));
    }
    let encoded = encode_arrow_schema(&typed(&schema, &HashSet::new(), &wanted));
    let mut kv: Vec<KeyValue> = file
        .key_value_metadata()
        .map(|kv| kv.iter().filter(|k| k.key != ARROW_SCHEMA_META_KEY).cloned().collect())
        .unwrap_or_default();
    kv.push(KeyValue::new(ARROW_SCHEMA_META_KEY.to_owned(), encoded));
    let file_metadata = FileMetaData::new(
        file.version(),
        file.num_rows(),
        file.created_by().map(str::to_owned),
        Some(kv),
        file.schema_descr_ptr(),
        file.column_orders().cloned(),
    );
    let rebuilt = ParquetMetaDataBuilder::new(file_metadata)
        .set_row_groups(metadata.row_groups().to_vec())
        .set_column_index(metadata.column_index().cloned())
        .set_offset_index(metadata.offset_index().cloned())
        .build();
    Ok(Arc::new(rebuilt))
}
