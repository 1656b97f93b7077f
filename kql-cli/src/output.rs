//! Result formats (table, csv, json, ndjson, parquet) and output files that appear whole or not
//! at all.

use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use comfy_table::{ContentArrangement, Table, presets};
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use kql_engine::format::field_text_value;
use tempfile::NamedTempFile;

use crate::failure::{CliResult, Failure};

/// How results are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A pretty table (the default).
    Table,
    /// CSV with a header row; dynamic values as JSON, nulls empty.
    Csv,
    /// A JSON array of objects per result.
    Json,
    /// One JSON object per row, one per line.
    Ndjson,
    /// A Parquet file with the result's own types (needs --output).
    Parquet,
}

/// Standard output, or a file that only appears, complete, when [`Sink::commit`] is called (it
/// is written to a hidden temporary file beside the target and renamed into place).
#[derive(Debug)]
pub(crate) enum Sink {
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A file being written.
    File {
        /// The temporary file (removed if dropped before `commit`).
        tmp: BufWriter<NamedTempFile>,
        /// Where it goes.
        path: PathBuf,
    },
}

impl Sink {
    /// Standard output, or a temporary file beside `path`.
    pub(crate) fn create(path: Option<&Path>) -> CliResult<Self> {
        let Some(path) = path else { return Ok(Self::Stdout(BufWriter::new(io::stdout()))) };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".kql-output-")
            .tempfile_in(dir)
            .map_err(|e| Failure::query(format!("kql: cannot write {}: {e}", path.display())))?;
        Ok(Self::File { tmp: BufWriter::new(tmp), path: path.to_path_buf() })
    }

    /// Whether this is a terminal.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self, Self::Stdout(_)) && io::stdout().is_terminal()
    }

    /// Flushes, and moves a file into place.
    pub(crate) fn commit(self) -> CliResult<()> {
        match self {
            Self::Stdout(mut out) => out.flush().or_else(ignore_broken_pipe).map_err(write_error),
            Self::File { tmp, path } => {
                let tmp = tmp.into_inner().map_err(|e| write_error(e.into_error()))?;
                tmp.as_file().sync_all().map_err(write_error)?;
                tmp.persist(&path)
                    .map_err(|e| Failure::query(format!("kql: cannot write {}: {}", path.display(), e.error)))?;
                Ok(())
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Stdout(w) => w.write(buf),
            Self::File { tmp, .. } => tmp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(w) => w.flush(),
            Self::File { tmp, .. } => tmp.flush(),
        }
    }
}

/// `kql ... | head` closes the pipe early; that is not an error.
fn ignore_broken_pipe(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe { Ok(()) } else { Err(e) }
}

pub(crate) fn write_error(e: io::Error) -> Failure {
    Failure::query(format!("kql: cannot write the output: {e}"))
}

/// Writes results in a format, batch by batch (the table format collects them first, to size
/// its columns).
pub(crate) struct ResultWriter {
    format: Format,
    sink: Option<Sink>,
    results: usize,
    // table: the batches of the current result
    pending: Vec<RecordBatch>,
    schema: Option<SchemaRef>,
    // json: rows written in the current array
    rows: usize,
    parquet: Option<ArrowWriter<Sink>>,
    terminal: bool,
}

impl std::fmt::Debug for ResultWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultWriter").field("format", &self.format).field("results", &self.results).finish()
    }
}

impl ResultWriter {
    pub(crate) fn new(format: Format, sink: Sink) -> Self {
        let terminal = sink.is_terminal();
        Self {
            format,
            sink: Some(sink),
            results: 0,
            pending: Vec::new(),
            schema: None,
            rows: 0,
            parquet: None,
            terminal,
        }
    }

    fn sink(&mut self) -> CliResult<&mut Sink> {
        self.sink.as_mut().ok_or_else(|| Failure::query("kql: internal error: the output is closed"))
    }

    /// Starts a result with these columns.
    pub(crate) fn begin(&mut self, schema: SchemaRef) -> CliResult<()> {
        let first = self.results == 0;
        self.results += 1;
        self.pending.clear();
        self.rows = 0;
        match self.format {
            Format::Table | Format::Csv if !first => self.sink()?.write_all(b"\n").map_err(write_error)?,
            Format::Json if !first => self.sink()?.write_all(b"\n").map_err(write_error)?,
            _ => {}
        }
        match self.format {
            Format::Csv => {
                let header = vec![schema.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>()];
                let bytes = csv_bytes(header)?;
                self.sink()?.write_all(&bytes).map_err(write_error)?;
            }
            Format::Json => self.sink()?.write_all(b"[").map_err(write_error)?,
            Format::Parquet => {
                if !first {
                    return Err(Failure::usage(
                        "kql: the query has several results; Parquet output holds one (run them one at a time)",
                    ));
                }
                let props =
                    WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
                let sink = self.sink.take().ok_or_else(|| Failure::query("kql: internal error: no output"))?;
                let writer = ArrowWriter::try_new(sink, std::sync::Arc::clone(&schema), Some(props))
                    .map_err(|e| Failure::query(format!("kql: cannot write Parquet: {e}")))?;
                self.parquet = Some(writer);
            }
            Format::Table | Format::Ndjson => {}
        }
        self.schema = Some(schema);
        Ok(())
    }

    /// Writes a batch of the current result.
    pub(crate) fn batch(&mut self, batch: &RecordBatch) -> CliResult<()> {
        match self.format {
            Format::Table => self.pending.push(batch.clone()),
            Format::Csv => {
                let schema = batch.schema();
                let rows = (0..batch.num_rows())
                    .map(|r| {
                        batch
                            .columns()
                            .iter()
                            .zip(schema.fields())
                            .map(|(c, f)| field_text_value(f, c.as_ref(), r))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(value_error)?;
                let bytes = csv_bytes(rows)?;
                self.sink()?.write_all(&bytes).map_err(write_error)?;
            }
            Format::Json | Format::Ndjson => {
                let rows = kql_engine::format::json_rows(batch).map_err(value_error)?;
                let json = self.format == Format::Json;
                let mut count = self.rows;
                let sink = self.sink()?;
                for row in rows {
                    if json {
                        sink.write_all(if count == 0 { b"\n  " } else { b",\n  " }).map_err(write_error)?;
                    }
                    serde_json::to_writer(&mut *sink, &row).map_err(|e| write_error(e.into()))?;
                    if !json {
                        sink.write_all(b"\n").map_err(write_error)?;
                    }
                    count += 1;
                }
                self.rows = count;
            }
            Format::Parquet => {
                let w =
                    self.parquet.as_mut().ok_or_else(|| Failure::query("kql: internal error: parquet not started"))?;
                w.write(batch).map_err(|e| Failure::query(format!("kql: cannot write Parquet: {e}")))?;
            }
        }
        Ok(())
    }

    /// Whether notes for a person are shown: a table on a terminal.
    pub(crate) fn shows_notes(&self) -> bool {
        self.format == Format::Table && self.terminal
    }

    /// A line of text between results (block headers), in the table format only: machine
    /// formats stay parseable.
    pub(crate) fn note(&mut self, text: &str) -> CliResult<()> {
        if self.format == Format::Table {
            let sink = self.sink()?;
            sink.write_all(text.as_bytes()).map_err(write_error)?;
            sink.write_all(b"\n").map_err(write_error)?;
        }
        Ok(())
    }

    /// Ends the current result.
    pub(crate) fn end(&mut self) -> CliResult<()> {
        match self.format {
            Format::Table => {
                let schema = self.schema.clone().ok_or_else(|| Failure::query("kql: internal error: no schema"))?;
                let text = render_table(&schema, &self.pending, self.terminal)?;
                self.pending.clear();
                self.sink()?.write_all(text.as_bytes()).map_err(write_error)?;
            }
            Format::Json => {
                let close: &[u8] = if self.rows == 0 { b"]\n" } else { b"\n]\n" };
                self.sink()?.write_all(close).map_err(write_error)?;
            }
            Format::Csv | Format::Ndjson | Format::Parquet => {}
        }
        Ok(())
    }

    /// Finishes the output (closing a Parquet file) and moves an output file into place.
    pub(crate) fn finish(mut self) -> CliResult<()> {
        if self.results == 0 && self.format == Format::Parquet {
            return Err(Failure::query("kql: the query has no result to write"));
        }
        let sink = match self.parquet.take() {
            Some(w) => w.into_inner().map_err(|e| Failure::query(format!("kql: cannot write Parquet: {e}")))?,
            None => self.sink.take().ok_or_else(|| Failure::query("kql: internal error: no output"))?,
        };
        sink.commit()
    }
}

/// Records as CSV (quoted where needed).
fn csv_bytes(records: Vec<Vec<String>>) -> CliResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.write_record(r).map_err(csv_error)?;
    }
    w.into_inner().map_err(|e| write_error(e.into_error()))
}

fn csv_error(e: csv::Error) -> Failure {
    Failure::query(format!("kql: cannot write CSV: {e}"))
}

fn value_error(e: datafusion::error::DataFusionError) -> Failure {
    Failure::query(format!("kql: cannot format a value: {e}"))
}

/// A result as a pretty table: strings as stored, nulls as `null`, datetimes in ISO 8601 UTC,
/// timespans as Kusto prints them, dynamic values as JSON. On a terminal the table fits its
/// width; elsewhere columns are never wrapped.
pub(crate) fn render_table(schema: &SchemaRef, batches: &[RecordBatch], terminal: bool) -> CliResult<String> {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(if terminal { ContentArrangement::Dynamic } else { ContentArrangement::Disabled });
    table.set_header(schema.fields().iter().map(|f| f.name().clone()));
    for b in batches {
        for r in 0..b.num_rows() {
            let cells = b
                .columns()
                .iter()
                .zip(schema.fields())
                .map(|(c, f)| if c.is_null(r) { Ok("null".to_owned()) } else { field_text_value(f, c.as_ref(), r) })
                .collect::<Result<Vec<_>, _>>()
                .map_err(value_error)?;
            table.add_row(cells);
        }
    }
    Ok(format!("{table}\n"))
}
