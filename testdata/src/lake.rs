//! Writing a generated lake: one Parquet file per table, or a folder per table partitioned by
//! day (`date=YYYY-MM-DD/`) with several files per partition. Rows are sorted by `Timestamp`
//! within each file, as real exports are. Files are written under a temporary name and renamed
//! when complete, so an interrupted run leaves no half-written file behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use arrow::array::{Array, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::Error;
use crate::generator::Generator;
use crate::schema::Table;
use crate::time::{NANOS_PER_DAY, date_of, nanos_at};

/// File layout of a lake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// `<lake>/<Table>.parquet`
    #[default]
    File,
    /// `<lake>/<Table>/date=YYYY-MM-DD/part-NNNNN.parquet`
    Hive,
}

impl FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "file" => Ok(Self::File),
            "hive" => Ok(Self::Hive),
            _ => Err(format!("unknown layout `{s}`; use `file` or `hive`")),
        }
    }
}

/// Parquet compression codec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// zstd (level 3).
    #[default]
    Zstd,
    /// snappy.
    Snappy,
    /// none.
    None,
}

impl FromStr for Compression {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zstd" => Ok(Self::Zstd),
            "snappy" => Ok(Self::Snappy),
            "none" => Ok(Self::None),
            _ => Err(format!("unknown compression `{s}`; use `zstd`, `snappy` or `none`")),
        }
    }
}

/// How to write a lake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LakeOptions {
    /// File layout.
    pub layout: Layout,
    /// Rows per Parquet row group.
    pub row_group_size: usize,
    /// Compression codec.
    pub compression: Compression,
    /// Which tables (all by default).
    pub tables: Vec<Table>,
    /// In the hive layout, start a new file after this many rows.
    pub rows_per_file: usize,
}

impl Default for LakeOptions {
    fn default() -> Self {
        Self {
            layout: Layout::File,
            row_group_size: 1 << 20,
            compression: Compression::Zstd,
            tables: Table::ALL.to_vec(),
            rows_per_file: 1 << 20,
        }
    }
}

/// What was written for one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSummary {
    /// The table.
    pub table: Table,
    /// Rows written (background and planted).
    pub rows: u64,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Bytes on disk.
    pub bytes: u64,
}

/// What [`write_lake`] wrote.
#[derive(Clone, Debug)]
pub struct LakeSummary {
    /// Per table, in the order asked.
    pub tables: Vec<TableSummary>,
    /// The ground-truth manifest (`<lake>/manifest.json`).
    pub manifest: PathBuf,
    /// Wall time.
    pub elapsed: Duration,
}

impl std::fmt::Display for LakeSummary {
    /// One line per table (rows, files, size), then the totals and the manifest's path.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: f64 = 1024.0 * 1024.0;
        for t in &self.tables {
            writeln!(
                f,
                "{:<28} {:>12} rows {:>4} file(s) {:>10.1} MiB",
                t.table.name(),
                t.rows,
                t.files.len(),
                t.bytes as f64 / MIB
            )?;
        }
        let secs = self.elapsed.as_secs_f64();
        writeln!(
            f,
            "{} rows, {:.1} MiB in {secs:.1} s ({:.0} rows/s); manifest: {}",
            self.rows(),
            self.bytes() as f64 / MIB,
            self.rows() as f64 / secs.max(1e-9),
            self.manifest.display()
        )
    }
}

impl LakeSummary {
    /// Rows written in all tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Bytes written in all tables.
    pub fn bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum()
    }
}

/// Writes the generator's tables under `dir` (created if missing) with the manifest beside
/// them. Tables are written in parallel, one thread each (up to the available cores).
///
/// # Errors
/// On I/O, Arrow or Parquet errors, naming the file.
pub fn write_lake(generator: &Generator, dir: &Path, options: &LakeOptions) -> Result<LakeSummary, Error> {
    let started = Instant::now();
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // Tables are handed to a few workers as they free up (tables differ a lot in size).
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, options.tables.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<Result<TableSummary, Error>>>> =
        std::sync::Mutex::new(options.tables.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&table) = options.tables.get(i) else { break };
                    let result = write_table(generator, table, dir, options);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    if results.iter().any(Option::is_none) {
        return Err(Error::Config("a table writer stopped unexpectedly".into()));
    }
    let tables = results.into_iter().flatten().collect::<Result<Vec<_>, _>>()?;
    let manifest = dir.join("manifest.json");
    let json = serde_json::to_string_pretty(&generator.manifest()).map_err(|e| Error::Config(e.to_string()))?;
    write_atomically(&manifest, json.as_bytes())?;
    Ok(LakeSummary { tables, manifest, elapsed: started.elapsed() })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = temp_path(path);
    fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

fn properties(compression: Compression, row_group_size: usize) -> WriterProperties {
    let compression = match compression {
        Compression::Zstd => ParquetCompression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()),
        Compression::Snappy => ParquetCompression::SNAPPY,
        Compression::None => ParquetCompression::UNCOMPRESSED,
    };
    WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(row_group_size.max(1)))
        // Page statistics and the page index let readers skip by time.
        .set_statistics_enabled(EnabledStatistics::Page)
        .build()
}

/// An open Parquet file being written under its temporary name.
struct OpenFile {
    path: PathBuf,
    writer: ArrowWriter<fs::File>,
    rows: usize,
}

impl OpenFile {
    fn create(path: PathBuf, batch: &RecordBatch, props: &WriterProperties) -> Result<Self, Error> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let tmp = temp_path(&path);
        let file = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let writer =
            ArrowWriter::try_new(file, batch.schema(), Some(props.clone())).map_err(|e| Error::parquet(&path, e))?;
        Ok(Self { path, writer, rows: 0 })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.rows += batch.num_rows();
        self.writer.write(batch).map_err(|e| Error::parquet(&self.path, e))
    }

    fn finish(self) -> Result<(PathBuf, u64), Error> {
        self.writer.close().map_err(|e| Error::parquet(&self.path, e))?;
        let tmp = temp_path(&self.path);
        fs::rename(&tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        let bytes = fs::metadata(&self.path).map_err(|e| Error::io(&self.path, e))?.len();
        Ok((self.path, bytes))
    }
}

fn write_table(generator: &Generator, table: Table, dir: &Path, options: &LakeOptions) -> Result<TableSummary, Error> {
    let mut writer = TableWriter::new(
        table.name(),
        dir,
        options.layout,
        options.rows_per_file,
        Some(0),
        &options.compression,
        options.row_group_size,
    );
    let mut rows = 0u64;
    for batch in generator.batches(table) {
        let batch = batch.map_err(|e| Error::Arrow(table.name().to_owned(), e))?;
        rows += batch.num_rows() as u64;
        writer.write(&batch)?;
    }
    let (files, bytes) = writer.finish_files()?;
    Ok(TableSummary { table, rows, files, bytes })
}

/// Writes one table's sorted batches: one file (`<Table>.parquet`), or a folder partitioned by
/// day with at most `rows_per_file` rows per file (hive).
pub(crate) struct TableWriter {
    name: String,
    dir: PathBuf,
    layout: Layout,
    rows_per_file: usize,
    /// The column the hive layout partitions by.
    time_column: Option<usize>,
    props: WriterProperties,
    open: Option<(String, OpenFile)>,
    part: usize,
    files: Vec<PathBuf>,
    bytes: u64,
}

impl TableWriter {
    pub(crate) fn new(
        name: &str,
        dir: &Path,
        layout: Layout,
        rows_per_file: usize,
        time_column: Option<usize>,
        compression: &Compression,
        row_group_size: usize,
    ) -> Self {
        Self {
            name: name.to_owned(),
            dir: dir.to_path_buf(),
            layout,
            rows_per_file,
            time_column,
            props: properties(*compression, row_group_size),
            open: None,
            part: 0,
            files: Vec::new(),
            bytes: 0,
        }
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        for (date, piece) in split(batch, self.layout, self.time_column) {
            let rotate = match &self.open {
                None => true,
                // The file layout has exactly one file per table.
                Some((open_date, f)) => {
                    self.layout == Layout::Hive && (*open_date != date || f.rows >= self.rows_per_file)
                }
            };
            if rotate {
                self.close()?;
                let path = match self.layout {
                    Layout::File => self.dir.join(format!("{}.parquet", self.name)),
                    Layout::Hive => {
                        self.part += 1;
                        let folder = self.dir.join(&self.name);
                        let folder = if date.is_empty() { folder } else { folder.join(format!("date={date}")) };
                        folder.join(format!("part-{:05}.parquet", self.part))
                    }
                };
                self.open = Some((date.clone(), OpenFile::create(path, &piece, &self.props)?));
            }
            if let Some((_, f)) = self.open.as_mut() {
                f.write(&piece)?;
            }
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), Error> {
        if let Some((_, f)) = self.open.take() {
            let (path, bytes) = f.finish()?;
            self.files.push(path);
            self.bytes += bytes;
        }
        Ok(())
    }

    /// Closes the last file: the files written and their bytes.
    pub(crate) fn finish_files(mut self) -> Result<(Vec<PathBuf>, u64), Error> {
        self.close()?;
        Ok((self.files, self.bytes))
    }

    /// Closes the last file: how many files, and their bytes.
    pub(crate) fn finish(self) -> Result<(usize, u64), Error> {
        let (files, bytes) = self.finish_files()?;
        Ok((files.len(), bytes))
    }
}

/// Splits a sorted batch at day boundaries of its time column (hive layout); the file layout,
/// and a table without a time column, keep it whole.
fn split(batch: &RecordBatch, layout: Layout, time_column: Option<usize>) -> Vec<(String, RecordBatch)> {
    let Some(time_column) = time_column.filter(|_| layout == Layout::Hive && batch.num_rows() > 0) else {
        return vec![(String::new(), batch.clone())];
    };
    let times = batch.column(time_column);
    let day_of = |i: usize| nanos_at(times.as_ref(), i).unwrap_or(0).div_euclid(NANOS_PER_DAY);
    let mut out = Vec::new();
    let mut start = 0;
    let mut day = day_of(0);
    for i in 1..times.len() {
        let d = day_of(i);
        if d != day {
            out.push((date_of(day * NANOS_PER_DAY), batch.slice(start, i - start)));
            day = d;
            start = i;
        }
    }
    out.push((date_of(day * NANOS_PER_DAY), batch.slice(start, batch.num_rows() - start)));
    out
}
