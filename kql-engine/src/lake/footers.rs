//! The footers of a table's files, read concurrently through the session's metadata cache
//! (so a scan does not read them again), each failure worded and naming its file.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::object_store::ObjectMeta;
use datafusion::parquet::arrow::parquet_to_arrow_schema;
use datafusion::parquet::file::metadata::ParquetMetaData;
use futures::StreamExt as _;

/// A file of a table that cannot be read as Parquet, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFile {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it ("truncated: ...", "not a Parquet file: ...").
    pub reason: String,
}

impl std::fmt::Display for BadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// A readable file: where it is, its object-store identity (size and modification time, which
/// key the caches) and its footer.
#[derive(Debug, Clone)]
pub(crate) struct Footer {
    pub(crate) path: PathBuf,
    pub(crate) object: ObjectMeta,
    pub(crate) metadata: Arc<ParquetMetaData>,
    /// The Arrow schema the file describes (its embedded `ARROW:schema` honoured).
    pub(crate) schema: Schema,
}

/// What the directory says about a file (no reading): its object-store identity.
pub(crate) fn object_meta(path: &Path) -> Result<ObjectMeta, BadFile> {
    let bad = |reason: String| BadFile { path: path.to_path_buf(), reason };
    let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot be read: {e}")))?;
    let modified = meta.modified().map_err(|e| bad(format!("has no modification time: {e}")))?;
    let location = datafusion::object_store::path::Path::from_absolute_path(path)
        .map_err(|e| bad(format!("is not a usable path: {e}")))?;
    Ok(ObjectMeta { location, last_modified: modified.into(), size: meta.len(), e_tag: None, version: None })
}

/// Reads the footers of `files` (at most 32 at a time), in the order given.
pub(crate) async fn read_footers(
    runtime: &RuntimeEnv,
    files: &[(PathBuf, ObjectMeta)],
) -> Vec<Result<Footer, BadFile>> {
    let store = match runtime.object_store(ObjectStoreUrl::local_filesystem()) {
        Ok(store) => store,
        Err(e) => {
            return files
                .iter()
                .map(|(p, _)| Err(BadFile { path: p.clone(), reason: format!("no local file store: {e}") }))
                .collect();
        }
    };
    let cache = runtime.cache_manager.get_file_metadata_cache();
    let reads: Vec<_> = files
        .iter()
        .map(|(path, object)| read_footer(Arc::clone(&store), Arc::clone(&cache), path.clone(), object.clone()))
        .collect();
    futures::stream::iter(reads).buffered(32).collect().await
}

async fn read_footer(
    store: Arc<dyn datafusion::object_store::ObjectStore>,
    cache: Arc<datafusion::execution::cache::cache_manager::FileMetadataCache>,
    path: PathBuf,
    object: ObjectMeta,
) -> Result<Footer, BadFile> {
    let bad = |reason: String| BadFile { path: path.clone(), reason };
    let reader = DFParquetMetadata::new(store.as_ref(), &object).with_file_metadata_cache(Some(cache));
    // Only a file that fails is looked at again, to say in words what is wrong with it.
    let metadata = reader.fetch_metadata().await.map_err(|e| {
        bad(sniff(&path, object.size).unwrap_or_else(|| format!("its footer cannot be read ({})", e.strip_backtrace())))
    })?;
    let file_metadata = metadata.file_metadata();
    let schema = parquet_to_arrow_schema(file_metadata.schema_descr(), file_metadata.key_value_metadata())
        .map_err(|e| bad(format!("its schema has no Arrow equivalent ({e})")))?;
    Ok(Footer { path, object, metadata, schema })
}

/// Parquet's marker, at the start and at the end of every file.
const MAGIC: &[u8; 4] = b"PAR1";

/// The smallest Parquet file: the marker, a footer length and the marker again.
const SMALLEST: u64 = 12;

/// What is wrong with a file that is not Parquet at all, read from its first and last bytes.
fn sniff(path: &Path, size: u64) -> Option<String> {
    if size == 0 {
        return Some("empty (0 bytes), not a Parquet file".into());
    }
    let read = || -> std::io::Result<([u8; 4], [u8; 4])> {
        let mut file = std::fs::File::open(path)?;
        let mut head = [0u8; 4];
        let mut tail = [0u8; 4];
        let n = file.read(&mut head)?;
        if n < 4 {
            head = [0; 4];
        }
        if size >= 4 {
            file.seek(SeekFrom::End(-4))?;
            file.read_exact(&mut tail)?;
        }
        Ok((head, tail))
    };
    let (head, tail) = match read() {
        Ok(bytes) => bytes,
        Err(e) => return Some(format!("cannot be read: {e}")),
    };
    let starts = &head == MAGIC;
    if size < SMALLEST || &tail != MAGIC {
        return Some(if starts {
            format!("truncated: it starts like Parquet but has no footer ({size} bytes; an interrupted copy or write?)")
        } else {
            format!("not a Parquet file (it does not end with the `PAR1` marker; {size} bytes)")
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn sniffing_words_what_is_wrong() {
        let (_d, p) = file(b"");
        assert!(sniff(&p, 0).unwrap().starts_with("empty"));
        let (_d, p) = file(b"a,b\n1,2\n");
        assert!(sniff(&p, 8).unwrap().starts_with("not a Parquet file"));
        let (_d, p) = file(b"PAR1\x15\x04\x15\x80\x80");
        assert!(sniff(&p, 9).unwrap().starts_with("truncated"));
        let (_d, p) = file(b"PAR1\0\0\0\0\0\0\0\0PAR1");
        assert_eq!(sniff(&p, 16), None);
    }
}
