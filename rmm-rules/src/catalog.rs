//! A catalog: the rules to run, and the files that could not be read.

use std::path::Path;

use crate::error::LoadError;
use crate::filter::Filter;
use crate::load::{parse_rule, read_rule, rule_files};
use crate::rule::{Rule, RuleSource};

/// The seed rules, exactly as published in Azure-Sentinel's
/// `Hunting Queries/Microsoft 365 Defender/RemoteManagementMonitoring/`.
const BUILTIN: &[(&str, &str)] = &[
    ("rmm_Atera_filesig.yaml", include_str!("../builtin/rmm_Atera_filesig.yaml")),
    ("rmm_Atera_netconn.yaml", include_str!("../builtin/rmm_Atera_netconn.yaml")),
    ("rmm_Atera_createproc.yaml", include_str!("../builtin/rmm_Atera_createproc.yaml")),
    ("rmm_Action1_filesig.yaml", include_str!("../builtin/rmm_Action1_filesig.yaml")),
];

/// Rules to run, in order, and the files that could not be read as rules (each with its
/// location), so one broken file never hides the rest of a folder.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    rules: Vec<Rule>,
    problems: Vec<LoadError>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in catalog: the four seed hunts (Atera file signature, network connection and
    /// process creation; Action1 file signature) with their published ids, names, descriptions
    /// and queries.
    pub fn builtin() -> Self {
        let mut catalog = Self::new();
        for (name, text) in BUILTIN {
            catalog.add(parse_rule(text, RuleSource::Builtin(name)));
        }
        catalog
    }

    /// Every `*.yaml` / `*.yml` rule under a folder (recursively), in path order. Files that
    /// are not rules are listed in [`Catalog::problems`]; the others load.
    ///
    /// # Errors
    /// Only when the folder itself cannot be read.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        let mut catalog = Self::new();
        for path in rule_files(dir.as_ref())? {
            catalog.add(read_rule(&path));
        }
        Ok(catalog)
    }

    /// One rule file.
    ///
    /// # Errors
    /// When the file cannot be read or is not a rule.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Ok(Self { rules: vec![read_rule(path.as_ref())?], problems: Vec::new() })
    }

    /// A folder ([`Catalog::from_dir`]) or a file ([`Catalog::from_file`]).
    ///
    /// # Errors
    /// As those.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Self::from_dir(path),
            Ok(_) => Self::from_file(path),
            Err(e) => Err(LoadError::io(RuleSource::File(path.to_path_buf()), &e)),
        }
    }

    /// One rule from YAML text.
    ///
    /// # Errors
    /// When the text is not a rule.
    pub fn from_yaml(text: &str) -> Result<Self, LoadError> {
        Ok(Self { rules: vec![parse_rule(text, RuleSource::Inline)?], problems: Vec::new() })
    }

    fn add(&mut self, rule: Result<Rule, LoadError>) {
        match rule {
            Ok(r) => self.rules.push(r),
            Err(e) => self.problems.push(e),
        }
    }

    /// Adds a rule.
    pub fn push(&mut self, rule: Rule) {
        self.rules.push(rule);
    }

    /// Adds the rules and problems of another catalog after these.
    pub fn extend(&mut self, other: Self) {
        self.rules.extend(other.rules);
        self.problems.extend(other.problems);
    }

    /// The rules `filter` chooses (the load problems are kept: they are not rules to filter).
    pub fn filter(&self, filter: &Filter) -> Self {
        Self {
            rules: self.rules.iter().filter(|r| filter.matches(r)).cloned().collect(),
            problems: self.problems.clone(),
        }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The files that could not be read as rules.
    pub fn problems(&self) -> &[LoadError] {
        &self.problems
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Rule> {
        self.rules.iter()
    }
}

impl<'a> IntoIterator for &'a Catalog {
    type Item = &'a Rule;
    type IntoIter = std::slice::Iter<'a, Rule>;

    fn into_iter(self) -> Self::IntoIter {
        self.rules.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_rules_load_as_published() {
        let catalog = Catalog::builtin();
        assert!(catalog.problems().is_empty(), "{:?}", catalog.problems());
        let names: Vec<_> = catalog.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Remote Management and Monitoring tool - Atera - File Signature",
                "Remote Management and Monitoring tool - Atera - Network Connection",
                "Remote Management and Monitoring tool - Atera - Create Process",
                "Remote Management and Montioring tool - Action1 - File Signature",
            ]
        );
        let netconn = &catalog.rules()[1];
        assert_eq!(netconn.id, "774bb5a8-c93b-4fa1-8ebf-4053b99622ed");
        assert_eq!(netconn.tables(), ["DeviceNetworkEvents"]);
        assert_eq!(netconn.tactics, ["CommandAndControl"]);
        assert_eq!(netconn.relevant_techniques, ["T1219"]);
        assert!(
            netconn.query.starts_with("let Time_start = now(-5d);\nlet Time_end = now();\n//\nDeviceNetworkEvents\n")
        );
        assert!(catalog.iter().all(|r| r.repairs.is_empty()));
    }

    #[test]
    fn filters() {
        let all = Catalog::builtin();
        let f = |filter: Filter| all.filter(&filter).iter().map(|r| r.source.to_string()).collect::<Vec<_>>();
        assert_eq!(f(Filter::new().pattern("action1").expect("glob")), ["builtin:rmm_Action1_filesig.yaml"]);
        assert_eq!(f(Filter::new().pattern("*File Signature").expect("glob")).len(), 2);
        assert_eq!(f(Filter::new().pattern("774bb5a8-*").expect("glob")), ["builtin:rmm_Atera_netconn.yaml"]);
        assert_eq!(f(Filter::new().table("deviceprocessevents")), ["builtin:rmm_Atera_createproc.yaml"]);
        assert_eq!(f(Filter::new().technique("T1219")).len(), 4);
        assert_eq!(f(Filter::new().technique("T121")).len(), 0);
        assert_eq!(f(Filter::new().tactic("commandandcontrol").table("DeviceFileCertificateInfo")).len(), 2);
        assert_eq!(f(Filter::new().tactic("Persistence")).len(), 0);
        assert!(Filter::new().pattern("[a").is_err());
    }
}
