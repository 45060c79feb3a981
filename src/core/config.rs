//! Worker configuration (SPEC §2), read through a lookup function so it is testable
//! without the runtime's `Env`.

use super::error::Error;

pub const DEFAULT_RETRY_SCHEDULE: &[u32] = &[5, 300, 1800, 7200, 18000, 36000, 36000];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub admin_token: Option<String>,
    pub ingest_token: Option<String>,
    pub relay_signing_key: Option<String>,
    pub allow_private_targets: bool,
    pub delivery_timeout_ms: u32,
    pub retry_schedule: Vec<u32>,
    pub log_retention_days: u32,
    pub auto_disable_after_hours: u32,
    /// A retrying delivery this overdue is re-enqueued by the sweeper (its queue message
    /// was lost: a crashed consumer, a local runtime restart).
    pub sweep_after_secs: u32,
    /// A delivery planned at ingest whose first attempt is not recorded this long after is
    /// attempted through the queue by its bucket's alarm (the isolate that was to make it
    /// died). Longer than the slowest first attempt (30 s timeout) plus recording it.
    pub dispatch_guard_secs: u32,
    /// Hooks one tenant may have (SPEC §9).
    pub max_hooks_per_tenant: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            admin_token: None,
            ingest_token: None,
            relay_signing_key: None,
            allow_private_targets: false,
            delivery_timeout_ms: 10_000,
            retry_schedule: DEFAULT_RETRY_SCHEDULE.to_vec(),
            log_retention_days: 14,
            auto_disable_after_hours: 120,
            sweep_after_secs: 600,
            dispatch_guard_secs: 60,
            max_hooks_per_tenant: 100,
        }
    }
}

fn invalid(name: &str, value: &str, expected: &str) -> Error {
    Error::new(500, "config.invalid", format!("{name}={value:?} is invalid: expected {expected}."))
}

fn number(
    name: &str,
    value: Option<String>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, Error> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => {
            v.parse::<u32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                invalid(name, v, &format!("an integer in {}..={}", range.start(), range.end()))
            })
        }
    }
}

impl Config {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let d = Config::default();
        let secret = |name: &str| get(name).filter(|v| !v.is_empty());
        let allow_private_targets = match get("ALLOW_PRIVATE_TARGETS").as_deref().map(str::trim) {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(v) => return Err(invalid("ALLOW_PRIVATE_TARGETS", v, "true or false")),
        };
        let retry_schedule = match get("RETRY_SCHEDULE") {
            None => d.retry_schedule,
            Some(raw) if raw.trim().is_empty() => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(|s| s.trim().parse::<u32>().ok().filter(|n| *n <= 86_400 * 7))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("RETRY_SCHEDULE", &raw, "comma-separated seconds"))?,
        };
        Ok(Self {
            admin_token: secret("ADMIN_TOKEN"),
            ingest_token: secret("INGEST_TOKEN"),
            relay_signing_key: secret("LOGTO_RELAY_SIGNING_KEY"),
            allow_private_targets,
            delivery_timeout_ms: number(
                "DELIVERY_TIMEOUT_MS",
                get("DELIVERY_TIMEOUT_MS"),
                d.delivery_timeout_ms,
                100..=60_000,
            )?,
            retry_schedule,
            log_retention_days: number(
                "LOG_RETENTION_DAYS",
                get("LOG_RETENTION_DAYS"),
                d.log_retention_days,
                1..=3650,
            )?,
            auto_disable_after_hours: number(
                "AUTO_DISABLE_AFTER_HOURS",
                get("AUTO_DISABLE_AFTER_HOURS"),
                d.auto_disable_after_hours,
                0..=87_600,
            )?,
            sweep_after_secs: number(
                "SWEEP_AFTER_SECONDS",
                get("SWEEP_AFTER_SECONDS"),
                d.sweep_after_secs,
                1..=86_400,
            )?,
            dispatch_guard_secs: number(
                "DISPATCH_GUARD_SECONDS",
                get("DISPATCH_GUARD_SECONDS"),
                d.dispatch_guard_secs,
                1..=3600,
            )?,
            max_hooks_per_tenant: number(
                "MAX_HOOKS_PER_TENANT",
                get("MAX_HOOKS_PER_TENANT"),
                d.max_hooks_per_tenant,
                1..=100_000,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_spec_and_have_no_tokens() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.retry_schedule, vec![5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert!(c.admin_token.is_none() && c.ingest_token.is_none());
        assert!(!c.allow_private_targets);
    }

    #[test]
    fn values_are_parsed() {
        let c = cfg(&[
            ("ADMIN_TOKEN", "a"),
            ("ALLOW_PRIVATE_TARGETS", "true"),
            ("RETRY_SCHEDULE", "1, 1,1"),
            ("DELIVERY_TIMEOUT_MS", "1500"),
        ])
        .unwrap();
        assert_eq!(c.admin_token.as_deref(), Some("a"));
        assert!(c.allow_private_targets);
        assert_eq!(c.retry_schedule, vec![1, 1, 1]);
        assert_eq!(c.delivery_timeout_ms, 1500);
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        for (k, v) in [
            ("RETRY_SCHEDULE", "1,x"),
            ("ALLOW_PRIVATE_TARGETS", "yes please"),
            ("DELIVERY_TIMEOUT_MS", "-3"),
        ] {
            let err = cfg(&[(k, v)]).unwrap_err();
            assert_eq!(err.code, "config.invalid");
            assert!(err.message.contains(k));
        }
    }

    #[test]
    fn empty_secret_counts_as_missing() {
        assert!(cfg(&[("ADMIN_TOKEN", "")]).unwrap().admin_token.is_none());
    }
}
