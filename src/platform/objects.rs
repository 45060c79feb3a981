//! Calling a Durable Object: one JSON POST to the object named `name`, its JSON answer back.
//! serde_json on both sides, not the runtime's JSON, so integers past 2^53 stay exact.

use crate::core::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Method, ObjectNamespace, Request, RequestInit};

/// `what` names the object in errors (all of them 503: storage is unavailable, not the
/// client's fault).
pub async fn call<T: DeserializeOwned>(
    namespace: &ObjectNamespace,
    name: &str,
    request: &impl Serialize,
    what: &str,
) -> Result<T> {
    let fail = |e: worker::Error| Error::unavailable(format!("{what}: {e}"));
    let stub = namespace.id_from_name(name).and_then(|id| id.get_stub()).map_err(fail)?;
    let body = serde_json::to_string(request).map_err(Error::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/", &init).map_err(fail)?;
    let mut resp = stub.fetch_with_request(req).await.map_err(fail)?;
    if resp.status_code() != 200 {
        let text = resp.text().await.unwrap_or_default();
        return Err(Error::unavailable(format!("{what}: {} {text}", resp.status_code())));
    }
    let text = resp.text().await.map_err(fail)?;
    serde_json::from_str(&text).map_err(|e| Error::internal(format!("{what}: {e}")))
}
