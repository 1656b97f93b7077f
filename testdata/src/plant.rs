//! Planted activity: for every distinct rule filter, events that satisfy it (inside, on the
//! edges of, and outside the 5-day window), near misses that a sloppy `has` gets wrong, and
//! connections to every tool's published domains. Each planted row is a full background row
//! with the filter's columns overridden, so it looks like the rest of the table.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::background::{Background, batch_rng};
use crate::pools::Pools;
use crate::rules::{Predicate, RULE_WINDOW_SECONDS, rules};
use crate::schema::{ColumnType, PhysicalTypes, Table};
use crate::time::{NANOS_PER_SECOND, timestamp_array};

/// One cell of a planted row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Null.
    Null,
    /// A string.
    Str(String),
    /// A `long`.
    Long(i64),
    /// An `int`.
    Int(i32),
    /// A `bool`.
    Bool(bool),
    /// A `datetime`, in nanoseconds since the Unix epoch.
    Time(i64),
}

/// Why a row was planted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Built to satisfy the filter of the given rule (its file, for reference).
    Match {
        /// The first rule with this filter.
        rule: String,
    },
    /// Built to look like a match but differ in one way (`how`).
    NearMiss {
        /// The first rule with this filter.
        rule: String,
        /// The transformation, such as "glued prefix" or "upper case".
        how: &'static str,
    },
    /// A connection to one of a tool's published domains from an everyday process.
    ToolDomain {
        /// The tool, as the indicator list names it.
        tool: String,
    },
}

/// A planted row: every column of its table, in schema order.
#[derive(Clone, Debug)]
pub struct PlantedRow {
    /// The table it belongs to.
    pub table: Table,
    /// Its `Timestamp`, in nanoseconds.
    pub time: i64,
    /// Its `ReportId`.
    pub report_id: i64,
    /// The cells, in the table's column order.
    pub cells: Vec<Cell>,
    /// Why it was planted.
    pub purpose: Purpose,
}

impl PlantedRow {
    /// The value of a string column (`None` for null, or a column the table lacks).
    pub fn string(&self, column: &str) -> Option<&str> {
        match self.cells.get(self.table.column_index(column)?)? {
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Planted-row `ReportId`s start here, far from background ids.
pub const PLANTED_REPORT_ID_BASE: i64 = 1_000_000_000_000;

/// Offsets from `now` (seconds) of the matching events planted for each filter, and whether
/// they fall inside the rules' window. Both window edges are included (`between` is inclusive).
const MATCH_TIMES: &[(i64, char)] = &[
    (-(4 * 86_400 + 3 * 3_600), 'A'),
    (-3_600, 'A'),
    (-RULE_WINDOW_SECONDS, 'B'),
    (0, 'B'),
    (-(2 * 86_400 + 17 * 60), 'C'),
    // Outside the window: one second too early, a day too early, in the future.
    (-RULE_WINDOW_SECONDS - 1, 'A'),
    (-(6 * 86_400 + 2 * 3_600), 'C'),
    (2 * 3_600, 'A'),
];

fn is_term(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric()
}

/// A value for `column` that contains `needle` as a `has` match; `k` picks a decoration.
fn decorate(column: &str, needle: &str, k: usize) -> String {
    let dotted = needle.contains('.');
    match column {
        "RemoteUrl" => match (k % 4, dotted) {
            (0, _) => needle.to_owned(),
            (1, true) => format!("https://{needle}/"),
            (1, false) => format!("https://{needle}.example.net/"),
            (2, true) => format!("agent.{needle}"),
            (2, false) => format!("{needle}-cns.servicebus.windows.net"),
            _ => format!("{needle}:443"),
        },
        "FolderPath" | "InitiatingProcessFolderPath" if needle.starts_with('\\') => format!("C:{needle}agent.exe"),
        "FileName"
        | "InitiatingProcessFileName"
        | "ProcessVersionInfoOriginalFileName"
        | "InitiatingProcessVersionInfoOriginalFileName" => {
            if dotted {
                needle.to_owned()
            } else {
                format!("{needle}.exe")
            }
        }
        _ => match k % 3 {
            0 | 2 => needle.to_owned(),
            _ if column.ends_with("ProductName") => format!("{needle} Agent"),
            _ => format!("{needle} Ltd."),
        },
    }
}

/// Column assignments that make `p` true; `variant` picks needles, branches and decorations.
fn satisfy(p: &Predicate, variant: usize, out: &mut BTreeMap<String, Option<String>>) {
    match p {
        Predicate::And(ps) => ps.iter().enumerate().for_each(|(i, q)| satisfy(q, variant + i, out)),
        Predicate::Or(ps) => satisfy(&ps[variant % ps.len()], variant / ps.len(), out),
        Predicate::Has { column, needles } => {
            let value = decorate(column, &needles[variant % needles.len()], variant / needles.len());
            // Two `has` on one column: keep both terms.
            let merged = match out.get(column) {
                Some(Some(prev)) => format!("{prev} {value}"),
                _ => value,
            };
            out.insert(column.clone(), Some(merged));
        }
        Predicate::Startswith { column, prefix } => {
            let suffix = if variant.is_multiple_of(2) { "agent.exe" } else { "_svc.exe" };
            out.insert(column.clone(), Some(format!("{prefix}{suffix}")));
        }
        Predicate::EqualsCi { column, value } => {
            let v = if variant.is_multiple_of(2) { value.clone() } else { value.to_uppercase() };
            out.insert(column.clone(), Some(v));
        }
        Predicate::Isempty(column) => {
            out.insert(column.clone(), if variant.is_multiple_of(2) { None } else { Some(String::new()) });
        }
    }
}

/// The first `has` leaf that `satisfy(p, 0)` makes true: (column, first needle).
fn first_has(p: &Predicate) -> Option<(&str, &str)> {
    match p {
        Predicate::And(ps) => ps.iter().find_map(first_has),
        Predicate::Or(ps) => ps.first().and_then(first_has),
        Predicate::Has { column, needles } => needles.first().map(|n| (column.as_str(), n.as_str())),
        _ => None,
    }
}

/// Near-miss values for `needle`: names for the ways a sloppy `has` goes wrong.
fn near_misses(needle: &str) -> Vec<(&'static str, Option<String>)> {
    let mut out = Vec::new();
    let first = needle.chars().next().is_some_and(is_term);
    let last = needle.chars().last().is_some_and(is_term);
    if first {
        out.push(("glued prefix", Some(format!("my{needle}"))));
        out.push(("accented neighbour", Some(format!("é{needle}"))));
    }
    if last {
        out.push(("glued suffix", Some(format!("{needle}munity"))));
    }
    if needle.contains(['.', '-', ' ']) {
        out.push(("underscores", Some(needle.replace(['.', '-', ' '], "_"))));
    }
    if needle.contains(' ') {
        out.push(("joined words", Some(needle.replace(' ', ""))));
        out.push(("double space", Some(needle.replace(' ', "  "))));
    }
    // A correct, case-insensitive `has` matches this one.
    out.push(("upper case", Some(needle.to_uppercase())));
    out.push(("null", None));
    out
}

/// A file-name-safe identifier for a tool: `Remote Utilities` → `RemoteUtilities`.
fn slug(tool: &str) -> String {
    tool.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// Builds every planted row for a generator.
pub(crate) struct Planter<'a> {
    pub(crate) seed: u64,
    pub(crate) now: i64,
    pub(crate) pools: &'a Pools,
    pub(crate) devices: usize,
}

struct Spec {
    table: Table,
    time: i64,
    device: u32,
    overrides: BTreeMap<String, Option<String>>,
    purpose: Purpose,
}

impl Planter<'_> {
    /// All planted rows, grouped by table and sorted by time.
    pub(crate) fn rows(&self) -> Result<BTreeMap<Table, Vec<PlantedRow>>, ArrowError> {
        let specs = self.specs();
        let base = Background { pools: self.pools, physical: &PhysicalTypes::nanos_utf8() };
        // One background batch per table gives every planted row its ordinary columns.
        let mut per_table: BTreeMap<Table, Vec<(usize, Spec)>> = BTreeMap::new();
        for (i, spec) in specs.into_iter().enumerate() {
            per_table.entry(spec.table).or_default().push((i, spec));
        }
        let mut by_table: BTreeMap<Table, Vec<PlantedRow>> = BTreeMap::new();
        for (table, specs) in per_table {
            let rng = batch_rng(self.seed ^ 0x706c_616e_7465_6400, table, 0);
            let times = specs.iter().map(|(_, s)| s.time).collect();
            let batch = base.batch(table, rng, times, PLANTED_REPORT_ID_BASE)?;
            let rows = by_table.entry(table).or_default();
            for (row, (i, spec)) in specs.into_iter().enumerate() {
                let report_id = PLANTED_REPORT_ID_BASE + i as i64;
                let mut cells = cells_of(&batch, row)?;
                let device = spec.device as usize;
                let mut set = |column: &str, value: Cell| {
                    if let Some(c) = table.column_index(column) {
                        cells[c] = value;
                    }
                };
                set("ReportId", Cell::Long(report_id));
                set("DeviceId", Cell::Str(self.pools.devices.id.strings().value(device).to_owned()));
                set("DeviceName", Cell::Str(self.pools.devices.name.value(device).to_owned()));
                for (column, value) in &spec.overrides {
                    set(column, value.clone().map_or(Cell::Null, Cell::Str));
                }
                rows.push(PlantedRow { table, time: spec.time, report_id, cells, purpose: spec.purpose });
            }
        }
        for rows in by_table.values_mut() {
            rows.sort_by_key(|r| (r.time, r.report_id));
        }
        Ok(by_table)
    }

    fn specs(&self) -> Vec<Spec> {
        let mut specs = Vec::new();
        let mut seen: Vec<(Table, &Predicate)> = Vec::new();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x7370_6563_735f_7631);
        // Planted devices come from the first few hundred, as real incidents touch a few hosts.
        let pick_device = |rng: &mut ChaCha8Rng| rng.random_range(0..self.devices.min(300)) as u32;
        for rule in rules() {
            let (Some(table), Some(predicate)) = (rule.table(), rule.predicate.as_ref()) else { continue };
            if rule.broken.is_some() || seen.contains(&(table, predicate)) {
                continue;
            }
            seen.push((table, predicate));
            let tool = rule.tool.clone().unwrap_or_default();
            let devices = [pick_device(&mut rng), pick_device(&mut rng), pick_device(&mut rng)];
            let device_for = |who: char| devices[(who as usize - 'A' as usize) % 3];
            let image = self.tool_image(&tool, table, predicate);
            for (k, (offset, who)) in MATCH_TIMES.iter().enumerate() {
                let mut overrides = image.clone();
                // Pairs of events share their values, so groups get several rows.
                satisfy(predicate, k / 2, &mut overrides);
                specs.push(Spec {
                    table,
                    time: self.now + offset * NANOS_PER_SECOND,
                    device: device_for(*who),
                    overrides,
                    purpose: Purpose::Match { rule: rule.file.clone() },
                });
            }
            if let Some((column, needle)) = first_has(predicate) {
                for (j, (how, value)) in near_misses(needle).into_iter().enumerate() {
                    let mut overrides = image.clone();
                    satisfy(predicate, 0, &mut overrides);
                    overrides.insert(column.to_owned(), value);
                    specs.push(Spec {
                        table,
                        time: self.now - (2 * 3_600 + 60 * j as i64) * NANOS_PER_SECOND,
                        device: device_for('C'),
                        overrides,
                        purpose: Purpose::NearMiss { rule: rule.file.clone(), how },
                    });
                }
            }
        }
        // Everyday processes reaching each tool's published domains.
        for (tool, domains) in crate::rules::tool_domains() {
            for (j, domain) in domains.iter().enumerate() {
                let mut overrides = BTreeMap::new();
                overrides.insert("RemoteUrl".to_owned(), Some(format!("https://{domain}/")));
                specs.push(Spec {
                    table: Table::DeviceNetworkEvents,
                    time: self.now - (3 * 3_600 + 7 * j as i64) * NANOS_PER_SECOND,
                    device: pick_device(&mut rng),
                    overrides,
                    purpose: Purpose::ToolDomain { tool: tool.clone() },
                });
            }
        }
        specs
    }

    /// The tool's own binary, for the image columns the filter leaves free.
    fn tool_image(&self, tool: &str, table: Table, predicate: &Predicate) -> BTreeMap<String, Option<String>> {
        let constrained = predicate.columns();
        let (file, folder) = match table {
            Table::DeviceProcessEvents => ("FileName", "FolderPath"),
            Table::DeviceNetworkEvents => ("InitiatingProcessFileName", "InitiatingProcessFolderPath"),
            _ => return BTreeMap::new(),
        };
        let name = format!("{}.exe", slug(tool).to_lowercase());
        let mut out = BTreeMap::new();
        if !constrained.contains(&file) {
            out.insert(file.to_owned(), Some(name.clone()));
        }
        if !constrained.contains(&folder) {
            out.insert(folder.to_owned(), Some(format!(r"C:\Program Files (x86)\{}\{name}", slug(tool))));
        }
        out
    }
}

/// The cells of row `r` of `batch` (built with nanosecond timestamps and plain strings).
fn cells_of(batch: &RecordBatch, r: usize) -> Result<Vec<Cell>, ArrowError> {
    batch
        .columns()
        .iter()
        .map(|col| {
            if col.is_null(r) {
                return Ok(Cell::Null);
            }
            Ok(match col.data_type() {
                DataType::Utf8 => {
                    Cell::Str(col.as_any().downcast_ref::<StringArray>().map_or("", |a| a.value(r)).to_owned())
                }
                DataType::Int64 => Cell::Long(col.as_any().downcast_ref::<Int64Array>().map_or(0, |a| a.value(r))),
                DataType::Int32 => Cell::Int(col.as_any().downcast_ref::<Int32Array>().map_or(0, |a| a.value(r))),
                DataType::Boolean => {
                    Cell::Bool(col.as_any().downcast_ref::<BooleanArray>().is_some_and(|a| a.value(r)))
                }
                DataType::Timestamp(_, _) => {
                    let a = col.as_any().downcast_ref::<arrow::array::TimestampNanosecondArray>();
                    Cell::Time(a.map_or(0, |a| a.value(r)))
                }
                other => {
                    return Err(ArrowError::InvalidArgumentError(format!("unexpected planted column type {other}")));
                }
            })
        })
        .collect()
}

/// Planted rows as a batch of `table` with the given physical types.
pub(crate) fn rows_to_batch(
    table: Table,
    rows: &[&PlantedRow],
    physical: &PhysicalTypes,
) -> Result<RecordBatch, ArrowError> {
    let schema = table.schema(physical);
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (i, (_, ty)) in table.columns().iter().enumerate() {
        let cells = rows.iter().map(|r| &r.cells[i]);
        let array: ArrayRef = match ty {
            ColumnType::Str => {
                let values: Vec<Option<&str>> =
                    cells.map(|c| if let Cell::Str(s) = c { Some(s.as_str()) } else { None }).collect();
                crate::background::string_array(values.into_iter(), physical)?
            }
            ColumnType::Long => Arc::new(Int64Array::from(
                cells.map(|c| if let Cell::Long(v) = c { Some(*v) } else { None }).collect::<Vec<_>>(),
            )),
            ColumnType::Int => Arc::new(Int32Array::from(
                cells.map(|c| if let Cell::Int(v) = c { Some(*v) } else { None }).collect::<Vec<_>>(),
            )),
            ColumnType::Bool => Arc::new(BooleanArray::from(
                cells.map(|c| if let Cell::Bool(v) = c { Some(*v) } else { None }).collect::<Vec<_>>(),
            )),
            ColumnType::Time => {
                timestamp_array(cells.map(|c| if let Cell::Time(v) = c { Some(*v) } else { None }), physical)
            }
        };
        columns.push(array);
    }
    RecordBatch::try_new(schema, columns)
}
