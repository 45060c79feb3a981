//! Tenants (SPEC §9): who owns which hooks, tokens and relay key, and validation of what
//! the operator sends for them. A tenant and everything it owns is one stored value (see
//! docs/storage.md), so the ingest path still reads one KV value.

use super::error::Error;
use super::hook::Hook;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use super::hook::DEFAULT_TENANT;
pub const DEFAULT_TENANT_NAME: &str = "Default";
/// `[a-z0-9][a-z0-9-]{0,62}`: safe in a URL path, a KV key and a token, without escaping.
pub const TENANT_ID_MAX: usize = 63;
pub const TENANT_ID_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,62}$";
pub const TENANT_NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=128;
pub const TOKEN_NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=128;
pub const RELAY_KEY_CHARS: std::ops::RangeInclusive<usize> = 1..=256;
pub const PORTAL_SECONDS: std::ops::RangeInclusive<i64> = 60..=86_400;
pub const PORTAL_DEFAULT_SECONDS: i64 = 3600;
pub const PORTAL_TOKEN_NAME: &str = "Portal session";
/// Live tokens a tenant may hold: each one rides in the tenant's stored value.
pub const MAX_TOKENS: usize = 200;
pub const TOKEN_PREFIX: &str = "hwk_";
/// Random bytes in a token (SPEC: at least 32).
pub const TOKEN_RANDOM_BYTES: usize = 32;
pub const SCOPES: &[&str] = &["ingest", "manage"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Ingest,
    Manage,
}

/// A tenant token as stored: its SHA-256, never its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub id: String,
    pub scope: Scope,
    pub name: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Lowercase hex SHA-256 of the token.
    pub hash: String,
}

impl Token {
    pub fn live(&self, now_ms: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now_ms)
    }

    pub fn to_api_json(&self) -> Value {
        json!({
            "id": self.id,
            "scope": self.scope,
            "name": self.name,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
        })
    }
}

/// A deleted hook whose deliveries stay readable by its tenant until retention drops them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedHook {
    pub id: String,
    pub deleted_at: i64,
}

/// A tenant with everything it owns that the hot path needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<Token>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_hooks: Vec<DeletedHook>,
    #[serde(default)]
    pub hooks: Vec<Hook>,
}

/// How a tenant is stored: the object above, or (the `default` tenant of a deployment made
/// before tenants existed) a bare array of hooks.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Tenant(Tenant),
    Hooks(Vec<Hook>),
}

/// What a tenant listing shows, kept beside the stored value (KV metadata) so listing
/// reads no tenant's hooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSummary {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub relay_key_set: bool,
}

impl TenantSummary {
    pub fn to_api_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "createdAt": self.created_at,
            "relayKeySet": self.relay_key_set,
        })
    }
}

impl Tenant {
    pub fn new(id: &str, name: &str, now_ms: i64) -> Self {
        Self {
            id: id.to_string(),
            name: name.to_string(),
            created_at: now_ms,
            relay_key: None,
            tokens: Vec::new(),
            deleted_hooks: Vec::new(),
            hooks: Vec::new(),
        }
    }

    /// `default` before anything was written for it.
    pub fn default_tenant() -> Self {
        Self::new(DEFAULT_TENANT, DEFAULT_TENANT_NAME, 0)
    }

    /// Reads a stored value; `id` names the tenant it was stored under.
    pub fn from_stored(id: &str, text: &str) -> Result<Self, serde_json::Error> {
        Ok(match serde_json::from_str(text)? {
            Stored::Tenant(t) => t,
            Stored::Hooks(hooks) => Self {
                hooks: hooks.into_iter().map(|h| Hook { tenant_id: id.to_string(), ..h }).collect(),
                ..Self::new(id, DEFAULT_TENANT_NAME, 0)
            },
        })
    }

    pub fn summary(&self) -> TenantSummary {
        TenantSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            created_at: self.created_at,
            relay_key_set: self.relay_key.is_some(),
        }
    }

    pub fn to_api_json(&self) -> Value {
        self.summary().to_api_json()
    }

    /// A live hook of this tenant, or one deleted within the retention window: its
    /// deliveries and logs belong to this tenant and to no other.
    pub fn owns_hook(&self, hook_id: &str) -> bool {
        self.hooks.iter().any(|h| h.id == hook_id) || self.deleted_hooks.iter().any(|d| d.id == hook_id)
    }

    /// Drops what no longer needs keeping: expired tokens, and deleted hooks whose logs
    /// retention has already dropped.
    pub fn prune(&mut self, now_ms: i64, retention_ms: i64) {
        self.tokens.retain(|t| t.live(now_ms));
        self.deleted_hooks.retain(|d| d.deleted_at + retention_ms > now_ms);
    }

    /// The live token whose value is `presented`; digests are compared in constant time.
    pub fn token_for(&self, presented: &str, now_ms: i64) -> Option<&Token> {
        let digest = token_hash(presented);
        self.tokens.iter().find(|t| bool::from(t.hash.as_bytes().ct_eq(digest.as_bytes())) && t.live(now_ms))
    }
}

pub fn valid_tenant_id(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=TENANT_ID_MAX).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `hwk_<tenant>_<base64url of the random bytes>`: the token names its tenant (tenant ids
/// have no `_`), so authenticating it needs only the tenant's stored value, which the
/// request reads anyway.
pub fn token_value(tenant_id: &str, random: &[u8]) -> String {
    format!("{TOKEN_PREFIX}{tenant_id}_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random))
}

/// The tenant a presented token claims; `None` if it is not shaped like a Hookwing token.
pub fn token_tenant(token: &str) -> Option<&str> {
    let (tenant, secret) = token.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
    (valid_tenant_id(tenant) && !secret.is_empty()).then_some(tenant)
}

fn text_field(
    body: &Value,
    field: &str,
    chars: std::ops::RangeInclusive<usize>,
    required: bool,
) -> Result<Option<String>, Error> {
    match body.get(field) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(Error::invalid_input(field, "is required")),
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if !chars.contains(&n) {
                return Err(Error::invalid_input(
                    field,
                    format!("must be {} to {} characters", chars.start(), chars.end()),
                ));
            }
            if s.chars().any(char::is_control) {
                return Err(Error::invalid_input(field, "must not contain control characters"));
            }
            Ok(Some(s.clone()))
        }
        Some(_) => Err(Error::invalid_input(field, "must be a string")),
    }
}

fn object(body: &Value) -> Result<&Value, Error> {
    if body.is_object() {
        Ok(body)
    } else {
        Err(Error::invalid_input("body", "must be a JSON object"))
    }
}

/// `POST /api/tenants {id?, name}`.
pub fn parse_new_tenant(body: &Value) -> Result<(Option<String>, String), Error> {
    let body = object(body)?;
    let id = match body.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if valid_tenant_id(id) => Some(id.clone()),
        Some(_) => {
            return Err(Error::invalid_input(
                "id",
                "must be 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit",
            ))
        }
    };
    let name = text_field(body, "name", TENANT_NAME_CHARS, true)?.unwrap_or_default();
    Ok((id, name))
}

/// `PATCH /api/tenants/:id {name?}`.
pub fn parse_tenant_patch(body: &Value) -> Result<Option<String>, Error> {
    text_field(object(body)?, "name", TENANT_NAME_CHARS, false)
}

/// `POST /api/tenants/:id/tokens {scope, name?, expiresAt?}`.
pub fn parse_new_token(body: &Value, now_ms: i64) -> Result<(Scope, Option<String>, Option<i64>), Error> {
    let body = object(body)?;
    let scope = match body.get("scope").and_then(Value::as_str) {
        Some("ingest") => Scope::Ingest,
        Some("manage") => Scope::Manage,
        _ => return Err(Error::invalid_input("scope", "must be \"ingest\" or \"manage\"")),
    };
    let name = text_field(body, "name", TOKEN_NAME_CHARS, false)?;
    let expires_at = match body.get("expiresAt") {
        None | Some(Value::Null) => None,
        Some(v) => match super::hook::integer(v).and_then(|n| i64::try_from(n).ok()) {
            Some(at) if at > now_ms => Some(at),
            Some(_) => return Err(Error::invalid_input("expiresAt", "must be in the future")),
            None => return Err(Error::invalid_input("expiresAt", "must be epoch milliseconds")),
        },
    };
    Ok((scope, name, expires_at))
}

/// `PUT /api/tenants/:id/relay {signingKey}`.
pub fn parse_relay_key(body: &Value) -> Result<String, Error> {
    Ok(text_field(object(body)?, "signingKey", RELAY_KEY_CHARS, true)?.unwrap_or_default())
}

/// `POST /api/tenants/:id/portal {expiresInSeconds?}`.
pub fn parse_portal(body: &Value) -> Result<i64, Error> {
    match object(body)?.get("expiresInSeconds") {
        None | Some(Value::Null) => Ok(PORTAL_DEFAULT_SECONDS),
        Some(v) => super::hook::integer(v)
            .and_then(|n| i64::try_from(n).ok())
            .filter(|s| PORTAL_SECONDS.contains(s))
            .ok_or_else(|| {
                Error::invalid_input(
                    "expiresInSeconds",
                    format!("must be an integer from {} to {}", PORTAL_SECONDS.start(), PORTAL_SECONDS.end()),
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_follow_the_spec_pattern() {
        for ok in ["default", "a", "0", "acme-eu", &"a".repeat(63)] {
            assert!(valid_tenant_id(ok), "{ok}");
        }
        for bad in ["", "-a", "Acme", "a_b", "a b", "é", &"a".repeat(64), "a/b"] {
            assert!(!valid_tenant_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_token_names_its_tenant_and_only_its_hash_is_kept() {
        let token = token_value("acme", &[7u8; 32]);
        assert!(token.starts_with("hwk_acme_"));
        assert_eq!(token.len(), "hwk_acme_".len() + 43, "32 bytes in base64url");
        assert_eq!(token_tenant(&token), Some("acme"));
        for bad in ["hwk_acme", "hwk__x", "hwk_Acme_x", "acme_x", "hwk_acme_"] {
            assert_eq!(token_tenant(bad), None, "{bad}");
        }
        let mut t = Tenant::new("acme", "Acme", 0);
        t.tokens.push(Token {
            id: "tok_1".into(),
            scope: Scope::Manage,
            name: None,
            created_at: 0,
            expires_at: Some(1_000),
            hash: token_hash(&token),
        });
        assert_eq!(t.token_for(&token, 999).map(|t| t.id.as_str()), Some("tok_1"));
        assert!(t.token_for(&token, 1_000).is_none(), "expired");
        assert!(t.token_for(&token_value("acme", &[8u8; 32]), 0).is_none(), "another value");
        assert!(!serde_json::to_string(&t).unwrap().contains(&token), "the value is never stored");
    }

    #[test]
    fn a_legacy_hook_array_reads_as_the_default_tenant() {
        let hooks = r#"[{"id":"h1","name":"n","event":null,"events":["PostSignIn"],"config":{"url":"http://x"},
            "signingKey":"k","enabled":true,"createdAt":1}]"#;
        let t = Tenant::from_stored(DEFAULT_TENANT, hooks).unwrap();
        assert_eq!((t.id.as_str(), t.hooks.len(), t.hooks[0].tenant_id.as_str()), ("default", 1, "default"));
        let again = Tenant::from_stored("default", &serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn pruning_drops_expired_tokens_and_forgotten_hooks() {
        let mut t = Tenant::new("a", "A", 0);
        let token = |id: &str, exp| Token {
            id: id.into(),
            scope: Scope::Ingest,
            name: None,
            created_at: 0,
            expires_at: exp,
            hash: String::new(),
        };
        t.tokens = vec![token("old", Some(10)), token("forever", None), token("later", Some(100))];
        t.deleted_hooks = vec![DeletedHook { id: "gone".into(), deleted_at: 0 }];
        assert!(t.owns_hook("gone"));
        t.prune(50, 40);
        assert_eq!(t.tokens.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["forever", "later"]);
        assert!(!t.owns_hook("gone"));
    }

    #[test]
    fn bad_tenant_and_token_input_is_invalid_input_naming_the_field() {
        let field =
            |e: Error| (e.status, e.code, e.details().unwrap()[0]["path"].as_str().unwrap().to_string());
        let cases: Vec<(Result<(), Error>, &str)> = vec![
            (parse_new_tenant(&json!({"id": "Bad_Id", "name": "x"})).map(drop), "id"),
            (parse_new_tenant(&json!({"name": "x".repeat(129)})).map(drop), "name"),
            (parse_new_tenant(&json!({"name": ""})).map(drop), "name"),
            (parse_new_tenant(&json!({})).map(drop), "name"),
            (parse_new_tenant(&json!([])).map(drop), "body"),
            (parse_new_token(&json!({"scope": "admin"}), 5).map(drop), "scope"),
            (parse_new_token(&json!({"scope": "ingest", "expiresAt": 5}), 5).map(drop), "expiresAt"),
            (parse_new_token(&json!({"scope": "ingest", "expiresAt": "soon"}), 5).map(drop), "expiresAt"),
            (parse_new_token(&json!({"scope": "ingest", "name": 3}), 5).map(drop), "name"),
            (parse_relay_key(&json!({"signingKey": ""})).map(drop), "signingKey"),
            (parse_portal(&json!({"expiresInSeconds": 59})).map(drop), "expiresInSeconds"),
            (parse_portal(&json!({"expiresInSeconds": 86_401})).map(drop), "expiresInSeconds"),
        ];
        for (result, path) in cases {
            assert_eq!(field(result.unwrap_err()), (400, "guard.invalid_input", path.to_string()));
        }
        assert_eq!(
            parse_new_token(&json!({"scope": "manage", "name": "ci", "expiresAt": 6}), 5).unwrap(),
            (Scope::Manage, Some("ci".into()), Some(6))
        );
        assert_eq!(parse_portal(&json!({})).unwrap(), PORTAL_DEFAULT_SECONDS);
        assert_eq!(parse_new_tenant(&json!({"name": "Acme"})).unwrap(), (None, "Acme".to_string()));
    }
}
