//! The per-hook gate (SPEC §11): one place per hook that decides when attempts may start, so
//! `rateLimit` and `maxInFlight` hold across every invocation and isolate. The Worker asks
//! the hook's `HookGate` object (`platform/hook_gate.rs`) before attempting; what may not start
//! yet goes back to the queue without using a retry. Hooks without limits never ask.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A hook's limits, as its config says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub per_second: Option<u32>,
    pub max_in_flight: Option<u32>,
}

/// What a gate is asked (one JSON POST each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum GateRequest {
    /// May these attempts start now? `lease_ms`: how long an unreleased one counts as in flight.
    Acquire { ids: Vec<String>, limits: Limits, lease_ms: i64 },
    /// These attempts finished.
    Release { ids: Vec<String> },
}

/// The gate's answer to `Acquire`: who may start, and when to ask again for the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub granted: Vec<String>,
    pub retry_in_ms: Option<i64>,
}

/// Starts granted in the last second, and attempts in flight with their lease's end.
#[derive(Debug, Default)]
pub struct Gate {
    starts: VecDeque<i64>,
    in_flight: Vec<(String, i64)>,
}

impl Gate {
    pub fn acquire(&mut self, ids: &[String], limits: Limits, lease_ms: i64, now_ms: i64) -> Grant {
        while self.starts.front().is_some_and(|t| *t <= now_ms - 1000) {
            self.starts.pop_front();
        }
        self.in_flight.retain(|(_, until)| *until > now_ms);
        let mut grant = Grant::default();
        for id in ids {
            if self.in_flight.iter().any(|(i, _)| i == id) {
                // A redelivered message of an attempt already running: it waits for that one.
                grant.retry_in_ms = Some(grant.retry_in_ms.unwrap_or(1000));
                continue;
            }
            let rate_wait = limits
                .per_second
                .filter(|per| self.starts.len() >= *per as usize)
                .and_then(|_| self.starts.front().map(|first| first + 1000 - now_ms));
            let full = limits.max_in_flight.is_some_and(|max| self.in_flight.len() >= max as usize);
            match (rate_wait, full) {
                (None, false) => {
                    self.starts.push_back(now_ms);
                    self.in_flight.push((id.clone(), now_ms + lease_ms));
                    grant.granted.push(id.clone());
                }
                (wait, _) => {
                    // A slot frees when the oldest start leaves the window, or an attempt ends.
                    let wait = wait.unwrap_or(250).max(1);
                    grant.retry_in_ms = Some(grant.retry_in_ms.map_or(wait, |w| w.min(wait)));
                }
            }
        }
        grant
    }

    pub fn release(&mut self, ids: &[String]) {
        self.in_flight.retain(|(id, _)| !ids.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("d{i}")).collect()
    }

    #[test]
    fn a_rate_limit_grants_at_most_per_second_starts_in_any_second() {
        let mut gate = Gate::default();
        let limits = Limits { per_second: Some(2), max_in_flight: None };
        let g = gate.acquire(&ids(5), limits, 30_000, 10_000);
        assert_eq!(g.granted, ["d0", "d1"]);
        assert_eq!(g.retry_in_ms, Some(1000));
        gate.release(&g.granted);
        assert!(
            gate.acquire(&["d2".into()], limits, 30_000, 10_999).granted.is_empty(),
            "still the same second"
        );
        assert_eq!(
            gate.acquire(&["d2".into(), "d3".into(), "d4".into()], limits, 30_000, 11_000).granted,
            ["d2", "d3"]
        );
    }

    #[test]
    fn max_in_flight_waits_for_a_release_or_a_lease_to_end() {
        let mut gate = Gate::default();
        let limits = Limits { per_second: None, max_in_flight: Some(1) };
        assert_eq!(gate.acquire(&ids(2), limits, 5_000, 0).granted, ["d0"]);
        assert!(gate.acquire(&["d1".into()], limits, 5_000, 100).granted.is_empty());
        gate.release(&["d0".into()]);
        assert_eq!(gate.acquire(&["d1".into()], limits, 5_000, 200).granted, ["d1"]);
        // Never released (the invocation died): the lease ends.
        assert!(gate.acquire(&["d2".into()], limits, 5_000, 5_199).granted.is_empty());
        assert_eq!(gate.acquire(&["d2".into()], limits, 5_000, 5_200).granted, ["d2"]);
    }

    #[test]
    fn an_attempt_already_in_flight_is_not_started_twice() {
        let mut gate = Gate::default();
        let limits = Limits { per_second: Some(100), max_in_flight: Some(10) };
        assert_eq!(gate.acquire(&["d0".into()], limits, 5_000, 0).granted, ["d0"]);
        let again = gate.acquire(&["d0".into()], limits, 5_000, 1);
        assert!(again.granted.is_empty() && again.retry_in_ms.is_some());
    }
}
