//! Timestamps as Logto writes them.

use chrono::{DateTime, SecondsFormat};

/// Epoch milliseconds as JavaScript's `Date.toISOString()`: `YYYY-MM-DDTHH:mm:ss.sssZ`.
pub fn iso_millis(epoch_ms: i64) -> String {
    DateTime::from_timestamp_millis(epoch_ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 / ISO 8601 timestamp into epoch milliseconds.
pub fn parse_iso(value: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(value).ok().map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript_to_iso_string() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1_755_777_600_123), "2025-08-21T12:00:00.123Z");
    }

    #[test]
    fn parses_what_it_formats() {
        assert_eq!(parse_iso("2025-08-21T12:00:00.123Z"), Some(1_755_777_600_123));
        assert_eq!(parse_iso("yesterday"), None);
    }
}
