//! Operational events (SPEC §11, Svix's operational webhooks): what Hookwing tells a tenant
//! about its own deliveries — a hook disabled, a delivery that used up its retries, and the
//! first success after that. They go to the tenant's hooks subscribed to them, signed and
//! delivered like any event; a delivery of an operational event never emits another one.

use super::consumer::Processed;
use super::ports::TenantStore;
use super::record::exhausted;
use super::task::DeliveryTask;
use crate::core::catalog::{is_operational, DELIVERY_EXHAUSTED, HOOK_DISABLED, HOOK_RECOVERED};
use crate::core::event::Event;
use crate::core::hook::Hook;
use crate::core::time::iso_millis;
use serde_json::{json, Map, Value};

/// Something that happened to a hook of a tenant, worth an operational event.
#[derive(Debug, Clone, PartialEq)]
pub struct Happening {
    pub tenant: String,
    pub event: &'static str,
    /// The payload's fields after `event` and `createdAt`, in order.
    pub fields: Vec<(&'static str, Value)>,
}

impl Happening {
    /// The event as ingestion would have made it: `event`, `createdAt`, then the fields
    /// (`hookId` is appended per receiving hook at delivery, as for every event).
    pub fn to_event(&self, id: String, now_ms: i64) -> Event {
        let created_at = iso_millis(now_ms);
        let mut obj = Map::new();
        obj.insert("event".into(), json!(self.event));
        obj.insert("createdAt".into(), json!(created_at));
        for (k, v) in &self.fields {
            obj.insert((*k).into(), v.clone());
        }
        Event { id, name: self.event.to_string(), created_at, json: Value::Object(obj).to_string() }
    }
}

/// Hook state the happenings change: whether an exhausted delivery awaits its recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// (tenant, hook): a delivery exhausted its retries.
    Exhausted(String, String),
    /// (tenant, hook): succeeded again after that.
    Recovered(String, String),
}

/// A hook to disable: (tenant, hook id, reason).
pub type Disable = (String, String, String);

/// Disables hooks (410, or failing too long) and notes exhaustions and recoveries
/// (`operational::Mark`), re-reading each tenant so concurrent management edits are kept. A
/// tenant deleted meanwhile has nothing left to change.
pub async fn update_hooks<S: TenantStore>(
    store: &S,
    disable: &[Disable],
    marks: &[Mark],
    now_ms: i64,
) -> crate::core::Result<()> {
    let mut tenants: Vec<&str> = disable.iter().map(|(t, ..)| t.as_str()).collect();
    tenants.extend(marks.iter().map(|m| match m {
        Mark::Exhausted(t, _) | Mark::Recovered(t, _) => t.as_str(),
    }));
    tenants.sort_unstable();
    tenants.dedup();
    for id in tenants {
        let Some(mut tenant) = store.load_fresh(id).await? else { continue };
        let mut changed = false;
        for hook in tenant.hooks.iter_mut() {
            if let Some((.., reason)) = disable.iter().find(|(t, h, _)| t == id && *h == hook.id) {
                hook.enabled = false;
                hook.disabled_reason = Some(reason.clone());
                changed = true;
            }
            for mark in marks {
                match mark {
                    Mark::Exhausted(t, h) if t == id && *h == hook.id && hook.exhausted_since.is_none() => {
                        hook.exhausted_since = Some(now_ms);
                        changed = true;
                    }
                    Mark::Recovered(t, h) if t == id && *h == hook.id && hook.exhausted_since.is_some() => {
                        hook.exhausted_since = None;
                        changed = true;
                    }
                    _ => {}
                }
            }
        }
        if changed {
            store.save(&tenant).await?;
        }
    }
    Ok(())
}

/// What a run of attempts emits. `hooks` are the hooks as the run saw them (their
/// `exhausted_since` says whether a success is a recovery); `disabled` what the run disables.
pub fn happenings(
    results: &[(DeliveryTask, Processed)],
    disabled: &[Disable],
    hooks: &[Hook],
) -> (Vec<Happening>, Vec<Mark>) {
    let mut out = Vec::new();
    let mut marks = Vec::new();
    let hook_of = |t: &DeliveryTask| hooks.iter().find(|h| h.id == t.hook_id && h.tenant_id == t.tenant);
    for (task, result) in results {
        // Never recursive: what happens to an operational event's delivery emits nothing.
        if is_operational(&task.event) {
            continue;
        }
        let (tenant, hook_id) = (task.tenant.clone(), task.hook_id.clone());
        if exhausted(task, result) {
            let last_error = result.report.as_ref().and_then(|r| r.error.clone());
            out.push(Happening {
                tenant: tenant.clone(),
                event: DELIVERY_EXHAUSTED,
                fields: vec![
                    ("deliveryId", json!(task.delivery_id)),
                    ("subjectHookId", json!(task.hook_id)),
                    ("eventId", json!(task.event_id)),
                    ("failedEvent", json!(task.event)),
                    ("lastError", json!(last_error)),
                ],
            });
            if !marks.contains(&Mark::Exhausted(tenant.clone(), hook_id.clone())) {
                marks.push(Mark::Exhausted(tenant, hook_id));
            }
        } else if result.status() == "succeeded"
            && hook_of(task).is_some_and(|h| h.exhausted_since.is_some())
            && !marks.iter().any(|m| matches!(m, Mark::Recovered(t, h) if *t == tenant && *h == hook_id))
        {
            out.push(Happening {
                tenant: tenant.clone(),
                event: HOOK_RECOVERED,
                fields: vec![("subjectHookId", json!(task.hook_id)), ("deliveryId", json!(task.delivery_id))],
            });
            marks.push(Mark::Recovered(tenant, hook_id));
        }
    }
    for (tenant, hook_id, reason) in disabled {
        // Disabled by an operational event's own delivery (a 410): nothing more.
        let cause_is_operational =
            results.iter().filter(|(t, _)| t.hook_id == *hook_id).all(|(t, _)| is_operational(&t.event));
        let was_enabled = hooks.iter().any(|h| h.id == *hook_id && h.tenant_id == *tenant && h.enabled);
        if was_enabled && !cause_is_operational {
            out.push(Happening {
                tenant: tenant.clone(),
                event: HOOK_DISABLED,
                fields: vec![("subjectHookId", json!(hook_id)), ("reason", json!(reason))],
            });
        }
    }
    (out, marks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::attempt::{AttemptReport, Verdict};
    use crate::delivery::consumer::Next;
    use crate::testing::{hook_for, task_for};

    fn report(verdict: Verdict, error: Option<&str>) -> Option<AttemptReport> {
        Some(AttemptReport {
            verdict,
            started_at_ms: 0,
            duration_ms: 1,
            response_status: Some(500),
            response_body: None,
            response_headers: None,
            retry_after: None,
            error: error.map(str::to_string),
        })
    }

    fn done(verdict: Verdict, error: Option<&str>) -> Processed {
        Processed {
            report: report(verdict, error),
            next: Next::Done,
            disable_hook: None,
            ..Processed::done()
        }
    }

    #[test]
    fn an_exhausted_delivery_emits_delivery_exhausted_with_the_spec_fields_in_order() {
        let hook = hook_for("http://x");
        let task = task_for(&hook, 4);
        let failed = done(Verdict::Failed(crate::core::retry::FailureKind::Other), Some("HTTP 500"));
        let (happened, marks) = happenings(&[(task.clone(), failed)], &[], std::slice::from_ref(&hook));
        assert_eq!(happened.len(), 1);
        let ev = happened[0].to_event("evt_op".into(), 1_755_777_600_000);
        assert_eq!(
            ev.json,
            format!(
                r#"{{"event":"Delivery.Exhausted","createdAt":"2025-08-21T12:00:00.000Z","deliveryId":"dlv_1","subjectHookId":"{}","eventId":"evt_1","failedEvent":"PostSignIn","lastError":"HTTP 500"}}"#,
                hook.id
            )
        );
        assert_eq!(marks, vec![Mark::Exhausted("default".into(), hook.id.clone())]);
    }

    #[test]
    fn the_first_success_after_exhaustion_emits_hook_recovered_once() {
        let mut hook = hook_for("http://x");
        hook.exhausted_since = Some(5);
        let ok = || done(Verdict::Succeeded, None);
        let mut second = task_for(&hook, 1);
        second.delivery_id = "dlv_2".into();
        let (happened, marks) =
            happenings(&[(task_for(&hook, 1), ok()), (second, ok())], &[], std::slice::from_ref(&hook));
        assert_eq!(happened.len(), 1);
        assert_eq!(happened[0].event, HOOK_RECOVERED);
        assert_eq!(happened[0].fields[1], ("deliveryId", json!("dlv_1")));
        assert_eq!(marks, vec![Mark::Recovered("default".into(), hook.id.clone())]);
        hook.exhausted_since = None;
        assert!(
            happenings(&[(task_for(&hook, 1), ok())], &[], &[hook]).0.is_empty(),
            "no exhaustion, no recovery"
        );
    }

    #[test]
    fn a_disabled_hook_emits_hook_disabled_but_operational_deliveries_emit_nothing() {
        let hook = hook_for("http://x");
        let disabled = vec![("default".to_string(), hook.id.clone(), "410".to_string())];
        let gone = || Processed { disable_hook: Some("410".into()), ..done(Verdict::Gone, None) };
        let (happened, _) =
            happenings(&[(task_for(&hook, 1), gone())], &disabled, std::slice::from_ref(&hook));
        assert_eq!(happened.iter().map(|h| h.event).collect::<Vec<_>>(), [HOOK_DISABLED]);
        assert_eq!(happened[0].fields, vec![("subjectHookId", json!(hook.id)), ("reason", json!("410"))]);

        let mut op = task_for(&hook, 4);
        op.event = DELIVERY_EXHAUSTED.into();
        let failed = done(Verdict::Failed(crate::core::retry::FailureKind::Other), Some("HTTP 500"));
        let (happened, marks) = happenings(&[(op.clone(), failed), (op, gone())], &disabled, &[hook]);
        assert!(happened.is_empty() && marks.is_empty(), "never recursive: {happened:?}");
    }
}
