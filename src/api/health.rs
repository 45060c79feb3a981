use super::Response;
use serde_json::json;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn health() -> Response {
    Response::json(200, &json!({ "status": "ok", "version": VERSION }))
}
