//! Permission evaluation over an in-memory picture of one environment.
//!
//! `Snapshot` holds what evaluation needs (the node tree, roles with their permission keys, the
//! assignments, identity and membership status); `Snapshot::evaluate` answers "may identity X do P
//! at node N?" and explains the answer. Loading and caching the snapshot is the store's job, so
//! this module is pure and property-tested against a brute-force reference.

pub use crate::model::{Decision, DenialReason, GrantingRole};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Node(String),
    AppWide,
}

#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub parent: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct RoleInfo {
    pub name: String,
    pub active: bool,
    pub permissions: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct AssignmentInfo {
    pub role_id: String,
    pub node_id: String,
    pub effective_from_ms: i64,
    /// Exclusive end; `None` = never ends.
    pub effective_to_ms: Option<i64>,
}

impl AssignmentInfo {
    /// Scheduled (not yet started) and expired assignments grant nothing.
    pub fn is_active_at(&self, now_ms: i64) -> bool {
        self.effective_from_ms <= now_ms && self.effective_to_ms.is_none_or(|to| now_ms < to)
    }
}

#[derive(Debug, Clone)]
pub struct IdentityInfo {
    pub active: bool,
    pub member: bool,
    pub assignments: Vec<AssignmentInfo>,
}

/// One environment, as evaluation sees it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub nodes: HashMap<String, NodeInfo>,
    pub roles: HashMap<String, RoleInfo>,
    pub identities: HashMap<String, IdentityInfo>,
}

impl Decision {
    fn deny(reason: DenialReason, node: Option<&str>) -> Decision {
        Decision {
            allowed: false,
            granting_roles: Vec::new(),
            effective_node_id: node.map(str::to_owned),
            denial_reason: Some(reason),
            path: Vec::new(),
        }
    }
}

impl Snapshot {
    /// The node and its ancestors, node first; `None` if the node or a link is missing or the
    /// parent chain loops.
    pub fn lineage(&self, node_id: &str) -> Option<Vec<&str>> {
        let mut chain = Vec::new();
        let mut current = Some(node_id);
        while let Some(id) = current {
            if chain.len() > self.nodes.len() {
                return None;
            }
            let (key, node) = self.nodes.get_key_value(id)?;
            chain.push(key.as_str());
            current = node.parent.as_deref();
        }
        Some(chain)
    }

    pub fn evaluate(
        &self,
        identity_id: &str,
        permission: &str,
        scope: &Scope,
        now_ms: i64,
    ) -> Decision {
        self.evaluate_for(self.identities.get(identity_id), permission, scope, now_ms)
    }

    /// `evaluate` for an identity described by the caller (the cached snapshot only holds
    /// identities with assignments in the environment; the others are looked up one by one).
    pub fn evaluate_for(
        &self,
        identity: Option<&IdentityInfo>,
        permission: &str,
        scope: &Scope,
        now_ms: i64,
    ) -> Decision {
        let asked_node = match scope {
            Scope::Node(id) => Some(id.as_str()),
            Scope::AppWide => None,
        };
        let Some(identity) = identity else {
            return Decision::deny(DenialReason::IdentityNotFound, asked_node);
        };
        if !identity.active {
            return Decision::deny(DenialReason::IdentityInactive, asked_node);
        }
        if !identity.member {
            return Decision::deny(DenialReason::MembershipInactive, asked_node);
        }
        let lineage = match asked_node {
            Some(node_id) => {
                let Some(lineage) = self.lineage(node_id) else {
                    return Decision::deny(DenialReason::NodeNotFound, asked_node);
                };
                if lineage
                    .iter()
                    .any(|id| self.nodes.get(*id).is_some_and(|n| !n.active))
                {
                    return Decision::deny(DenialReason::NodeInactive, asked_node);
                }
                Some(lineage)
            }
            None => None,
        };

        // Assignments that are in force: inside their window, on an active role, and — for a
        // node check — on the asked node or one of its ancestors; app-wide, on any node whose own
        // lineage is fully active.
        let live: Vec<(&AssignmentInfo, &RoleInfo, usize)> = identity
            .assignments
            .iter()
            .filter(|a| a.is_active_at(now_ms))
            .filter_map(|a| {
                let role = self.roles.get(&a.role_id).filter(|r| r.active)?;
                let depth_from_asked = match &lineage {
                    Some(lineage) => lineage.iter().position(|id| *id == a.node_id)?,
                    None => {
                        let own = self.lineage(&a.node_id)?;
                        if own
                            .iter()
                            .any(|id| self.nodes.get(*id).is_some_and(|n| !n.active))
                        {
                            return None;
                        }
                        0
                    }
                };
                Some((a, role, depth_from_asked))
            })
            .collect();
        if live.is_empty() {
            return Decision::deny(DenialReason::NoActiveAssignment, asked_node);
        }
        let mut granting: Vec<(&AssignmentInfo, &RoleInfo, usize)> = live
            .into_iter()
            .filter(|(_, role, _)| role.permissions.contains(permission))
            .collect();
        if granting.is_empty() {
            return Decision::deny(DenialReason::PermissionNotGranted, asked_node);
        }
        granting.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.1.name.cmp(&b.1.name)));
        let path = match &lineage {
            Some(lineage) => {
                let nearest = granting[0].2;
                lineage[..=nearest]
                    .iter()
                    .rev()
                    .map(|id| (*id).to_owned())
                    .collect()
            }
            None => Vec::new(),
        };
        let mut granting_roles: Vec<GrantingRole> = granting
            .iter()
            .map(|(a, role, _)| GrantingRole {
                id: a.role_id.clone(),
                name: role.name.clone(),
                node_id: a.node_id.clone(),
            })
            .collect();
        granting_roles.dedup();
        Decision {
            allowed: true,
            granting_roles,
            effective_node_id: asked_node.map(str::to_owned),
            denial_reason: None,
            path,
        }
    }

    /// Every permission the identity holds anywhere in the tree right now (for UI gating).
    pub fn effective_permissions(&self, identity_id: &str, now_ms: i64) -> BTreeSet<String> {
        let Some(identity) = self
            .identities
            .get(identity_id)
            .filter(|i| i.active && i.member)
        else {
            return BTreeSet::new();
        };
        identity
            .assignments
            .iter()
            .filter(|a| a.is_active_at(now_ms))
            .filter(|a| {
                self.lineage(&a.node_id).is_some_and(|lineage| {
                    lineage
                        .iter()
                        .all(|id| self.nodes.get(*id).is_some_and(|n| n.active))
                })
            })
            .filter_map(|a| self.roles.get(&a.role_id).filter(|r| r.active))
            .flat_map(|role| role.permissions.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    const PERMISSIONS: [&str; 4] = ["doc.read", "doc.write", "doc.delete", "report.view"];

    /// A generated environment plus one question to ask it.
    #[derive(Debug, Clone)]
    struct Case {
        snapshot: Snapshot,
        identity: String,
        permission: String,
        node: Option<String>,
        now_ms: i64,
    }

    fn node_id(i: usize) -> String {
        format!("n{i}")
    }

    fn case() -> impl Strategy<Value = Case> {
        // Up to 24 nodes; node i's parent is an earlier node whose depth is below 8.
        (1usize..24)
            .prop_flat_map(|count| {
                (
                    proptest::collection::vec(any::<prop::sample::Index>(), count - 1),
                    proptest::collection::vec(prop::bool::weighted(0.9), count),
                    Just(count),
                )
            })
            .prop_flat_map(|(parent_picks, node_active, count)| {
                let mut depth = vec![1usize];
                let mut parents: Vec<Option<usize>> = vec![None];
                for pick in &parent_picks {
                    let eligible: Vec<usize> = (0..depth.len()).filter(|&i| depth[i] < 8).collect();
                    let parent = eligible[pick.index(eligible.len())];
                    parents.push(Some(parent));
                    depth.push(depth[parent] + 1);
                }
                let roles = proptest::collection::vec(
                    (
                        prop::bool::weighted(0.85),
                        proptest::collection::btree_set(0usize..4, 0..4),
                    ),
                    1..4,
                );
                let identities = proptest::collection::vec(
                    (
                        prop::bool::weighted(0.85),
                        prop::bool::weighted(0.85),
                        proptest::collection::vec(
                            (
                                0usize..4,
                                0usize..count,
                                0i64..100,
                                prop::option::weighted(0.6, 1i64..60),
                            ),
                            0..6,
                        ),
                    ),
                    1..4,
                );
                (
                    Just(parents),
                    Just(node_active),
                    roles,
                    identities,
                    0usize..5,
                    0usize..4,
                    0usize..=count + 1,
                    -10i64..110,
                )
            })
            .prop_map(
                |(parents, node_active, roles, identities, who, what, whereat, now_ms)| {
                    let mut snapshot = Snapshot::default();
                    for (i, parent) in parents.iter().enumerate() {
                        snapshot.nodes.insert(
                            node_id(i),
                            NodeInfo {
                                parent: parent.map(node_id),
                                active: node_active[i],
                            },
                        );
                    }
                    for (i, (active, perms)) in roles.iter().enumerate() {
                        snapshot.roles.insert(
                            format!("r{i}"),
                            RoleInfo {
                                name: format!("Role {i}"),
                                active: *active,
                                permissions: perms
                                    .iter()
                                    .map(|p| PERMISSIONS[*p].to_owned())
                                    .collect(),
                            },
                        );
                    }
                    let role_count = roles.len();
                    for (i, (active, member, assignments)) in identities.iter().enumerate() {
                        snapshot.identities.insert(
                            format!("i{i}"),
                            IdentityInfo {
                                active: *active,
                                member: *member,
                                assignments: assignments
                                    .iter()
                                    .map(|(role, node, from, length)| AssignmentInfo {
                                        // Some assignments point at a role that does not exist.
                                        role_id: format!("r{}", role % (role_count + 1)),
                                        node_id: node_id(*node),
                                        effective_from_ms: *from,
                                        effective_to_ms: length.map(|l| from + l),
                                    })
                                    .collect(),
                            },
                        );
                    }
                    let node_count = parents.len();
                    Case {
                        snapshot,
                        identity: format!("i{who}"),
                        permission: PERMISSIONS[what].to_owned(),
                        // `node_count` names a node that does not exist; one past it asks app-wide.
                        node: (whereat <= node_count).then(|| node_id(whereat)),
                        now_ms,
                    }
                },
            )
    }

    /// The reference: subtrees computed top-down from a children map, every rule checked
    /// literally, no shared code with `Snapshot::evaluate`.
    fn reference(case: &Case) -> (bool, Option<DenialReason>) {
        let s = &case.snapshot;
        let Some(identity) = s.identities.get(&case.identity) else {
            return (false, Some(DenialReason::IdentityNotFound));
        };
        if !identity.active {
            return (false, Some(DenialReason::IdentityInactive));
        }
        if !identity.member {
            return (false, Some(DenialReason::MembershipInactive));
        }
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for (id, node) in &s.nodes {
            if let Some(parent) = &node.parent {
                children
                    .entry(parent.as_str())
                    .or_default()
                    .push(id.as_str());
            }
        }
        let subtree = |root: &str| -> HashSet<String> {
            let mut seen = HashSet::new();
            let mut stack = vec![root.to_owned()];
            while let Some(n) = stack.pop() {
                if seen.insert(n.clone()) {
                    for c in children.get(n.as_str()).into_iter().flatten() {
                        stack.push((*c).to_owned());
                    }
                }
            }
            seen
        };
        // A node is usable when it and every node above it are active.
        let usable = |node: &str| -> bool {
            s.nodes.keys().all(|other| {
                !subtree(other).contains(node) || s.nodes.get(other).is_some_and(|n| n.active)
            })
        };
        let in_force = |a: &AssignmentInfo| {
            a.effective_from_ms <= case.now_ms
                && a.effective_to_ms.is_none_or(|to| case.now_ms < to)
                && s.roles.get(&a.role_id).is_some_and(|r| r.active)
        };
        let applies: Vec<&AssignmentInfo> = match &case.node {
            Some(node) => {
                if !s.nodes.contains_key(node) {
                    return (false, Some(DenialReason::NodeNotFound));
                }
                if !usable(node) {
                    return (false, Some(DenialReason::NodeInactive));
                }
                identity
                    .assignments
                    .iter()
                    .filter(|a| {
                        in_force(a)
                            && s.nodes.contains_key(&a.node_id)
                            && subtree(&a.node_id).contains(node)
                    })
                    .collect()
            }
            None => identity
                .assignments
                .iter()
                .filter(|a| in_force(a) && s.nodes.contains_key(&a.node_id) && usable(&a.node_id))
                .collect(),
        };
        if applies.is_empty() {
            return (false, Some(DenialReason::NoActiveAssignment));
        }
        let granted = applies.iter().any(|a| {
            s.roles
                .get(&a.role_id)
                .is_some_and(|r| r.permissions.contains(&case.permission))
        });
        if granted {
            (true, None)
        } else {
            (false, Some(DenialReason::PermissionNotGranted))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

        #[test]
        fn evaluate_agrees_with_the_brute_force_reference(case in case()) {
            let scope = case.node.clone().map_or(Scope::AppWide, Scope::Node);
            let decision = case.snapshot.evaluate(&case.identity, &case.permission, &scope, case.now_ms);
            let (allowed, reason) = reference(&case);
            prop_assert_eq!(decision.allowed, allowed);
            prop_assert_eq!(decision.denial_reason, reason);

            if decision.allowed {
                let identity = &case.snapshot.identities[&case.identity];
                // Every granting role is backed by an assignment in force right now.
                for granting in &decision.granting_roles {
                    let backed = identity.assignments.iter().any(|a| {
                        a.role_id == granting.id && a.node_id == granting.node_id && a.is_active_at(case.now_ms)
                    });
                    prop_assert!(backed, "granted by a scheduled or expired assignment: {:?}", granting);
                }
                if let Some(node) = &case.node {
                    // The path runs from a granting assignment's node down to the asked node.
                    prop_assert_eq!(decision.path.last(), Some(node));
                    let top = decision.path.first().cloned().unwrap_or_default();
                    prop_assert!(decision.granting_roles.iter().any(|g| g.node_id == top));
                    for pair in decision.path.windows(2) {
                        prop_assert_eq!(case.snapshot.nodes[&pair[1]].parent.as_ref(), Some(&pair[0]));
                    }
                }
            }
        }
    }

    #[test]
    fn effective_permissions_match_app_wide_checks() {
        let mut snapshot = Snapshot::default();
        snapshot.nodes.insert(
            "root".into(),
            NodeInfo {
                parent: None,
                active: true,
            },
        );
        snapshot.nodes.insert(
            "eu".into(),
            NodeInfo {
                parent: Some("root".into()),
                active: false,
            },
        );
        snapshot.roles.insert(
            "viewer".into(),
            RoleInfo {
                name: "Viewer".into(),
                active: true,
                permissions: ["doc.read".to_owned()].into(),
            },
        );
        snapshot.roles.insert(
            "editor".into(),
            RoleInfo {
                name: "Editor".into(),
                active: true,
                permissions: ["doc.write".to_owned()].into(),
            },
        );
        let assignment = |role: &str, node: &str, from, to| AssignmentInfo {
            role_id: role.into(),
            node_id: node.into(),
            effective_from_ms: from,
            effective_to_ms: to,
        };
        snapshot.identities.insert(
            "pat".into(),
            IdentityInfo {
                active: true,
                member: true,
                assignments: vec![
                    assignment("viewer", "root", 0, None),
                    assignment("editor", "eu", 0, None),
                ],
            },
        );
        let perms = snapshot.effective_permissions("pat", 10);
        assert_eq!(
            perms.into_iter().collect::<Vec<_>>(),
            ["doc.read"],
            "the inactive subtree grants nothing"
        );
        let decision = snapshot.evaluate("pat", "doc.read", &Scope::Node("root".into()), 10);
        assert_eq!(decision.path, ["root"]);
        assert_eq!(decision.granting_roles[0].name, "Viewer");
    }
}
