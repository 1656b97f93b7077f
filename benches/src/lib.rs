//! What the benchmarks and the comparison harness share: generated benchmark lakes (made once
//! and cached under `target/bench-lakes`), the seed hunts, the best hand-written DataFusion plan
//! for each, and a normal form of hunt results so engines can be compared row for row.

// Unit tests see the dev-dependencies meant for the benchmarks.
#![cfg_attr(test, allow(unused_crate_dependencies))]

// The allocator of the `hunt-bench` binary (`src/bin`), a dependency of this package.
use mimalloc as _;
use std::path::{Path, PathBuf};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::{array_agg, count, max, min};
use datafusion::logical_expr::{Expr, ExprFunctionExt, ident, lit};
use datafusion::scalar::ScalarValue;
use kql_engine::KqlContext;
use kql_engine::functions::has::{HasUdf, MatchOp};
use kql_engine::functions::term::TermKind;
use testdata::{Generator, LakeOptions, Layout, Manifest};

// Measured by `benches/parse.rs` and `benches/generate.rs`.
use {clap as _, kql_parser as _, parquet as _, regex as _, tokio as _};

/// The clock of every benchmark lake: the generated telemetry ends here.
pub const NOW: &str = "2024-06-01T12:00:00Z";

/// A seed hunt: its key in reports (`A`..`D`), its built-in rule, and its KQL text.
#[derive(Debug, Clone)]
pub struct SeedHunt {
    /// `A` file signature (Atera), `B` network (Atera), `C` process (Atera), `D` file signature
    /// (Action1).
    pub key: &'static str,
    /// The rule's name.
    pub name: String,
    /// The table it reads.
    pub table: String,
    /// The KQL, verbatim.
    pub kql: String,
    /// The built-in rule file.
    pub file: &'static str,
}

/// The four seed hunts, from the built-in catalog, in the order A, B, C, D.
pub fn seed_hunts() -> Vec<SeedHunt> {
    let catalog = rmm_rules::Catalog::builtin();
    let keys = [
        ("A", "rmm_Atera_filesig.yaml"),
        ("B", "rmm_Atera_netconn.yaml"),
        ("C", "rmm_Atera_createproc.yaml"),
        ("D", "rmm_Action1_filesig.yaml"),
    ];
    keys.iter()
        .filter_map(|(key, file)| {
            let rule = catalog.iter().find(|r| matches!(&r.source, rmm_rules::RuleSource::Builtin(f) if f == file))?;
            Some(SeedHunt {
                key,
                name: rule.name.clone(),
                table: rule.tables().first().map(|t| (*t).to_owned()).unwrap_or_default(),
                kql: rule.query.clone(),
                file,
            })
        })
        .collect()
}

/// Where benchmark lakes are cached: `KQL_BENCH_LAKES`, or `target/bench-lakes`.
pub fn lakes_dir() -> PathBuf {
    std::env::var_os("KQL_BENCH_LAKES")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-lakes"), PathBuf::from)
}

/// A generated lake of `rows` background rows per event table (seed 42, 1M-row groups, zstd,
/// time-ordered), in `layout`. Made on first use and reused while its manifest matches.
///
/// # Errors
/// When the lake cannot be written.
pub fn bench_lake(rows: u64, layout: Layout) -> Result<PathBuf, testdata::Error> {
    let name = match layout {
        Layout::File => format!("{rows}-file"),
        Layout::Hive => format!("{rows}-hive"),
    };
    let dir = lakes_dir().join(name);
    let generator = Generator::builder().seed(42).rows(rows).now_rfc3339(NOW)?.build()?;
    let manifest = generator.manifest();
    let existing =
        std::fs::read_to_string(dir.join("manifest.json")).ok().and_then(|t| serde_json::from_str::<Manifest>(&t).ok());
    if existing.as_ref() != Some(&manifest) {
        eprintln!("making the benchmark lake {} ...", dir.display());
        let _ = std::fs::remove_dir_all(&dir);
        let options = LakeOptions { layout, ..LakeOptions::default() };
        let summary = testdata::write_lake(&generator, &dir, &options)?;
        eprint!("{summary}");
    }
    Ok(dir)
}

/// The `dynamic` benchmark: `DeviceEvents` whose `AdditionalFields` holds JSON text (as a plain
/// string column, the way Defender exports it), and the two queries timed over it.
pub const DYNAMIC_QUERIES: [(&str, &str); 2] = [
    ("command_has", r#"DeviceEvents | where parse_json(AdditionalFields).Command has "powershell" | count"#),
    ("name_summarize", "DeviceEvents | summarize count() by tostring(parse_json(AdditionalFields).Name)"),
];

/// A lake of `rows` generated `DeviceEvents` rows with every documented column (the schema is
/// read from `../shared/schema/tables/DeviceEvents.json`), zstd, 1M-row groups, time-ordered.
/// Made on first use and reused (`target/bench-lakes/dynamic-<rows>`).
///
/// # Errors
/// When the schema cannot be read or the lake cannot be written.
pub fn dynamic_lake(rows: u64) -> Result<PathBuf, testdata::Error> {
    use testdata::documented::{DocConfig, DocLakeOptions, DocumentedGenerator, load_schemas};
    let dir = lakes_dir().join(format!("dynamic-{rows}"));
    let marker = dir.join("DeviceEvents.parquet");
    if marker.exists() {
        return Ok(dir);
    }
    let schemas_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/schema/tables");
    let schemas: Vec<_> = load_schemas(&schemas_dir)?.into_iter().filter(|s| s.name == "DeviceEvents").collect();
    if schemas.is_empty() {
        return Err(testdata::Error::Config(format!("no DeviceEvents schema in {}", schemas_dir.display())));
    }
    eprintln!("making the dynamic benchmark lake {} ...", dir.display());
    let now = testdata::parse_rfc3339(NOW).map_err(testdata::Error::Config)?;
    let config = DocConfig { rows, now, seed: 42, ..DocConfig::default() };
    let generator = DocumentedGenerator::new(schemas, config);
    let summary = testdata::documented::write_documented_lake(&generator, &dir, &DocLakeOptions::default())?;
    eprint!("{summary}");
    Ok(dir)
}

/// A context over a lake with the benchmark clock.
///
/// # Errors
/// When the lake cannot be registered.
pub async fn context(lake: &Path) -> Result<KqlContext, kql_engine::KqlError> {
    open(lake, KqlContext::builder()).await
}

/// [`context`] with the documented table schemas (`../shared/schema/tables`), as an analyst
/// runs Defender hunts (`kql --schemas`): `DeviceEvents.AdditionalFields` is `dynamic`, and read
/// as a dictionary where the file dictionary-encodes it.
///
/// # Errors
/// When the schemas or the lake cannot be read.
pub async fn documented_context(lake: &Path) -> Result<KqlContext, kql_engine::KqlError> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/schema/tables");
    let schemas =
        kql_engine::DocumentedSchemas::from_dir(&dir).map_err(|e| kql_engine::KqlError::Lake(e.to_string()))?;
    open(lake, KqlContext::builder().documented_schemas(schemas)).await
}

/// `builder` with the benchmark clock, over `lake`.
async fn open(lake: &Path, builder: kql_engine::KqlContextBuilder) -> Result<KqlContext, kql_engine::KqlError> {
    let now = testdata::parse_rfc3339(NOW).map_err(|e| kql_engine::KqlError::Lake(e.to_string()))?;
    let ctx = builder.now(now).build()?;
    ctx.register_lake(lake).await?;
    Ok(ctx)
}

fn has(column: &str, needles: &[&str]) -> Expr {
    let op = MatchOp {
        kind: TermKind::Has,
        case_sensitive: false,
        negated: false,
        all: false,
        name: if needles.len() == 1 { "has" } else { "has_any" },
    };
    HasUdf::call(op, ident(column), needles.iter().map(|s| (*s).to_owned()).collect())
}

/// The best hand-written DataFusion plan for a seed hunt: the same filters (time window as
/// plain comparisons that prune, the cheapest test first) and the same aggregation, built with
/// the DataFrame API and the engine's own `has` (no KQL anywhere); `make_set` is
/// `array_agg(DISTINCT ..)`, as DuckDB's `list(DISTINCT ..)` and ClickHouse's `groupUniqArray`.
///
/// # Errors
/// When the table is missing or the plan cannot be built.
pub async fn hand_written(ctx: &KqlContext, hunt: &SeedHunt) -> datafusion::error::Result<DataFrame> {
    let now = testdata::parse_rfc3339(NOW).map_err(|e| datafusion::error::DataFusionError::External(e.into()))?;
    let start = now - 5 * 86_400 * 1_000_000_000;
    // The lake stores microseconds with a UTC zone.
    let ts = |ns: i64| lit(ScalarValue::TimestampMicrosecond(Some(ns / 1000), Some("UTC".into())));
    let window = ident("Timestamp").gt_eq(ts(start)).and(ident("Timestamp").lt_eq(ts(now)));
    let predicate = match hunt.key {
        "A" => has("Signer", &["Atera Networks"]),
        "B" => has("InitiatingProcessVersionInfoCompanyName", &["Atera Networks"])
            .and(has("RemoteUrl", &["atera.com", "atera-agent-heartbeat"])),
        "C" => has("ProcessVersionInfoCompanyName", &["Atera Networks"]),
        _ => has("Signer", &["Action1 Corporation"]),
    };
    let mut keys = vec![ident("DeviceId"), ident("DeviceName")];
    if hunt.key == "B" {
        keys.push(ident("RemoteUrl"));
    }
    let df = ctx.session().table(datafusion::common::TableReference::bare(hunt.table.as_str())).await?;
    df.filter(window.and(predicate))?.aggregate(
        keys,
        vec![
            min(ident("Timestamp")).alias("FirstSeen"),
            max(ident("Timestamp")).alias("LastSeen"),
            array_agg(ident("ReportId")).distinct().build()?.alias("Report"),
            count(lit(1)).alias("Count"),
        ],
    )
}

/// A hunt's result in a normal form: one JSON object per row (keys as text, times in RFC 3339,
/// `Report` sorted and deduplicated), rows sorted.
///
/// # Errors
/// When a column cannot be formatted.
pub fn normalize(batches: &[RecordBatch]) -> Result<Vec<serde_json::Value>, kql_engine::KqlError> {
    let mut rows = Vec::new();
    for b in batches {
        for mut row in kql_engine::format::json_rows(b)? {
            if let Some(serde_json::Value::Array(ids)) = row.get_mut("Report") {
                ids.sort_by_key(|v| v.as_i64());
                ids.dedup();
            }
            rows.push(serde_json::Value::Object(row));
        }
    }
    rows.sort_by_key(|r| r.to_string());
    Ok(rows)
}
