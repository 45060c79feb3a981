//! Bearer-token checks. Tokens are compared as SHA-256 digests in constant time, so neither
//! their content nor their length leaks through timing.

use super::error::Error;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    authorization.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer "))).map(str::trim)
}

/// `secret_name` names the variable in the 503 when the secret is not configured: a deployed
/// Worker never falls back to a default token.
pub fn require_bearer(
    authorization: Option<&str>,
    secret: Option<&str>,
    secret_name: &str,
) -> Result<(), Error> {
    let secret = match secret {
        Some(s) if !s.is_empty() => s,
        _ => return Err(Error::missing_secret(secret_name)),
    };
    let presented = bearer(authorization).ok_or_else(Error::unauthorized)?;
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(secret.as_bytes());
    if bool::from(a.ct_eq(&b)) {
        Ok(())
    } else {
        Err(Error::unauthorized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_bearer_token_passes() {
        assert!(require_bearer(Some("Bearer s3cret"), Some("s3cret"), "ADMIN_TOKEN").is_ok());
    }

    #[test]
    fn wrong_missing_or_malformed_tokens_are_401() {
        for header in [None, Some("Bearer nope"), Some("s3cret"), Some("Basic s3cret"), Some("Bearer ")] {
            let err = require_bearer(header, Some("s3cret"), "ADMIN_TOKEN").unwrap_err();
            assert_eq!((err.status, err.code), (401, "auth.unauthorized"), "{header:?}");
        }
    }

    #[test]
    fn missing_secret_is_503_and_never_a_default() {
        for secret in [None, Some("")] {
            let err = require_bearer(Some("Bearer "), secret, "ADMIN_TOKEN").unwrap_err();
            assert_eq!((err.status, err.code), (503, "config.missing_secret"));
        }
    }
}
