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
    GetDelivery,
    RetryDelivery,
    IngestEvents,
    RelayLogto,
}

/// (method, path pattern, route). `:name` segments capture one path segment. Every entry
/// must also be in `openapi.json` (a test checks both directions).
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("GET", "/api/health", Route::Health),
    ("GET", "/api/openapi.json", Route::OpenApi),
    ("GET", "/api/events/catalog", Route::Catalog),
    ("GET", "/api/hooks", Route::ListHooks),
    ("POST", "/api/hooks", Route::CreateHook),
    ("GET", "/api/hooks/:id", Route::GetHook),
    ("PATCH", "/api/hooks/:id", Route::PatchHook),
    ("DELETE", "/api/hooks/:id", Route::DeleteHook),
    ("PATCH", "/api/hooks/:id/signing-key", Route::RegenerateSigningKey),
    ("POST", "/api/hooks/:id/test", Route::TestHook),
    ("GET", "/api/hooks/:id/recent-logs", Route::RecentLogs),
    ("GET", "/api/hooks/:id/deliveries", Route::ListDeliveries),
    ("POST", "/api/hooks/:id/recover", Route::RecoverHook),
    ("GET", "/api/deliveries/:id", Route::GetDelivery),
    ("POST", "/api/deliveries/:id/retry", Route::RetryDelivery),
    ("POST", "/api/events", Route::IngestEvents),
    ("POST", "/api/relay/logto", Route::RelayLogto),
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

/// Finds the route for a request: 404 when no pattern matches the path, 405 when one does
/// but not with this method.
pub fn resolve<'a>(method: &str, path: &'a str) -> Result<(Route, Vec<&'a str>), Error> {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let mut path_known = false;
    for (m, pattern, route) in ROUTES {
        if let Some(params) = matches(pattern, path) {
            if m.eq_ignore_ascii_case(method) {
                return Ok((*route, params));
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
        let (route, params) = resolve("GET", "/api/hooks/abc").unwrap();
        assert_eq!((route, params), (Route::GetHook, vec!["abc"]));
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
    fn every_route_is_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.0 == b.0 && a.1 == b.1), "duplicate route {a:?}");
            }
        }
    }
}
