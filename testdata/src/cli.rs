//! Command-line options of the generator, shared by `gen-telemetry` and `kql gen`.

use std::path::PathBuf;
use std::time::Duration;

use arrow::datatypes::TimeUnit;

use crate::documented::DynamicStorage;
use crate::lake::{Compression, LakeOptions, Layout};
use crate::schema::{PhysicalTypes, StringEncoding, Table};
use crate::{Error, Generator};

/// Options for generating a lake.
#[derive(Clone, Debug, clap::Args)]
pub struct GenArgs {
    /// Folder to write the lake into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Background rows per event table (DeviceInfo gets one per hundred).
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Random seed; the same seed and settings give identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// End of the data (RFC 3339). Hunts pin `now()` to it to find the planted activity.
    #[arg(long, default_value = "2024-06-01T12:00:00Z")]
    pub now: String,
    /// Devices in the estate.
    #[arg(long, default_value_t = 500)]
    pub devices: usize,
    /// Days of background before `--now`.
    #[arg(long, default_value_t = 7)]
    pub window_days: u64,
    /// `file` (one Parquet file per table) or `hive` (a folder per table, `date=YYYY-MM-DD`).
    #[arg(long, default_value = "file")]
    pub layout: Layout,
    /// Rows per Parquet row group.
    #[arg(long, default_value_t = 1 << 20)]
    pub row_group_size: usize,
    /// Parquet compression: `zstd`, `snappy` or `none`.
    #[arg(long, default_value = "zstd")]
    pub compression: Compression,
    /// Only these tables (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,...")]
    pub tables: Vec<String>,
    /// Write documented tables instead (every table of this folder of table schemas, such as
    /// `../shared/schema/tables`, or those of --tables) with plausible values and no planted
    /// ground truth; `--rows` rows per table.
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// With --schemas: store `dynamic` columns as plain strings (`string`, as Defender exports
    /// them) or with Parquet's JSON logical type (`json`).
    #[arg(long, default_value = "string", value_name = "string|json")]
    pub dynamic: DynamicStorage,
    /// Timestamp unit: `s`, `ms`, `us` or `ns`.
    #[arg(long, default_value = "us", value_parser = parse_unit)]
    pub time_unit: TimeUnit,
    /// Write timestamps without the UTC zone.
    #[arg(long)]
    pub no_utc: bool,
    /// String layout: `utf8`, `large`, `view` or `dictionary`.
    #[arg(long, default_value = "utf8", value_parser = parse_strings)]
    pub strings: StringEncoding,
    /// In the hive layout, rows per file.
    #[arg(long, default_value_t = 1 << 20)]
    pub rows_per_file: usize,
    /// Rows per generated batch.
    #[arg(long, default_value_t = 65_536)]
    pub batch_size: usize,
}

fn parse_unit(s: &str) -> Result<TimeUnit, String> {
    match s {
        "s" => Ok(TimeUnit::Second),
        "ms" => Ok(TimeUnit::Millisecond),
        "us" => Ok(TimeUnit::Microsecond),
        "ns" => Ok(TimeUnit::Nanosecond),
        _ => Err(format!("unknown unit `{s}`; use s, ms, us or ns")),
    }
}

fn parse_strings(s: &str) -> Result<StringEncoding, String> {
    match s {
        "utf8" => Ok(StringEncoding::Utf8),
        "large" => Ok(StringEncoding::LargeUtf8),
        "view" => Ok(StringEncoding::Utf8View),
        "dictionary" => Ok(StringEncoding::Dictionary),
        _ => Err(format!("unknown string layout `{s}`; use utf8, large, view or dictionary")),
    }
}

impl GenArgs {
    /// The generator these options describe.
    ///
    /// # Errors
    /// On an invalid `--now` or settings that cannot work.
    pub fn generator(&self) -> Result<Generator, Error> {
        Generator::builder()
            .seed(self.seed)
            .rows(self.rows)
            .devices(self.devices)
            .now_rfc3339(&self.now)?
            .window(Duration::from_secs(self.window_days * 86_400))
            .batch_size(self.batch_size)
            .physical(PhysicalTypes { time_unit: self.time_unit, utc: !self.no_utc, strings: self.strings })
            .build()
    }

    /// The lake options these options describe.
    ///
    /// # Errors
    /// For a table name the generator does not write.
    pub fn lake_options(&self) -> Result<LakeOptions, Error> {
        let tables = if self.tables.is_empty() {
            Table::ALL.to_vec()
        } else {
            self.tables.iter().map(|t| t.parse::<Table>().map_err(Error::Config)).collect::<Result<_, _>>()?
        };
        Ok(LakeOptions {
            layout: self.layout,
            row_group_size: self.row_group_size,
            compression: self.compression,
            tables,
            rows_per_file: self.rows_per_file,
        })
    }

    /// Writes the lake these options describe (the RMM lake, or documented tables with
    /// `--schemas`) and returns the summary to print.
    ///
    /// # Errors
    /// On bad settings, or I/O, Arrow and Parquet errors.
    pub fn write(&self) -> Result<String, Error> {
        let Some(dir) = &self.schemas else {
            let generator = self.generator()?;
            return Ok(crate::write_lake(&generator, &self.out, &self.lake_options()?)?.to_string());
        };
        let schemas = crate::documented::load_schemas(dir)?;
        let now = crate::parse_rfc3339(&self.now).map_err(Error::Config)?;
        let config = crate::documented::DocConfig {
            seed: self.seed,
            rows: self.rows,
            now,
            window: i64::try_from(self.window_days.saturating_mul(86_400))
                .unwrap_or(i64::MAX)
                .saturating_mul(crate::time::NANOS_PER_SECOND),
            devices: self.devices.max(1),
            batch_size: self.batch_size.max(1),
            physical: PhysicalTypes { time_unit: self.time_unit, utc: !self.no_utc, strings: self.strings },
            dynamic: self.dynamic,
        };
        let generator = crate::documented::DocumentedGenerator::new(schemas, config);
        let options = crate::documented::DocLakeOptions {
            layout: self.layout,
            row_group_size: self.row_group_size,
            compression: self.compression,
            tables: self.tables.clone(),
            rows_per_file: self.rows_per_file,
        };
        Ok(crate::documented::write_documented_lake(&generator, &self.out, &options)?.to_string())
    }
}
