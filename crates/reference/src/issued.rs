//! The tokens a vendor's store has issued and still remembers (Limecraft
//! sessions, LAC auth tokens, FileVerbs refresh tokens, LiquidFiles browser
//! keys), so that every operation on one token or one owner costs the same
//! with a thousand live tokens or a million (issue #16), in under 100 bytes a
//! token beyond the store's own value (issue #24):
//!
//! - a slab of entries, each a 128-bit key (the first half of the token's
//!   SHA-256 digest), its deadline, its owner's number and two links;
//! - a hash table of `u32` slab indexes, hashed by the key's own bits (they
//!   are SHA-256 output of server-generated secrets: uniform, and not chosen
//!   by a client), for the token presented on a request;
//! - each owner's tokens (a user's, a refresh family's) in a list linked
//!   through the slab, oldest first: "log out all sessions", "keep at most N
//!   per user" cost the owner's own tokens, not the table;
//! - expiry by a sweep: each insert looks at the next [`SWEEP_SLOTS`] slots of
//!   the slab and forgets those due, so the lock is never held for a pass over
//!   the whole table, no index by deadline is kept, and the table never holds
//!   more than `live × SWEEP_SLOTS / (SWEEP_SLOTS − 1)` entries (a due entry
//!   is forgotten within one sweep of the slab, during which at most one entry
//!   per insert was added).
//!
//! 128 bits of the digest are kept, not 256: the key only finds an entry. A
//! client would need a token whose SHA-256 starts with one of N stored keys,
//! 2^128 / N tries; the tokens themselves carry 256 bits.
//!
//! The stores keep their rules (what "expired" means, which faults bend it);
//! this only stores, finds and forgets.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

use crate::secret::TokenDigest;

/// Slab slots each [`Issued::forget_due`] call looks at. Stores call it on
/// every insert, so due entries are forgotten faster than entries are added.
pub const SWEEP_SLOTS: usize = 32;

/// No slot, no owner.
const NONE: u32 = u32::MAX;

/// The `forget_at` of a token never forgotten.
const NEVER: i64 = i64::MAX;

/// The part of a digest kept as the key.
type Key = [u8; 16];

fn key_of(digest: &TokenDigest) -> Key {
    let mut key = [0; 16];
    key.copy_from_slice(&digest.as_bytes()[..16]);
    key
}

/// The key's own bits as its hash: uniform SHA-256 output.
fn hash_of(key: &Key) -> u64 {
    u64::from_le_bytes([
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
    ])
}

struct Slot<V> {
    key: Key,
    /// In the store's own unit (seconds, or LAC's milliseconds); [`NEVER`]: never.
    forget_at: i64,
    /// Index in `owners`, or [`NONE`].
    owner: u32,
    /// The owner's previous and next token (issue order); `next` also links free slots.
    prev: u32,
    next: u32,
    /// `None`: a free slot.
    value: Option<V>,
}

struct Owner<O> {
    key: O,
    head: u32,
    tail: u32,
    count: u32,
}

/// A remembered token, as [`Issued::get`] shows it.
pub struct Entry<'a, O, V> {
    /// `None`: owned by no one (an admin token).
    pub owner: Option<&'a O>,
    /// `None`: never forgotten.
    pub forget_at: Option<i64>,
    pub value: &'a V,
}

/// The table; `O` is the owner (a user id, a family), `V` what the store keeps per token.
pub struct Issued<O, V> {
    slots: Vec<Slot<V>>,
    /// Head of the free slots, linked through `next`.
    free: u32,
    by_key: HashTable<u32>,
    owners: Vec<Owner<O>>,
    /// Owner records with no token, for reuse.
    free_owners: Vec<u32>,
    by_owner: HashTable<u32>,
    owner_hasher: RandomState,
    len: usize,
    /// Where the next sweep starts.
    cursor: usize,
}

impl<O, V> Default for Issued<O, V> {
    fn default() -> Self {
        Issued {
            slots: Vec::new(),
            free: NONE,
            by_key: HashTable::new(),
            owners: Vec::new(),
            free_owners: Vec::new(),
            by_owner: HashTable::new(),
            owner_hasher: RandomState::new(),
            len: 0,
            cursor: 0,
        }
    }
}

impl<O: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for Issued<O, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<O: Hash + Eq + Clone, V> Issued<O, V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tokens remembered, live or not yet forgotten.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn find(&self, digest: &TokenDigest) -> Option<u32> {
        let key = key_of(digest);
        let slots = &self.slots;
        self.by_key
            .find(hash_of(&key), |&i| slots[i as usize].key == key)
            .copied()
    }

    fn entry(&self, i: u32) -> Option<Entry<'_, O, V>> {
        let slot = &self.slots[i as usize];
        Some(Entry {
            owner: (slot.owner != NONE).then(|| &self.owners[slot.owner as usize].key),
            forget_at: (slot.forget_at != NEVER).then_some(slot.forget_at),
            value: slot.value.as_ref()?,
        })
    }

    pub fn contains(&self, digest: &TokenDigest) -> bool {
        self.find(digest).is_some()
    }

    pub fn get(&self, digest: &TokenDigest) -> Option<Entry<'_, O, V>> {
        self.entry(self.find(digest)?)
    }

    /// The stored value only: owner and deadline change through this table.
    pub fn get_mut(&mut self, digest: &TokenDigest) -> Option<&mut V> {
        let i = self.find(digest)?;
        self.slots[i as usize].value.as_mut()
    }

    /// Every entry, in no order (listings and fault paths only: O(n)).
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_, O, V>> {
        (0..self.slots.len() as u32).filter_map(|i| self.entry(i))
    }

    /// Every value, in no order (fault paths only: O(n)).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots.iter_mut().filter_map(|s| s.value.as_mut())
    }

    fn owner_index(&self, owner: &O) -> Option<u32> {
        let owners = &self.owners;
        self.by_owner
            .find(self.owner_hasher.hash_one(owner), |&i| {
                owners[i as usize].key == *owner
            })
            .copied()
    }

    /// The owner's record, made if it has none.
    fn owner_index_or_insert(&mut self, owner: &O) -> u32 {
        if let Some(i) = self.owner_index(owner) {
            return i;
        }
        let record = Owner {
            key: owner.clone(),
            head: NONE,
            tail: NONE,
            count: 0,
        };
        let i = match self.free_owners.pop() {
            Some(i) => {
                self.owners[i as usize] = record;
                i
            }
            None => {
                self.owners.push(record);
                index_u32(self.owners.len() - 1)
            }
        };
        let hasher = &self.owner_hasher;
        let owners = &self.owners;
        self.by_owner
            .insert_unique(hasher.hash_one(owner), i, |&j| {
                hasher.hash_one(&owners[j as usize].key)
            });
        i
    }

    /// Remembers a token; a token with the same digest is replaced.
    pub fn insert(
        &mut self,
        digest: TokenDigest,
        owner: Option<O>,
        forget_at: Option<i64>,
        value: V,
    ) {
        self.remove(&digest);
        let key = key_of(&digest);
        let owner = match &owner {
            Some(o) => self.owner_index_or_insert(o),
            None => NONE,
        };
        let slot = Slot {
            key,
            forget_at: forget_at.unwrap_or(NEVER),
            owner,
            prev: NONE,
            next: NONE,
            value: Some(value),
        };
        let i = if self.free != NONE {
            let i = self.free;
            self.free = self.slots[i as usize].next;
            self.slots[i as usize] = slot;
            i
        } else {
            self.slots.push(slot);
            index_u32(self.slots.len() - 1)
        };
        if owner != NONE {
            let o = &mut self.owners[owner as usize];
            let tail = o.tail;
            o.tail = i;
            o.count += 1;
            if tail == NONE {
                o.head = i;
            } else {
                self.slots[tail as usize].next = i;
                self.slots[i as usize].prev = tail;
            }
        }
        let slots = &self.slots;
        self.by_key
            .insert_unique(hash_of(&key), i, |&j| hash_of(&slots[j as usize].key));
        self.len += 1;
    }

    /// Forgets slot `i` (occupied); returns its owner and value.
    fn remove_at(&mut self, i: u32) -> (Option<O>, V) {
        let key = self.slots[i as usize].key;
        if let Ok(found) = self.by_key.find_entry(hash_of(&key), |&j| j == i) {
            found.remove();
        }
        let slot = &mut self.slots[i as usize];
        let value = slot.value.take().expect("an occupied slot");
        let (owner, prev, next) = (slot.owner, slot.prev, slot.next);
        slot.owner = NONE;
        slot.prev = NONE;
        slot.next = self.free;
        self.free = i;
        self.len -= 1;
        let mut owner_key = None;
        if owner != NONE {
            if prev != NONE {
                self.slots[prev as usize].next = next;
            }
            if next != NONE {
                self.slots[next as usize].prev = prev;
            }
            let o = &mut self.owners[owner as usize];
            if o.head == i {
                o.head = next;
            }
            if o.tail == i {
                o.tail = prev;
            }
            o.count -= 1;
            owner_key = Some(o.key.clone());
            if o.count == 0 {
                let hash = self.owner_hasher.hash_one(&o.key);
                if let Ok(found) = self.by_owner.find_entry(hash, |&j| j == owner) {
                    found.remove();
                }
                self.free_owners.push(owner);
            }
        }
        (owner_key, value)
    }

    /// Forgets a token; returns its owner and value.
    pub fn remove(&mut self, digest: &TokenDigest) -> Option<(Option<O>, V)> {
        let i = self.find(digest)?;
        Some(self.remove_at(i))
    }

    /// Forgets every token.
    pub fn clear(&mut self) {
        *self = Issued {
            owner_hasher: self.owner_hasher.clone(),
            ..Issued::default()
        };
    }

    /// Moves a token's deadline (a sliding expiry); false when it is not remembered.
    pub fn set_forget_at(&mut self, digest: &TokenDigest, forget_at: Option<i64>) -> bool {
        let Some(i) = self.find(digest) else {
            return false;
        };
        self.slots[i as usize].forget_at = forget_at.unwrap_or(NEVER);
        true
    }

    /// The owner's tokens' slots, oldest first.
    fn owned_slots(&self, owner: &O) -> impl Iterator<Item = u32> + '_ {
        let mut at = self
            .owner_index(owner)
            .map_or(NONE, |o| self.owners[o as usize].head);
        std::iter::from_fn(move || {
            (at != NONE).then(|| {
                let i = at;
                at = self.slots[i as usize].next;
                i
            })
        })
    }

    /// The owner's tokens, oldest first.
    pub fn owned_by(&self, owner: &O) -> impl Iterator<Item = Entry<'_, O, V>> {
        self.owned_slots(owner).filter_map(|i| self.entry(i))
    }

    /// The owner's tokens' values, oldest first, to change (a family revoked).
    pub fn owned_by_mut(&mut self, owner: &O, mut f: impl FnMut(&mut V)) {
        let slots: Vec<u32> = self.owned_slots(owner).collect();
        for i in slots {
            if let Some(v) = self.slots[i as usize].value.as_mut() {
                f(v);
            }
        }
    }

    pub fn count_owned_by(&self, owner: &O) -> usize {
        self.owner_index(owner)
            .map_or(0, |o| self.owners[o as usize].count as usize)
    }

    /// Forgets every token of `owner`; returns how many.
    pub fn remove_owned_by(&mut self, owner: &O) -> usize {
        let slots: Vec<u32> = self.owned_slots(owner).collect();
        for &i in &slots {
            self.remove_at(i);
        }
        slots.len()
    }

    /// Forgets the owner's tokens for which `keep` (given each value, oldest
    /// first) says false; returns how many (fault paths only).
    pub fn retain_owned_by(&mut self, owner: &O, mut keep: impl FnMut(&V) -> bool) -> usize {
        let slots: Vec<u32> = self
            .owned_slots(owner)
            .filter(|&i| {
                self.slots[i as usize]
                    .value
                    .as_ref()
                    .is_some_and(|v| !keep(v))
            })
            .collect();
        for &i in &slots {
            self.remove_at(i);
        }
        slots.len()
    }

    /// Forgets the owner's oldest tokens until fewer than `max` are left: room for one more.
    pub fn make_room(&mut self, owner: &O, max: usize) {
        while self.count_owned_by(owner) >= max.max(1) {
            let Some(oldest) = self.owned_slots(owner).next() else {
                break;
            };
            self.remove_at(oldest);
        }
    }

    /// Looks at the next [`SWEEP_SLOTS`] slots of the slab and forgets those
    /// whose `forget_at` is at or before `now`; returns how many it forgot.
    pub fn forget_due(&mut self, now: i64) -> usize {
        let n = self.slots.len();
        if n == 0 {
            return 0;
        }
        let mut forgotten = 0;
        for _ in 0..SWEEP_SLOTS.min(n) {
            if self.cursor >= n {
                self.cursor = 0;
            }
            let i = self.cursor;
            self.cursor += 1;
            let slot = &self.slots[i];
            if slot.value.is_some() && slot.forget_at != NEVER && slot.forget_at <= now {
                self.remove_at(index_u32(i));
                forgotten += 1;
            }
        }
        forgotten
    }
}

/// A slab index as stored: the tables hold at most `u32::MAX - 1` entries.
fn index_u32(i: usize) -> u32 {
    u32::try_from(i)
        .ok()
        .filter(|&i| i != NONE)
        .expect("fewer than 2^32 - 1 tokens")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(i: u32) -> TokenDigest {
        TokenDigest::of(&format!("token-{i}"))
    }

    fn owned(t: &Issued<u8, u32>, owner: u8) -> Vec<u32> {
        t.owned_by(&owner).map(|e| *e.value).collect()
    }

    #[test]
    fn an_owner_keeps_at_most_max_tokens_oldest_forgotten_first() {
        let mut t: Issued<u8, u32> = Issued::new();
        for i in 0..5 {
            t.make_room(&1, 3);
            t.insert(digest(i), Some(1), Some(100), i);
        }
        t.insert(digest(99), Some(2), Some(100), 99);
        assert_eq!(owned(&t, 1), vec![2, 3, 4]);
        assert_eq!(t.len(), 4);
        assert_eq!(t.remove_owned_by(&1), 3);
        assert!(t.contains(&digest(99)), "another owner's token stays");
        assert_eq!(t.count_owned_by(&1), 0);
        // The freed slots and owner record are reused, in order.
        for i in 10..13 {
            t.insert(digest(i), Some(1), None, i);
        }
        assert_eq!(owned(&t, 1), vec![10, 11, 12]);
        t.remove(&digest(11));
        assert_eq!(owned(&t, 1), vec![10, 12], "removed from the middle");
        assert_eq!(t.get(&digest(12)).and_then(|e| e.owner.copied()), Some(1));
        assert_eq!(t.get(&digest(11)).map(|e| *e.value), None);
    }

    #[test]
    fn due_tokens_are_forgotten_by_the_sweep_of_later_inserts() {
        let mut t: Issued<u8, u32> = Issued::new();
        let n = SWEEP_SLOTS as u32 * 3;
        for i in 0..n {
            t.insert(digest(i), Some(0), Some(i64::from(i % 2)), i);
        }
        t.insert(digest(1000), None, None, 1000);
        // Each call looks at SWEEP_SLOTS slots: three calls have seen them all.
        assert_eq!(t.forget_due(0), SWEEP_SLOTS / 2);
        assert_eq!(t.forget_due(0) + t.forget_due(0), SWEEP_SLOTS);
        assert_eq!(t.len() as u32, n / 2 + 1);
        let mut forgotten = 0;
        for _ in 0..4 {
            forgotten += t.forget_due(i64::MAX);
        }
        assert_eq!(forgotten as u32, n / 2, "never is never due");
        assert_eq!(t.len(), 1);
        assert_eq!(t.count_owned_by(&0), 0);
    }

    #[test]
    fn the_table_stays_within_a_sweep_of_its_live_tokens() {
        // Every token lives 1000 inserts; the sweep keeps the table near that.
        let mut t: Issued<u32, ()> = Issued::new();
        for now in 0..20_000i64 {
            t.forget_due(now);
            t.insert(
                digest(now as u32),
                Some(now as u32 % 7),
                Some(now + 1000),
                (),
            );
        }
        let bound = 1000 * SWEEP_SLOTS / (SWEEP_SLOTS - 1) + SWEEP_SLOTS;
        assert!(t.len() <= bound, "{} > {bound}", t.len());
        assert!(t.len() >= 1000);
    }

    #[test]
    fn a_moved_or_removed_deadline_is_honoured() {
        let mut t: Issued<u8, ()> = Issued::new();
        t.insert(digest(1), None, Some(10), ());
        t.insert(digest(2), None, Some(10), ());
        assert!(t.set_forget_at(&digest(1), Some(20)));
        t.remove(&digest(2));
        assert_eq!(t.forget_due(15), 0);
        assert_eq!(t.get(&digest(1)).and_then(|e| e.forget_at), Some(20));
        assert_eq!(t.forget_due(20), 1);
        assert!(t.is_empty());
    }

    #[test]
    fn inserting_a_known_digest_replaces_it_everywhere() {
        let mut t: Issued<u8, &str> = Issued::new();
        t.insert(digest(1), Some(1), Some(10), "old");
        t.insert(digest(1), Some(2), Some(50), "new");
        assert_eq!(t.len(), 1);
        assert_eq!(t.count_owned_by(&1), 0);
        assert_eq!(t.forget_due(10), 0, "the old deadline went with it");
        assert_eq!(t.get(&digest(1)).map(|e| *e.value), Some("new"));
    }

    #[test]
    fn many_tokens_and_owners_are_found_again() {
        let mut t: Issued<u64, u32> = Issued::new();
        for i in 0..10_000u32 {
            t.insert(digest(i), Some(u64::from(i % 97)), None, i);
        }
        for i in (0..10_000u32).step_by(3) {
            assert_eq!(t.remove(&digest(i)), Some((Some(u64::from(i % 97)), i)));
        }
        for i in 0..10_000u32 {
            assert_eq!(
                t.get(&digest(i)).map(|e| *e.value),
                (i % 3 != 0).then_some(i)
            );
        }
        let total: usize = (0..97).map(|o| t.count_owned_by(&o)).sum();
        assert_eq!(total, t.len());
        t.clear();
        assert!(t.is_empty() && !t.contains(&digest(1)));
    }
}
