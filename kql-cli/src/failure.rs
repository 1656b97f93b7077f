//! How a command fails: the message for stderr and the exit status.

/// Exit status for a query or data error.
pub(crate) const QUERY_ERROR: u8 = 1;
/// Exit status for bad usage (also clap's).
pub(crate) const USAGE: u8 = 2;
/// Exit status after Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED: u8 = 130;

/// A failed command.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The exit status.
    pub(crate) code: u8,
    /// What to print on stderr (already rendered; may be empty).
    pub(crate) message: String,
}

impl Failure {
    /// A query or data error (exit status 1).
    pub(crate) fn query(message: impl Into<String>) -> Self {
        Self { code: QUERY_ERROR, message: message.into() }
    }

    /// Bad usage (exit status 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self { code: USAGE, message: message.into() }
    }

    /// Interrupted by Ctrl-C.
    pub(crate) fn interrupted() -> Self {
        Self { code: INTERRUPTED, message: "interrupted".into() }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::query(message)
    }
}

/// Results of commands.
pub(crate) type CliResult<T = ()> = Result<T, Failure>;
