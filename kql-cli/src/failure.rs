//! How a command fails: the message for stderr and the exit status.

/// Exit status for a query or data error.
pub(crate) const QUERY_ERROR: u8 = 1;
/// Exit status for bad usage (also clap's).
pub(crate) const USAGE: u8 = 2;
/// Exit status when `--timeout` stopped the command (as `timeout(1)` reports it).
pub(crate) const TIMED_OUT: u8 = 124;
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

impl Failure {
    /// Stopped by `--timeout`.
    pub(crate) fn timed_out(limit: std::time::Duration) -> Self {
        Self { code: TIMED_OUT, message: format!("kql: stopped after the --timeout of {}", humantime(limit)) }
    }
}

/// `1m 30s`, `500ms`.
fn humantime(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec}s"));
    }
    parts.join(" ")
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::query(message)
    }
}

/// Results of commands.
pub(crate) type CliResult<T = ()> = Result<T, Failure>;
