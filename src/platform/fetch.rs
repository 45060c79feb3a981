//! Outbound POSTs with `fetch`: redirects not followed, a per-attempt timeout to the
//! response headers, and only the first 4 KiB of the body read before it is cancelled so the
//! connection is freed (Workers allow 6 open connections per invocation).

use crate::delivery::ports::{HttpClient, HttpOutcome, OutboundRequest};
use futures_util::future::{select, Either};
use futures_util::pin_mut;
use std::time::Duration;
use worker::js_sys::{self, Reflect, Uint8Array};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, ReadableStreamDefaultReader};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, ResponseBody,
};

pub const BODY_PREFIX_BYTES: usize = 4096;

pub struct FetchClient;

impl HttpClient for FetchClient {
    async fn post(&self, request: OutboundRequest) -> HttpOutcome {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            if let Err(e) = headers.set(name, value) {
                return HttpOutcome::Network(format!("invalid header {name}: {e}"));
            }
        }
        let body: js_sys::Uint8Array = request.body.as_slice().into();
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual)
            .with_body(Some(body.into()));
        let req = match Request::new_with_init(&request.url, &init) {
            Ok(r) => r,
            Err(e) => return HttpOutcome::Network(format!("invalid request: {e}")),
        };
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(req);
        let send = fetch.send_with_signal(&signal);
        let timeout = Delay::from(Duration::from_millis(request.timeout_ms as u64));
        pin_mut!(send, timeout);
        match select(send, timeout).await {
            Either::Right(_) => {
                controller.abort();
                HttpOutcome::Timeout
            }
            Either::Left((Err(e), _)) => HttpOutcome::Network(e.to_string()),
            Either::Left((Ok(resp), _)) => {
                let status = resp.status_code();
                let retry_after = resp.headers().get("retry-after").ok().flatten();
                // Only a failed attempt keeps its headers (`attempt::send`): a success does not
                // pay for reading them out of the runtime.
                let headers: Vec<(String, String)> = if (200..300).contains(&status) {
                    Vec::new()
                } else {
                    resp.headers().entries().collect()
                };
                let body = match resp.body() {
                    ResponseBody::Empty => String::new(),
                    ResponseBody::Body(bytes) => lossy_prefix(bytes),
                    ResponseBody::Stream(stream) => read_prefix(stream, request.timeout_ms).await,
                };
                HttpOutcome::Response { status, retry_after, headers, body }
            }
        }
    }
}

fn lossy_prefix(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_PREFIX_BYTES)]).into_owned()
}

/// Reads up to 4 KiB (within `timeout_ms`, so a stalled body cannot hold the consumer), then
/// cancels the rest of the stream.
async fn read_prefix(stream: &ReadableStream, timeout_ms: u32) -> String {
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut buf: Vec<u8> = Vec::new();
    {
        let reading = async {
            while buf.len() < BODY_PREFIX_BYTES {
                let Ok(chunk) = JsFuture::from(reader.read()).await else {
                    break;
                };
                if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
                    break;
                }
                if let Ok(value) = Reflect::get(&chunk, &"value".into()) {
                    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
                        let take = (BODY_PREFIX_BYTES - buf.len()).min(bytes.length() as usize);
                        let mut part = vec![0u8; take];
                        bytes.subarray(0, take as u32).copy_to(&mut part);
                        buf.extend_from_slice(&part);
                    }
                }
            }
        };
        let deadline = Delay::from(Duration::from_millis(timeout_ms as u64));
        pin_mut!(reading, deadline);
        let _ = select(reading, deadline).await;
    }
    // Awaited so a stream that already failed (a reset connection) cannot leave an unhandled
    // rejection behind in the invocation.
    let cancel = JsFuture::from(reader.cancel());
    let limit = Delay::from(Duration::from_millis(1000));
    pin_mut!(cancel, limit);
    let _ = select(cancel, limit).await;
    lossy_prefix(&buf)
}
