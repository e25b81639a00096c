//! Permission evaluation over an in-memory picture of one environment.
//!
//! `Snapshot` holds what evaluation needs (the node tree, roles with their permission keys, every
//! identity of the account with its standing and its assignments here); `Snapshot::evaluate`
//! answers "may identity X do P at node N?" and explains the answer. Loading, caching and
//! updating the snapshot is `access_checks`' job, so this module is pure and property-tested
//! against a brute-force reference.
//!
//! Compact and cheap to change, because it is kept for environments of a million assignments and
//! updated after every write: node and role ids are interned once (an assignment is 24 bytes:
//! two `u32` indices and its window), the small structural part (tree, roles) sits behind one
//! `Arc` and is copied whole when it changes, and identities sit in `SHARDS` maps behind their
//! own `Arc`s, so a change to one identity copies one shard (a few hundred `Arc`s) and shares
//! everything else with the previous version.

pub use crate::model::{Decision, DenialReason, GrantingRole};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Node(String),
    AppWide,
}

/// A node as loaded (the input form; the snapshot keeps it interned).
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

/// An assignment as loaded (the input form).
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

/// An identity as loaded (the input form).
#[derive(Debug, Clone)]
pub struct IdentityInfo {
    pub active: bool,
    pub member: bool,
    pub assignments: Vec<AssignmentInfo>,
}

/// Identity maps per snapshot: a change to one identity copies 1/SHARDS of them.
const SHARDS: usize = 256;
/// `effective_to` of an assignment that never ends.
const NEVER: i64 = i64::MAX;

/// Ids interned to dense indices; append-only, so indices held by identities stay valid across
/// structure versions.
#[derive(Debug, Clone, Default)]
struct Names {
    ids: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Names {
    fn find(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    fn intern(&mut self, id: &str) -> u32 {
        if let Some(ix) = self.find(id) {
            return ix;
        }
        let ix = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let id: Arc<str> = Arc::from(id);
        self.ids.push(id.clone());
        self.index.insert(id, ix);
        ix
    }

    fn name(&self, ix: u32) -> &str {
        self.ids.get(ix as usize).map_or("", |id| id)
    }
}

#[derive(Debug, Clone, Copy)]
struct Node {
    parent: Option<u32>,
    active: bool,
}

/// The tree and the roles: small, copied whole when a node or role changes.
#[derive(Debug, Clone, Default)]
struct Structure {
    node_names: Names,
    /// By node index; `None`: an id seen (a parent, an assignment's node) that is no node now.
    nodes: Vec<Option<Node>>,
    node_count: usize,
    role_names: Names,
    roles: Vec<Option<RoleInfo>>,
}

impl Structure {
    fn node(&self, ix: u32) -> Option<&Node> {
        self.nodes.get(ix as usize)?.as_ref()
    }

    fn role(&self, ix: u32) -> Option<&RoleInfo> {
        self.roles.get(ix as usize)?.as_ref()
    }

    /// The node and its ancestors, node first; `None` if the node or a link is missing or the
    /// parent chain loops.
    fn lineage(&self, node: u32) -> Option<Vec<u32>> {
        let mut chain = Vec::new();
        let mut current = Some(node);
        while let Some(ix) = current {
            if chain.len() > self.node_count {
                return None;
            }
            let node = self.node(ix)?;
            chain.push(ix);
            current = node.parent;
        }
        Some(chain)
    }

    fn all_active(&self, lineage: &[u32]) -> bool {
        lineage
            .iter()
            .all(|ix| self.node(*ix).is_some_and(|n| n.active))
    }
}

/// One assignment, interned: 24 bytes.
#[derive(Debug, Clone, Copy)]
struct Held {
    role: u32,
    node: u32,
    from_ms: i64,
    to_ms: i64,
}

impl Held {
    fn is_active_at(&self, now_ms: i64) -> bool {
        self.from_ms <= now_ms && now_ms < self.to_ms
    }
}

#[derive(Debug)]
struct Standing {
    active: bool,
    member: bool,
    held: Box<[Held]>,
}

type Shard = HashMap<IdKey, Arc<Standing>>;

/// An identity id as a shard's key: a canonical UUID (lowercase and hyphenated, as Arbor issues
/// every id) as its 16 bytes inline, any other id as its text. At 100,000 identities the inline
/// form saves an allocation of 56 bytes per identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum IdKey {
    Uuid([u8; 16]),
    Text(Box<str>),
}

impl IdKey {
    fn of(identity_id: &str) -> IdKey {
        match uuid::Uuid::try_parse(identity_id) {
            // Only the canonical spelling: another spelling of the same UUID is another id.
            Ok(parsed)
                if parsed
                    .hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer())
                    == identity_id =>
            {
                IdKey::Uuid(parsed.into_bytes())
            }
            _ => IdKey::Text(identity_id.into()),
        }
    }
}

fn shard_of(identity_id: &str) -> usize {
    // FNV-1a: cheap, and ids (UUIDv7) vary in their last bytes.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in identity_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % SHARDS as u64) as usize
}

/// One environment, as evaluation sees it. Cloning it is cheap (a few hundred `Arc`s).
#[derive(Debug, Clone)]
pub struct Snapshot {
    structure: Arc<Structure>,
    identities: Vec<Arc<Shard>>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            structure: Arc::default(),
            identities: (0..SHARDS).map(|_| Arc::default()).collect(),
        }
    }
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
    /// A snapshot of exactly this environment (tests and references build one this way).
    pub fn from_parts(
        nodes: &HashMap<String, NodeInfo>,
        roles: &HashMap<String, RoleInfo>,
        identities: &HashMap<String, IdentityInfo>,
    ) -> Snapshot {
        let mut snapshot = Snapshot::default().with_structure(
            nodes
                .iter()
                .map(|(id, n)| (id.as_str(), n.parent.as_deref(), n.active)),
            roles.iter().map(|(id, r)| (id.as_str(), r.clone())),
        );
        for (id, identity) in identities {
            snapshot.put_identity(id, Some(identity));
        }
        snapshot
    }

    /// This snapshot with its tree and roles replaced (identities shared, not copied).
    pub fn with_structure<'a>(
        &self,
        nodes: impl IntoIterator<Item = (&'a str, Option<&'a str>, bool)>,
        roles: impl IntoIterator<Item = (&'a str, RoleInfo)>,
    ) -> Snapshot {
        let old = &self.structure;
        let mut structure = Structure {
            node_names: old.node_names.clone(),
            nodes: Vec::new(),
            node_count: 0,
            role_names: old.role_names.clone(),
            roles: Vec::new(),
        };
        let mut placed: Vec<(u32, Node)> = Vec::new();
        for (id, parent, active) in nodes {
            let ix = structure.node_names.intern(id);
            let parent = parent.map(|p| structure.node_names.intern(p));
            placed.push((ix, Node { parent, active }));
        }
        structure.nodes = vec![None; structure.node_names.ids.len()];
        for (ix, node) in placed {
            let slot = &mut structure.nodes[ix as usize];
            if slot.is_none() {
                structure.node_count += 1;
            }
            *slot = Some(node);
        }
        let mut placed_roles: Vec<(u32, RoleInfo)> = Vec::new();
        for (id, role) in roles {
            placed_roles.push((structure.role_names.intern(id), role));
        }
        structure.roles = vec![None; structure.role_names.ids.len()];
        for (ix, role) in placed_roles {
            structure.roles[ix as usize] = Some(role);
        }
        Snapshot {
            structure: Arc::new(structure),
            identities: self.identities.clone(),
        }
    }

    /// Sets (or, with `None`, removes) one identity. Copies its shard only if another snapshot
    /// version still shares it.
    pub fn put_identity(&mut self, identity_id: &str, identity: Option<&IdentityInfo>) {
        let Some(identity) = identity else {
            let shard = &mut self.identities[shard_of(identity_id)];
            let key = IdKey::of(identity_id);
            if shard.contains_key(&key) {
                Arc::make_mut(shard).remove(&key);
            }
            return;
        };
        self.put_standing(
            identity_id,
            identity.active,
            identity.member,
            identity.assignments.iter().map(|a| {
                (
                    a.role_id.as_str(),
                    a.node_id.as_str(),
                    a.effective_from_ms,
                    a.effective_to_ms,
                )
            }),
        );
    }

    /// `put_identity` from borrowed rows: `(role id, node id, from, to)` per assignment.
    pub fn put_standing<'a>(
        &mut self,
        identity_id: &str,
        active: bool,
        member: bool,
        assignments: impl IntoIterator<Item = (&'a str, &'a str, i64, Option<i64>)>,
    ) {
        let held = self.interned_held(assignments);
        let standing = Arc::new(Standing {
            active,
            member,
            held,
        });
        Arc::make_mut(&mut self.identities[shard_of(identity_id)])
            .insert(IdKey::of(identity_id), standing);
    }

    /// Replaces the assignments of an identity this snapshot holds, keeping its standing; an
    /// identity it does not hold is left out (the load's way: standings first, then assignments).
    pub fn put_held<'a>(
        &mut self,
        identity_id: &str,
        assignments: impl IntoIterator<Item = (&'a str, &'a str, i64, Option<i64>)>,
    ) {
        let (shard, key) = (shard_of(identity_id), IdKey::of(identity_id));
        let Some((active, member)) = self.identities[shard]
            .get(&key)
            .map(|standing| (standing.active, standing.member))
        else {
            return;
        };
        let held = self.interned_held(assignments);
        if let Some(standing) = Arc::make_mut(&mut self.identities[shard]).get_mut(&key) {
            *standing = Arc::new(Standing {
                active,
                member,
                held,
            });
        }
    }

    /// Assignments in the snapshot's interned form, in a box of their exact size.
    fn interned_held<'a>(
        &mut self,
        assignments: impl IntoIterator<Item = (&'a str, &'a str, i64, Option<i64>)>,
    ) -> Box<[Held]> {
        let assignments = assignments.into_iter();
        // Sized up front: shrinking a grown `Vec` into the box may keep the larger block (an
        // allocator may shrink in place), about 14 MB over 1,000,000 assignments.
        let mut held = Vec::with_capacity(assignments.size_hint().0);
        for (role_id, node_id, from_ms, to_ms) in assignments {
            let role = self.role_index(role_id);
            let node = self.node_index(node_id);
            held.push(Held {
                role,
                node,
                from_ms,
                to_ms: to_ms.unwrap_or(NEVER),
            });
        }
        held.into_boxed_slice()
    }

    /// The index of a role id, interning it (copying the structure) if it is new to this one.
    fn role_index(&mut self, id: &str) -> u32 {
        if let Some(ix) = self.structure.role_names.find(id) {
            return ix;
        }
        let structure = Arc::make_mut(&mut self.structure);
        let ix = structure.role_names.intern(id);
        structure.roles.resize(structure.role_names.ids.len(), None);
        ix
    }

    fn node_index(&mut self, id: &str) -> u32 {
        if let Some(ix) = self.structure.node_names.find(id) {
            return ix;
        }
        let structure = Arc::make_mut(&mut self.structure);
        let ix = structure.node_names.intern(id);
        structure.nodes.resize(structure.node_names.ids.len(), None);
        ix
    }

    fn standing(&self, identity_id: &str) -> Option<&Standing> {
        self.identities[shard_of(identity_id)]
            .get(&IdKey::of(identity_id))
            .map(|s| &**s)
    }

    /// How many identities and assignments the snapshot holds (for reports).
    pub fn size(&self) -> (usize, usize) {
        let identities = self.identities.iter().map(|s| s.len()).sum();
        let assignments = self
            .identities
            .iter()
            .flat_map(|s| s.values())
            .map(|s| s.held.len())
            .sum();
        (identities, assignments)
    }

    /// The node and its ancestors, node first; `None` if the node or a link is missing or the
    /// parent chain loops.
    pub fn lineage(&self, node_id: &str) -> Option<Vec<&str>> {
        let st = &*self.structure;
        let lineage = st.lineage(st.node_names.find(node_id)?)?;
        Some(
            lineage
                .into_iter()
                .map(|ix| st.node_names.name(ix))
                .collect(),
        )
    }

    pub fn evaluate(
        &self,
        identity_id: &str,
        permission: &str,
        scope: &Scope,
        now_ms: i64,
    ) -> Decision {
        let asked_node = match scope {
            Scope::Node(id) => Some(id.as_str()),
            Scope::AppWide => None,
        };
        let Some(identity) = self.standing(identity_id) else {
            return Decision::deny(DenialReason::IdentityNotFound, asked_node);
        };
        if !identity.active {
            return Decision::deny(DenialReason::IdentityInactive, asked_node);
        }
        if !identity.member {
            return Decision::deny(DenialReason::MembershipInactive, asked_node);
        }
        let st = &*self.structure;
        let lineage = match asked_node {
            Some(node_id) => {
                let Some(lineage) = st.node_names.find(node_id).and_then(|ix| st.lineage(ix))
                else {
                    return Decision::deny(DenialReason::NodeNotFound, asked_node);
                };
                if !st.all_active(&lineage) {
                    return Decision::deny(DenialReason::NodeInactive, asked_node);
                }
                Some(lineage)
            }
            None => None,
        };

        // Assignments that are in force: inside their window, on an active role, and — for a
        // node check — on the asked node or one of its ancestors; app-wide, on any node whose own
        // lineage is fully active.
        let live: Vec<(&Held, &RoleInfo, usize)> = identity
            .held
            .iter()
            .filter(|a| a.is_active_at(now_ms))
            .filter_map(|a| {
                let role = st.role(a.role).filter(|r| r.active)?;
                let depth_from_asked = match &lineage {
                    Some(lineage) => lineage.iter().position(|ix| *ix == a.node)?,
                    None => {
                        let own = st.lineage(a.node)?;
                        if !st.all_active(&own) {
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
        let mut granting: Vec<(&Held, &RoleInfo, usize)> = live
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
                    .map(|ix| st.node_names.name(*ix).to_owned())
                    .collect()
            }
            None => Vec::new(),
        };
        let mut granting_roles: Vec<GrantingRole> = granting
            .iter()
            .map(|(a, role, _)| GrantingRole {
                id: st.role_names.name(a.role).to_owned(),
                name: role.name.clone(),
                node_id: st.node_names.name(a.node).to_owned(),
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
        let Some(identity) = self.standing(identity_id).filter(|i| i.active && i.member) else {
            return BTreeSet::new();
        };
        let st = &*self.structure;
        identity
            .held
            .iter()
            .filter(|a| a.is_active_at(now_ms))
            .filter(|a| st.lineage(a.node).is_some_and(|l| st.all_active(&l)))
            .filter_map(|a| st.role(a.role).filter(|r| r.active))
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

    /// An environment in the input form: what the reference reads.
    #[derive(Debug, Clone, Default)]
    struct World {
        nodes: HashMap<String, NodeInfo>,
        roles: HashMap<String, RoleInfo>,
        identities: HashMap<String, IdentityInfo>,
    }

    /// A generated environment plus one question to ask it.
    #[derive(Debug, Clone)]
    struct Case {
        world: World,
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
                    let mut snapshot = World::default();
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
                        snapshot: Snapshot::from_parts(
                            &snapshot.nodes,
                            &snapshot.roles,
                            &snapshot.identities,
                        ),
                        world: snapshot,
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
        let s = &case.world;
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
                let identity = &case.world.identities[&case.identity];
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
                        prop_assert_eq!(case.world.nodes[&pair[1]].parent.as_ref(), Some(&pair[0]));
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// A snapshot built the way the cache updates one (identities first, then the structure
        /// swapped in; an identity removed from a copy) answers like one built whole, and the
        /// copy's change never leaks into the version it was made from.
        #[test]
        fn incremental_versions_agree_with_a_whole_build(case in case()) {
            let scope = case.node.clone().map_or(Scope::AppWide, Scope::Node);
            let whole = case.snapshot.evaluate(&case.identity, &case.permission, &scope, case.now_ms);

            let mut built = Snapshot::default();
            for (id, identity) in &case.world.identities {
                built.put_identity(id, Some(identity));
            }
            let built = built.with_structure(
                case.world.nodes.iter().map(|(id, n)| (id.as_str(), n.parent.as_deref(), n.active)),
                case.world.roles.iter().map(|(id, r)| (id.as_str(), r.clone())),
            );
            let again = built.evaluate(&case.identity, &case.permission, &scope, case.now_ms);
            prop_assert_eq!(&again, &whole);

            let mut removed = built.clone();
            removed.put_identity(&case.identity, None);
            let gone = removed.evaluate(&case.identity, &case.permission, &scope, case.now_ms);
            prop_assert_eq!(gone.denial_reason, Some(DenialReason::IdentityNotFound));
            let kept = built.evaluate(&case.identity, &case.permission, &scope, case.now_ms);
            prop_assert_eq!(&kept, &whole);
        }
    }

    #[test]
    fn effective_permissions_match_app_wide_checks() {
        let mut snapshot = World::default();
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
        let snapshot = Snapshot::from_parts(&snapshot.nodes, &snapshot.roles, &snapshot.identities);
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

    #[test]
    fn an_id_is_its_exact_spelling_whichever_way_it_is_kept() {
        let issued = "0196a3b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b";
        assert!(matches!(IdKey::of(issued), IdKey::Uuid(_)));
        // The same UUID spelt otherwise, and ids that are no UUID, are kept as text: distinct.
        for other in [
            "0196A3B2-7C4D-7E5F-8A9B-0C1D2E3F4A5B",
            "0196a3b27c4d7e5f8a9b0c1d2e3f4a5b",
            "scale-1000000",
            "",
        ] {
            assert!(matches!(IdKey::of(other), IdKey::Text(_)), "{other}");
            assert_ne!(IdKey::of(other), IdKey::of(issued));
        }
        let mut snapshot = Snapshot::default();
        snapshot.put_standing(issued, true, true, std::iter::empty());
        snapshot.put_standing("scale-1", true, false, std::iter::empty());
        assert!(snapshot.standing(issued).is_some_and(|s| s.member));
        assert!(snapshot.standing("scale-1").is_some_and(|s| !s.member));
        assert!(snapshot.standing(&issued.to_uppercase()).is_none());
        snapshot.put_identity(issued, None);
        assert!(snapshot.standing(issued).is_none());
        assert_eq!(snapshot.size().0, 1);
    }
}
