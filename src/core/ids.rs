//! Identifiers and secrets, drawn from the platform's cryptographic RNG
//! (`getrandom`: the OS natively, `crypto.getRandomValues` in the Worker).

const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Uniform random string over `alphabet` (rejection sampling keeps it unbiased).
fn random_string(len: usize, alphabet: &[u8]) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        if getrandom::getrandom(&mut buf).is_err() {
            // No entropy source is a platform fault; the Workers runtime always has one.
            continue;
        }
        for &b in buf.iter() {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

pub const HOOK_ID_LEN: usize = 21;
pub const SIGNING_KEY_LEN: usize = 32;
/// Length of the random part of `evt_`, `dlv_` and `att_` ids.
pub const SUFFIX_LEN: usize = 24;

/// Logto's `generateStandardId()`: 21 chars of `[0-9a-z]`.
pub fn hook_id() -> String {
    random_string(HOOK_ID_LEN, LOWER_ALNUM)
}

/// Logto's `generateStandardSecret()`: 32 chars of `[0-9a-zA-Z]`.
pub fn signing_key() -> String {
    random_string(SIGNING_KEY_LEN, ALNUM)
}

/// The event id, sent as `webhook-id`: the receivers' idempotency key.
pub fn event_id() -> String {
    format!("evt_{}", random_string(SUFFIX_LEN, ALNUM))
}

pub fn delivery_id() -> String {
    format!("dlv_{}", random_string(SUFFIX_LEN, ALNUM))
}

pub fn attempt_id() -> String {
    format!("att_{}", random_string(SUFFIX_LEN, ALNUM))
}

/// A uniform number in [0, 1) (53 random bits), for retry jitter.
pub fn unit_random() -> f64 {
    let mut buf = [0u8; 8];
    if getrandom::getrandom(&mut buf).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(buf) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_ids_are_21_lowercase_alphanumerics() {
        let id = hook_id();
        assert_eq!(id.len(), 21);
        assert!(id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
    }

    #[test]
    fn signing_keys_are_32_alphanumerics_and_differ() {
        let (a, b) = (signing_key(), signing_key());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn unit_random_is_in_the_unit_interval() {
        let draws: Vec<f64> = (0..1000).map(|_| unit_random()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(draws.iter().any(|x| *x < 0.5) && draws.iter().any(|x| *x >= 0.5));
    }

    #[test]
    fn event_and_delivery_ids_are_prefixed() {
        assert!(event_id().starts_with("evt_"));
        assert!(delivery_id().starts_with("dlv_"));
        assert_eq!(event_id().len(), 28);
    }
}
