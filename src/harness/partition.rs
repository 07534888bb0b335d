//! `run --partition K/N`: one part of the suite, for one of N CI runners, as
//! cargo-nextest's `--partition` splits tests (`count:K/N`, `hash:K/N`).
//!
//! The unit is a scenario (a scenario outline is one unit, all its rows in
//! one shard), and a shard is taken from the scenarios the run would select
//! without it (`--tags`, `--name`, the vendors, the target's capabilities:
//! [`super::runner`]'s `select`), in plan order (feature file, then line):
//!
//! - `count:K/N` (also plain `K/N`): round-robin, the i-th selected scenario
//!   (from 0) is in shard `i % N + 1`. Balanced; the shards move when the
//!   selection changes.
//! - `hash:K/N`: by the scenario's identity alone (its feature file relative
//!   to the features folder, a tab, its name; [`identity`]): in shard
//!   `(fnv1a64(identity) >> 32) % N + 1` ([`fnv1a64`]: FNV-1a, 64 bits, over
//!   the UTF-8 bytes). A scenario stays in its shard whatever else is added,
//!   removed or selected; shards are less even.
//!
//! Either way the shards of one selection are disjoint and together hold
//! every selected scenario, on every machine, whatever the target's address.
//! A scenario outside the shard is not reported at all (not as skipped), so
//! `authconform report merge` ([`super::merge`]) takes the union.

use std::fmt;
use std::str::FromStr;

/// How scenarios are dealt out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Round-robin over the selected scenarios in plan order.
    Count,
    /// By a stable hash of each scenario's identity.
    Hash,
}

/// `--partition`: shard `shard` (from 1) of `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    pub kind: Kind,
    pub shard: u64,
    pub total: u64,
}

impl Partition {
    /// Whether the `index`-th selected scenario (from 0, in plan order),
    /// whose [`identity`] is `identity`, is in this shard.
    pub fn keeps(&self, index: usize, identity: &str) -> bool {
        let bucket = match self.kind {
            Kind::Count => index as u64 % self.total,
            Kind::Hash => (fnv1a64(identity.as_bytes()) >> 32) % self.total,
        };
        bucket == self.shard - 1
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Count => "count",
            Kind::Hash => "hash",
        };
        write!(f, "{kind}:{}/{}", self.shard, self.total)
    }
}

impl FromStr for Partition {
    type Err = String;

    /// `count:K/N`, `hash:K/N`, or `K/N` (count), with `1 ≤ K ≤ N`.
    fn from_str(given: &str) -> Result<Self, String> {
        let (kind, shards) = match given.split_once(':') {
            Some(("count", rest)) => (Kind::Count, rest),
            Some(("hash", rest)) => (Kind::Hash, rest),
            Some((other, _)) => {
                return Err(format!(
                    "`{other}:` is no partition kind; give count:K/N, hash:K/N or K/N (count)"
                ));
            }
            None => (Kind::Count, given),
        };
        let form = || format!("`{given}`: give K/N, shard K of N (1 ≤ K ≤ N), e.g. count:1/3");
        let (k, n) = shards.split_once('/').ok_or_else(form)?;
        let (shard, total) = match (k.trim().parse::<u64>(), n.trim().parse::<u64>()) {
            (Ok(k), Ok(n)) => (k, n),
            _ => return Err(form()),
        };
        if total == 0 || !(1..=total).contains(&shard) {
            return Err(format!(
                "`{given}`: shard {shard} of {total}: K must be between 1 and N"
            ));
        }
        Ok(Partition { kind, shard, total })
    }
}

/// What `hash:` partitions by: the feature file relative to the features
/// folder (`limecraft/login.feature`), a tab, the scenario's name. The same
/// on every machine; a renamed scenario may move to another shard.
pub fn identity(feature: &str, name: &str) -> String {
    format!("{feature}\t{name}")
}

/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3):
/// a documented hash that every machine and version computes alike (std's
/// hasher is seeded per process, and may change between releases).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_nextest_takes_and_a_bare_k_of_n_as_count() {
        let p = |s: &str| s.parse::<Partition>();
        assert_eq!(
            p("count:2/3"),
            Ok(Partition {
                kind: Kind::Count,
                shard: 2,
                total: 3
            })
        );
        assert_eq!(p("2/3"), p("count:2/3"));
        assert_eq!(p("hash:1/1").unwrap().kind, Kind::Hash);
        assert_eq!(p("hash:3/4").unwrap().to_string(), "hash:3/4");
        for bad in [
            "",
            "3",
            "0/3",
            "4/3",
            "1/0",
            "x/3",
            "1/3/4",
            "slice:1/2",
            "count:",
            "-1/3",
        ] {
            let err = p(bad).unwrap_err();
            assert!(err.contains("K"), "{bad}: {err}");
        }
    }

    #[test]
    fn fnv1a64_is_the_published_function() {
        // The FNV test vectors (Fowler, Noll, Vo): "" and "a", "foobar".
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_scenario_is_in_exactly_one_shard_of_either_kind() {
        let names: Vec<String> = (0..200)
            .map(|i| identity("limecraft/login.feature", &format!("LC{i} a scenario")))
            .collect();
        for kind in [Kind::Count, Kind::Hash] {
            for total in 1..=5 {
                let mut sizes = vec![0usize; total as usize];
                for (i, name) in names.iter().enumerate() {
                    let owners: Vec<u64> = (1..=total)
                        .filter(|&shard| Partition { kind, shard, total }.keeps(i, name))
                        .collect();
                    assert_eq!(owners.len(), 1, "{kind:?} {total}: {name} in {owners:?}");
                    sizes[owners[0] as usize - 1] += 1;
                }
                // Count deals evenly; hash roughly so (200 scenarios).
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                match kind {
                    Kind::Count => assert!(max - min <= 1, "{sizes:?}"),
                    Kind::Hash => assert!(*min * 2 >= *max, "{total}: {sizes:?}"),
                }
            }
        }
    }
}
