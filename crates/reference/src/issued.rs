//! The tokens a vendor's store has issued and still remembers (Limecraft
//! sessions, LAC auth tokens, FileVerbs refresh tokens, LiquidFiles browser
//! keys), indexed three ways so that every operation on one token or one owner
//! costs the same with a thousand live tokens or a million (issue #16):
//!
//! - by digest: the token presented on a request;
//! - by owner (a user, a refresh family), oldest first: "log out all
//!   sessions", "keep at most N per user";
//! - by the time it may be forgotten: expired tokens are dropped a few at a
//!   time on each insert, instead of a scan of every token under the lock.
//!
//! The stores keep their rules (what "expired" means, which faults bend it);
//! this only stores, finds and forgets.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hash;

use crate::secret::TokenDigest;

/// Tokens forgotten at most per [`Issued::forget_due`] call. Stores call it on
/// every insert, so more are forgotten than issued while any are due, and the
/// lock is never held for a sweep of the whole table.
pub const FORGET_BUDGET: usize = 32;

/// One remembered token: its owner, its issue order and when it may be forgotten.
#[derive(Debug)]
pub struct Entry<O, V> {
    /// Indexed for [`Issued::owned_by`]; `None`: owned by no one (an admin token).
    pub owner: Option<O>,
    /// Issue order, unique in the table: tokens issued in the same second still have an oldest.
    pub seq: u64,
    /// In the store's own unit (seconds, or LAC's milliseconds); `None`: never.
    pub forget_at: Option<i64>,
    pub value: V,
}

/// The table; `O` is the owner (a user id, a family), `V` what the store keeps per token.
#[derive(Debug)]
pub struct Issued<O, V> {
    by_digest: HashMap<TokenDigest, Entry<O, V>>,
    /// Each owner's tokens by `seq`, ascending: issued in order, so a push keeps
    /// it sorted. A VecDeque, not a BTreeMap: most owners hold a handful (a FileVerbs
    /// family one or two) and a B-tree leaf costs ~500 bytes; removing from the
    /// middle shifts at most the owner's own tokens, which the per-user caps bound;
    /// the oldest leaves in O(1).
    by_owner: HashMap<O, VecDeque<(u64, TokenDigest)>>,
    /// By (forget_at, seq): `seq` is unique, so is the key.
    by_deadline: BTreeMap<(i64, u64), TokenDigest>,
    next_seq: u64,
}

impl<O, V> Default for Issued<O, V> {
    fn default() -> Self {
        Issued {
            by_digest: HashMap::new(),
            by_owner: HashMap::new(),
            by_deadline: BTreeMap::new(),
            next_seq: 0,
        }
    }
}

impl<O: Hash + Eq + Clone, V> Issued<O, V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tokens remembered, live or not yet forgotten.
    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    pub fn contains(&self, digest: &TokenDigest) -> bool {
        self.by_digest.contains_key(digest)
    }

    pub fn get(&self, digest: &TokenDigest) -> Option<&Entry<O, V>> {
        self.by_digest.get(digest)
    }

    /// The stored value only: owner, order and deadline change through this table.
    pub fn get_mut(&mut self, digest: &TokenDigest) -> Option<&mut V> {
        self.by_digest.get_mut(digest).map(|e| &mut e.value)
    }

    /// Every entry, in no order (listings and fault paths only: O(n)).
    pub fn entries(&self) -> impl Iterator<Item = &Entry<O, V>> {
        self.by_digest.values()
    }

    /// Every value, in no order (fault paths only: O(n)).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.by_digest.values_mut().map(|e| &mut e.value)
    }

    /// Remembers a token; a token with the same digest is replaced. Returns its `seq`.
    pub fn insert(
        &mut self,
        digest: TokenDigest,
        owner: Option<O>,
        forget_at: Option<i64>,
        value: V,
    ) -> u64 {
        self.remove(&digest);
        self.next_seq += 1;
        let seq = self.next_seq;
        if let Some(o) = &owner {
            self.by_owner
                .entry(o.clone())
                .or_default()
                .push_back((seq, digest));
        }
        if let Some(at) = forget_at {
            self.by_deadline.insert((at, seq), digest);
        }
        self.by_digest.insert(
            digest,
            Entry {
                owner,
                seq,
                forget_at,
                value,
            },
        );
        seq
    }

    pub fn remove(&mut self, digest: &TokenDigest) -> Option<Entry<O, V>> {
        let entry = self.by_digest.remove(digest)?;
        if let Some(o) = &entry.owner
            && let Some(mine) = self.by_owner.get_mut(o)
        {
            if let Ok(i) = mine.binary_search_by_key(&entry.seq, |(seq, _)| *seq) {
                mine.remove(i);
            }
            if mine.is_empty() {
                self.by_owner.remove(o);
            }
        }
        if let Some(at) = entry.forget_at {
            self.by_deadline.remove(&(at, entry.seq));
        }
        Some(entry)
    }

    /// Forgets every token.
    pub fn clear(&mut self) {
        self.by_digest.clear();
        self.by_owner.clear();
        self.by_deadline.clear();
    }

    /// Moves a token's deadline (a sliding expiry); false when it is not remembered.
    pub fn set_forget_at(&mut self, digest: &TokenDigest, forget_at: Option<i64>) -> bool {
        let Some(entry) = self.by_digest.get_mut(digest) else {
            return false;
        };
        if let Some(old) = entry.forget_at {
            self.by_deadline.remove(&(old, entry.seq));
        }
        if let Some(at) = forget_at {
            self.by_deadline.insert((at, entry.seq), *digest);
        }
        entry.forget_at = forget_at;
        true
    }

    /// The owner's tokens, oldest first.
    pub fn owned_by(&self, owner: &O) -> impl Iterator<Item = &TokenDigest> {
        self.by_owner
            .get(owner)
            .into_iter()
            .flat_map(|mine| mine.iter().map(|(_, digest)| digest))
    }

    pub fn count_owned_by(&self, owner: &O) -> usize {
        self.by_owner.get(owner).map_or(0, VecDeque::len)
    }

    /// Forgets every token of `owner`; returns how many.
    pub fn remove_owned_by(&mut self, owner: &O) -> usize {
        let digests: Vec<TokenDigest> = self.owned_by(owner).copied().collect();
        for d in &digests {
            self.remove(d);
        }
        digests.len()
    }

    /// Forgets the owner's oldest tokens until fewer than `max` are left: room for one more.
    pub fn make_room(&mut self, owner: &O, max: usize) {
        while self.count_owned_by(owner) >= max.max(1) {
            let Some(oldest) = self.owned_by(owner).next().copied() else {
                break;
            };
            self.remove(&oldest);
        }
    }

    /// Forgets up to [`FORGET_BUDGET`] tokens whose `forget_at` is at or before
    /// `now`, earliest first; returns them.
    pub fn forget_due(&mut self, now: i64) -> Vec<Entry<O, V>> {
        let mut forgotten = Vec::new();
        while forgotten.len() < FORGET_BUDGET {
            match self.by_deadline.first_key_value() {
                Some((&(at, _), &digest)) if at <= now => {
                    if let Some(entry) = self.remove(&digest) {
                        forgotten.push(entry);
                    }
                }
                _ => break,
            }
        }
        forgotten
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(i: u32) -> TokenDigest {
        TokenDigest::of(&format!("token-{i}"))
    }

    #[test]
    fn an_owner_keeps_at_most_max_tokens_oldest_forgotten_first() {
        let mut t: Issued<u8, ()> = Issued::new();
        for i in 0..5 {
            t.make_room(&1, 3);
            t.insert(digest(i), Some(1), Some(100), ());
        }
        t.insert(digest(99), Some(2), Some(100), ());
        let mine: Vec<_> = t.owned_by(&1).copied().collect();
        assert_eq!(mine, vec![digest(2), digest(3), digest(4)]);
        assert_eq!(t.len(), 4);
        assert_eq!(t.remove_owned_by(&1), 3);
        assert!(t.contains(&digest(99)), "another owner's token stays");
        assert_eq!(t.count_owned_by(&1), 0);
    }

    #[test]
    fn due_tokens_are_forgotten_a_budget_at_a_time_earliest_first() {
        let mut t: Issued<u8, u32> = Issued::new();
        let n = FORGET_BUDGET as u32 + 10;
        for i in 0..n {
            t.insert(digest(i), Some(0), Some(i64::from(i)), i);
        }
        t.insert(digest(1000), None, None, 1000);
        let first = t.forget_due(i64::from(n));
        assert_eq!(first.len(), FORGET_BUDGET);
        assert_eq!(first[0].value, 0);
        let second = t.forget_due(i64::from(n));
        assert_eq!(second.len(), 10);
        assert!(t.forget_due(i64::MAX).is_empty(), "never is never due");
        assert_eq!(t.len(), 1);
        assert_eq!(t.count_owned_by(&0), 0);
    }

    #[test]
    fn a_moved_or_removed_deadline_is_honoured() {
        let mut t: Issued<u8, ()> = Issued::new();
        t.insert(digest(1), None, Some(10), ());
        t.insert(digest(2), None, Some(10), ());
        assert!(t.set_forget_at(&digest(1), Some(20)));
        t.remove(&digest(2));
        assert!(t.forget_due(15).is_empty());
        assert_eq!(t.forget_due(20).len(), 1);
        assert!(t.is_empty());
    }

    #[test]
    fn inserting_a_known_digest_replaces_it_everywhere() {
        let mut t: Issued<u8, &str> = Issued::new();
        t.insert(digest(1), Some(1), Some(10), "old");
        t.insert(digest(1), Some(2), Some(50), "new");
        assert_eq!(t.len(), 1);
        assert_eq!(t.count_owned_by(&1), 0);
        assert!(t.forget_due(10).is_empty(), "the old deadline went with it");
        assert_eq!(t.get(&digest(1)).map(|e| e.value), Some("new"));
    }
}
