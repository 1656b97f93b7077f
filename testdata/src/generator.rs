//! The generator: configuration, and the stream of batches for each table.

use std::collections::BTreeMap;

use arrow::array::{Array, RecordBatch};
use arrow::compute::interleave_record_batch;
use arrow::error::ArrowError;
use rand::Rng;

use crate::Error;
use crate::background::{Background, batch_rng};
use crate::manifest::{self, GeneratorInfo, Manifest};
use crate::plant::{PlantedRow, Planter, rows_to_batch};
use crate::pools::Pools;
use crate::rules::{RULE_WINDOW_SECONDS, rules};
use crate::schema::{PhysicalTypes, Table};
use crate::time::{NANOS_PER_DAY, NANOS_PER_SECOND, format_rfc3339};

/// Settings of a [`Generator`]; see [`GeneratorBuilder`] for the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Random seed: the same seed (and settings) gives the same data.
    pub seed: u64,
    /// Background rows for each event table (`DeviceInfo` gets one per hundred, at least one
    /// per device).
    pub rows: u64,
    /// Devices in the estate.
    pub devices: usize,
    /// The end of the data, in nanoseconds since the Unix epoch (whole seconds).
    pub now: i64,
    /// How far back the background reaches, in nanoseconds.
    pub window: i64,
    /// Rows per generated batch.
    pub batch_size: usize,
    /// Physical Arrow types.
    pub physical: PhysicalTypes,
}

/// Builds a [`Generator`].
///
/// ```
/// let generator = testdata::Generator::builder()
///     .seed(7)
///     .rows(1_000)
///     .now_rfc3339("2024-06-01T12:00:00Z")?
///     .build()?;
/// let batches: Vec<_> = generator.batches(testdata::Table::DeviceNetworkEvents).collect::<Result<_, _>>()?;
/// let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
/// assert_eq!(rows as u64, 1_000 + generator.planted(testdata::Table::DeviceNetworkEvents).len() as u64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct GeneratorBuilder {
    config: Config,
}

impl Default for GeneratorBuilder {
    fn default() -> Self {
        Self {
            config: Config {
                seed: 42,
                rows: 100_000,
                devices: 500,
                // 2024-06-01T12:00:00Z
                now: 1_717_243_200 * NANOS_PER_SECOND,
                window: 7 * NANOS_PER_DAY,
                batch_size: 65_536,
                physical: PhysicalTypes::default(),
            },
        }
    }
}

impl GeneratorBuilder {
    /// Random seed (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Background rows per event table (default 100,000).
    pub fn rows(mut self, rows: u64) -> Self {
        self.config.rows = rows;
        self
    }

    /// Devices in the estate (default 500).
    pub fn devices(mut self, devices: usize) -> Self {
        self.config.devices = devices;
        self
    }

    /// The end of the data, nanoseconds since the Unix epoch; truncated to whole seconds so
    /// window edges are exact in every timestamp unit (default 2024-06-01T12:00:00Z).
    pub fn now(mut self, nanos: i64) -> Self {
        self.config.now = nanos - nanos.rem_euclid(NANOS_PER_SECOND);
        self
    }

    /// [`now`](Self::now) from RFC 3339 text.
    ///
    /// # Errors
    /// When the text is not RFC 3339.
    pub fn now_rfc3339(self, text: &str) -> Result<Self, Error> {
        Ok(self.now(crate::time::parse_rfc3339(text).map_err(Error::Config)?))
    }

    /// How far back the background reaches (default 7 days; the rules look at 5).
    pub fn window(mut self, window: std::time::Duration) -> Self {
        self.config.window = i64::try_from(window.as_nanos()).unwrap_or(i64::MAX);
        self
    }

    /// Rows per batch (default 65,536).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.config.batch_size = rows;
        self
    }

    /// Physical Arrow types (default: microsecond UTC timestamps, plain strings).
    pub fn physical(mut self, physical: PhysicalTypes) -> Self {
        self.config.physical = physical;
        self
    }

    /// Builds the pools and the planted rows.
    ///
    /// # Errors
    /// On settings that cannot work (no devices, an empty batch size or window).
    pub fn build(self) -> Result<Generator, Error> {
        let c = self.config;
        if c.devices == 0 || c.batch_size == 0 || c.window <= 0 {
            return Err(Error::Config("devices, batch size and window must all be positive".into()));
        }
        let pools = Pools::new(c.seed, c.devices);
        let planted = Planter { seed: c.seed, now: c.now, pools: &pools, devices: c.devices }.rows()?;
        Ok(Generator { config: c, pools, planted })
    }
}

/// A seeded Defender telemetry generator with planted ground truth.
#[derive(Debug)]
pub struct Generator {
    config: Config,
    pools: Pools,
    planted: BTreeMap<Table, Vec<PlantedRow>>,
}

impl Generator {
    /// A builder with the defaults.
    pub fn builder() -> GeneratorBuilder {
        GeneratorBuilder::default()
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Background rows of `table`.
    pub fn background_rows(&self, table: Table) -> u64 {
        match table {
            Table::DeviceInfo => (self.config.rows / 100).max(self.config.devices as u64),
            _ => self.config.rows,
        }
    }

    /// The rows planted in `table`, sorted by time.
    pub fn planted(&self, table: Table) -> &[PlantedRow] {
        self.planted.get(&table).map_or(&[], Vec::as_slice)
    }

    /// Number of background batches of `table`.
    pub fn batch_count(&self, table: Table) -> u64 {
        self.background_rows(table).div_ceil(self.config.batch_size as u64)
    }

    /// Background batch `index` of `table` alone (no planted rows), with its timestamps.
    /// Batches are independent, so they can be made in any order or in parallel.
    ///
    /// # Errors
    /// On an Arrow error (a bug).
    pub fn background_batch(&self, table: Table, index: u64) -> Result<RecordBatch, ArrowError> {
        let total = self.background_rows(table);
        let size = self.config.batch_size as u64;
        let first = index * size;
        let n = size.min(total.saturating_sub(first)) as usize;
        let mut rng = batch_rng(self.config.seed, table, index);
        // Row i of the table sits in its own slice of the window, so times are sorted.
        let step = self.config.window as f64 / total.max(1) as f64;
        let start = self.config.now - self.config.window;
        let times: Vec<i64> = (0..n)
            .map(|k| {
                let i = (first + k as u64) as f64;
                let t = start + ((i + rng.random::<f64>()) * step) as i64;
                t.min(self.config.now - 1)
            })
            .collect();
        let first_report_id = i64::try_from(first).unwrap_or(i64::MAX - 1) + 1;
        Background { pools: &self.pools, physical: &self.config.physical }.batch(table, rng, times, first_report_id)
    }

    /// Every row of `table` (background and planted), in batches sorted by `Timestamp`.
    pub fn batches(&self, table: Table) -> TableBatches<'_> {
        TableBatches { generator: self, table, next: 0, planted: 0, done: false }
    }

    /// The ground truth for every rule of the seeds and both corpora.
    pub fn manifest(&self) -> Manifest {
        let c = &self.config;
        Manifest {
            generator: GeneratorInfo {
                seed: c.seed,
                now: format_rfc3339(c.now),
                rows: Table::ALL.iter().map(|t| (t.name().to_owned(), self.background_rows(*t))).collect(),
                planted: Table::ALL.iter().map(|t| (t.name().to_owned(), self.planted(*t).len() as u64)).collect(),
                devices: c.devices,
                window_seconds: c.window / NANOS_PER_SECOND,
            },
            rule_window: [format_rfc3339(c.now - RULE_WINDOW_SECONDS * NANOS_PER_SECOND), format_rfc3339(c.now)],
            rules: rules().iter().map(|r| manifest::expect(r, &self.planted, c.now)).collect(),
        }
    }
}

/// The batches of one table: background batches with the planted rows merged in by time.
#[derive(Debug)]
pub struct TableBatches<'a> {
    generator: &'a Generator,
    table: Table,
    next: u64,
    planted: usize,
    done: bool,
}

impl Iterator for TableBatches<'_> {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let g = self.generator;
        let planted = g.planted(self.table);
        let count = g.batch_count(self.table);
        let last = self.next + 1 >= count;
        let background = if count == 0 {
            None
        } else {
            match g.background_batch(self.table, self.next) {
                Ok(b) => Some(b),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        };
        self.next += 1;
        self.done = last;
        // Planted rows up to this batch's last time (all the rest with the last batch).
        let until = match (&background, last) {
            (_, true) | (None, _) => i64::MAX,
            (Some(b), false) => last_time(b).unwrap_or(i64::MAX),
        };
        let from = self.planted;
        while self.planted < planted.len() && planted[self.planted].time <= until {
            self.planted += 1;
        }
        let mine: Vec<&PlantedRow> = planted[from..self.planted].iter().collect();
        Some(merge(self.table, background, &mine, &g.config.physical))
    }
}

/// The last `Timestamp` of a batch, in nanoseconds.
fn last_time(batch: &RecordBatch) -> Option<i64> {
    let col = batch.column(0);
    let n = col.len().checked_sub(1)?;
    crate::time::nanos_at(col.as_ref(), n)
}

/// Merges planted rows into a sorted background batch, keeping `Timestamp` order.
fn merge(
    table: Table,
    background: Option<RecordBatch>,
    planted: &[&PlantedRow],
    physical: &PhysicalTypes,
) -> Result<RecordBatch, ArrowError> {
    let extra = rows_to_batch(table, planted, physical)?;
    let Some(bg) = background else { return Ok(extra) };
    if planted.is_empty() {
        return Ok(bg);
    }
    let times = bg.column(0);
    let mut indices = Vec::with_capacity(bg.num_rows() + planted.len());
    let mut p = 0;
    for i in 0..bg.num_rows() {
        let t = crate::time::nanos_at(times.as_ref(), i).unwrap_or(i64::MIN);
        while p < planted.len() && planted[p].time < t {
            indices.push((1, p));
            p += 1;
        }
        indices.push((0, i));
    }
    indices.extend((p..planted.len()).map(|k| (1, k)));
    interleave_record_batch(&[&bg, &extra], &indices)
}
