//! Choosing rules: by id or name pattern, tactic, technique and table.

use globset::{GlobBuilder, GlobMatcher};

use crate::error::PatternError;
use crate::rule::Rule;

/// Which rules to run. Each kind of criterion matches when any of its values does; a rule is
/// chosen when every kind given matches (an empty filter chooses every rule).
///
/// ```
/// let filter = rmm_rules::Filter::new().pattern("atera")?.table("DeviceNetworkEvents");
/// let catalog = rmm_rules::Catalog::builtin().filter(&filter);
/// assert_eq!(catalog.len(), 1);
/// # Ok::<(), rmm_rules::PatternError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Filter {
    patterns: Vec<GlobMatcher>,
    tactics: Vec<String>,
    techniques: Vec<String>,
    tables: Vec<String>,
}

impl Filter {
    /// A filter that chooses every rule.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rules whose id, name or file name matches a glob (`*`, `?`, `[..]`), ignoring case. A
    /// pattern without a wildcard matches anywhere in the text: `Atera` is `*Atera*`.
    ///
    /// # Errors
    /// When the pattern is not a valid glob.
    pub fn pattern(mut self, pattern: &str) -> Result<Self, PatternError> {
        let glob = if pattern.contains(['*', '?', '[']) { pattern.to_owned() } else { format!("*{pattern}*") };
        let matcher = GlobBuilder::new(&glob)
            .case_insensitive(true)
            .literal_separator(false)
            .build()
            .map_err(|e| PatternError { pattern: pattern.to_owned(), message: e.kind().to_string() })?
            .compile_matcher();
        self.patterns.push(matcher);
        Ok(self)
    }

    /// Rules with this MITRE tactic (ignoring case), e.g. `CommandAndControl`.
    pub fn tactic(mut self, tactic: &str) -> Self {
        self.tactics.push(tactic.to_owned());
        self
    }

    /// Rules with this technique or one of its sub-techniques: `T1219` also chooses `T1219.001`.
    pub fn technique(mut self, technique: &str) -> Self {
        self.techniques.push(technique.to_owned());
        self
    }

    /// Rules that read this table (from `requiredDataConnectors`), ignoring case.
    pub fn table(mut self, table: &str) -> Self {
        self.tables.push(table.to_owned());
        self
    }

    /// Whether the filter chooses every rule.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.tactics.is_empty() && self.techniques.is_empty() && self.tables.is_empty()
    }

    /// Whether the filter chooses `rule`.
    pub fn matches(&self, rule: &Rule) -> bool {
        let file = match &rule.source {
            crate::RuleSource::File(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
            crate::RuleSource::Builtin(n) => Some((*n).to_owned()),
            crate::RuleSource::Inline => None,
        };
        let pattern = self.patterns.is_empty()
            || self.patterns.iter().any(|g| {
                g.is_match(&rule.id) || g.is_match(&rule.name) || file.as_ref().is_some_and(|f| g.is_match(f))
            });
        let tactic = self.tactics.is_empty()
            || self.tactics.iter().any(|t| rule.tactics.iter().any(|r| r.eq_ignore_ascii_case(t)));
        let technique = self.techniques.is_empty()
            || self.techniques.iter().any(|t| {
                rule.relevant_techniques.iter().any(|r| {
                    r.eq_ignore_ascii_case(t)
                        || r.get(..t.len()).is_some_and(|p| p.eq_ignore_ascii_case(t))
                            && r.as_bytes().get(t.len()) == Some(&b'.')
                })
            });
        let table = self.tables.is_empty()
            || self.tables.iter().any(|t| rule.tables().iter().any(|r| r.eq_ignore_ascii_case(t)));
        pattern && tactic && technique && table
    }
}
