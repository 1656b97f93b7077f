//! Any documented table (`../shared/schema/tables/*.json`: `{"name", "columns": [[name, type],
//! ...]}`) filled with plausible values, so hunts over `DeviceEvents`, `DeviceLogonEvents`,
//! `EmailEvents`, `IdentityLogonEvents` and the rest have data to run on.
//!
//! Every documented column is written, in documented order. The columns of one row agree with
//! each other: a device's id and name, an account's name, domain, SID and UPN, a process
//! image's file name, path, hashes and command line (and the initiating process's, and its
//! parent's). Times spread over the window ending at `now`, sorted within each file; a table's
//! `Timestamp` and `TimeGenerated` are the same instant. `dynamic` columns hold JSON text
//! (`AdditionalFields` gets property bags with the keys public hunts read), written as plain
//! strings the way Defender exports them, or with Parquet's JSON logical type.
//!
//! No ground truth is planted here: these tables exist so that queries run; the RMM hunts'
//! ground truth stays with [`crate::Generator`].
//!
//! ```no_run
//! let schemas = testdata::documented::load_schemas("../shared/schema/tables".as_ref())?;
//! let generator = testdata::documented::DocumentedGenerator::new(schemas, testdata::documented::DocConfig::default());
//! let options = testdata::documented::DocLakeOptions::default();
//! testdata::documented::write_documented_lake(&generator, "lake".as_ref(), &options)?;
//! # Ok::<(), testdata::Error>(())
//! ```

mod columns;
mod values;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use self::columns::DocType;
use self::columns::{AccountField, DeviceField, Fill, ImageField, Who, fill_of};
use self::values::Vocab;
use crate::Error;
use crate::background::{Entities, string_array};
use crate::lake::{Compression, Layout, TableWriter};
use crate::pools::Pools;
use crate::schema::PhysicalTypes;
use crate::time::{NANOS_PER_SECOND, timestamp_array};

/// One documented table: its name and columns with their KQL types, in documented order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentedSchema {
    /// The table name.
    pub name: String,
    /// `(column, type)` in documented order.
    pub columns: Vec<(String, DocType)>,
}

/// Reads every `*.json` table schema of a folder, sorted by table name.
///
/// # Errors
/// When the folder cannot be read or a file is not a table schema (the file is named).
pub fn load_schemas(dir: &Path) -> Result<Vec<DocumentedSchema>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for e in entries {
        let path = e.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        out.push(parse_schema(&text).map_err(|why| Error::Config(format!("{}: {why}", path.display())))?);
    }
    if out.is_empty() {
        return Err(Error::Config(format!("{}: no table schema files (*.json)", dir.display())));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn parse_schema(text: &str) -> Result<DocumentedSchema, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let name = v.get("name").and_then(serde_json::Value::as_str).ok_or("no table `name`")?.to_owned();
    let cols = v.get("columns").and_then(serde_json::Value::as_array).ok_or("no `columns` list")?;
    let mut columns = Vec::with_capacity(cols.len());
    for c in cols {
        let (Some(col), Some(ty)) = (c.get(0).and_then(|x| x.as_str()), c.get(1).and_then(|x| x.as_str())) else {
            return Err("a column is not [name, type]".into());
        };
        let t = DocType::from_name(ty).ok_or_else(|| format!("column `{col}`: unknown type `{ty}`"))?;
        columns.push((col.to_owned(), t));
    }
    Ok(DocumentedSchema { name, columns })
}

/// How `dynamic` columns are stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DynamicStorage {
    /// Plain strings holding JSON (as Defender exports them; a reader needs the documented
    /// schema to know they are `dynamic`).
    #[default]
    String,
    /// Strings with Parquet's JSON logical type.
    Json,
}

impl std::str::FromStr for DynamicStorage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "string" => Ok(Self::String),
            "json" => Ok(Self::Json),
            _ => Err(format!("unknown dynamic storage `{s}`; use `string` or `json`")),
        }
    }
}

/// Settings of the documented-table generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocConfig {
    /// Random seed; the same seed and settings give identical files.
    pub seed: u64,
    /// Rows per table.
    pub rows: u64,
    /// End of the data, nanoseconds since the Unix epoch.
    pub now: i64,
    /// Length of the data window, nanoseconds.
    pub window: i64,
    /// Devices in the estate.
    pub devices: usize,
    /// Rows per batch.
    pub batch_size: usize,
    /// Physical Arrow types.
    pub physical: PhysicalTypes,
    /// How `dynamic` columns are stored.
    pub dynamic: DynamicStorage,
}

impl Default for DocConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            rows: 100_000,
            now: 1_717_243_200 * NANOS_PER_SECOND,
            window: 7 * 86_400 * NANOS_PER_SECOND,
            devices: 500,
            batch_size: 65_536,
            physical: PhysicalTypes::default(),
            dynamic: DynamicStorage::String,
        }
    }
}

/// One table's column fills.
#[derive(Debug)]
struct Plan {
    schema: SchemaRef,
    fills: Vec<Fill>,
    types: Vec<DocType>,
}

/// The generator of documented tables.
#[derive(Debug)]
pub struct DocumentedGenerator {
    config: DocConfig,
    tables: Vec<(DocumentedSchema, Plan)>,
    pools: Pools,
}

impl DocumentedGenerator {
    /// A generator for these tables.
    pub fn new(schemas: Vec<DocumentedSchema>, config: DocConfig) -> Self {
        let vocab = Vocab::new(config.seed);
        let tables = schemas
            .into_iter()
            .map(|s| {
                let plan = plan(&s, &config, &vocab);
                (s, plan)
            })
            .collect();
        let pools = Pools::new(config.seed, config.devices);
        Self { config, tables, pools }
    }

    /// The settings.
    pub fn config(&self) -> &DocConfig {
        &self.config
    }

    /// The tables' names, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.iter().map(|(s, _)| s.name.clone()).collect()
    }

    /// The Arrow schema a table is written with.
    pub fn schema(&self, table: &str) -> Option<SchemaRef> {
        self.find(table).map(|(_, p)| Arc::clone(&p.schema))
    }

    fn find(&self, table: &str) -> Option<&(DocumentedSchema, Plan)> {
        self.tables.iter().find(|(s, _)| s.name == table)
    }

    /// Batches of a table.
    pub fn batch_count(&self) -> u64 {
        self.config.rows.div_ceil(self.config.batch_size.max(1) as u64)
    }

    /// Batch `index` of `table` (batches are independent and sorted by time, each later than the
    /// one before).
    ///
    /// # Errors
    /// For an unknown table, or an Arrow error (a bug).
    pub fn batch(&self, table: &str, index: u64) -> Result<RecordBatch, Error> {
        let (schema, plan) = self.find(table).ok_or_else(|| Error::Config(format!("unknown table `{table}`")))?;
        let c = &self.config;
        let size = c.batch_size.max(1) as u64;
        let first = index * size;
        let n = size.min(c.rows.saturating_sub(first)) as usize;
        let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
        let stream = schema.name.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        rng.set_stream((stream & 0xffff) << 48 | index);
        let step = c.window as f64 / c.rows.max(1) as f64;
        let start = c.now - c.window;
        let times: Vec<i64> = (0..n)
            .map(|k| (start + (((first + k as u64) as f64 + rng.random::<f64>()) * step) as i64).min(c.now - 1))
            .collect();
        let rows = Rows::new(&self.pools, &mut rng, times, first);
        let columns = plan
            .fills
            .iter()
            .zip(&plan.types)
            .map(|(f, t)| self.column(f, *t, &rows, &mut rng))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Arrow(schema.name.clone(), e))?;
        RecordBatch::try_new(Arc::clone(&plan.schema), columns).map_err(|e| Error::Arrow(schema.name.clone(), e))
    }

    fn column(
        &self,
        fill: &Fill,
        ty: DocType,
        rows: &Rows,
        rng: &mut ChaCha8Rng,
    ) -> Result<ArrayRef, arrow::error::ArrowError> {
        let physical = &self.config.physical;
        let n = rows.times.len();
        let strings = |a: ArrayRef| -> Result<ArrayRef, arrow::error::ArrowError> {
            match ty {
                // Numbers and booleans from text pools (`RemotePort` as a string column).
                DocType::Long | DocType::Int => {
                    let parsed: Vec<Option<i64>> = (0..n).map(|i| text(&a, i).and_then(|s| s.parse().ok())).collect();
                    number_array(ty, parsed)
                }
                _ if physical.strings == crate::schema::StringEncoding::Utf8 => Ok(a),
                _ => string_array((0..n).map(|i| text(&a, i)), physical),
            }
        };
        let pools = &self.pools;
        let pick = |values: &dyn arrow::array::Array, idx: &UInt32Array| take(values, idx, None);
        Ok(match fill {
            Fill::Time => timestamp_array(rows.times.iter().map(|t| Some(*t)), physical),
            Fill::EarlierTime => {
                let times: Vec<Option<i64>> =
                    rows.times.iter().map(|t| Some(t - rng.random_range(0..86_400 * 3) * NANOS_PER_SECOND)).collect();
                timestamp_array(times.into_iter(), physical)
            }
            Fill::Device(f) => {
                let values: &dyn arrow::array::Array = match f {
                    DeviceField::Id => pools.devices.id.values.as_ref(),
                    DeviceField::Name => &pools.devices.name,
                    DeviceField::AadId => &pools.devices.aad_device_id,
                    DeviceField::LocalIp => &pools.devices.local_ip,
                };
                strings(pick(values, &rows.ent.device)?)?
            }
            Fill::Account(f, who) => {
                let a = &pools.accounts;
                let values = match f {
                    AccountField::Name => &a.name,
                    AccountField::Domain => &a.domain,
                    AccountField::Sid => &a.sid,
                    AccountField::Upn => &a.upn,
                    AccountField::ObjectId => &a.object_id,
                };
                let idx = if *who == Who::Main { &rows.ent.account } else { &rows.ent.init_account };
                strings(pick(values, idx)?)?
            }
            Fill::Image(ImageField::Size, who) => {
                let idx = rows.image(*who);
                number_array(ty, idx.values().iter().map(|&i| Some(pools.images.size[i as usize])).collect())?
            }
            Fill::Image(ImageField::CommandLine, who) => {
                let idx = if *who == Who::Main { &rows.ent.command } else { &rows.ent.init_command };
                strings(pick(&pools.images.command_lines, idx)?)?
            }
            Fill::Image(f, who) => {
                let im = &pools.images;
                let values = match f {
                    ImageField::FileName => &im.file_name,
                    ImageField::FolderPath => &im.folder_path,
                    ImageField::Sha1 => &im.sha1,
                    ImageField::Sha256 => &im.sha256,
                    ImageField::Md5 => &im.md5,
                    ImageField::Company => &im.company,
                    ImageField::Product => &im.product,
                    ImageField::Version => &im.version,
                    ImageField::InternalName => &im.internal_name,
                    ImageField::OriginalName => &im.original_name,
                    _ => &im.description,
                };
                strings(pick(values, rows.image(*who))?)?
            }
            Fill::Pool(p) => {
                let idx = UInt32Array::from(p.sampler.many(rng, n));
                strings(pick(p.values.as_ref(), &idx)?)?
            }
            Fill::Fixed(v) => string_array(std::iter::repeat_n(Some(v.as_str()), n), physical)?,
            Fill::Sequence => number_array(ty, (0..n as i64).map(|i| Some(rows.first as i64 + i + 1)).collect())?,
            Fill::Long(lo, hi) => {
                let values = (0..n).map(|_| (!rng.random_bool(0.01)).then(|| rng.random_range(*lo..*hi))).collect();
                number_array(ty, values)?
            }
            Fill::Real(lo, hi) => {
                Arc::new(Float64Array::from((0..n).map(|_| Some(rng.random_range(*lo..*hi))).collect::<Vec<_>>()))
            }
            Fill::Bool(p) => {
                Arc::new(BooleanArray::from((0..n).map(|_| Some(rng.random_bool(*p))).collect::<Vec<_>>()))
            }
        })
    }
}

fn text(a: &ArrayRef, i: usize) -> Option<&str> {
    use arrow::array::{Array, AsArray};
    (!a.is_null(i)).then(|| a.as_string::<i32>().value(i))
}

fn number_array(ty: DocType, values: Vec<Option<i64>>) -> Result<ArrayRef, arrow::error::ArrowError> {
    Ok(match ty {
        DocType::Int => Arc::new(Int32Array::from(values.into_iter().map(|v| v.map(|v| v as i32)).collect::<Vec<_>>())),
        _ => Arc::new(Int64Array::from(values)),
    })
}

/// The draws the columns of one batch share.
struct Rows {
    first: u64,
    times: Vec<i64>,
    ent: Entities,
}

impl Rows {
    fn new(pools: &Pools, rng: &mut ChaCha8Rng, times: Vec<i64>, first: u64) -> Self {
        let ent = Entities::draw(pools, rng, times.len());
        Self { first, times, ent }
    }

    fn image(&self, who: Who) -> &UInt32Array {
        match who {
            Who::Main => &self.ent.image,
            Who::Initiating => &self.ent.init_image,
            Who::Parent => &self.ent.parent_image,
        }
    }
}

/// The fills and Arrow schema of one table.
fn plan(s: &DocumentedSchema, config: &DocConfig, vocab: &Vocab) -> Plan {
    // The main time: `Timestamp`, else `TimeGenerated`, else the first datetime column.
    let primary = ["Timestamp", "TimeGenerated"]
        .iter()
        .find_map(|n| s.columns.iter().position(|(c, t)| c == n && *t == DocType::DateTime))
        .or_else(|| s.columns.iter().position(|(_, t)| *t == DocType::DateTime));
    let mut fills = Vec::with_capacity(s.columns.len());
    let mut fields = Vec::with_capacity(s.columns.len());
    for (i, (name, ty)) in s.columns.iter().enumerate() {
        fills.push(fill_of(&s.name, name, *ty, primary == Some(i), vocab));
        fields.push(field(name, *ty, config));
    }
    Plan { schema: Arc::new(Schema::new(fields)), fills, types: s.columns.iter().map(|(_, t)| *t).collect() }
}

fn field(name: &str, ty: DocType, config: &DocConfig) -> Field {
    let string = match config.physical.strings {
        crate::schema::StringEncoding::Utf8 => DataType::Utf8,
        crate::schema::StringEncoding::LargeUtf8 => DataType::LargeUtf8,
        crate::schema::StringEncoding::Utf8View => DataType::Utf8View,
        crate::schema::StringEncoding::Dictionary => {
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        }
    };
    let t = match ty {
        DocType::String | DocType::Guid | DocType::Dynamic => string,
        DocType::Long | DocType::TimeSpan => DataType::Int64,
        DocType::Int => DataType::Int32,
        DocType::Real => DataType::Float64,
        DocType::Bool => DataType::Boolean,
        DocType::DateTime => DataType::Timestamp(config.physical.time_unit, config.physical.utc.then(|| "UTC".into())),
    };
    let f = Field::new(name, t, true);
    if ty == DocType::Dynamic && config.dynamic == DynamicStorage::Json {
        f.with_metadata(
            [
                ("ARROW:extension:name".to_owned(), "arrow.json".to_owned()),
                ("ARROW:extension:metadata".to_owned(), String::new()),
            ]
            .into(),
        )
    } else {
        f
    }
}

/// How a documented lake is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocLakeOptions {
    /// File layout.
    pub layout: Layout,
    /// Rows per Parquet row group.
    pub row_group_size: usize,
    /// Compression codec.
    pub compression: Compression,
    /// Which tables (all when empty).
    pub tables: Vec<String>,
    /// In the hive layout, start a new file after this many rows.
    pub rows_per_file: usize,
}

impl Default for DocLakeOptions {
    fn default() -> Self {
        Self {
            layout: Layout::File,
            row_group_size: 1 << 20,
            compression: Compression::Zstd,
            tables: Vec::new(),
            rows_per_file: 1 << 20,
        }
    }
}

/// What [`write_documented_lake`] wrote: per table its rows, files and bytes.
#[derive(Clone, Debug)]
pub struct DocumentedSummary {
    /// `(table, rows, files, bytes)`.
    pub tables: Vec<(String, u64, usize, u64)>,
    /// Wall time.
    pub elapsed: Duration,
}

impl std::fmt::Display for DocumentedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: f64 = 1024.0 * 1024.0;
        for (name, rows, files, bytes) in &self.tables {
            writeln!(f, "{name:<44} {rows:>12} rows {files:>4} file(s) {:>10.1} MiB", *bytes as f64 / MIB)?;
        }
        let rows: u64 = self.tables.iter().map(|t| t.1).sum();
        let bytes: u64 = self.tables.iter().map(|t| t.3).sum();
        writeln!(
            f,
            "{} table(s), {rows} rows, {:.1} MiB in {:.1} s",
            self.tables.len(),
            bytes as f64 / MIB,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Writes documented tables under `dir`: the tables asked for (all by default), in parallel.
///
/// # Errors
/// For an unknown table name, or on I/O, Arrow or Parquet errors (naming the file).
pub fn write_documented_lake(
    generator: &DocumentedGenerator,
    dir: &Path,
    options: &DocLakeOptions,
) -> Result<DocumentedSummary, Error> {
    let started = Instant::now();
    let names = if options.tables.is_empty() { generator.table_names() } else { options.tables.clone() };
    let known = generator.table_names();
    if let Some(bad) = names.iter().find(|n| !known.contains(n)) {
        return Err(Error::Config(format!("`{bad}` is not one of the documented tables ({} known)", known.len())));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, names.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(names.iter().map(|_| None).collect::<Vec<Option<Result<_, Error>>>>());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(name) = names.get(i) else { break };
                    let result = write_one(generator, name, dir, options);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let tables = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::Config("a table writer stopped unexpectedly".into()))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DocumentedSummary { tables, elapsed: started.elapsed() })
}

fn write_one(
    generator: &DocumentedGenerator,
    name: &str,
    dir: &Path,
    options: &DocLakeOptions,
) -> Result<(String, u64, usize, u64), Error> {
    let schema = generator.schema(name).ok_or_else(|| Error::Config(format!("unknown table `{name}`")))?;
    let time_column = schema.fields().iter().position(|f| matches!(f.data_type(), DataType::Timestamp(..)));
    let mut writer = TableWriter::new(
        name,
        dir,
        options.layout,
        options.rows_per_file,
        time_column,
        &options.compression,
        options.row_group_size,
    );
    let mut rows = 0u64;
    for index in 0..generator.batch_count() {
        let batch = generator.batch(name, index)?;
        rows += batch.num_rows() as u64;
        writer.write(&batch)?;
    }
    let (files, bytes) = writer.finish()?;
    Ok((name.to_owned(), rows, files, bytes))
}
