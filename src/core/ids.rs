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

/// A generated tenant id (when the operator names none): 16 chars of `[0-9a-z]`.
pub fn tenant_id() -> String {
    random_string(16, LOWER_ALNUM)
}

/// A tenant token's id (not its value): `tok_` + 21 chars of `[0-9a-z]`.
pub fn token_id() -> String {
    format!("tok_{}", random_string(HOOK_ID_LEN, LOWER_ALNUM))
}

/// The event id, sent as `webhook-id`: the receivers' idempotency key. Time-ordered like
/// delivery ids, so `GET /api/events/:id` knows which day's buckets hold its deliveries with
/// no index: `evt_` + UTC day (4 base-36 digits) + millisecond of that day (6 base-36
/// digits) + 16 random characters (95 bits: still unguessable).
pub fn event_id(now_ms: i64) -> String {
    let day = now_ms.div_euclid(DAY_MS);
    let ms = now_ms.rem_euclid(DAY_MS);
    format!("evt_{}{}{}", base36(day, 4), base36(ms, 6), random_string(EVENT_RANDOM_LEN, ALNUM))
}

const EVENT_RANDOM_LEN: usize = 16;
/// Length of an event id made by `event_id` (ids made before it are `evt_` + 24 random).
pub const EVENT_ID_LEN: usize = 4 + 4 + 6 + EVENT_RANDOM_LEN;

/// When an event with this id was ingested (epoch ms). `None` for anything `event_id` did
/// not make, including the older random-only ids.
pub fn event_created_at(id: &str) -> Option<i64> {
    let rest = id.strip_prefix("evt_").filter(|r| r.len() == EVENT_ID_LEN - 4 && r.is_ascii())?;
    let lower = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    let random_ok = rest[10..].bytes().all(|b| b.is_ascii_alphanumeric());
    if !lower(&rest[..10]) || !random_ok {
        return None;
    }
    let day = i64::from_str_radix(&rest[..4], 36).ok()?;
    let ms = i64::from_str_radix(&rest[4..10], 36).ok().filter(|ms| *ms < DAY_MS)?;
    Some(day * DAY_MS + ms)
}

/// A delivery id that says where its record lives (SPEC §10): `dlv_` + the hook id + the
/// UTC day it was created (4 base-36 digits) + the millisecond of that day (6 base-36 digits,
/// so ids sort in creation order within a day) + 10 random characters.
pub fn delivery_id(hook_id: &str, now_ms: i64) -> String {
    let day = now_ms.div_euclid(DAY_MS);
    let ms = now_ms.rem_euclid(DAY_MS);
    format!("dlv_{hook_id}{}{}{}", base36(day, 4), base36(ms, 6), random_string(DELIVERY_RANDOM_LEN, ALNUM))
}

pub const DAY_MS: i64 = 86_400_000;
const DELIVERY_RANDOM_LEN: usize = 10;
/// Length of a delivery id made by `delivery_id`.
pub const DELIVERY_ID_LEN: usize = 4 + HOOK_ID_LEN + 4 + 6 + DELIVERY_RANDOM_LEN;

/// `n` in base 36 (lowercase), zero-padded to `width` digits.
pub fn base36(n: i64, width: usize) -> String {
    let mut n = n.max(0);
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = LOWER_ALNUM[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// What every delivery id of one hook's day starts with (`dlv_` + hook + day), which a
/// bucket need not store.
pub fn delivery_prefix(hook_id: &str, day: i64) -> String {
    format!("dlv_{hook_id}{}", base36(day, 4))
}

/// Where a delivery is recorded: its hook and the UTC day (days since the epoch) it was
/// created. `None` for ids not made by `delivery_id`.
pub fn locate_delivery(id: &str) -> Option<(&str, i64)> {
    let rest = id.strip_prefix("dlv_").filter(|r| r.len() == DELIVERY_ID_LEN - 4 && r.is_ascii())?;
    let hook = &rest[..HOOK_ID_LEN];
    let day = i64::from_str_radix(&rest[HOOK_ID_LEN..HOOK_ID_LEN + 4], 36).ok()?;
    let ms = i64::from_str_radix(&rest[HOOK_ID_LEN + 4..HOOK_ID_LEN + 10], 36).ok()?;
    let ok = hook.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()) && ms < DAY_MS;
    ok.then_some((hook, day))
}

/// When a delivery with this id was created (epoch ms).
pub fn delivery_created_at(id: &str) -> Option<i64> {
    let (_, day) = locate_delivery(id)?;
    let ms = i64::from_str_radix(&id[4 + HOOK_ID_LEN + 4..4 + HOOK_ID_LEN + 10], 36).ok()?;
    Some(day * DAY_MS + ms)
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
        assert!(event_id(0).starts_with("evt_"));
        assert!(delivery_id(&hook_id(), 0).starts_with("dlv_"));
        assert_eq!(event_id(0).len(), EVENT_ID_LEN);
    }

    #[test]
    fn an_event_id_says_when_it_was_made_sorts_by_time_and_stays_random() {
        let at = 1_796_434_087_994;
        let (a, b) = (event_id(at), event_id(at));
        assert_eq!(event_created_at(&a), Some(at));
        assert_ne!(a, b, "16 random characters tell two events of one millisecond apart");
        assert!(event_id(at + 1)[..14] > a[..14]);
        assert!(a[14..].len() >= 16 && a[14..].bytes().all(|c| c.is_ascii_alphanumeric()));
        // A Standard Webhooks `webhook-id` is any printable token; ours has no separators.
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
        let legacy = format!("evt_{}", random_string(SUFFIX_LEN, ALNUM));
        let past_midnight = format!("evt_0000{}{}", base36(DAY_MS, 6), &a[14..]);
        for bad in
            [legacy.as_str(), "evt_", "", &a[..a.len() - 1], &a.replace("evt_", "dlv_"), &past_midnight]
        {
            assert_eq!(event_created_at(bad), None, "{bad}");
        }
        assert_eq!(event_created_at(&format!("{}{}", &a[..4], a[4..].to_uppercase())), None);
    }

    #[test]
    fn a_delivery_id_locates_its_hook_and_day_and_sorts_by_creation() {
        let hook = hook_id();
        let at = 1_796_434_087_994;
        let id = delivery_id(&hook, at);
        assert_eq!(id.len(), DELIVERY_ID_LEN);
        assert_eq!(locate_delivery(&id), Some((hook.as_str(), at / DAY_MS)));
        assert_eq!(delivery_created_at(&id), Some(at));
        let later = delivery_id(&hook, at + 1);
        assert!(later[..4 + HOOK_ID_LEN + 10] > id[..4 + HOOK_ID_LEN + 10]);
        for bad in ["dlv_a", "evt_x", "", &id[..id.len() - 1], &id.replace("dlv_", "dlv-")] {
            assert_eq!(locate_delivery(bad), None, "{bad}");
        }
        let upper = format!("dlv_{}{}", hook.to_uppercase(), &id[4 + HOOK_ID_LEN..]);
        assert_eq!(locate_delivery(&upper), None);
    }
}
