//! The queue message: one delivery attempt of one event to one hook.

use crate::core::tenant::DEFAULT_TENANT;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Carried in the `DELIVERIES` queue as JSON text. Queues have no attempt counter in
/// workers-rs, so the attempt number travels in the body. The event rides along (≤100 KiB,
/// under the 128 KB message limit) so an attempt needs no storage read for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryTask {
    /// The hook's tenant, so the consumer reads that tenant's hooks. Messages sent before
    /// tenants existed have none: `default`.
    #[serde(default = "default_tenant", skip_serializing_if = "is_default_tenant")]
    pub tenant: String,
    pub delivery_id: String,
    pub event_id: String,
    pub hook_id: String,
    pub event: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The normalised event object without `hookId`, embedded verbatim.
    pub payload: Box<RawValue>,
    /// Set when a wait longer than the queue's delay cap is chained over several hops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_ms: Option<i64>,
    /// A replay asked for by an operator: one attempt, never rescheduled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
}

fn default_tenant() -> String {
    DEFAULT_TENANT.to_string()
}

fn is_default_tenant(t: &str) -> bool {
    t == DEFAULT_TENANT
}

impl DeliveryTask {
    pub fn to_json(&self) -> String {
        // Serialising plain strings and a raw value cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn next_attempt(&self) -> Self {
        Self { attempt: self.attempt + 1, not_before_ms: None, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_the_payload_bytes_untouched() {
        let payload = RawValue::from_string(r#"{"event":"PostSignIn","b":1,"a":2}"#.into()).unwrap();
        let task = DeliveryTask {
            tenant: "acme".into(),
            delivery_id: "dlv_1".into(),
            event_id: "evt_1".into(),
            hook_id: "h".into(),
            event: "PostSignIn".into(),
            attempt: 1,
            payload,
            not_before_ms: None,
            manual: false,
        };
        let back = DeliveryTask::from_json(&task.to_json()).unwrap();
        assert_eq!(back.payload.get(), r#"{"event":"PostSignIn","b":1,"a":2}"#);
        assert_eq!(back.next_attempt().attempt, 2);
        assert_eq!(back.tenant, "acme");
        let legacy =
            r#"{"deliveryId":"d","eventId":"e","hookId":"h","event":"PostSignIn","attempt":1,"payload":{}}"#;
        assert_eq!(DeliveryTask::from_json(legacy).unwrap().tenant, "default", "queued before tenants");
        let default = DeliveryTask { tenant: "default".into(), ..back };
        assert!(!default.to_json().contains("tenant"), "default's messages stay as they were");
    }
}
