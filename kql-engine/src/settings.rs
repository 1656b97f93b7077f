//! Parsing the settings every face takes as text: the query clock (`--now`, `connect(now=...)`)
//! and memory sizes (`--memory-limit 4GiB`). One parser, so the CLI, the Python package and the
//! server read them alike.

/// An RFC 3339 time (`2024-06-01T12:00:00Z`, `2024-06-01T14:00:00+02:00`) as nanoseconds since
/// the Unix epoch, for [`KqlContextBuilder::now`](crate::KqlContextBuilder::now).
///
/// # Errors
/// A message naming the text when it is not an RFC 3339 time or is out of range.
pub fn parse_now(s: &str) -> Result<i64, String> {
    let t = chrono::DateTime::parse_from_rfc3339(s.trim())
        .map_err(|e| format!("`{s}` is not an RFC 3339 time such as 2024-06-01T12:00:00Z ({e})"))?;
    t.timestamp_nanos_opt().ok_or_else(|| format!("`{s}` is out of range"))
}

/// A duration for a time limit: `30s`, `2m`, `1.5h`, `500ms`, `1d`, a KQL timespan such as
/// `00:00:30` or `1.00:00:00`, or a plain number of seconds (`90`).
///
/// # Errors
/// A message naming the text when it is not a duration, or is zero or negative.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let bad = || format!("`{s}` is not a duration such as 30s, 2m, 1h or 00:05:00");
    let seconds: f64 = if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        // Kusto's `d.hh:mm:ss`: days before a dot in the first part.
        let (days, hours) = match parts[0].split_once('.') {
            Some((d, h)) => (d.parse::<f64>().map_err(|_| bad())?, h),
            None => (0.0, parts[0]),
        };
        let h: f64 = hours.parse::<f64>().map_err(|_| bad())? + days * 24.0;
        let m: f64 = parts[1].parse().map_err(|_| bad())?;
        let sec: f64 = parts[2].parse().map_err(|_| bad())?;
        h * 3600.0 + m * 60.0 + sec
    } else {
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let n: f64 = number.parse().map_err(|_| bad())?;
        let scale = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "s" | "sec" | "second" | "seconds" => 1.0,
            "ms" | "millisecond" | "milliseconds" => 1e-3,
            "m" | "min" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            other => return Err(format!("unknown unit `{other}` in `{s}`; use ms, s, m, h or d")),
        };
        n * scale
    };
    if !(seconds > 0.0 && seconds < 1e12) {
        return Err(format!("`{s}` is not a usable time limit (it must be above zero)"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// A memory size: `512MiB`, `4GB`, `2g`, `1.5GiB`, `1000000` (bytes); binary and decimal units,
/// any case.
///
/// # Errors
/// A message naming the text when it is not a size, has an unknown unit, or is below one byte.
pub fn parse_size(s: &str) -> Result<usize, String> {
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
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("00:01:30"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("5 weeks").unwrap_err().contains("unknown unit `weeks`"));
        assert!(parse_duration("1:2").is_err());
        assert_eq!(parse_duration("1.02:00:00"), Ok(std::time::Duration::from_secs(26 * 3600)));
        assert_eq!(parse_duration("0:04:30"), Ok(std::time::Duration::from_secs(270)));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4GB"), Ok(4_000_000_000));
        assert_eq!(parse_size("1.5g"), Ok(1_500_000_000));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size(" 4GiB "), Ok(4 << 30));
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
