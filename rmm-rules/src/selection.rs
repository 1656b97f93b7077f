//! Which rules a run takes: rule files and folders, the built-in hunts, and filters. The one
//! description `kql hunt` and the Python package's `hunt()` both build.

use std::fmt;
use std::path::PathBuf;

use crate::catalog::Catalog;
use crate::error::{LoadError, PatternError};
use crate::filter::Filter;

/// The rules to run and the filters to choose among them.
///
/// ```
/// let selection = rmm_rules::Selection { patterns: vec!["atera".into()], ..Default::default() };
/// let catalog = selection.catalog()?;   // no rule files: the built-in hunts, filtered
/// assert_eq!(catalog.len(), 3);
/// # Ok::<(), rmm_rules::SelectionError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rule files, or folders of rule YAML searched recursively.
    pub rules: Vec<PathBuf>,
    /// The built-in seed hunts too (they are the default when `rules` is empty).
    pub builtin: bool,
    /// Id, name or file-name globs, ignoring case (any may match; see [`Filter::pattern`]).
    pub patterns: Vec<String>,
    /// MITRE tactics (any may match).
    pub tactics: Vec<String>,
    /// MITRE techniques; a technique also chooses its sub-techniques.
    pub techniques: Vec<String>,
    /// Tables a rule reads.
    pub tables: Vec<String>,
}

/// Why a selection could not be made.
#[derive(Debug)]
pub enum SelectionError {
    /// A rule file or folder could not be read (a file in a folder that does not parse is not
    /// this: it is reported in the catalog's problems and the rest loads).
    Load(LoadError),
    /// A pattern is not a valid glob.
    Pattern(PatternError),
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(e) => e.fmt(f),
            Self::Pattern(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SelectionError {}

impl Selection {
    /// The catalog: the rule files and folders (and the built-in hunts when asked, or when no
    /// file is given), filtered.
    ///
    /// # Errors
    /// When a path cannot be read or a pattern is not a glob.
    pub fn catalog(&self) -> Result<Catalog, SelectionError> {
        let mut catalog = if self.rules.is_empty() || self.builtin { Catalog::builtin() } else { Catalog::new() };
        for path in &self.rules {
            catalog.extend(Catalog::from_path(path).map_err(SelectionError::Load)?);
        }
        let mut filter = Filter::new();
        for p in &self.patterns {
            filter = filter.pattern(p).map_err(SelectionError::Pattern)?;
        }
        for t in &self.tactics {
            filter = filter.tactic(t);
        }
        for t in &self.techniques {
            filter = filter.technique(t);
        }
        for t in &self.tables {
            filter = filter.table(t);
        }
        Ok(catalog.filter(&filter))
    }
}
