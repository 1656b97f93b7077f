//! `externaldata`: tables read at query time from files or URLs the embedder allows.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the access policy ([`ExternalDataOptions`]) and where each source is read from |
//! | `formats.rs` | Kusto's ingestion formats (csv, tsv, txt, json, multijson, parquet, ...) as Arrow |
//! | `mapping.rs` | `ingestionMapping`: where each column of a text source takes its cells from |
//! | `provider.rs` | the table provider that reads the sources when the query runs |
//!
//! Access is decided when the query is planned, so a query that names a source the embedder
//! did not allow fails with a located error before anything is read: local files only under
//! the allowed folders (the registered lakes and [`ExternalDataOptions::allow_local_dir`]) or
//! anywhere with [`ExternalDataOptions::allow_any_local_file`]; `http(s)://` only from the
//! mirror folder or, with [`ExternalDataOptions::allow_network`], from the network (with a
//! timeout and a size limit).

mod formats;
pub(crate) mod mapping;
pub(crate) mod provider;

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

pub(crate) use formats::Format;
pub(crate) use provider::ExternalDataTable;

/// What `externaldata` may read. The default reads local files under the registered lakes
/// only, never the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalDataOptions {
    allow_network: bool,
    mirror: Option<PathBuf>,
    local_dirs: Vec<PathBuf>,
    any_local_file: bool,
    base_dir: Option<PathBuf>,
    timeout: Duration,
    max_bytes: u64,
}

impl Default for ExternalDataOptions {
    fn default() -> Self {
        Self {
            allow_network: false,
            mirror: None,
            local_dirs: Vec::new(),
            any_local_file: false,
            base_dir: None,
            timeout: Duration::from_secs(30),
            // Kusto documents externaldata for reference tables "up to 100 MB".
            max_bytes: 256 << 20,
        }
    }
}

impl ExternalDataOptions {
    /// The default: local files under the registered lakes only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `http://` and `https://` sources be fetched (after the mirror, if any).
    #[must_use]
    pub fn allow_network(mut self, yes: bool) -> Self {
        self.allow_network = yes;
        self
    }

    /// Serves each URL from `dir/<host>/<path>` (the path percent-decoded, a trailing `/`
    /// dropped), so feeds kept on disk answer queries that name them by URL.
    #[must_use]
    pub fn mirror(mut self, dir: impl Into<PathBuf>) -> Self {
        self.mirror = Some(dir.into());
        self
    }

    /// Allows local files under `dir` (and its sub-folders).
    #[must_use]
    pub fn allow_local_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.local_dirs.push(dir.into());
        self
    }

    /// Allows any local file the process can read (the `kql` CLI does: its user runs it).
    #[must_use]
    pub fn allow_any_local_file(mut self, yes: bool) -> Self {
        self.any_local_file = yes;
        self
    }

    /// The folder relative paths are read from (the CLI passes the query file's folder); by
    /// default the first registered lake.
    #[must_use]
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }

    /// How long one network fetch may take (30 s by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest source read, in bytes (256 MiB by default).
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// These options with the lakes' folders allowed too (and the first as the base folder
    /// when none is set).
    pub(crate) fn with_lakes(&self, lakes: &[PathBuf]) -> Self {
        let mut out = self.clone();
        out.local_dirs.extend(lakes.iter().cloned());
        if out.base_dir.is_none() {
            out.base_dir = lakes.first().cloned();
        }
        out
    }

    pub(crate) fn timeout_value(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn max_bytes_value(&self) -> u64 {
        self.max_bytes
    }

    /// Where `uri` is read from, or why it may not be (the message says what to change).
    pub(crate) fn resolve(&self, uri: &str) -> Result<Location, String> {
        let uri = uri.trim();
        let lower = uri.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return self.resolve_url(uri);
        }
        if let Some(rest) = uri.get(7..).filter(|_| lower.starts_with("file://")) {
            // file:///abs/path, or file://relative/path
            let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy().into_owned();
            return self.resolve_local(Path::new(&decoded));
        }
        if let Some(scheme) = lower.split_once("://").map(|(s, _)| s).filter(|s| !s.contains(['/', '\\'])) {
            return Err(format!(
                "externaldata reads local files and http(s) URLs; `{scheme}://` storage is not supported yet"
            ));
        }
        self.resolve_local(Path::new(uri))
    }

    fn resolve_url(&self, uri: &str) -> Result<Location, String> {
        if let Some(mirror) = &self.mirror {
            let candidate = mirror_path(mirror, uri)?;
            if candidate.is_file() {
                return Ok(Location::File(candidate));
            }
            if !self.allow_network {
                return Err(format!(
                    "`{uri}` is not in the externaldata mirror (expected the file {}) and the network is not allowed",
                    candidate.display()
                ));
            }
        }
        if self.allow_network {
            return Ok(Location::Url(uri.to_owned()));
        }
        Err(format!(
            "externaldata would fetch `{uri}` from the network, which is not allowed here: run `kql` with \
             `--allow-network`, or keep the file as DIR/<host>/<path> and pass `--externaldata-mirror DIR`"
        ))
    }

    fn resolve_local(&self, path: &Path) -> Result<Location, String> {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            match &self.base_dir {
                Some(base) => base.join(path),
                None => path.to_path_buf(),
            }
        };
        let real = std::fs::canonicalize(&joined).map_err(|e| format!("cannot read `{}`: {e}", joined.display()))?;
        if !real.is_file() {
            return Err(format!("`{}` is not a file", joined.display()));
        }
        let allowed = self.any_local_file
            || self.local_dirs.iter().any(|d| std::fs::canonicalize(d).is_ok_and(|root| real.starts_with(root)));
        if !allowed {
            return Err(format!(
                "externaldata may not read `{}`: local files are allowed only under the lake{}",
                joined.display(),
                if self.local_dirs.is_empty() { "".to_owned() } else { " and the folders the embedder allowed".into() }
            ));
        }
        Ok(Location::File(real))
    }
}

/// Where a source is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// A local file (also a mirrored URL).
    File(PathBuf),
    /// A URL fetched over the network.
    Url(String),
}

impl Location {
    /// The name that decides the format and compression: the file name or the URL path.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::File(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            Self::Url(u) => url_path(u).rsplit('/').next().unwrap_or("").to_owned(),
        }
    }
}

/// The path of a URL, without its query, fragment or `;` credentials.
fn url_path(uri: &str) -> &str {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, r)| r);
    let end = after_scheme.find(['?', '#', ';']).unwrap_or(after_scheme.len());
    let rest = &after_scheme[..end];
    rest.find('/').map_or("", |i| &rest[i..])
}

/// `mirror/<host>/<path>` for a URL; the path may not climb out of the mirror.
fn mirror_path(mirror: &Path, uri: &str) -> Result<PathBuf, String> {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = after_scheme.split(['/', '?', '#', ';']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("`{uri}` has no host"));
    }
    let path = percent_encoding::percent_decode_str(url_path(uri)).decode_utf8_lossy().into_owned();
    let mut out = mirror.join(host);
    for part in Path::new(path.trim_matches('/')).components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return Err(format!("`{uri}` has a path that leaves the mirror folder")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_paths_keep_host_and_decoded_path() {
        let m = Path::new("/m");
        assert_eq!(
            mirror_path(m, "https://Raw.example.com/a/b%20c.csv?x=1").unwrap(),
            PathBuf::from("/m/raw.example.com/a/b c.csv")
        );
        assert_eq!(mirror_path(m, "https://u.example/feed/").unwrap(), PathBuf::from("/m/u.example/feed"));
        assert!(mirror_path(m, "https://u.example/../etc/passwd").is_err());
        assert!(mirror_path(m, "https:///x").is_err());
    }

    #[test]
    fn network_needs_permission() {
        let o = ExternalDataOptions::new();
        assert!(o.resolve("https://example.com/a.csv").unwrap_err().contains("--allow-network"));
        let o = o.allow_network(true);
        assert_eq!(o.resolve("https://example.com/a.csv"), Ok(Location::Url("https://example.com/a.csv".into())));
        assert!(o.resolve("abfss://x@y/z").unwrap_err().contains("not supported yet"));
    }

    #[test]
    fn local_files_only_under_allowed_folders() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.csv");
        std::fs::write(&f, "1\n").unwrap();
        let o = ExternalDataOptions::new();
        assert!(o.resolve(f.to_str().unwrap()).unwrap_err().contains("may not read"));
        let o = o.allow_local_dir(dir.path()).base_dir(dir.path());
        assert!(matches!(o.resolve("a.csv"), Ok(Location::File(_))));
        assert!(matches!(o.resolve(&format!("file://{}", f.display())), Ok(Location::File(_))));
        assert!(o.resolve("missing.csv").unwrap_err().contains("cannot read"));
    }

    #[test]
    fn names_come_from_the_url_path() {
        assert_eq!(Location::Url("https://h/x/feed.csv.gz?sig=1".into()).name(), "feed.csv.gz");
        assert_eq!(Location::Url("https://h/".into()).name(), "");
    }
}
