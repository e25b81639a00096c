//! The lifecycle states stored as text, as types: code compares variants, never strings, and
//! the one place a stored word becomes a state is here (unknown words fail closed).

use serde::{Deserialize, Serialize};

/// Whether a node, a role or an admin is in force. Stored as `active` / `inactive`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActiveStatus {
    #[default]
    Active,
    Inactive,
}

impl ActiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveStatus::Active => "active",
            ActiveStatus::Inactive => "inactive",
        }
    }

    /// The stored word; anything but `active` is not in force.
    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "active" => ActiveStatus::Active,
            _ => ActiveStatus::Inactive,
        }
    }

    /// The word a request sent, if it is one of ours.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(ActiveStatus::Active),
            "inactive" => Some(ActiveStatus::Inactive),
            _ => None,
        }
    }

    pub fn from_active(active: bool) -> Self {
        if active {
            ActiveStatus::Active
        } else {
            ActiveStatus::Inactive
        }
    }

    pub fn is_active(self) -> bool {
        self == ActiveStatus::Active
    }
}

/// An identity's membership in an application. Only `active` admits it; the others are kept
/// for history (`invited` before acceptance, `deactivated` when removed, `suspended` by policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    Invited,
    Active,
    Deactivated,
    Suspended,
}

impl MembershipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipStatus::Invited => "invited",
            MembershipStatus::Active => "active",
            MembershipStatus::Deactivated => "deactivated",
            MembershipStatus::Suspended => "suspended",
        }
    }

    /// The stored word; an unknown one admits nothing.
    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "active" => MembershipStatus::Active,
            "invited" => MembershipStatus::Invited,
            "suspended" => MembershipStatus::Suspended,
            _ => MembershipStatus::Deactivated,
        }
    }

    pub fn is_active(self) -> bool {
        self == MembershipStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_round_trip_and_unknown_ones_fail_closed() {
        for s in [ActiveStatus::Active, ActiveStatus::Inactive] {
            assert_eq!(ActiveStatus::from_stored(s.as_str()), s);
            assert_eq!(ActiveStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ActiveStatus::from_stored("ACTIVE"), ActiveStatus::Inactive);
        assert_eq!(ActiveStatus::parse("paused"), None);
        for m in [
            MembershipStatus::Invited,
            MembershipStatus::Active,
            MembershipStatus::Deactivated,
            MembershipStatus::Suspended,
        ] {
            assert_eq!(MembershipStatus::from_stored(m.as_str()), m);
        }
        assert!(!MembershipStatus::from_stored("").is_active());
    }

    #[test]
    fn the_wire_words_are_the_stored_ones() {
        assert_eq!(
            serde_json::to_string(&ActiveStatus::Inactive)
                .ok()
                .as_deref(),
            Some("\"inactive\"")
        );
        assert_eq!(
            serde_json::to_string(&MembershipStatus::Deactivated)
                .ok()
                .as_deref(),
            Some("\"deactivated\"")
        );
    }
}
