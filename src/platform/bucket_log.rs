//! The delivery log over `DeliveryBucket` objects: each call finds the buckets it needs from
//! the ids and time windows alone (`delivery/buckets.rs`), asks them concurrently, and
//! merges the answers. Writes go to one object per (hook, day) per consumer invocation.

use crate::core::hourly::HourStats;
use crate::core::ids::{locate_delivery, DAY_MS};
use crate::core::tenant::DEFAULT_TENANT;
use crate::core::Result;
use crate::delivery::buckets::{
    bucket_name, day_of, days_between, delivery_day, event_days, merge_newest, AttemptRow, BucketRequest,
    Counts, Page,
};
use crate::delivery::ports::{
    AttemptRecord, DeliveryLog, DeliveryRecord, ExecutionStats, LogQuery, LoggedAttempt, StoredDelivery,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use worker::ObjectNamespace;

/// Calls in flight at once (Workers allow six open connections per invocation).
const CONCURRENCY: usize = 6;

pub struct BucketLog {
    namespace: ObjectNamespace,
    retention_days: u32,
}

impl BucketLog {
    pub fn new(namespace: ObjectNamespace, retention_days: u32) -> Self {
        Self { namespace, retention_days }
    }

    fn now() -> i64 {
        worker::Date::now().as_millis() as i64
    }

    async fn call<T: DeserializeOwned>(&self, hook_id: &str, day: i64, request: &BucketRequest) -> Result<T> {
        let name = bucket_name(hook_id, day);
        super::objects::call(&self.namespace, &name, request, &format!("delivery log {name}")).await
    }

    /// The same request to several buckets of one hook, concurrently, answers in day order.
    async fn each_day<T: DeserializeOwned>(
        &self,
        hook_id: &str,
        days: &[i64],
        request: &BucketRequest,
    ) -> Result<Vec<(i64, T)>> {
        stream::iter(days.iter().copied())
            .map(|day| async move { self.call::<T>(hook_id, day, request).await.map(|t| (day, t)) })
            .buffered(CONCURRENCY)
            .try_collect()
            .await
    }

    fn all_days(&self) -> Vec<i64> {
        let now = Self::now();
        days_between(0, now, now, self.retention_days)
    }
}

impl DeliveryLog for BucketLog {
    async fn stats(&self, hook_ids: &[&str], since_ms: i64) -> Result<Vec<(String, ExecutionStats)>> {
        let now = Self::now();
        let days = days_between(since_ms, now, now, self.retention_days);
        let pairs: Vec<(&str, i64)> =
            hook_ids.iter().flat_map(|h| days.iter().map(move |d| (*h, *d))).collect();
        let counts: Vec<(&str, Counts)> = stream::iter(pairs)
            .map(|(hook, day)| async move {
                self.call::<Counts>(hook, day, &BucketRequest::Stats { since_ms }).await.map(|c| (hook, c))
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        Ok(hook_ids
            .iter()
            .map(|h| {
                let (requests, successes) = counts
                    .iter()
                    .filter(|(id, _)| id == h)
                    .fold((0, 0), |(r, s), (_, c)| (r + c.requests, s + c.successes));
                (h.to_string(), ExecutionStats { request_count: requests, success_count: successes })
            })
            .collect())
    }

    async fn record(&self, deliveries: &[DeliveryRecord], attempts: &[AttemptRecord]) -> Result<()> {
        // One call per (hook, day): deliveries by the day their id names, attempts by the day
        // they started.
        type Group = (String, Vec<StoredDelivery>, Vec<AttemptRow>);
        let mut groups: BTreeMap<(String, i64), Group> = BTreeMap::new();
        for d in deliveries {
            let key = (d.hook_id.clone(), delivery_day(&d.id, d.at));
            let group = groups.entry(key).or_default();
            group.0.clone_from(&d.tenant);
            group.1.push(StoredDelivery::from(d));
        }
        for a in attempts {
            let key = (a.hook_id.clone(), day_of(a.started_at));
            groups.entry(key).or_default().2.push(AttemptRow::from_record(a));
        }
        stream::iter(groups)
            .map(|((hook_id, day), (tenant, deliveries, attempts))| async move {
                // An attempt always comes with its delivery's record, so the group's tenant
                // is known; `default` otherwise (as for buckets written before tenants).
                let tenant = if tenant.is_empty() { DEFAULT_TENANT.to_string() } else { tenant };
                let request =
                    BucketRequest::Record { tenant, hook_id: hook_id.clone(), day, deliveries, attempts };
                self.call::<serde_json::Value>(&hook_id, day, &request).await
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(())
    }

    async fn failing_since(&self, hook_id: &str) -> Result<Option<i64>> {
        let days = self.all_days();
        let last: Vec<(i64, Option<i64>)> =
            self.each_day(hook_id, &days, &BucketRequest::LastSuccess).await?;
        let last_success = last.iter().filter_map(|(_, t)| *t).max();
        let after_ms = last_success.unwrap_or(i64::MIN + 1);
        let later: Vec<i64> =
            days.into_iter().filter(|d| last_success.is_none_or(|t| *d >= day_of(t))).collect();
        let first: Vec<(i64, Option<i64>)> =
            self.each_day(hook_id, &later, &BucketRequest::FirstFailureAfter { after_ms }).await?;
        Ok(first.iter().filter_map(|(_, t)| *t).min())
    }

    async fn attempts(&self, q: &LogQuery<'_>) -> Result<(Vec<LoggedAttempt>, usize)> {
        let now = Self::now();
        let days = days_between(q.start_ms, q.end_ms, now, self.retention_days);
        let request = BucketRequest::Attempts {
            event: q.event.map(str::to_string),
            start_ms: q.start_ms,
            end_ms: q.end_ms,
            limit: q.offset + q.limit,
        };
        let pages: Vec<(i64, Page<AttemptRow>)> = self.each_day(q.hook_id, &days, &request).await?;
        let (mut rows, total) = merge_newest(
            pages.into_iter().map(|(_, p)| (p.rows, p.total)).collect(),
            |a| (a.started_at, a.number),
            q.offset,
            q.limit,
        );
        // Attempts started on a later day than their delivery: its payload is in the
        // delivery's own bucket.
        let mut missing: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for a in rows.iter().filter(|a| a.payload.is_none()) {
            if let Some((_, day)) = locate_delivery(&a.delivery_id) {
                missing.entry(day).or_default().push(a.delivery_id.clone());
            }
        }
        for (day, ids) in missing {
            let found: Vec<(String, String)> =
                self.call(q.hook_id, day, &BucketRequest::Payloads { ids }).await.unwrap_or_default();
            for a in rows.iter_mut().filter(|a| a.payload.is_none()) {
                a.payload = found.iter().find(|(id, _)| *id == a.delivery_id).map(|(_, p)| p.clone());
            }
        }
        let logged = rows
            .into_iter()
            .map(|mut a| {
                let payload = a.payload.take();
                LoggedAttempt { record: a.into_record(q.hook_id), payload }
            })
            .collect();
        Ok((logged, total))
    }

    async fn deliveries(
        &self,
        hook_id: &str,
        status: Option<&str>,
        created: Option<(i64, i64)>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<StoredDelivery>, usize)> {
        let status = status.map(str::to_string);
        let (days, request) = match created {
            None => (self.all_days(), BucketRequest::Deliveries { status, limit: offset + limit }),
            Some((since_ms, until_ms)) => {
                // A delivery's row is in the bucket of its id's day, which can be the day
                // before its first write (`created_at`).
                let days =
                    days_between(since_ms.saturating_sub(DAY_MS), until_ms, Self::now(), self.retention_days);
                (days, BucketRequest::DeliveriesBetween { status, since_ms, until_ms, limit: offset + limit })
            }
        };
        let pages: Vec<(i64, Page<StoredDelivery>)> = self.each_day(hook_id, &days, &request).await?;
        let (rows, total) = merge_newest(
            pages.into_iter().map(|(_, p)| (p.rows, p.total)).collect(),
            |d| d.id.clone(),
            offset,
            limit,
        );
        Ok((rows, total))
    }

    async fn delivery(&self, id: &str) -> Result<Option<(StoredDelivery, Vec<AttemptRecord>)>> {
        let Some((hook_id, day)) = locate_delivery(id) else { return Ok(None) };
        let now = Self::now();
        if day > day_of(now) || day < day_of(now) - self.retention_days as i64 - 1 {
            return Ok(None);
        }
        let found: Option<StoredDelivery> =
            self.call(hook_id, day, &BucketRequest::Delivery { id: id.to_string() }).await?;
        let Some(row) = found else { return Ok(None) };
        // Its attempts were filed by the day each started: from its creation to its last write.
        let last = day_of(row.updated_at.min(now)).max(day);
        let days: Vec<i64> = (day..=last).collect();
        let mut attempts: Vec<AttemptRecord> = self
            .each_day::<Vec<AttemptRow>>(hook_id, &days, &BucketRequest::AttemptsOf { id: id.to_string() })
            .await?
            .into_iter()
            .flat_map(|(_, rows)| rows)
            .map(|a| a.into_record(hook_id))
            .collect();
        attempts.sort_by_key(|a| a.number);
        Ok(Some((row, attempts)))
    }

    async fn release_held(
        &self,
        hook_id: &str,
        guard_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>> {
        // Oldest day first, one bucket at a time, so the oldest are released first.
        let mut out = Vec::new();
        let mut days = self.all_days();
        days.reverse();
        for day in days {
            if out.len() >= limit {
                break;
            }
            let request = BucketRequest::Release { guard_until_ms, limit: limit - out.len() };
            out.extend(self.call::<Vec<StoredDelivery>>(hook_id, day, &request).await?);
        }
        Ok(out)
    }

    async fn failed_between(
        &self,
        hook_id: &str,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>> {
        let now = Self::now();
        // A delivery's row is in the bucket of its id's day, which can be the day before its
        // first write (`created_at`).
        let mut days = days_between(since_ms.saturating_sub(DAY_MS), until_ms, now, self.retention_days);
        days.reverse();
        let request = BucketRequest::Failed { since_ms, until_ms, limit };
        let mut rows: Vec<StoredDelivery> = self
            .each_day::<Vec<StoredDelivery>>(hook_id, &days, &request)
            .await?
            .into_iter()
            .flat_map(|(_, rows)| rows)
            .collect();
        rows.sort_by_key(|d| d.created_at);
        Ok(rows.into_iter().take(limit).collect())
    }

    async fn hourly(&self, hook_id: &str, start_ms: i64, end_ms: i64) -> Result<Vec<HourStats>> {
        // One call per day bucket (24 h: at most 2, 7 d: at most 8); an hour never spans two.
        let days = days_between(start_ms, end_ms, Self::now(), self.retention_days);
        let answers: Vec<(i64, Vec<HourStats>)> =
            self.each_day(hook_id, &days, &BucketRequest::Hourly { start_ms, end_ms }).await?;
        Ok(answers.into_iter().flat_map(|(_, hours)| hours).collect())
    }

    async fn event_deliveries(
        &self,
        hook_ids: &[&str],
        event_id: &str,
        created_ms: i64,
    ) -> Result<Vec<StoredDelivery>> {
        let now = Self::now();
        let kept = days_between(0, now, now, self.retention_days);
        let calls: Vec<(&str, i64, BucketRequest)> = hook_ids
            .iter()
            .flat_map(|hook| {
                event_days(created_ms).into_iter().filter(|(day, ..)| kept.contains(day)).map(
                    move |(day, from_ms, to_ms)| {
                        (
                            *hook,
                            day,
                            BucketRequest::EventDeliveries { event_id: event_id.to_string(), from_ms, to_ms },
                        )
                    },
                )
            })
            .collect();
        let found: Vec<Vec<StoredDelivery>> =
            stream::iter(calls)
                .map(|(hook, day, request)| async move {
                    self.call::<Vec<StoredDelivery>>(hook, day, &request).await
                })
                .buffered(CONCURRENCY)
                .try_collect()
                .await?;
        Ok(found.into_iter().flatten().collect())
    }
}
