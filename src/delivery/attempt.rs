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
    pub retry_after: Option<String>,
    pub error: Option<String>,
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
    let (response_status, response_body, retry_after, error) = match outcome {
        HttpOutcome::Response { status, retry_after, body } => {
            let error = (verdict != Verdict::Succeeded).then(|| format!("HTTP {status}"));
            (Some(status), Some(body), retry_after, error)
        }
        HttpOutcome::Timeout => (None, None, None, Some(format!("Timed out after {timeout_ms} ms"))),
        HttpOutcome::Network(e) => (None, None, None, Some(e)),
    };
    AttemptReport {
        started_at_ms: started,
        duration_ms,
        verdict,
        response_status,
        response_body,
        retry_after,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> HttpOutcome {
        HttpOutcome::Response { status: s, retry_after: None, body: String::new() }
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
    fn gone_disables_and_overload_is_recognised() {
        assert_eq!(classify(&status(410)), Verdict::Gone);
        assert_eq!(classify(&status(429)), Verdict::Failed(FailureKind::Overloaded));
        assert_eq!(classify(&HttpOutcome::Timeout), Verdict::Failed(FailureKind::Overloaded));
        assert_eq!(classify(&HttpOutcome::Network("refused".into())), Verdict::Failed(FailureKind::Other));
    }
}
