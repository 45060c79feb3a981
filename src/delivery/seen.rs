//! Messages this isolate has already finished. A queue may hand the same message over again
//! (at-least-once; workerd also fails a whole consumer invocation when a subrequest dies with
//! an internal error, e.g. a DNS failure or a reset connection, and the batch is redelivered
//! although every message was acked). Skipping what was just done avoids a duplicate attempt
//! when the redelivery lands on the same isolate, as it does locally.

use std::collections::{HashSet, VecDeque};

pub struct RecentlyDone {
    capacity: usize,
    order: VecDeque<String>,
    keys: HashSet<String>,
}

impl RecentlyDone {
    pub fn new(capacity: usize) -> Self {
        Self { capacity, order: VecDeque::new(), keys: HashSet::new() }
    }

    /// The key of one attempt: a redelivered message carries the same delivery and attempt.
    pub fn key(delivery_id: &str, attempt: u32) -> String {
        format!("{delivery_id}#{attempt}")
    }

    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    pub fn insert(&mut self, key: String) {
        if !self.keys.insert(key.clone()) {
            return;
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_most_recent_keys_only() {
        let mut done = RecentlyDone::new(2);
        done.insert(RecentlyDone::key("dlv_a", 1));
        done.insert(RecentlyDone::key("dlv_b", 1));
        done.insert(RecentlyDone::key("dlv_b", 1));
        assert!(done.contains("dlv_a#1") && done.contains("dlv_b#1"));
        done.insert(RecentlyDone::key("dlv_c", 1));
        assert!(!done.contains("dlv_a#1"), "the oldest is forgotten");
        assert!(done.contains("dlv_c#1"));
        assert!(!done.contains("dlv_c#2"), "the next attempt is a different message");
    }
}
