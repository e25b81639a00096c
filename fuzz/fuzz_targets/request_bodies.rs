//! The JSON request bodies of the public API (and the dashboard's forms, the same types) on
//! arbitrary input: the first byte picks the body type, the rest is the body. Decoding and
//! validation may refuse, never panic; a body that validates keeps the limits the API documents.

#![no_main]

use app::model::{PermissionForm, PermissionGroupForm, RoleForm};
use app::model::AssignmentForm;
use app::model::{ActiveStatus, Node, NodeForm};
use app::model::{DirectoryIdentityForm, IdentityForm};
use app::model::{DirectoryInviteForm, InviteForm};
use app::model::{IdentityPatch, NodePatch, PermissionPatch, RolePatch};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

fn a_node() -> Node {
    Node {
        id: "n1".into(),
        environment_id: "e1".into(),
        parent_node_id: None,
        node_type: "root".into(),
        name: "Root".into(),
        slug: "root".into(),
        status: ActiveStatus::parse("active").unwrap_or_default(),
        depth: 0,
        version: 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 13 {
        0 => {
            if let Some(form) = decode::<IdentityForm>(body)
                && let Ok(valid) = form.validate()
            {
                assert!(valid.email.as_str().chars().count() <= app::model::Email::MAX_LEN);
            }
        }
        1 => {
            if let Some(form) = decode::<DirectoryIdentityForm>(body) {
                let _ = form.validate();
            }
        }
        2 => {
            if let Some(form) = decode::<InviteForm>(body) {
                let _ = form.validate();
            }
        }
        3 => {
            if let Some(form) = decode::<DirectoryInviteForm>(body) {
                let _ = form.validate();
            }
        }
        4 => {
            if let Some(form) = decode::<AssignmentForm>(body) {
                let _ = form.validate();
            }
        }
        5 => {
            if let Some(form) = decode::<RoleForm>(body) {
                let _ = form.validate();
            }
        }
        6 => {
            if let Some(form) = decode::<PermissionForm>(body)
                && let Ok(valid) = form.validate()
            {
                // A valid key reads back as itself.
                let key = valid.key.as_str();
                assert!(app::model::PermissionKey::parse("key", key).is_ok());
            }
        }
        7 => {
            if let Some(form) = decode::<PermissionGroupForm>(body) {
                let _ = form.validate();
            }
        }
        8 => {
            if let Some(form) = decode::<NodeForm>(body) {
                let _ = form.validate_name();
            }
        }
        9 => {
            if let Some(patch) = decode::<RolePatch>(body) {
                let form = RoleForm {
                    name: patch.name.unwrap_or_else(|| "Analyst".into()),
                    description: patch.description.unwrap_or_default(),
                };
                let _ = form.validate();
            }
        }
        10 => {
            if let Some(patch) = decode::<PermissionPatch>(body) {
                let form = PermissionForm {
                    key: "report.read".into(),
                    description: patch.description.unwrap_or_default(),
                    category: patch.category.unwrap_or_default(),
                };
                let _ = form.validate();
            }
        }
        11 => {
            if let Some(patch) = decode::<NodePatch>(body) {
                let _ = patch.apply(&a_node());
            }
        }
        _ => {
            if let Some(patch) = decode::<IdentityPatch>(body) {
                let _ = patch.apply(1, "Pat", "Lee", None).validate();
            }
        }
    }
});
