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

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Result as DfResult, Statistics, internal_datafusion_err};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::{CachedParquetFileReaderFactory, ParquetFileReaderFactory};
use datafusion::datasource::physical_plan::{FileScanConfig, FileScanConfigBuilder, FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::object_store::{ObjectMeta, ObjectStore};
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::arrow::{ARROW_SCHEMA_META_KEY, encode_arrow_schema, parquet_to_arrow_schema};
use datafusion::parquet::basic::{ConvertedType, Type as PhysicalType};
use datafusion::parquet::file::metadata::{FileMetaData, KeyValue, ParquetMetaData, ParquetMetaDataBuilder};
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

/// `schema` with the named columns typed as given (their metadata kept).
pub(crate) fn with_dictionary_columns(schema: &Schema, columns: &HashMap<String, DataType>) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match columns.get(f.name()) {
            Some(t) => f.as_ref().clone().with_data_type(t.clone()),
            None => f.as_ref().clone(),
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// Whether a column type can be read as a dictionary of strings.
pub(crate) fn readable_as_dictionary(t: &DataType) -> bool {
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

/// Parquet, with the named columns read as Arrow dictionaries.
#[derive(Debug)]
pub(crate) struct KqlParquetFormat {
    inner: ParquetFormat,
    dictionary: Arc<HashMap<String, DataType>>,
}

impl KqlParquetFormat {
    pub(crate) fn new(inner: ParquetFormat, dictionary: HashMap<String, DataType>) -> Self {
        Self { inner, dictionary: Arc::new(dictionary) }
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
        Ok(Arc::new(with_dictionary_columns(&schema, &self.dictionary)))
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

    async fn create_physical_plan(
        &self,
        state: &dyn Session,
        conf: FileScanConfig,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if self.dictionary.is_empty() {
            return self.inner.create_physical_plan(state, conf).await;
        }
        // ParquetFormat's own plan, with a reader factory that adds the dictionary hints to
        // each footer (around the same cached factory ParquetFormat uses).
        let mut source = conf
            .file_source()
            .downcast_ref::<ParquetSource>()
            .cloned()
            .ok_or_else(|| internal_datafusion_err!("expected a ParquetSource"))?;
        source = source.with_table_parquet_options(self.inner.options().clone());
        let metadata_cache = state.runtime_env().cache_manager.get_file_metadata_cache();
        let store = state.runtime_env().object_store(conf.object_store_url.clone())?;
        let cached = Arc::new(CachedParquetFileReaderFactory::new(store, metadata_cache));
        source = source.with_parquet_file_reader_factory(Arc::new(DictionaryHints {
            inner: cached,
            columns: Arc::clone(&self.dictionary),
        }));
        if let Some(hint) = self.inner.metadata_size_hint() {
            source = source.with_metadata_size_hint(hint);
        }
        let conf = FileScanConfigBuilder::from(conf).with_source(Arc::new(source)).build();
        Ok(DataSourceExec::from_data_source(conf))
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
        Ok(Box::new(HintedReader { inner, columns: Arc::clone(&self.columns) }))
    }
}

struct HintedReader {
    inner: Box<dyn AsyncFileReader + Send>,
    columns: Arc<HashMap<String, DataType>>,
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
        self.inner.get_metadata(options).map(move |m| m.and_then(|m| hinted(&m, &columns))).boxed()
    }
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
            && schema.field_with_name(column.name()).is_ok_and(|f| readable_as_dictionary(f.data_type()))
        {
            wanted.insert(column.name().to_owned(), t.clone());
        }
    }
    if wanted.is_empty() {
        return Ok(Arc::clone(metadata));
    }
    let encoded = encode_arrow_schema(&with_dictionary_columns(&schema, &wanted));
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
