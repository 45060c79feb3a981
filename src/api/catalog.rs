//! `GET /api/events/catalog`: the events a hook can subscribe to, with their category.

use super::Response;
use crate::core::catalog::EVENTS;
use serde_json::{json, Value};

pub fn catalog() -> Response {
    let list: Vec<Value> =
        EVENTS.iter().map(|(name, category)| json!({ "event": name, "category": category })).collect();
    Response::json(200, &Value::Array(list))
}
