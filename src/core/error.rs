//! The one error type of Hookwing. Every failure becomes `{code, message, data?, details?}`
//! with an HTTP status; the mapping to a response happens once, in `api::respond`.

use serde_json::{json, Value};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Rarely present, so boxed: keeps `Result<_, Error>` small on every path.
    extra: Option<Box<Extra>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Extra {
    data: Option<Value>,
    details: Option<Value>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), extra: None }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.extra.get_or_insert_with(Default::default).data = Some(data);
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.extra.get_or_insert_with(Default::default).details = Some(details);
        self
    }

    pub fn data(&self) -> Option<&Value> {
        self.extra.as_ref().and_then(|e| e.data.as_ref())
    }

    pub fn details(&self) -> Option<&Value> {
        self.extra.as_ref().and_then(|e| e.details.as_ref())
    }

    /// 400 `guard.invalid_input`, with `details` naming the offending field.
    pub fn invalid_input(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::new(400, "guard.invalid_input", format!("The request input is invalid: {field}: {problem}"))
            .with_details(json!([{ "path": field, "message": problem }]))
    }

    pub fn bad_json(problem: impl fmt::Display) -> Self {
        Self::new(400, "guard.invalid_input", format!("The request body is not valid JSON: {problem}"))
            .with_details(json!([{ "path": "body", "message": problem.to_string() }]))
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "auth.unauthorized", "Missing or invalid bearer token.")
    }

    pub fn missing_secret(name: &str) -> Self {
        Self::new(
            503,
            "config.missing_secret",
            format!("The secret {name} is not configured on this Worker."),
        )
    }

    pub fn not_found_route() -> Self {
        Self::new(404, "route.not_found", "No such route.")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(405, "route.method_not_allowed", "Method not allowed on this route.")
    }

    pub fn hook_not_found(id: &str) -> Self {
        Self::not_exists_with_id("hook", id)
    }

    /// Logto's 404 for an id that names nothing (of this tenant): `kind` is what was looked for.
    pub fn not_exists_with_id(kind: &str, id: &str) -> Self {
        Self::new(404, "entity.not_exists_with_id", format!("The {kind} with ID `{id}` does not exist."))
            .with_data(json!({ "id": id }))
    }

    /// Logto answers PATCH on an unknown hook with this code.
    pub fn entity_not_exists(id: &str) -> Self {
        Self::new(404, "entity.not_exists", format!("The hook with ID `{id}` does not exist."))
            .with_data(json!({ "id": id }))
    }

    /// Logto answers DELETE on an unknown hook with this code.
    pub fn entity_not_found(id: &str) -> Self {
        Self::new(404, "entity.not_found", format!("The hook with ID `{id}` was not found."))
            .with_data(json!({ "id": id }))
    }

    /// Authenticated, but this credential may not do this (a token's scope or tenant).
    pub fn forbidden() -> Self {
        Self::new(403, "auth.forbidden", "This token is not allowed to do this.")
    }

    pub fn tenant_not_found(id: &str) -> Self {
        Self::new(404, "tenant.not_found", format!("The tenant `{id}` does not exist."))
    }

    /// A storage, queue or runtime failure: nothing the client did wrong.
    pub fn internal(context: impl fmt::Display) -> Self {
        Self::new(500, "internal.server_error", format!("Internal error: {context}"))
    }

    pub fn unavailable(context: impl fmt::Display) -> Self {
        Self::new(503, "internal.unavailable", format!("Temporarily unavailable: {context}"))
    }

    pub fn to_json(&self) -> Value {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(data) = self.data() {
            body["data"] = data.clone();
        }
        if let Some(details) = self.details() {
            body["details"] = details.clone();
        }
        body
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_code_message_and_optional_fields_only_when_set() {
        let plain = Error::unauthorized().to_json();
        assert_eq!(plain["code"], "auth.unauthorized");
        assert!(plain.get("data").is_none() && plain.get("details").is_none());

        let invalid = Error::invalid_input("config.url", "must be absolute").to_json();
        assert_eq!(invalid["code"], "guard.invalid_input");
        assert_eq!(invalid["details"][0]["path"], "config.url");
    }
}
