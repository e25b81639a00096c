//! The REST API's wrapper bodies on arbitrary input: bulk rows, id lists, evaluation checks and
//! node moves (`app::model::api_bodies`, the types the handlers in `server/src/api/` decode). The
//! first byte picks the body type, the rest is the body. Each is decoded as its handler decodes it
//! (`serde_json`, as the `Body` extractor's `axum::Json` and the bulk handlers'
//! `serde_json::from_slice` do), then put through what the handler and its service run before the
//! database — the handler's conversion, the count rule, each row's validation — and every refusal
//! becomes the `AppError` the client is answered with. Nothing may panic, and what passes keeps
//! the bounds the handler and the document rely on (1 to 200 rows, 1 to 100 checks, trimmed ids).

#![no_main]

use app::error::AppError;
use app::model::api_bodies::{
    AssignmentChange, AssignmentIds, BulkCreateAssignments, BulkCreateIdentities,
    BulkCreateInvites, CreatePermissions, EvaluationCheck, EvaluationChecks, NewNode, NodeMove,
    PermissionKeys,
};
use app::model::{
    AssignmentForm, BULK_MAX, EVALUATE_MANY_MAX, Email, NodeForm, PermissionKey, checks_count_rule,
    count_rule, new_role_id,
};
use libfuzzer_sys::fuzz_target;

mod bodies;
use bodies::{answer, decode, refuse};

/// The services' row-count rule (`count_rule`): what passes is 1 to `BULK_MAX` rows.
fn rows_pass(field: &str, rows: usize) -> bool {
    match count_rule(field, rows) {
        Ok(()) => {
            assert!((1..=BULK_MAX).contains(&rows), "{rows} rows passed");
            true
        }
        Err(e) => {
            assert!(rows == 0 || rows > BULK_MAX, "{rows} rows refused");
            answer(&e);
            false
        }
    }
}

/// What a trimmed id of the API looks like: no surrounding whitespace.
fn trimmed(text: &str) -> bool {
    text.trim() == text
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 11 {
        // POST /identities/bulk-create: the handler's count rule, then each row as the service
        // validates it (`identity_input`: a too-common password has its own code).
        0 => {
            if let Some(request) = decode::<BulkCreateIdentities>(body)
                && rows_pass("identities", request.identities.len())
            {
                for form in &request.identities {
                    match form.validate() {
                        Ok(valid) => {
                            assert!(valid.email.as_str().chars().count() <= Email::MAX_LEN);
                        }
                        Err(errors) => {
                            assert!(!errors.is_empty());
                            answer(&AppError::identity_input(errors));
                        }
                    }
                }
            }
        }
        // POST /identity-invites/bulk-create.
        1 => {
            if let Some(request) = decode::<BulkCreateInvites>(body)
                && rows_pass("invites", request.invites.len())
            {
                for form in &request.invites {
                    if let Err(errors) = form.validate() {
                        refuse(errors);
                    }
                }
            }
        }
        // PATCH /assignments/{id}: the handler's form, completed by the service with the
        // assignment's own identity and node before it validates.
        2 => {
            if let Some(change) = decode::<AssignmentChange>(body) {
                let role_id = change.role_id.clone();
                let form = change.into_form();
                assert!(form.identity_id.is_empty() && form.node_id.is_empty());
                assert_eq!(form.role_id, role_id);
                let completed = AssignmentForm {
                    identity_id: "0193a1f0-7c2d-7e41-9b55-3f1c2a9d8e01".into(),
                    node_id: "0193a1f0-2222-7b00-9d4f-6e3c8a1b0d53".into(),
                    ..form
                };
                match completed.validate() {
                    Ok(valid) => {
                        assert!(!valid.role_id.is_empty() && trimmed(&valid.role_id));
                        if let (Some(from), Some(to)) = (valid.effective_from, valid.effective_to) {
                            assert!(from < to, "a window that ends before it starts");
                        }
                    }
                    Err(errors) => refuse(errors),
                }
            }
        }
        // POST /assignments/bulk-create.
        3 => {
            if let Some(request) = decode::<BulkCreateAssignments>(body)
                && rows_pass("assignments", request.assignments.len())
            {
                for form in &request.assignments {
                    if let Err(errors) = form.validate() {
                        refuse(errors);
                    }
                }
            }
        }
        // POST /assignments/bulk-remove and /bulk-change-role (which also needs `role_id`).
        4 => {
            if let Some(request) = decode::<AssignmentIds>(body)
                && rows_pass("assignment_ids", request.assignment_ids.len())
            {
                match new_role_id(request.role_id.as_deref().unwrap_or_default()) {
                    Ok(role_id) => assert!(!role_id.is_empty() && trimmed(&role_id)),
                    Err(error) => refuse(vec![error]),
                }
            }
        }
        // POST /permissions/evaluate: the question as the handler asks it.
        5 => {
            if let Some(check) = decode::<EvaluationCheck>(body) {
                let question = check.question();
                assert!(trimmed(question.identity_id) && trimmed(question.permission));
                if let Some(node) = question.node_id {
                    assert!(!node.is_empty() && trimmed(node));
                }
            }
        }
        // POST /permissions/evaluate/bulk: 1 to 100 checks, or a 400 before any is answered.
        6 => {
            if let Some(request) = decode::<EvaluationChecks>(body) {
                let checks = request.checks.len();
                match checks_count_rule(checks) {
                    Ok(()) => {
                        assert!((1..=EVALUATE_MANY_MAX).contains(&checks), "{checks} checks");
                        for check in &request.checks {
                            let question = check.question();
                            assert!(question.node_id.is_none_or(|n| !n.is_empty()));
                        }
                    }
                    Err(e) => {
                        assert!(
                            checks == 0 || checks > EVALUATE_MANY_MAX,
                            "{checks} refused"
                        );
                        answer(&e);
                    }
                }
            }
        }
        // POST /nodes: the handler's parent and form; the service checks the name first.
        7 => {
            if let Some(request) = decode::<NewNode>(body) {
                let (_parent, form) = request.into_parts();
                match form.validate_name() {
                    Ok(name) => {
                        assert!(!name.is_empty() && trimmed(&name));
                        assert!(name.chars().count() <= NodeForm::NAME_MAX);
                        assert!(!name.chars().any(char::is_control));
                    }
                    Err(error) => refuse(vec![error]),
                }
            }
        }
        // POST /nodes/{id}/move: only the new parent's id, judged against the tree.
        8 => {
            let _ = decode::<NodeMove>(body);
        }
        // PUT /roles/{id}/permissions: the keys are judged against the catalog in the
        // transaction; nothing runs before it.
        9 => {
            let _ = decode::<PermissionKeys>(body);
        }
        // POST /permissions: the count rule, then each row; a valid key reads back as itself.
        _ => {
            if let Some(request) = decode::<CreatePermissions>(body)
                && rows_pass("permissions", request.permissions.len())
            {
                for form in &request.permissions {
                    match form.validate() {
                        Ok(valid) => {
                            let key = valid.key.as_str();
                            assert!(
                                PermissionKey::parse("key", key).is_ok_and(|k| k.as_str() == key)
                            );
                        }
                        Err(errors) => refuse(errors),
                    }
                }
            }
        }
    }
});
