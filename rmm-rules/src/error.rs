//! Errors of loading rules.

use std::fmt;

use crate::rule::RuleSource;

/// A rule file that could not be read, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file (or built-in rule) concerned.
    pub source: RuleSource,
    /// The line and column (both 1-based) of the problem, when known.
    pub location: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl LoadError {
    /// An error at an optional location.
    pub fn new(source: RuleSource, location: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        Self { source, location, message: message.into() }
    }

    pub(crate) fn io(source: RuleSource, e: &std::io::Error) -> Self {
        Self::new(source, None, e.to_string())
    }

    pub(crate) fn yaml(source: RuleSource, e: &serde_norway::Error) -> Self {
        let location = e.location().map(|l| (l.line(), l.column()));
        // The message repeats the location ("... at line 4 column 5"); keep the words only.
        let mut message = e.to_string();
        if let Some(at) = message.find(" at line ") {
            message.truncate(at);
        }
        Self::new(source, location, message)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// A rule pattern that is not a valid glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid rule pattern `{}`: {}", self.pattern, self.message)
    }
}

impl std::error::Error for PatternError {}
