//! The options every command that reads a lake shares, and the KQL context they describe.

use std::path::PathBuf;

use kql_engine::KqlContext;

use crate::failure::{CliResult, Failure};

/// Where the tables come from and how queries run.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct LakeArgs {
    /// A lake folder: each `*.parquet` file in it is a table named by its stem, each sub-folder of
    /// Parquet files (hive `key=value/` partitions allowed) a table named by the folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) lake: Option<PathBuf>,
    /// One more table, from a Parquet file or folder (repeatable).
    #[arg(long = "table", value_name = "NAME=PATH", value_parser = parse_table)]
    pub(crate) tables: Vec<(String, PathBuf)>,
    /// Pin `now()` and `ago()` to this time (RFC 3339, e.g. 2024-06-01T12:00:00Z); default: the
    /// wall clock when the query starts.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub(crate) now: Option<i64>,
    /// Cap the memory queries may use (e.g. 512MiB, 4GB); sorts and aggregations spill or fail
    /// beyond it.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) memory_limit: Option<usize>,
    /// A folder of documented table schemas (one JSON file per table, as in
    /// `../shared/schema/tables`): lake columns they type `dynamic` are read as `dynamic`;
    /// without --lake or --table, queries plan (and run, empty) against the documented tables
    /// themselves, the way Sentinel validates a query.
    #[arg(long, value_name = "DIR", env = "KQL_SCHEMAS")]
    pub(crate) schemas: Option<PathBuf>,
    /// Threads to run queries on (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
}

impl LakeArgs {
    /// The context: settings applied, the lake and tables registered.
    pub(crate) async fn context(&self) -> CliResult<KqlContext> {
        let mut builder = KqlContext::builder();
        if let Some(now) = self.now {
            builder = builder.now(now);
        }
        if let Some(bytes) = self.memory_limit {
            builder = builder.memory_limit(bytes);
        }
        if let Some(n) = self.threads {
            builder = builder.target_partitions(usize::from(n));
        }
        if let Some(dir) = &self.schemas {
            let schemas = kql_engine::DocumentedSchemas::from_dir(dir)
                .map_err(|e| Failure::query(format!("kql: the table schemas: {e}")))?;
            builder = builder.documented_schemas(schemas);
        }
        let ctx = builder.build().map_err(|e| Failure::query(format!("kql: {e}")))?;
        if let Some(dir) = &self.lake {
            if !dir.is_dir() {
                let why = if dir.exists() { "is not a folder" } else { "does not exist" };
                return Err(Failure::query(format!("kql: the lake {} {why}", dir.display())));
            }
            ctx.register_lake(dir).await.map_err(|e| Failure::query(format!("kql: {e}")))?;
        }
        for (name, path) in &self.tables {
            ctx.register_parquet(name, path).await.map_err(|e| Failure::query(format!("kql: table {name}: {e}")))?;
        }
        if self.schemas.is_some() && self.lake.is_none() && self.tables.is_empty() {
            ctx.register_documented_tables().map_err(|e| Failure::query(format!("kql: {e}")))?;
        }
        Ok(ctx)
    }

    /// Whether tables are given at all (a lake, tables, or documented schemas to plan against).
    pub(crate) fn has_tables(&self) -> bool {
        self.lake.is_some() || !self.tables.is_empty() || self.schemas.is_some()
    }

    /// A tokio runtime with the requested number of threads.
    pub(crate) fn runtime(&self) -> CliResult<tokio::runtime::Runtime> {
        runtime(self.threads)
    }
}

/// A multi-threaded runtime with `threads` workers (default: one per core).
pub(crate) fn runtime(threads: Option<u16>) -> CliResult<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    b.enable_all();
    if let Some(n) = threads {
        b.worker_threads(usize::from(n));
    }
    b.build().map_err(|e| Failure::query(format!("kql: cannot start the runtime: {e}")))
}

fn parse_table(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s.split_once('=').ok_or_else(|| format!("`{s}` is not NAME=PATH"))?;
    if name.is_empty() || path.is_empty() {
        return Err(format!("`{s}` is not NAME=PATH"));
    }
    Ok((name.to_owned(), PathBuf::from(path)))
}

/// RFC 3339 (`2024-06-01T12:00:00Z`, `2024-06-01T14:00:00+02:00`) to ns since the epoch.
pub(crate) fn parse_now(s: &str) -> Result<i64, String> {
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("`{s}` is not an RFC 3339 time such as 2024-06-01T12:00:00Z ({e})"))?;
    t.timestamp_nanos_opt().ok_or_else(|| format!("`{s}` is out of range"))
}

/// `512MiB`, `4GB`, `2g`, `1000000` (bytes); binary and decimal units.
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("`{s}` is not a size such as 512MiB or 4GB"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1e12,
        "tib" => 1024.0_f64.powi(4),
        other => return Err(format!("unknown size unit `{other}` in `{s}`; use KB, MB, GB, KiB, MiB or GiB")),
    };
    let bytes = n * scale;
    if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
        return Err(format!("`{s}` is not a usable memory size"));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4GB"), Ok(4_000_000_000));
        assert_eq!(parse_size("1.5g"), Ok(1_500_000_000));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn now() {
        assert_eq!(parse_now("2024-06-01T12:00:00Z"), Ok(1_717_243_200_000_000_000));
        assert_eq!(parse_now("2024-06-01T14:00:00+02:00"), Ok(1_717_243_200_000_000_000));
        assert!(parse_now("yesterday").is_err());
    }
}
