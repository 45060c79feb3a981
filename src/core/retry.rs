//! Retry policy (SPEC §5), after Svix: the schedule entry for this retry, at least 60 s after
//! a timeout or 429, `Retry-After` honoured within [wait, 2×wait], then ±20 % jitter.

use chrono::DateTime;

/// Cloudflare Queues' longest delay; longer waits are chained over several hops.
pub const MAX_QUEUE_DELAY_SECS: u32 = 43_200;
const OVERLOAD_PENALTY_SECS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A timeout or 429: the receiver is overloaded.
    Overloaded,
    Other,
}

/// Seconds to wait before the next attempt after `failed_attempt` (1-based) failed, or
/// `None` when no retries are left. `max_retries` is the hook's `config.retries`; `unit` is
/// a uniform random number in [0, 1) for the jitter.
pub fn retry_delay(
    schedule: &[u32],
    max_retries: Option<u8>,
    failed_attempt: u32,
    kind: FailureKind,
    retry_after_secs: Option<u64>,
    unit: f64,
) -> Option<u64> {
    let retries = max_retries.map(u32::from).unwrap_or(schedule.len() as u32);
    if failed_attempt == 0 || failed_attempt > retries {
        return None;
    }
    let index = (failed_attempt - 1) as usize;
    // More retries than schedule entries reuse the last entry.
    let mut base = schedule.get(index).or(schedule.last()).copied().unwrap_or(0) as u64;
    if kind == FailureKind::Overloaded {
        base = base.max(OVERLOAD_PENALTY_SECS);
    }
    if let Some(hint) = retry_after_secs {
        base = hint.clamp(base, base.saturating_mul(2));
    }
    let factor = 0.8 + 0.4 * unit.clamp(0.0, 1.0);
    Some((base as f64 * factor).round() as u64)
}

/// `Retry-After` as delay seconds: an integer (fractions rounded up) or an HTTP date.
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64);
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.timestamp_millis();
    Some(((at - now_ms).max(0) as u64).div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVIX: &[u32] = &[5, 300, 1800, 7200, 18000, 36000, 36000];
    const MID: f64 = 0.5; // jitter factor exactly 1.0

    #[test]
    fn follows_the_schedule_then_stops() {
        let delays: Vec<_> =
            (1..=8).map(|n| retry_delay(SVIX, None, n, FailureKind::Other, None, MID)).collect();
        assert_eq!(
            delays,
            [Some(5), Some(300), Some(1800), Some(7200), Some(18000), Some(36000), Some(36000), None]
        );
    }

    #[test]
    fn hook_retries_limit_the_count_and_reuse_the_last_entry() {
        assert_eq!(retry_delay(&[1, 1, 1], Some(1), 1, FailureKind::Other, None, MID), Some(1));
        assert_eq!(retry_delay(&[1, 1, 1], Some(1), 2, FailureKind::Other, None, MID), None);
        assert_eq!(retry_delay(&[1, 2], Some(4), 4, FailureKind::Other, None, MID), Some(2));
        assert_eq!(retry_delay(SVIX, Some(0), 1, FailureKind::Other, None, MID), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        assert_eq!(retry_delay(&[100], None, 1, FailureKind::Other, None, 0.0), Some(80));
        assert_eq!(retry_delay(&[100], None, 1, FailureKind::Other, None, 0.999_999), Some(120));
    }

    #[test]
    fn timeouts_and_429_wait_at_least_a_minute() {
        assert_eq!(retry_delay(&[5], None, 1, FailureKind::Overloaded, None, MID), Some(60));
        assert_eq!(retry_delay(&[300], None, 1, FailureKind::Overloaded, None, MID), Some(300));
    }

    #[test]
    fn retry_after_is_clamped_between_wait_and_twice_wait() {
        assert_eq!(retry_delay(&[100], None, 1, FailureKind::Other, Some(150), MID), Some(150));
        assert_eq!(retry_delay(&[100], None, 1, FailureKind::Other, Some(10), MID), Some(100));
        assert_eq!(retry_delay(&[100], None, 1, FailureKind::Other, Some(1000), MID), Some(200));
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("120", 0), Some(120));
        assert_eq!(parse_retry_after("1.2", 0), Some(2));
        assert_eq!(parse_retry_after("-1", 0), None);
        let now = DateTime::parse_from_rfc2822("Sun, 06 Nov 1994 08:49:07 GMT").unwrap().timestamp_millis();
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(30));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
