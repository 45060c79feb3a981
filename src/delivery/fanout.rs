//! Fan-out: which hooks receive an event, and the queue tasks for them.

use super::task::DeliveryTask;
use crate::core::event::Event;
use crate::core::hook::Hook;
use crate::core::Result;
use serde_json::value::RawValue;

/// One task per enabled hook subscribed to the event, in hook order. `new_id` names the
/// delivery to a hook (ids locate their record by hook, see `ids::delivery_id`).
pub fn plan(
    event: &Event,
    hooks: &[Hook],
    mut new_id: impl FnMut(&str) -> String,
) -> Result<Vec<DeliveryTask>> {
    let targets: Vec<&Hook> = hooks.iter().filter(|h| h.receives(&event.name)).collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let payload = RawValue::from_string(event.json.clone()).map_err(crate::core::Error::internal)?;
    Ok(targets
        .into_iter()
        .map(|hook| DeliveryTask {
            tenant: hook.tenant_id.clone(),
            delivery_id: new_id(&hook.id),
            event_id: event.id.clone(),
            hook_id: hook.id.clone(),
            event: event.name.clone(),
            attempt: 1,
            payload: payload.clone(),
            not_before_ms: None,
            manual: false,
        })
        .collect())
}

/// Work left for after the answer.
#[derive(Debug, Default)]
pub struct Dispatch {
    /// The tenant's hooks as read for the request.
    pub hooks: Vec<Hook>,
    /// First attempts, already durable as `pending` deliveries.
    pub tasks: Vec<DeliveryTask>,
}
