//! The routing table: every route Hookwing serves, in one place.

use crate::core::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Catalog,
    ListHooks,
    CreateHook,
    GetHook,
    PatchHook,
    DeleteHook,
    RegenerateSigningKey,
    TestHook,
    RecentLogs,
    ListDeliveries,
    RecoverHook,
    PauseHook,
    ResumeHook,
    GetDelivery,
    RetryDelivery,
    IngestEvents,
    RelayLogto,
    RelayLogtoTenant,
    ListTenants,
    CreateTenant,
    GetTenant,
    PatchTenant,
    DeleteTenant,
    ListTokens,
    CreateToken,
    RevokeToken,
    SetRelayKey,
    DeleteRelayKey,
    CreatePortal,
    GetEvent,
    HourlyStats,
    GetAttempt,
}

/// Who may call a route. Checked once, in `api::dispatch`, before any handler runs; the
/// OpenAPI document's `security` comes from this column too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No token: health, the document, the catalog, and the relay (which checks a signature).
    Public,
    /// `ADMIN_TOKEN` only: tenant administration.
    Operator,
    /// `ADMIN_TOKEN` (tenant from `hookwing-tenant`, else `default`) or a tenant's `manage`
    /// token: that tenant's hooks, logs and deliveries.
    Manage,
    /// `INGEST_TOKEN` (tenant as above) or a tenant's `ingest` token.
    Ingest,
    /// `ADMIN_TOKEN`, or the `manage` token of the tenant the path names.
    ManageNamed,
}

/// (method, path pattern, route, auth). `:name` segments capture one path segment. The
/// OpenAPI document is generated from this table (`api/openapi/`).
pub const ROUTES: &[(&str, &str, Route, Auth)] = &[
    ("GET", "/api/health", Route::Health, Auth::Public),
    ("GET", "/api/openapi.json", Route::OpenApi, Auth::Public),
    ("GET", "/api/events/catalog", Route::Catalog, Auth::Public),
    ("GET", "/api/hooks", Route::ListHooks, Auth::Manage),
    ("POST", "/api/hooks", Route::CreateHook, Auth::Manage),
    ("GET", "/api/hooks/:id", Route::GetHook, Auth::Manage),
    ("PATCH", "/api/hooks/:id", Route::PatchHook, Auth::Manage),
    ("DELETE", "/api/hooks/:id", Route::DeleteHook, Auth::Manage),
    ("PATCH", "/api/hooks/:id/signing-key", Route::RegenerateSigningKey, Auth::Manage),
    ("POST", "/api/hooks/:id/test", Route::TestHook, Auth::Manage),
    ("GET", "/api/hooks/:id/recent-logs", Route::RecentLogs, Auth::Manage),
    ("GET", "/api/hooks/:id/deliveries", Route::ListDeliveries, Auth::Manage),
    ("POST", "/api/hooks/:id/recover", Route::RecoverHook, Auth::Manage),
    ("POST", "/api/hooks/:id/pause", Route::PauseHook, Auth::Manage),
    ("POST", "/api/hooks/:id/resume", Route::ResumeHook, Auth::Manage),
    ("GET", "/api/deliveries/:id", Route::GetDelivery, Auth::Manage),
    ("POST", "/api/deliveries/:id/retry", Route::RetryDelivery, Auth::Manage),
    ("POST", "/api/events", Route::IngestEvents, Auth::Ingest),
    ("POST", "/api/relay/logto", Route::RelayLogto, Auth::Public),
    ("POST", "/api/relay/logto/:tenantId", Route::RelayLogtoTenant, Auth::Public),
    ("GET", "/api/tenants", Route::ListTenants, Auth::Operator),
    ("POST", "/api/tenants", Route::CreateTenant, Auth::Operator),
    ("GET", "/api/tenants/:id", Route::GetTenant, Auth::Operator),
    ("PATCH", "/api/tenants/:id", Route::PatchTenant, Auth::Operator),
    ("DELETE", "/api/tenants/:id", Route::DeleteTenant, Auth::Operator),
    ("GET", "/api/tenants/:id/tokens", Route::ListTokens, Auth::Operator),
    ("POST", "/api/tenants/:id/tokens", Route::CreateToken, Auth::Operator),
    ("DELETE", "/api/tenants/:id/tokens/:tokenId", Route::RevokeToken, Auth::Operator),
    ("PUT", "/api/tenants/:id/relay", Route::SetRelayKey, Auth::ManageNamed),
    ("DELETE", "/api/tenants/:id/relay", Route::DeleteRelayKey, Auth::ManageNamed),
    ("POST", "/api/tenants/:id/portal", Route::CreatePortal, Auth::Operator),
    // After `/api/events/catalog`, which the first match serves.
    ("GET", "/api/events/:id", Route::GetEvent, Auth::Manage),
    ("GET", "/api/hooks/:id/stats/hourly", Route::HourlyStats, Auth::Manage),
    ("GET", "/api/deliveries/:id/attempts/:number", Route::GetAttempt, Auth::Manage),
];

fn matches<'a>(pattern: &str, path: &'a str) -> Option<Vec<&'a str>> {
    let mut params = Vec::new();
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with(':') && !g.is_empty() => params.push(g),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

fn normalise(path: &str) -> &str {
    if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    }
}

/// The methods the path answers, for a 405's `Allow` header.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let path = normalise(path);
    ROUTES.iter().filter(|(_, pattern, ..)| matches(pattern, path).is_some()).map(|(m, ..)| *m).collect()
}

/// Finds the route for a request: 404 when no pattern matches the path, 405 when one does
/// but not with this method.
pub fn resolve<'a>(method: &str, path: &'a str) -> Result<(Route, Auth, Vec<&'a str>), Error> {
    let path = normalise(path);
    let mut path_known = false;
    for (m, pattern, route, auth) in ROUTES {
        if let Some(params) = matches(pattern, path) {
            if m.eq_ignore_ascii_case(method) {
                return Ok((*route, *auth, params));
            }
            path_known = true;
        }
    }
    Err(if path_known { Error::method_not_allowed() } else { Error::not_found_route() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_routes_and_captures_ids() {
        assert_eq!(resolve("GET", "/api/health").unwrap().0, Route::Health);
        assert_eq!(resolve("GET", "/api/hooks/").unwrap().0, Route::ListHooks);
        let (route, auth, params) = resolve("GET", "/api/hooks/abc").unwrap();
        assert_eq!((route, auth, params), (Route::GetHook, Auth::Manage, vec!["abc"]));
        assert_eq!(resolve("POST", "/api/events").unwrap().1, Auth::Ingest);
        assert_eq!(resolve("POST", "/api/relay/logto").unwrap().1, Auth::Public);
        let (route, auth, params) = resolve("DELETE", "/api/tenants/acme/tokens/tok_1").unwrap();
        assert_eq!((route, auth, params), (Route::RevokeToken, Auth::Operator, vec!["acme", "tok_1"]));
        assert_eq!(resolve("PUT", "/api/tenants/acme/relay").unwrap().1, Auth::ManageNamed);
        assert_eq!(resolve("GET", "/api/events/catalog").unwrap().0, Route::Catalog);
        assert_eq!(
            resolve("GET", "/api/events/evt_x").unwrap(),
            (Route::GetEvent, Auth::Manage, vec!["evt_x"])
        );
        let (route, _, params) = resolve("GET", "/api/deliveries/dlv_x/attempts/2").unwrap();
        assert_eq!((route, params), (Route::GetAttempt, vec!["dlv_x", "2"]));
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        assert_eq!(resolve("GET", "/api/nope").unwrap_err().status, 404);
        assert_eq!(resolve("GET", "/api/hooks/a/b/c").unwrap_err().status, 404);
        assert_eq!(resolve("GET", "/api/hooks//signing-key").unwrap_err().status, 404);
        assert_eq!(resolve("DELETE", "/api/health").unwrap_err().status, 405);
        assert_eq!(resolve("GET", "/api/hooks/x/signing-key").unwrap_err().status, 405);
        assert_eq!(resolve("PUT", "/api/events").unwrap_err().status, 405);
    }

    #[test]
    fn allowed_methods_list_what_the_path_answers() {
        assert_eq!(allowed_methods("/api/hooks/x"), ["GET", "PATCH", "DELETE"]);
        assert_eq!(allowed_methods("/api/hooks/"), ["GET", "POST"]);
        assert!(allowed_methods("/api/nope").is_empty());
    }

    #[test]
    fn every_route_is_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.0 == b.0 && a.1 == b.1), "duplicate route {a:?}");
            }
        }
    }
}
