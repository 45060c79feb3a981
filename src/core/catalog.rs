//! Logto's registrable hook events: the exact strings and their categories.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Interaction,
    Data,
    Exception,
    /// Hookwing's own events about delivery (SPEC §11): emitted, never ingested.
    Operational,
}

impl Category {
    pub const ALL: [Category; 4] =
        [Category::Interaction, Category::Data, Category::Exception, Category::Operational];

    /// The name `GET /api/events/catalog` answers (its serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Interaction => "interaction",
            Category::Data => "data",
            Category::Exception => "exception",
            Category::Operational => "operational",
        }
    }
}

/// Every event a hook may subscribe to, in Logto's `hookEvents` order.
pub const EVENTS: &[(&str, Category)] = &[
    ("PostRegister", Category::Interaction),
    ("PostSignIn", Category::Interaction),
    ("PostSignInAdaptiveMfaTriggered", Category::Interaction),
    ("PostResetPassword", Category::Interaction),
    ("User.Created", Category::Data),
    ("User.Deleted", Category::Data),
    ("User.Data.Updated", Category::Data),
    ("User.SuspensionStatus.Updated", Category::Data),
    ("Role.Created", Category::Data),
    ("Role.Deleted", Category::Data),
    ("Role.Data.Updated", Category::Data),
    ("Role.Scopes.Updated", Category::Data),
    ("Scope.Created", Category::Data),
    ("Scope.Deleted", Category::Data),
    ("Scope.Data.Updated", Category::Data),
    ("Organization.Created", Category::Data),
    ("Organization.Deleted", Category::Data),
    ("Organization.Data.Updated", Category::Data),
    ("Organization.Membership.Updated", Category::Data),
    ("OrganizationRole.Created", Category::Data),
    ("OrganizationRole.Deleted", Category::Data),
    ("OrganizationRole.Data.Updated", Category::Data),
    ("OrganizationRole.Scopes.Updated", Category::Data),
    ("OrganizationScope.Created", Category::Data),
    ("OrganizationScope.Deleted", Category::Data),
    ("OrganizationScope.Data.Updated", Category::Data),
    ("Identifier.Lockout", Category::Exception),
    ("Message.RateLimited", Category::Exception),
    ("Grant.LimitExceeded", Category::Exception),
    ("Hook.Disabled", Category::Operational),
    ("Delivery.Exhausted", Category::Operational),
    ("Hook.Recovered", Category::Operational),
];

pub const HOOK_DISABLED: &str = "Hook.Disabled";
pub const DELIVERY_EXHAUSTED: &str = "Delivery.Exhausted";
pub const HOOK_RECOVERED: &str = "Hook.Recovered";

/// Emitted by Hookwing only: producers may not send it, and its deliveries emit nothing.
pub fn is_operational(event: &str) -> bool {
    category_of(event) == Some(Category::Operational)
}

pub fn category_of(event: &str) -> Option<Category> {
    EVENTS.iter().find(|(name, _)| *name == event).map(|(_, c)| *c)
}

pub fn is_known(event: &str) -> bool {
    category_of(event).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_logtos_29_registrable_events_then_3_operational_without_duplicates() {
        assert_eq!(EVENTS.len(), 32);
        assert!(EVENTS[..29].iter().all(|(_, c)| *c != Category::Operational), "Logto's, in Logto's order");
        assert!(EVENTS[29..].iter().all(|(n, _)| is_operational(n)));
        let mut names: Vec<_> = EVENTS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 32);
        assert!(!is_operational("PostSignIn") && !is_operational("Nope"));
    }

    #[test]
    fn categories_match_logto() {
        assert_eq!(category_of("PostSignIn"), Some(Category::Interaction));
        assert_eq!(category_of("Role.Scopes.Updated"), Some(Category::Data));
        assert_eq!(category_of("Grant.LimitExceeded"), Some(Category::Exception));
        let count = |c| EVENTS.iter().filter(|(_, k)| *k == c).count();
        assert_eq!(count(Category::Interaction), 4);
        assert_eq!(count(Category::Exception), 3);
    }

    #[test]
    fn misspellings_and_legacy_names_are_not_registrable() {
        for name in [
            "Role.Scope.Updated",
            "OrganizationRole.Scope.Updated",
            "User.Updated",
            "TrustedDevice.Created",
            "postsignin",
            "",
        ] {
            assert!(!is_known(name), "{name} must not be in the catalog");
        }
    }
}
