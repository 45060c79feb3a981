//! Per-hour delivery health of one hook (the console's charts): attempts per UTC hour split
//! success/failure, and the p50/p95 of attempt duration.
//!
//! Percentiles use the nearest-rank method, exactly: the p-th percentile of n durations
//! sorted ascending is the one at rank ceil(p·n/100) (1-based). A bucket object computes
//! the same rank in SQL (`rank`), and every hour lies in one UTC day, so in one bucket: no
//! approximation and no merging of percentiles across buckets.

use crate::core::ids::DAY_MS;
use crate::core::Error;
use serde::{Deserialize, Serialize};

pub const HOUR_MS: i64 = 3_600_000;
const _HOURS_TILE_DAYS: () = assert!(DAY_MS % HOUR_MS == 0);

/// One hour's numbers; `hour` is hours since the epoch (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HourStats {
    pub hour: i64,
    pub requests: u64,
    pub successes: u64,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// The window a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Day,
    Week,
}

pub const RANGES: &[&str] = &["24h", "7d"];

impl Range {
    /// `?range=`: `24h` (the default) or `7d`.
    pub fn parse(value: Option<&str>) -> Result<Self, Error> {
        match value {
            None | Some("24h") => Ok(Range::Day),
            Some("7d") => Ok(Range::Week),
            Some(other) => Err(Error::invalid_input("range", format!("`{other}` is not one of 24h, 7d"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Range::Day => "24h",
            Range::Week => "7d",
        }
    }

    pub fn hours(self) -> i64 {
        match self {
            Range::Day => 24,
            Range::Week => 7 * 24,
        }
    }

    /// The whole UTC hours shown at `now_ms`, oldest first: the current (partial) hour last.
    pub fn hours_at(self, now_ms: i64) -> std::ops::RangeInclusive<i64> {
        let last = now_ms.div_euclid(HOUR_MS);
        last - self.hours() + 1..=last
    }
}

/// The 1-based nearest rank of percentile `p` among `n` values (`n` > 0).
pub fn rank(n: u64, p: u64) -> u64 {
    (p * n).div_ceil(100).max(1)
}

/// The nearest-rank percentile of `durations` (any order); `None` when empty.
pub fn percentile(durations: &[i64], p: u64) -> Option<i64> {
    let mut sorted = durations.to_vec();
    sorted.sort_unstable();
    let r = rank(sorted.len() as u64, p) as usize;
    sorted.get(r.checked_sub(1)?).copied()
}

/// One hour from its attempts `(duration_ms, success)`.
pub fn summarize(hour: i64, attempts: &[(i64, bool)]) -> HourStats {
    let durations: Vec<i64> = attempts.iter().map(|(d, _)| *d).collect();
    HourStats {
        hour,
        requests: attempts.len() as u64,
        successes: attempts.iter().filter(|(_, ok)| *ok).count() as u64,
        p50_ms: percentile(&durations, 50),
        p95_ms: percentile(&durations, 95),
    }
}

/// Every hour of `hours`, oldest first: what the buckets found, zeros for quiet hours.
pub fn series(hours: std::ops::RangeInclusive<i64>, found: &[HourStats]) -> Vec<HourStats> {
    hours
        .map(|hour| {
            found.iter().find(|s| s.hour == hour).copied().unwrap_or(HourStats { hour, ..Default::default() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_are_values_that_occurred() {
        let d: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(percentile(&d, 50), Some(50));
        assert_eq!(percentile(&d, 95), Some(95));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[10, 1000], 50), Some(10));
        assert_eq!(percentile(&[10, 1000], 95), Some(1000));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn the_rank_the_sql_uses_matches_the_definition() {
        assert_eq!(rank(1, 95), 1);
        assert_eq!(rank(20, 95), 19);
        assert_eq!(rank(21, 95), 20);
        assert_eq!(rank(3, 50), 2);
        assert_eq!(rank(4, 50), 2);
    }

    #[test]
    fn an_hour_counts_successes_and_failures() {
        let s = summarize(5, &[(100, true), (3000, false), (200, true)]);
        assert_eq!((s.requests, s.successes, s.p50_ms, s.p95_ms), (3, 2, Some(200), Some(3000)));
        assert_eq!(summarize(5, &[]), HourStats { hour: 5, ..Default::default() });
    }

    #[test]
    fn ranges_cover_whole_hours_ending_with_the_current_one() {
        let now = 1000 * HOUR_MS + 5;
        assert_eq!(Range::parse(None).unwrap().hours_at(now), 977..=1000);
        assert_eq!(Range::parse(Some("7d")).unwrap().hours_at(now).count(), 168);
        let err = Range::parse(Some("1y")).unwrap_err();
        assert_eq!((err.status, err.code), (400, "guard.invalid_input"));
    }

    #[test]
    fn a_series_fills_quiet_hours_with_zeros_in_order() {
        let found = [HourStats { hour: 12, requests: 2, successes: 1, p50_ms: Some(5), p95_ms: Some(9) }];
        let s = series(10..=13, &found);
        assert_eq!(s.iter().map(|h| h.hour).collect::<Vec<_>>(), [10, 11, 12, 13]);
        assert_eq!(s[2], found[0]);
        assert_eq!((s[0].requests, s[0].p50_ms), (0, None));
    }
}
