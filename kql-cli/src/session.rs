//! The options every command that reads a lake shares, and the KQL context they describe.

use std::path::PathBuf;

use kql_engine::KqlContext;
pub(crate) use kql_engine::settings::{parse_duration, parse_now, parse_size};

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
    /// A value for the query's `declare query_parameters` (repeatable), as text converted to
    /// the declared type: `--param since=2024-06-01 --param host=web01`.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub(crate) params: Vec<(String, String)>,
    /// Leave unreadable Parquet files (corrupt, truncated, not Parquet) out of their tables, with
    /// a warning on stderr naming them, instead of failing the query.
    #[arg(long)]
    pub(crate) skip_bad_files: bool,
    /// Stop the query after this long (30s, 5m, 1h, 00:10:00); exit status 124, and no output
    /// file is left behind.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: Option<std::time::Duration>,
    /// Let `externaldata` fetch `http(s)://` sources (30 s timeout, 256 MiB at most each).
    #[arg(long)]
    pub(crate) allow_network: bool,
    /// Serve each `externaldata` URL from DIR/<host>/<path> (path percent-decoded), before
    /// (or instead of) the network.
    #[arg(long, value_name = "DIR", env = "KQL_EXTERNALDATA_MIRROR")]
    pub(crate) externaldata_mirror: Option<PathBuf>,
    /// Run the queries on the Apache Ballista cluster whose scheduler is at this URL
    /// (`df://host:50050`; started with `kql cluster scheduler`); the lake must be at the same
    /// path on every node. Needs a kql built with `--features cluster`.
    #[arg(long, value_name = "URL", env = "KQL_CLUSTER")]
    pub(crate) cluster: Option<String>,
}

impl LakeArgs {
    /// The context: settings applied, the lake and tables registered.
    pub(crate) async fn context(&self) -> CliResult<KqlContext> {
        self.context_for(None).await
    }

    /// The context for a query read from `query_file` (`externaldata` reads relative paths
    /// from its folder; without one, from the lake's).
    pub(crate) async fn context_for(&self, query_file: Option<&std::path::Path>) -> CliResult<KqlContext> {
        // The CLI's user runs it as themselves: any local file they name may be read.
        let mut external =
            kql_engine::ExternalDataOptions::new().allow_any_local_file(true).allow_network(self.allow_network);
        if let Some(dir) = &self.externaldata_mirror {
            if !dir.is_dir() {
                return Err(Failure::usage(format!("kql: the externaldata mirror {} is not a folder", dir.display())));
            }
            external = external.mirror(dir);
        }
        if let Some(parent) = query_file.and_then(std::path::Path::parent) {
            external =
                external.base_dir(if parent.as_os_str().is_empty() { std::path::Path::new(".") } else { parent });
        }
        let mut builder = KqlContext::builder().externaldata(external).skip_bad_files(self.skip_bad_files);
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
        let ctx = match &self.cluster {
            Some(url) => crate::cluster::connect(url, builder).await?,
            None => builder.build().map_err(|e| Failure::query(format!("kql: {e}")))?,
        };
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

    /// The `--param` values.
    pub(crate) fn parameters(&self) -> kql_engine::QueryParameters {
        self.params.iter().cloned().collect()
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

/// Says on stderr which unreadable files `--skip-bad-files` left out of the tables read.
pub(crate) fn warn_skipped(ctx: &KqlContext) {
    let skipped = ctx.skipped_files();
    if skipped.is_empty() {
        return;
    }
    eprintln!("kql: warning: --skip-bad-files left out {} unreadable file(s):", skipped.len());
    for (table, bad) in skipped {
        eprintln!("kql: warning:   table {table}: {bad}");
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

fn parse_param(s: &str) -> Result<(String, String), String> {
    let (name, value) = s.split_once('=').ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    if name.is_empty() {
        return Err(format!("`{s}` has no parameter name"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_table(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s.split_once('=').ok_or_else(|| format!("`{s}` is not NAME=PATH"))?;
    if name.is_empty() || path.is_empty() {
        return Err(format!("`{s}` is not NAME=PATH"));
    }
    Ok((name.to_owned(), PathBuf::from(path)))
}
