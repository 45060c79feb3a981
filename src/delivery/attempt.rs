//! One delivery attempt: send, time it, and classify the outcome.

use super::ports::{Clock, HttpClient, HttpOutcome, OutboundRequest};
use crate::core::retry::FailureKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Succeeded,
    Failed(FailureKind),
    /// 410 Gone: the receiver asked to be disabled; no retries.
    Gone,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptReport {
    pub started_at_ms: i64,
    pub duration_ms: i64,
    pub verdict: Verdict,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    /// Kept for failed attempts only (`header_text`): that is where someone looks, and a
    /// success stays within SPEC §10's bytes per delivery.
    pub response_headers: Option<String>,
    pub retry_after: Option<String>,
    pub error: Option<String>,
}

/// The most of a failed attempt's response headers kept.
pub const MAX_RESPONSE_HEADER_BYTES: usize = 1024;

/// Response headers as `name: value` lines, in the order received, cut at a line boundary
/// once `MAX_RESPONSE_HEADER_BYTES` is reached (a last line `…` says some were left out).
pub fn header_text(headers: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        let line = format!("{name}: {value}\n");
        if out.len() + line.len() > MAX_RESPONSE_HEADER_BYTES - 2 {
            out.push('…');
            break;
        }
        out.push_str(&line);
    }
    out.trim_end_matches('\n').to_string()
}

impl AttemptReport {
    /// An attempt that never left Hookwing (e.g. the URL is no longer allowed).
    pub fn refused(now_ms: i64, error: String) -> Self {
        Self {
            started_at_ms: now_ms,
            duration_ms: 0,
            verdict: Verdict::Failed(FailureKind::Other),
            response_status: None,
            response_body: None,
            response_headers: None,
            retry_after: None,
            error: Some(error),
        }
    }
}

/// 2xx succeeds; 410 disables; 429 and timeouts count as overload; anything else fails.
pub fn classify(outcome: &HttpOutcome) -> Verdict {
    match outcome {
        HttpOutcome::Response { status, .. } if (200..300).contains(status) => Verdict::Succeeded,
        HttpOutcome::Response { status: 410, .. } => Verdict::Gone,
        HttpOutcome::Response { status: 429, .. } | HttpOutcome::Timeout => {
            Verdict::Failed(FailureKind::Overloaded)
        }
        _ => Verdict::Failed(FailureKind::Other),
    }
}

pub async fn send<X: HttpClient, C: Clock>(http: &X, clock: &C, request: OutboundRequest) -> AttemptReport {
    let started = clock.now_ms();
    let timeout_ms = request.timeout_ms;
    let outcome = http.post(request).await;
    let duration_ms = clock.now_ms() - started;
    let verdict = classify(&outcome);
    let (response_status, response_body, response_headers, retry_after, error) = match outcome {
        HttpOutcome::Response { status, retry_after, headers, body } => {
            let failed = verdict != Verdict::Succeeded;
            let error = failed.then(|| format!("HTTP {status}"));
            let headers = failed.then(|| header_text(&headers));
            (Some(status), Some(body), headers, retry_after, error)
        }
        HttpOutcome::Timeout => (None, None, None, None, Some(format!("Timed out after {timeout_ms} ms"))),
        HttpOutcome::Network(e) => (None, None, None, None, Some(e)),
    };
    AttemptReport {
        started_at_ms: started,
        duration_ms,
        verdict,
        response_status,
        response_body,
        response_headers,
        retry_after,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> HttpOutcome {
        HttpOutcome::Response { status: s, retry_after: None, headers: Vec::new(), body: String::new() }
    }

    #[test]
    fn only_2xx_succeeds_and_redirects_fail() {
        assert_eq!(classify(&status(200)), Verdict::Succeeded);
        assert_eq!(classify(&status(204)), Verdict::Succeeded);
        for s in [301, 302, 307, 308, 400, 404, 500, 503] {
            assert_eq!(classify(&status(s)), Verdict::Failed(FailureKind::Other), "{s}");
        }
    }

    #[test]
    fn a_failed_attempt_keeps_its_response_headers_in_order_and_bounded_a_success_none() {
        let headers = vec![
            ("content-type".to_string(), "text/plain".to_string()),
            ("x-req".to_string(), "7".to_string()),
        ];
        assert_eq!(header_text(&headers), "content-type: text/plain\nx-req: 7");
        let many: Vec<(String, String)> = (0..100).map(|i| (format!("x-h{i}"), "v".repeat(20))).collect();
        let text = header_text(&many);
        assert!(text.len() <= MAX_RESPONSE_HEADER_BYTES && text.ends_with('…'), "{}", text.len());
        assert!(text.lines().rev().nth(1).unwrap().starts_with("x-h"), "cut at a line boundary");
        let answer = |status| HttpOutcome::Response {
            status,
            retry_after: None,
            headers: headers.clone(),
            body: String::new(),
        };
        let clock = crate::testing::FixedClock::at(0);
        let failed = futures_executor::block_on(send(
            &crate::testing::FakeHttp::answering(vec![answer(503)]),
            &clock,
            request(),
        ));
        assert_eq!(failed.response_headers.as_deref(), Some("content-type: text/plain\nx-req: 7"));
        let ok = futures_executor::block_on(send(
            &crate::testing::FakeHttp::answering(vec![answer(204)]),
            &clock,
            request(),
        ));
        assert_eq!(ok.response_headers, None);
    }

    fn request() -> OutboundRequest {
        OutboundRequest {
            url: "http://127.0.0.1:9/h".into(),
            headers: vec![],
            body: vec![],
            timeout_ms: 1000,
        }
    }

    #[test]
    fn gone_disables_and_overload_is_recognised() {
        assert_eq!(classify(&status(410)), Verdict::Gone);
        assert_eq!(classify(&status(429)), Verdict::Failed(FailureKind::Overloaded));
        assert_eq!(classify(&HttpOutcome::Timeout), Verdict::Failed(FailureKind::Overloaded));
        assert_eq!(classify(&HttpOutcome::Network("refused".into())), Verdict::Failed(FailureKind::Other));
    }
}
