//! Conversions between the runtime's Request/Response and `api`'s plain values.

use crate::api;
use worker::{Request, Response, ResponseBuilder};

pub async fn to_api(mut req: Request) -> worker::Result<api::Request> {
    let url = req.url()?;
    let body = req.bytes().await.unwrap_or_default();
    Ok(api::Request {
        // The raw method: workers-rs maps any method it does not know (QUERY, PROPFIND…) to
        // GET, which would answer them as GETs instead of 405.
        method: req.inner().method(),
        origin: url.origin().ascii_serialization(),
        path: url.path().to_string(),
        query: url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        headers: req.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
        body,
    })
}

pub fn from_api(resp: api::Response) -> worker::Result<Response> {
    let mut builder = ResponseBuilder::new().with_status(resp.status);
    for (name, value) in &resp.headers {
        builder = builder.with_header(name, value)?;
    }
    Ok(if resp.body.is_empty() { builder.empty() } else { builder.fixed(resp.body) })
}
