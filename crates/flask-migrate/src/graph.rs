//! Revisions as a graph, as Alembic keeps them: each revision names the revisions it follows
//! (its `down_revision`: none for a first revision, one usually, two or more for a merge).
//! Several revisions following one make branches; the revisions nothing follows are the
//! heads. What a database has applied is a set of revisions; the plans here say which to
//! apply or revert, in an order where every revision comes after those it follows.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::Error;

/// The revisions of one history, in an order where each comes after the ones it follows
/// (ties by name, that is by time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// Name and the names it follows, in order.
    nodes: Vec<(String, Vec<String>)>,
    index: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
}

fn usage(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}

impl Graph {
    /// The graph of `revisions` (name, the names it follows). A revision following one that
    /// is not there, a revision named twice and a cycle are errors that name them.
    pub fn new(revisions: &[(String, Vec<String>)]) -> Result<Graph, Error> {
        let mut by_name: HashMap<&str, &Vec<String>> = HashMap::new();
        for (name, down) in revisions {
            if by_name.insert(name, down).is_some() {
                return Err(usage(format!("two migrations are named {name}")));
            }
        }
        for (name, down) in revisions {
            for parent in down {
                if !by_name.contains_key(parent.as_str()) {
                    return Err(usage(format!(
                        "{name} follows {parent} (its DOWN_REVISION), which is not among the \
                         migrations: restore that file, or edit DOWN_REVISION"
                    )));
                }
            }
        }
        // Kahn's algorithm, always taking the smallest name that is ready.
        let mut waiting: HashMap<&str, usize> = revisions
            .iter()
            .map(|(n, down)| (n.as_str(), down.iter().collect::<HashSet<_>>().len()))
            .collect();
        let mut followers: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, down) in revisions {
            for parent in down.iter().collect::<BTreeSet<_>>() {
                followers.entry(parent).or_default().push(name);
            }
        }
        let mut ready: BTreeSet<&str> = waiting
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(name, _)| *name)
            .collect();
        let mut order: Vec<&str> = Vec::with_capacity(revisions.len());
        while let Some(next) = ready.pop_first() {
            order.push(next);
            for follower in followers.get(next).into_iter().flatten() {
                let left = waiting
                    .get_mut(follower)
                    .expect("every follower is a revision");
                *left -= 1;
                if *left == 0 {
                    ready.insert(follower);
                }
            }
        }
        if order.len() < revisions.len() {
            let mut stuck: Vec<&str> = waiting
                .iter()
                .filter(|(n, _)| !order.contains(n))
                .map(|(n, _)| *n)
                .collect();
            stuck.sort_unstable();
            return Err(usage(format!(
                "the migrations {} follow each other in a circle: fix their DOWN_REVISION",
                stuck.join(", ")
            )));
        }
        let nodes: Vec<(String, Vec<String>)> = order
            .iter()
            .map(|n| ((*n).to_owned(), by_name[n].clone()))
            .collect();
        let index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let mut children = vec![Vec::new(); nodes.len()];
        for (i, (_, down)) in nodes.iter().enumerate() {
            for parent in down {
                let p = index[parent];
                if !children[p].contains(&i) {
                    children[p].push(i);
                }
            }
        }
        Ok(Graph {
            nodes,
            index,
            children,
        })
    }

    /// A line: each revision follows the one before it.
    pub fn linear(names: &[String]) -> Graph {
        let revisions: Vec<(String, Vec<String>)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), names[..i].last().cloned().into_iter().collect()))
            .collect();
        Graph::new(&revisions).expect("a line of distinct names is a graph")
    }

    /// Every revision, each after the ones it follows.
    pub fn names(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.nodes.iter().map(|(n, _)| n.as_str())
    }

    /// Whether there is no revision.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether `name` is a revision.
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The revisions `name` follows.
    pub fn down_revision(&self, name: &str) -> &[String] {
        self.index
            .get(name)
            .map_or(&[], |i| self.nodes[*i].1.as_slice())
    }

    /// The revisions that follow `name`.
    pub fn next(&self, name: &str) -> Vec<&str> {
        self.index.get(name).map_or_else(Vec::new, |i| {
            self.children[*i]
                .iter()
                .map(|c| self.nodes[*c].0.as_str())
                .collect()
        })
    }

    /// The revisions nothing follows.
    pub fn heads(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| self.children[*i].is_empty())
            .map(|(_, (n, _))| n.as_str())
            .collect()
    }

    /// The revisions several follow, with those.
    pub fn branch_points(&self) -> Vec<(&str, Vec<&str>)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| self.children[*i].len() > 1)
            .map(|(i, (n, _))| {
                let next = self.children[i]
                    .iter()
                    .map(|c| self.nodes[*c].0.as_str())
                    .collect();
                (n.as_str(), next)
            })
            .collect()
    }

    /// `name` and every revision it follows, directly or not.
    pub fn ancestors(&self, name: &str) -> HashSet<&str> {
        self.reach(name, |n| {
            self.down_revision(n).iter().map(String::as_str).collect()
        })
    }

    /// `name` and every revision that follows it, directly or not.
    pub fn descendants(&self, name: &str) -> HashSet<&str> {
        self.reach(name, |n| self.next(n))
    }

    /// `name` and every revision `step` leads to from it, again and again.
    fn reach<'a>(&'a self, name: &str, step: impl Fn(&'a str) -> Vec<&'a str>) -> HashSet<&'a str> {
        let mut seen = HashSet::new();
        let mut todo: Vec<&str> = self
            .index
            .get_key_value(name)
            .map(|(n, _)| n.as_str())
            .into_iter()
            .collect();
        while let Some(n) = todo.pop() {
            if seen.insert(n) {
                todo.extend(step(n));
            }
        }
        seen
    }

    /// The revision `target` names, as Alembic reads one: its whole name, or the start of it
    /// (`m20261130_12`, or without the `m`, `20261130_12`) when only one name starts so.
    pub fn resolve(&self, target: &str) -> Result<&str, Error> {
        resolve_in(self.names(), target)
    }

    /// The applied revisions nothing applied follows: where the database is (`db current`).
    pub fn current<'a>(&'a self, applied: &HashSet<String>) -> Vec<&'a str> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, (n, _))| {
                applied.contains(n)
                    && !self.children[*i]
                        .iter()
                        .any(|c| applied.contains(&self.nodes[*c].0))
            })
            .map(|(_, (n, _))| n.as_str())
            .collect()
    }

    /// The revisions `upgrade target` applies to a database that has `applied`, in the order
    /// to apply them. `target`: `heads` (all), `head` (all, when there is one head), a
    /// revision (with those it follows), or `+N` (the next N, where the way on is one).
    pub fn upgrade_plan(
        &self,
        applied: &HashSet<String>,
        target: &str,
    ) -> Result<Vec<String>, Error> {
        let pending = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
            self.names()
                .filter(|n| !applied.contains(*n) && keep(n))
                .map(str::to_owned)
                .collect()
        };
        match target {
            "heads" => Ok(pending(&|_| true)),
            "head" => {
                let heads = self.heads();
                if heads.len() > 1 {
                    return Err(usage(format!(
                        "there are several heads ({}): upgrade one of them, upgrade heads for \
                         all, or db merge them",
                        heads.join(", ")
                    )));
                }
                Ok(pending(&|_| true))
            }
            t if t.starts_with('+') => {
                let n: usize = t[1..].parse().map_err(|_| {
                    usage(format!(
                        "upgrade takes a revision, head, heads or +N, not {t:?}"
                    ))
                })?;
                let mut done = applied.clone();
                let mut plan = Vec::new();
                for _ in 0..n {
                    let ready: Vec<&str> = self
                        .nodes
                        .iter()
                        .filter(|(name, down)| {
                            !done.contains(name) && down.iter().all(|d| done.contains(d))
                        })
                        .map(|(name, _)| name.as_str())
                        .collect();
                    match ready.as_slice() {
                        [] => {
                            return Err(usage(format!(
                                "{t} goes past head: {} migration(s) are waiting",
                                plan.len()
                            )));
                        }
                        [one] => {
                            done.insert((*one).to_owned());
                            plan.push((*one).to_owned());
                        }
                        many => {
                            return Err(usage(format!(
                                "{t} is ambiguous: the next revision could be any of {}; \
                                 upgrade to one of them by name",
                                many.join(", ")
                            )));
                        }
                    }
                }
                Ok(plan)
            }
            t => {
                let name = match split_relative(t, '+') {
                    Some((from, n)) => self.walk(self.resolve(from)?, n, true, t)?,
                    None => self.resolve(t)?,
                };
                let wanted = self.ancestors(name);
                Ok(pending(&|n| wanted.contains(n)))
            }
        }
    }

    /// The revision `n` steps after (`forward`) or before `from`, where the way is one;
    /// `target` is what was asked, for the errors.
    fn walk<'a>(
        &'a self,
        from: &'a str,
        n: usize,
        forward: bool,
        target: &str,
    ) -> Result<&'a str, Error> {
        let mut at = from;
        for _ in 0..n {
            let next: Vec<&str> = if forward {
                self.next(at)
            } else {
                self.down_revision(at).iter().map(String::as_str).collect()
            };
            at = match next.as_slice() {
                [one] => one,
                [] => {
                    return Err(usage(format!(
                        "{target} goes past {}",
                        if forward { "head" } else { "base" }
                    )));
                }
                many => {
                    return Err(usage(format!(
                        "{target} is ambiguous: from {at} the way goes to {}; name the \
                         revision",
                        many.join(", ")
                    )));
                }
            };
        }
        Ok(at)
    }

    /// The revisions `downgrade target` reverts on a database that has `applied`, in the
    /// order to revert them (those that follow first). `target`: `base` (all), a revision
    /// (what follows it), or `-N` (the last N, where the way back is one).
    pub fn downgrade_plan(
        &self,
        applied: &HashSet<String>,
        target: &str,
    ) -> Result<Vec<String>, Error> {
        let reverting = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
            self.names()
                .rev()
                .filter(|n| applied.contains(*n) && keep(n))
                .map(str::to_owned)
                .collect()
        };
        match target {
            "base" => Ok(reverting(&|_| true)),
            t if t.starts_with('-') => {
                let n: usize = t[1..].parse().map_err(|_| {
                    usage(format!("downgrade takes a revision, base or -N, not {t:?}"))
                })?;
                let mut left = applied.clone();
                let mut plan = Vec::new();
                for _ in 0..n {
                    let current = self.current(&left);
                    match current.as_slice() {
                        [] => {
                            return Err(usage(format!(
                                "{t} goes past base: {} migration(s) are applied",
                                plan.len()
                            )));
                        }
                        [one] => {
                            let one = (*one).to_owned();
                            left.remove(&one);
                            plan.push(one);
                        }
                        many => {
                            return Err(usage(format!(
                                "{t} is ambiguous: the database is at {}; downgrade to a \
                                 revision by name",
                                many.join(", ")
                            )));
                        }
                    }
                }
                Ok(plan)
            }
            t => {
                let name = match split_relative(t, '-') {
                    Some((from, n)) => self.walk(self.resolve(from)?, n, false, t)?,
                    None => self.resolve(t)?,
                };
                if !applied.contains(name) {
                    return Err(usage(format!(
                        "{name} is not applied: db current shows where the database is"
                    )));
                }
                let after = self.descendants(name);
                Ok(reverting(&|n| n != name && after.contains(n)))
            }
        }
    }
}

/// `REV+N` (or `REV-N`, with `sign`): the revision and the number of steps, as Alembic's
/// `ae10+2`.
fn split_relative(target: &str, sign: char) -> Option<(&str, usize)> {
    let (from, n) = target.rsplit_once(sign)?;
    if from.is_empty() {
        return None;
    }
    Some((from, n.parse().ok()?))
}

/// The name among `names` that `target` means: the whole name, or the start of only one
/// (with or without its leading `m`). Unknown and ambiguous starts are errors naming the
/// candidates.
pub(crate) fn resolve_in<'a>(
    names: impl Iterator<Item = &'a str>,
    target: &str,
) -> Result<&'a str, Error> {
    let names: Vec<&str> = names.collect();
    if let Some(name) = names.iter().find(|n| **n == target) {
        return Ok(name);
    }
    let matches: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            !target.is_empty()
                && (n.starts_with(target) || n.get(1..).is_some_and(|r| r.starts_with(target)))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(usage(format!(
            "no migration named {target:?}, or starting so: db history lists them"
        ))),
        many => Err(usage(format!(
            "{target:?} could be any of {}: give more of the name",
            many.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(name: &str, down: &[&str]) -> (String, Vec<String>) {
        (
            name.to_owned(),
            down.iter().map(|d| (*d).to_owned()).collect(),
        )
    }

    /// m1 -> m2 -> (m3a, m3b) -> m4 (a merge), and m3c also after m2, unmerged.
    fn branched() -> Graph {
        Graph::new(&[
            rev("m4", &["m3a", "m3b"]),
            rev("m1", &[]),
            rev("m3b", &["m2"]),
            rev("m2", &["m1"]),
            rev("m3a", &["m2"]),
            rev("m3c", &["m2"]),
        ])
        .unwrap()
    }

    fn set(names: &[&str]) -> HashSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn revisions_come_after_those_they_follow() {
        let g = branched();
        assert_eq!(
            g.names().collect::<Vec<_>>(),
            ["m1", "m2", "m3a", "m3b", "m3c", "m4"]
        );
        assert_eq!(g.heads(), ["m3c", "m4"]);
        assert_eq!(g.branch_points(), [("m2", vec!["m3a", "m3b", "m3c"])]);
        assert_eq!(g.next("m3a"), ["m4"]);
        let mut before_m4: Vec<&str> = g.ancestors("m4").into_iter().collect();
        before_m4.sort_unstable();
        assert_eq!(before_m4, ["m1", "m2", "m3a", "m3b", "m4"]);
    }

    #[test]
    fn a_broken_graph_is_refused_with_its_names() {
        let err = Graph::new(&[rev("m1", &[]), rev("m2", &["m9"])]).unwrap_err();
        assert!(err.to_string().contains("m2 follows m9"), "{err}");
        let err = Graph::new(&[rev("m1", &["m2"]), rev("m2", &["m1"])]).unwrap_err();
        assert!(
            err.to_string()
                .contains("m1, m2 follow each other in a circle"),
            "{err}"
        );
    }

    #[test]
    fn upgrading_a_branched_graph() {
        let g = branched();
        let none = set(&[]);
        let err = g.upgrade_plan(&none, "head").unwrap_err().to_string();
        assert!(err.contains("several heads (m3c, m4)"), "{err}");
        assert_eq!(g.upgrade_plan(&none, "heads").unwrap().len(), 6);
        assert_eq!(
            g.upgrade_plan(&none, "m4").unwrap(),
            ["m1", "m2", "m3a", "m3b", "m4"]
        );
        assert_eq!(g.upgrade_plan(&none, "+2").unwrap(), ["m1", "m2"]);
        let err = g.upgrade_plan(&none, "+3").unwrap_err().to_string();
        assert!(err.contains("could be any of m3a, m3b, m3c"), "{err}");
        let at_m3a = set(&["m1", "m2", "m3a", "m3b", "m3c"]);
        assert_eq!(g.upgrade_plan(&at_m3a, "+1").unwrap(), ["m4"]);
        let err = g.upgrade_plan(&at_m3a, "+2").unwrap_err().to_string();
        assert!(err.contains("+2 goes past head"), "{err}");
        assert_eq!(g.current(&at_m3a), ["m3a", "m3b", "m3c"]);
    }

    #[test]
    fn relative_to_a_revision() {
        let g = branched();
        let none = set(&[]);
        assert_eq!(g.upgrade_plan(&none, "m1+1").unwrap(), ["m1", "m2"]);
        assert_eq!(
            g.upgrade_plan(&none, "m3a+1").unwrap().last().unwrap(),
            "m4"
        );
        let err = g.upgrade_plan(&none, "m1+2").unwrap_err().to_string();
        assert!(
            err.contains("m1+2 is ambiguous: from m2 the way goes to m3a, m3b, m3c"),
            "{err}"
        );
        let err = g.upgrade_plan(&none, "m4+1").unwrap_err().to_string();
        assert!(err.contains("m4+1 goes past head"), "{err}");
        let all = set(&["m1", "m2", "m3a", "m3b", "m3c", "m4"]);
        assert_eq!(
            g.downgrade_plan(&all, "m3c-1").unwrap(),
            ["m4", "m3c", "m3b", "m3a"]
        );
        let err = g.downgrade_plan(&all, "m4-1").unwrap_err().to_string();
        assert!(err.contains("from m4 the way goes to m3a, m3b"), "{err}");
        let err = g.downgrade_plan(&all, "m1-1").unwrap_err().to_string();
        assert!(err.contains("m1-1 goes past base"), "{err}");
    }

    #[test]
    fn downgrading_a_branched_graph() {
        let g = branched();
        let all = set(&["m1", "m2", "m3a", "m3b", "m3c", "m4"]);
        assert_eq!(g.current(&all), ["m3c", "m4"]);
        let err = g.downgrade_plan(&all, "-1").unwrap_err().to_string();
        assert!(err.contains("the database is at m3c, m4"), "{err}");
        assert_eq!(g.downgrade_plan(&all, "m3a").unwrap(), ["m4"]);
        assert_eq!(
            g.downgrade_plan(&all, "m2").unwrap(),
            ["m4", "m3c", "m3b", "m3a"]
        );
        assert_eq!(
            g.downgrade_plan(&all, "base").unwrap().first().unwrap(),
            "m4"
        );
        let line = set(&["m1", "m2", "m3a"]);
        assert_eq!(g.downgrade_plan(&line, "-2").unwrap(), ["m3a", "m2"]);
        let err = g.downgrade_plan(&line, "-4").unwrap_err().to_string();
        assert!(err.contains("-4 goes past base"), "{err}");
        let err = g.downgrade_plan(&line, "m3b").unwrap_err().to_string();
        assert!(err.contains("m3b is not applied"), "{err}");
    }

    #[test]
    fn revisions_by_a_start_of_their_name() {
        let g = Graph::linear(&[
            "m20261130_120000_initial".to_owned(),
            "m20261201_090000_email".to_owned(),
            "m20261201_093000_teams".to_owned(),
        ]);
        assert_eq!(g.resolve("m20261130").unwrap(), "m20261130_120000_initial");
        assert_eq!(
            g.resolve("20261201_0930").unwrap(),
            "m20261201_093000_teams"
        );
        let err = g.resolve("20261201").unwrap_err().to_string();
        assert!(
            err.contains("could be any of m20261201_090000_email, m20261201_093000_teams"),
            "{err}"
        );
        let err = g.resolve("2027").unwrap_err().to_string();
        assert!(err.contains("no migration named \"2027\""), "{err}");
        let applied = set(&["m20261130_120000_initial"]);
        assert_eq!(g.upgrade_plan(&applied, "head").unwrap().len(), 2);
        assert_eq!(g.upgrade_plan(&applied, "20261201_090").unwrap().len(), 1);
        assert!(g.upgrade_plan(&applied, "m20261130").unwrap().is_empty());
        assert!(g.upgrade_plan(&applied, "+x").is_err());
    }
}
