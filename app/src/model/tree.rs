//! The rules of the node tree as pure functions over an environment's nodes and its schema. The
//! Hierarchy page asks them what to offer and the hierarchy service asks them what to accept, so
//! the dashboard cannot offer a change the server refuses.

use super::{HierarchySchema, Node, RevertToFlatOutcome, Slug};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A change the tree's rules refuse; `Display` is the sentence the admin reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeRule {
    /// The node or the new parent is not in the tree.
    UnknownNode,
    RootMove,
    /// A move under the node itself or one of its descendants.
    Cycle,
    TypeNotAllowed {
        child_type: String,
        parent_type: String,
        parent_name: String,
    },
    /// A new child would sit below `max_depth`.
    LevelLimit {
        max_depth: u32,
    },
    /// A moved subtree would reach `deepest` levels.
    TooDeep {
        deepest: i64,
        max_depth: u32,
    },
}

impl std::fmt::Display for TreeRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeRule::UnknownNode => f.write_str("No such node in this environment."),
            TreeRule::RootMove => f.write_str("The root node cannot be moved."),
            TreeRule::Cycle => {
                f.write_str("A node cannot move under itself or its own descendants.")
            }
            TreeRule::TypeNotAllowed {
                child_type,
                parent_type,
                parent_name,
            } => write!(
                f,
                "A {child_type} cannot sit under a {parent_type} (\"{parent_name}\")."
            ),
            TreeRule::LevelLimit { max_depth } => {
                write!(f, "The hierarchy is limited to {max_depth} levels.")
            }
            TreeRule::TooDeep { deepest, max_depth } => write!(
                f,
                "The move would make the tree {deepest} levels deep; the limit is {max_depth}."
            ),
        }
    }
}

/// The root: the one node without a parent.
pub fn root(nodes: &[Node]) -> Option<&Node> {
    nodes.iter().find(|n| n.parent_node_id.is_none())
}

/// The node `id` followed by all its descendants, parents before children. Empty when `id` is
/// unknown; each node is visited once, so a corrupt parent cycle cannot loop forever.
pub fn subtree<'a>(nodes: &'a [Node], id: &str) -> Vec<&'a Node> {
    let mut children: HashMap<&str, Vec<&Node>> = HashMap::new();
    for n in nodes {
        if let Some(p) = n.parent_node_id.as_deref() {
            children.entry(p).or_default().push(n);
        }
    }
    let Some(top) = nodes.iter().find(|n| n.id == id) else {
        return Vec::new();
    };
    let mut seen = HashSet::from([top.id.as_str()]);
    let mut out = vec![top];
    let mut i = 0;
    while i < out.len() {
        let current: &Node = out[i];
        for kid in children.get(current.id.as_str()).into_iter().flatten() {
            if seen.insert(kid.id.as_str()) {
                out.push(kid);
            }
        }
        i += 1;
    }
    out
}

/// Why the ancestors of a node cannot be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AncestryError {
    UnknownNode,
    /// The stored parents loop (corrupt data).
    Cycle,
}

/// The ancestors of `id`, root first (the node itself not included).
pub fn ancestors<'a>(nodes: &'a [Node], id: &str) -> Result<Vec<&'a Node>, AncestryError> {
    let by_id: HashMap<&str, &Node> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut current = *by_id.get(id).ok_or(AncestryError::UnknownNode)?;
    let mut chain = Vec::new();
    while let Some(parent) = current.parent_node_id.as_deref().and_then(|p| by_id.get(p)) {
        if chain.len() >= nodes.len() {
            return Err(AncestryError::Cycle);
        }
        chain.push(*parent);
        current = parent;
    }
    chain.reverse();
    Ok(chain)
}

/// Whether a child of type `child_type` may be created under `parent`; the new child's depth.
pub fn check_child(
    schema: &HierarchySchema,
    parent: &Node,
    child_type: &str,
) -> Result<i64, TreeRule> {
    if !schema.allows(&parent.node_type, child_type) {
        return Err(TreeRule::TypeNotAllowed {
            child_type: child_type.to_owned(),
            parent_type: parent.node_type.clone(),
            parent_name: parent.name.clone(),
        });
    }
    let depth = parent.depth + 1;
    if depth > i64::from(schema.max_depth) {
        return Err(TreeRule::LevelLimit {
            max_depth: schema.max_depth,
        });
    }
    Ok(depth)
}

/// The node types a new child of `parent` may have (empty when none may be added).
pub fn child_types(schema: &HierarchySchema, parent: &Node) -> Vec<String> {
    schema
        .allowed_children
        .get(&parent.node_type)
        .into_iter()
        .flatten()
        .filter(|t| check_child(schema, parent, t).is_ok())
        .cloned()
        .collect()
}

/// A move the rules accept: where the node and its descendants end up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan<'a> {
    /// The moved node's new depth.
    pub depth: i64,
    /// Every descendant (not the node itself) with its new depth.
    pub descendants: Vec<(&'a Node, i64)>,
    /// The node's slug under its new parent (unique among the new siblings).
    pub slug: String,
}

/// A node about to move: its subtree and how far that reaches below it, worked out once so
/// checking every candidate parent stays linear.
struct Mover<'a> {
    node: &'a Node,
    subtree: Vec<&'a Node>,
    /// Levels below the node (0 for a leaf).
    height: i64,
}

impl<'a> Mover<'a> {
    fn new(nodes: &'a [Node], id: &str) -> Result<Self, TreeRule> {
        let subtree = subtree(nodes, id);
        let node = *subtree.first().ok_or(TreeRule::UnknownNode)?;
        let height = subtree
            .iter()
            .map(|n| n.depth - node.depth)
            .max()
            .unwrap_or(0);
        Ok(Mover {
            node,
            subtree,
            height,
        })
    }

    /// The one place the move rules are written, in the order the admin is told about them.
    fn check(&self, schema: &HierarchySchema, parent: &Node) -> Result<(), TreeRule> {
        if self.node.parent_node_id.is_none() {
            return Err(TreeRule::RootMove);
        }
        if self.subtree.iter().any(|n| n.id == parent.id) {
            return Err(TreeRule::Cycle);
        }
        if !schema.allows(&parent.node_type, &self.node.node_type) {
            return Err(TreeRule::TypeNotAllowed {
                child_type: self.node.node_type.clone(),
                parent_type: parent.node_type.clone(),
                parent_name: parent.name.clone(),
            });
        }
        let deepest = parent.depth + 1 + self.height;
        if deepest > i64::from(schema.max_depth) {
            return Err(TreeRule::TooDeep {
                deepest,
                max_depth: schema.max_depth,
            });
        }
        Ok(())
    }
}

/// Moving node `id` (with its subtree) under `new_parent_id`: refused for the root, cycles,
/// child types the new parent does not allow, and subtrees that would grow deeper than the schema
/// allows.
pub fn plan_move<'a>(
    schema: &HierarchySchema,
    nodes: &'a [Node],
    id: &str,
    new_parent_id: &str,
) -> Result<MovePlan<'a>, TreeRule> {
    let mover = Mover::new(nodes, id)?;
    if mover.node.parent_node_id.is_none() {
        return Err(TreeRule::RootMove);
    }
    let parent = nodes
        .iter()
        .find(|n| n.id == new_parent_id)
        .ok_or(TreeRule::UnknownNode)?;
    mover.check(schema, parent)?;
    let delta = parent.depth + 1 - mover.node.depth;
    Ok(MovePlan {
        depth: mover.node.depth + delta,
        descendants: mover
            .subtree
            .iter()
            .skip(1)
            .map(|n| (*n, n.depth + delta))
            .collect(),
        slug: sibling_slug(nodes, new_parent_id, &mover.node.slug, Some(id)),
    })
}

/// The parents the dashboard offers when moving node `id`: every node `plan_move` accepts, except
/// the parent it already has.
pub fn move_targets<'a>(schema: &HierarchySchema, nodes: &'a [Node], id: &str) -> Vec<&'a Node> {
    let Ok(mover) = Mover::new(nodes, id) else {
        return Vec::new();
    };
    nodes
        .iter()
        .filter(|n| Some(&n.id) != mover.node.parent_node_id.as_ref())
        .filter(|n| mover.check(schema, n).is_ok())
        .collect()
}

/// The first way `nodes` break `schema`, if any.
pub fn misfit(schema: &HierarchySchema, nodes: &[Node]) -> Option<String> {
    let by_id: HashMap<&str, &Node> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    for node in nodes {
        if !schema.node_types.contains(&node.node_type) {
            return Some(format!(
                "The node \"{}\" is a {}, which the schema no longer has.",
                node.name, node.node_type
            ));
        }
        if node.depth > i64::from(schema.max_depth) {
            return Some(format!(
                "The node \"{}\" is at depth {}, deeper than {}.",
                node.name, node.depth, schema.max_depth
            ));
        }
        match node.parent_node_id.as_deref().and_then(|p| by_id.get(p)) {
            None if node.node_type != schema.root_node_type => {
                return Some(format!(
                    "The root is a {}, not a {}.",
                    node.node_type, schema.root_node_type
                ));
            }
            Some(parent) if !schema.allows(&parent.node_type, &node.node_type) => {
                return Some(format!(
                    "\"{}\" ({}) sits under \"{}\" ({}), which the schema would not allow.",
                    node.name, node.node_type, parent.name, parent.node_type
                ));
            }
            _ => {}
        }
    }
    None
}

/// A slug for `name` that no sibling under `parent` uses (`except` is the node being renamed or
/// moved, which does not compete with itself).
pub fn sibling_slug(nodes: &[Node], parent: &str, name: &str, except: Option<&str>) -> String {
    let taken: HashSet<&str> = nodes
        .iter()
        .filter(|n| n.parent_node_id.as_deref() == Some(parent) && Some(n.id.as_str()) != except)
        .map(|n| n.slug.as_str())
        .collect();
    let base = Slug::derive(name, "node");
    if !taken.contains(base.as_str()) {
        return base.to_string();
    }
    (2..)
        .map(|n| base.with_suffix(n))
        .find(|s| !taken.contains(s.as_str()))
        .unwrap_or(base)
        .to_string()
}

/// An assignment as revert-to-flat sees it: who, which role, where, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedAssignment<'a> {
    pub id: &'a str,
    pub identity_id: &'a str,
    pub role_id: &'a str,
    pub node_id: &'a str,
    pub effective_to_ms: Option<i64>,
}

/// What revert-to-flat does, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevertPlan {
    pub outcome: RevertToFlatOutcome,
    /// Assignments to re-seat on the root.
    pub moves: Vec<String>,
    /// Assignments to delete (expired or duplicates).
    pub deletes: Vec<String>,
    /// Every node but the root, deepest first (children go before their parents).
    pub nodes: Vec<String>,
}

/// Revert-to-flat: expired assignments are dropped (reviving them as unbounded root rows would
/// resurrect dead access); of the rest, one per (identity, role) is kept — one already on the root
/// if there is one — and moved to the root; the others go. Every node below the root goes.
pub fn plan_revert(
    nodes: &[Node],
    root_id: &str,
    assignments: &[PlacedAssignment<'_>],
    now_ms: i64,
) -> RevertPlan {
    let mut plan = RevertPlan::default();
    let mut groups: BTreeMap<(&str, &str), Vec<&PlacedAssignment>> = BTreeMap::new();
    for a in assignments {
        if a.effective_to_ms.is_some_and(|to| to <= now_ms) {
            plan.outcome.assignments_expired_dropped += 1;
            plan.deletes.push(a.id.to_owned());
        } else {
            groups
                .entry((a.identity_id, a.role_id))
                .or_default()
                .push(a);
        }
    }
    for (_, mut group) in groups {
        group.sort_by_key(|a| a.node_id != root_id);
        let (keep, rest) = group.split_at(1);
        if keep[0].node_id != root_id {
            plan.outcome.assignments_moved += 1;
            plan.moves.push(keep[0].id.to_owned());
        }
        for a in rest {
            plan.outcome.assignments_deduplicated += 1;
            plan.deletes.push(a.id.to_owned());
        }
    }
    let mut doomed: Vec<&Node> = nodes.iter().filter(|n| n.id != root_id).collect();
    doomed.sort_by_key(|n| std::cmp::Reverse(n.depth));
    plan.nodes = doomed.into_iter().map(|n| n.id.clone()).collect();
    plan.outcome.nodes_deleted = i64::try_from(plan.nodes.len()).unwrap_or(i64::MAX);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn node(id: &str, parent: Option<&str>, node_type: &str, depth: i64) -> Node {
        Node {
            id: id.to_owned(),
            environment_id: "env".to_owned(),
            parent_node_id: parent.map(str::to_owned),
            node_type: node_type.to_owned(),
            name: id.to_uppercase(),
            slug: id.to_owned(),
            status: crate::model::ActiveStatus::Active,
            depth,
            version: 1,
        }
    }

    /// acme › emea › paris › night, acme › apac › tokyo › shibuya under the default schema
    /// (depth 4).
    fn two_regions() -> Vec<Node> {
        vec![
            node("acme", None, "organization", 1),
            node("emea", Some("acme"), "region", 2),
            node("apac", Some("acme"), "region", 2),
            node("paris", Some("emea"), "team", 3),
            node("night", Some("paris"), "team", 4),
            node("tokyo", Some("apac"), "team", 3),
            node("shibuya", Some("tokyo"), "team", 4),
        ]
    }

    fn ids(nodes: &[&Node]) -> Vec<String> {
        nodes.iter().map(|n| n.id.clone()).collect()
    }

    #[test]
    fn a_team_with_a_subteam_is_not_offered_a_parent_that_would_push_it_too_deep() {
        let schema = HierarchySchema::default();
        let nodes = two_regions();
        // Types alone would allow tokyo and shibuya; depth 4 leaves room only directly under
        // a region, so only apac is offered.
        assert_eq!(ids(&move_targets(&schema, &nodes, "paris")), ["apac"]);
        assert_eq!(
            plan_move(&schema, &nodes, "paris", "tokyo").err(),
            Some(TreeRule::TooDeep {
                deepest: 5,
                max_depth: 4
            })
        );
        // A leaf team fits under a region or a depth-3 team.
        assert_eq!(
            ids(&move_targets(&schema, &nodes, "night")),
            ["emea", "apac", "tokyo"]
        );
        assert_eq!(
            ids(&move_targets(&schema, &nodes, "shibuya")),
            ["emea", "apac", "paris"],
            "not under its current parent"
        );
    }

    #[test]
    fn moves_report_the_rule_they_break() {
        let schema = HierarchySchema::default();
        let nodes = two_regions();
        let refused = |id: &str, to: &str| plan_move(&schema, &nodes, id, to).err();
        assert_eq!(refused("acme", "emea"), Some(TreeRule::RootMove));
        assert_eq!(refused("paris", "night"), Some(TreeRule::Cycle));
        assert_eq!(refused("paris", "paris"), Some(TreeRule::Cycle));
        assert_eq!(refused("paris", "nowhere"), Some(TreeRule::UnknownNode));
        assert_eq!(refused("ghost", "acme"), Some(TreeRule::UnknownNode));
        assert_eq!(
            refused("emea", "apac").map(|r| r.to_string()),
            Some("A region cannot sit under a region (\"APAC\").".to_owned())
        );
        let plan = plan_move(&schema, &nodes, "paris", "apac");
        assert_eq!(
            plan.map(|p| (p.depth, p.descendants.len(), p.slug)),
            Ok((3, 1, "paris".to_owned()))
        );
    }

    #[test]
    fn child_types_respect_the_depth_limit() {
        let schema = HierarchySchema::default();
        let nodes = two_regions();
        assert_eq!(child_types(&schema, &nodes[0]), ["region"]);
        assert_eq!(child_types(&schema, &nodes[3]), ["team"]);
        assert!(
            child_types(&schema, &nodes[4]).is_empty(),
            "depth 4 is full"
        );
        assert_eq!(
            check_child(&schema, &nodes[4], "team"),
            Err(TreeRule::LevelLimit { max_depth: 4 })
        );
    }

    #[test]
    fn ancestors_come_root_first_and_survive_corrupt_cycles() {
        let nodes = two_regions();
        let chain = ancestors(&nodes, "night").map(|c| ids(&c));
        assert_eq!(
            chain,
            Ok(vec!["acme".into(), "emea".into(), "paris".into()])
        );
        assert_eq!(ancestors(&nodes, "x"), Err(AncestryError::UnknownNode));
        let looped = vec![
            node("a", Some("b"), "team", 2),
            node("b", Some("a"), "team", 2),
        ];
        assert_eq!(ancestors(&looped, "a"), Err(AncestryError::Cycle));
        assert_eq!(subtree(&looped, "a").len(), 2);
    }

    #[test]
    fn sibling_slugs_get_the_next_free_suffix() {
        let mut nodes = two_regions();
        assert_eq!(sibling_slug(&nodes, "acme", "EMEA", None), "emea-2");
        assert_eq!(sibling_slug(&nodes, "acme", "EMEA", Some("emea")), "emea");
        assert_eq!(sibling_slug(&nodes, "emea", "EMEA", None), "emea");
        nodes.push(node("emea-2", Some("acme"), "region", 2));
        assert_eq!(sibling_slug(&nodes, "acme", "Emea", None), "emea-3");
    }

    // ---- properties ----

    const TYPES: [&str; 4] = ["t0", "t1", "t2", "t3"];

    /// A random schema (the root type is `t0`) and a tree that fits it, grown node by node.
    fn world() -> impl Strategy<Value = (HierarchySchema, Vec<Node>)> {
        (
            proptest::collection::vec(any::<bool>(), TYPES.len() * TYPES.len()),
            1u32..7,
            proptest::collection::vec((any::<Index>(), any::<Index>()), 0..40),
        )
            .prop_map(|(allowed, max_depth, growth)| {
                let mut allowed_children = BTreeMap::new();
                for (i, parent) in TYPES.iter().enumerate() {
                    let kids: Vec<String> = TYPES
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| allowed[i * TYPES.len() + j])
                        .map(|(_, t)| (*t).to_owned())
                        .collect();
                    allowed_children.insert((*parent).to_owned(), kids);
                }
                let schema = HierarchySchema {
                    node_types: TYPES.iter().map(|t| (*t).to_owned()).collect(),
                    allowed_children,
                    max_depth,
                    root_node_type: "t0".to_owned(),
                };
                let mut nodes = vec![node("n0", None, "t0", 1)];
                for (parent, kind) in growth {
                    let parent = nodes[parent.index(nodes.len())].clone();
                    let types = child_types(&schema, &parent);
                    if types.is_empty() {
                        continue;
                    }
                    let t = &types[kind.index(types.len())];
                    let id = format!("n{}", nodes.len());
                    nodes.push(node(&id, Some(&parent.id), t, parent.depth + 1));
                }
                (schema, nodes)
            })
    }

    /// The tree after applying a plan, as the service writes it.
    fn apply(nodes: &[Node], id: &str, to: &str, plan: &MovePlan) -> Vec<Node> {
        let new_depths: HashMap<&str, i64> = plan
            .descendants
            .iter()
            .map(|(n, d)| (n.id.as_str(), *d))
            .collect();
        nodes
            .iter()
            .map(|n| {
                let mut n = n.clone();
                if n.id == id {
                    n.parent_node_id = Some(to.to_owned());
                    n.depth = plan.depth;
                    n.slug = plan.slug.clone();
                } else if let Some(d) = new_depths.get(n.id.as_str()) {
                    n.depth = *d;
                }
                n
            })
            .collect()
    }

    /// Depth as the parent links say (root 1).
    fn true_depth(nodes: &[Node], id: &str) -> i64 {
        ancestors(nodes, id).map_or(-1, |a| i64::try_from(a.len()).unwrap_or(i64::MAX) + 1)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn grown_trees_fit_their_schema((schema, nodes) in world()) {
            prop_assert_eq!(misfit(&schema, &nodes), None);
        }

        #[test]
        fn the_offered_targets_are_exactly_the_moves_the_server_accepts(
            (schema, nodes) in world(),
        ) {
            for node in &nodes {
                let offered: HashSet<&str> =
                    move_targets(&schema, &nodes, &node.id).iter().map(|n| n.id.as_str()).collect();
                for target in &nodes {
                    let accepted = plan_move(&schema, &nodes, &node.id, &target.id);
                    let current = node.parent_node_id.as_deref() == Some(target.id.as_str());
                    prop_assert_eq!(
                        offered.contains(target.id.as_str()),
                        accepted.is_ok() && !current,
                        "{} under {}: {:?}", node.id, target.id, accepted.err()
                    );
                }
            }
        }

        #[test]
        fn every_accepted_move_keeps_the_tree_within_the_schema(
            (schema, nodes) in world(),
            pick in any::<Index>(),
            to in any::<Index>(),
        ) {
            let node = &nodes[pick.index(nodes.len())];
            let target = &nodes[to.index(nodes.len())];
            if let Ok(plan) = plan_move(&schema, &nodes, &node.id, &target.id) {
                let moved = apply(&nodes, &node.id, &target.id, &plan);
                prop_assert_eq!(misfit(&schema, &moved), None);
                for n in &moved {
                    prop_assert_eq!(n.depth, true_depth(&moved, &n.id), "{}", n.id);
                }
                let siblings: Vec<&str> = moved
                    .iter()
                    .filter(|n| n.parent_node_id.as_deref() == Some(target.id.as_str()))
                    .map(|n| n.slug.as_str())
                    .collect();
                let unique: HashSet<&&str> = siblings.iter().collect();
                prop_assert_eq!(unique.len(), siblings.len());
            } else {
                // A refusal is never for a move the rules would allow.
                let types_ok = schema.allows(&target.node_type, &node.node_type);
                let below = subtree(&nodes, &node.id).iter().any(|n| n.id == target.id);
                let height = subtree(&nodes, &node.id).iter().map(|n| n.depth).max().unwrap_or(0) - node.depth;
                let fits = target.depth + 1 + height <= i64::from(schema.max_depth);
                prop_assert!(node.parent_node_id.is_none() || below || !types_ok || !fits);
            }
        }

        #[test]
        fn a_subtree_is_the_node_and_everything_below_it((_schema, nodes) in world(), pick in any::<Index>()) {
            let top = &nodes[pick.index(nodes.len())];
            let sub: HashSet<&str> = subtree(&nodes, &top.id).iter().map(|n| n.id.as_str()).collect();
            for n in &nodes {
                let below = n.id == top.id
                    || ancestors(&nodes, &n.id).is_ok_and(|a| a.iter().any(|x| x.id == top.id));
                prop_assert_eq!(sub.contains(n.id.as_str()), below, "{}", n.id);
            }
        }

        #[test]
        fn revert_keeps_one_live_assignment_per_identity_and_role(
            (_schema, nodes) in world(),
            raw in proptest::collection::vec((0usize..3, 0usize..3, any::<Index>(), proptest::option::of(0i64..20)), 0..30),
        ) {
            let now = 10;
            let owned: Vec<(String, String, String, String, Option<i64>)> = raw
                .iter()
                .enumerate()
                .map(|(i, (who, role, at, to))| {
                    (format!("a{i}"), format!("i{who}"), format!("r{role}"), nodes[at.index(nodes.len())].id.clone(), *to)
                })
                .collect();
            let placed: Vec<PlacedAssignment> = owned
                .iter()
                .map(|(id, who, role, at, to)| PlacedAssignment {
                    id, identity_id: who, role_id: role, node_id: at, effective_to_ms: *to,
                })
                .collect();
            let plan = plan_revert(&nodes, "n0", &placed, now);
            let moved: HashSet<&str> = plan.moves.iter().map(String::as_str).collect();
            let deleted: HashSet<&str> = plan.deletes.iter().map(String::as_str).collect();
            prop_assert!(moved.is_disjoint(&deleted));
            prop_assert_eq!(moved.len() + deleted.len(), plan.moves.len() + plan.deletes.len());
            // What survives, on the root: exactly one per live (identity, role).
            let mut survivors: BTreeMap<(&str, &str), usize> = BTreeMap::new();
            for a in &placed {
                let expired = a.effective_to_ms.is_some_and(|to| to <= now);
                if expired {
                    prop_assert!(deleted.contains(a.id));
                }
                if moved.contains(a.id) {
                    prop_assert!(a.node_id != "n0", "only rows off the root move");
                } else if !deleted.contains(a.id) {
                    prop_assert_eq!(a.node_id, "n0", "a kept row ends on the root");
                }
                if !deleted.contains(a.id) {
                    *survivors.entry((a.identity_id, a.role_id)).or_default() += 1;
                }
            }
            let live: HashSet<(&str, &str)> = placed
                .iter()
                .filter(|a| a.effective_to_ms.is_none_or(|to| to > now))
                .map(|a| (a.identity_id, a.role_id))
                .collect();
            prop_assert_eq!(survivors.len(), live.len());
            prop_assert!(survivors.values().all(|n| *n == 1));
            let o = plan.outcome;
            prop_assert_eq!(usize::try_from(o.assignments_moved).ok(), Some(plan.moves.len()));
            prop_assert_eq!(
                usize::try_from(o.assignments_deduplicated + o.assignments_expired_dropped).ok(),
                Some(plan.deletes.len())
            );
            // Nodes: all but the root, children before parents.
            prop_assert_eq!(plan.nodes.len(), nodes.len() - 1);
            let position: HashMap<&str, usize> =
                plan.nodes.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            for n in nodes.iter().filter(|n| n.id != "n0") {
                if let Some(p) = n.parent_node_id.as_deref().and_then(|p| position.get(p)) {
                    prop_assert!(position[n.id.as_str()] < *p);
                }
            }
        }
    }
}
