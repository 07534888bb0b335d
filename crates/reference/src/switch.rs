//! The reference server's choices where the documents are silent, each a
//! switch of its own.
//!
//! The suite judges servers written by others from the same documents, and
//! each of them decides differently where the documents say nothing: a status
//! code, an error body, a lifetime, a cookie's attributes, how a page is laid
//! out. Every such choice of the reference server is a [`Switch`] with the
//! values other conforming servers pick; the first value is the reference
//! server's own. `serve --switch NAME=VALUE` (and `run --switch`) flips one,
//! `--variant` sets every switch to its last value, and
//! `tests/verdicts/switches.rs` draws combinations: the suite must pass each
//! with warnings only, and every documented fault must still be caught under
//! each. That is how the project finds its own over-strictness before a
//! vendor does.
//!
//! Each switch cites the document's silence: the words next to which the
//! document leaves the choice open (checked against the seed like every
//! other [`crate::provenance::Source`]). The type is in `provenance.rs`, a
//! leaf the vendors' tables import; this module gathers the tables.

use std::collections::BTreeMap;

pub use crate::provenance::Switch;

/// Every switch of every vendor, in a stable order (vendor, then as each
/// vendor lists them). A vendor adds its table here, one line.
pub fn all() -> impl Iterator<Item = &'static Switch> {
    [
        crate::lac::switches::ALL,
        crate::fileverbs::switches::ALL,
        crate::limecraft::switches::ALL,
        crate::liquidfiles::switches::ALL,
    ]
    .into_iter()
    .flat_map(|table| table.iter().copied())
}

/// The switch called `name`.
pub fn named(name: &str) -> Option<&'static Switch> {
    all().find(|s| s.name == name)
}

/// The switches as a Markdown table (`authconform switches`, the README).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| switch | values (reference first) | what it changes | where the document is silent |\n|---|---|---|---|\n",
    );
    for s in all() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            s.name,
            s.values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", "),
            s.what,
            s.silence.to_string().replace('|', "\\|"),
        ));
    }
    out
}

/// What a `--switch` could not set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SwitchError {
    #[error("no switch is called {name:?} (`authconform switches` lists them)")]
    Unknown { name: String },
    #[error("switch {name} has no value {value:?}; its values: {values}")]
    UnknownValue {
        name: &'static str,
        value: String,
        values: String,
    },
    #[error("--switch takes NAME=VALUE, not {given:?}")]
    Malformed { given: String },
}

/// The value of each switch for one server; a switch not set has the
/// reference server's value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Switches {
    chosen: BTreeMap<&'static str, &'static str>,
}

impl Switches {
    /// Every switch at its last value: the variant server (`--variant`).
    pub fn variant() -> Switches {
        let mut s = Switches::default();
        for switch in all() {
            s.chosen
                .insert(switch.name, switch.values[switch.values.len() - 1]);
        }
        s
    }

    /// `switch`'s value here.
    pub fn value(&self, switch: &Switch) -> &'static str {
        self.chosen
            .get(switch.name)
            .copied()
            .unwrap_or(switch.values[0])
    }

    /// Whether `switch` has `value` here.
    pub fn is(&self, switch: &Switch, value: &str) -> bool {
        self.value(switch) == value
    }

    /// Whether `switch` is away from the reference server's value.
    pub fn flipped(&self, switch: &Switch) -> bool {
        self.value(switch) != switch.reference_value()
    }

    /// Sets `switch` to `value` (one of its values).
    pub fn set(&mut self, switch: &'static Switch, value: &str) -> Result<(), SwitchError> {
        let Some(v) = switch.values.iter().find(|v| **v == value) else {
            return Err(SwitchError::UnknownValue {
                name: switch.name,
                value: value.to_owned(),
                values: switch.values.join(", "),
            });
        };
        if *v == switch.reference_value() {
            self.chosen.remove(switch.name);
        } else {
            self.chosen.insert(switch.name, v);
        }
        Ok(())
    }

    /// Sets one switch from `NAME=VALUE`.
    pub fn parse_and_set(&mut self, given: &str) -> Result<(), SwitchError> {
        let Some((name, value)) = given.split_once('=') else {
            return Err(SwitchError::Malformed {
                given: given.to_owned(),
            });
        };
        let switch = named(name.trim()).ok_or_else(|| SwitchError::Unknown {
            name: name.trim().to_owned(),
        })?;
        self.set(switch, value.trim())
    }

    /// The switches of `--variant` (every switch at its last value) or the
    /// reference server, then each `--switch NAME=VALUE` over them.
    pub fn from_args(variant: bool, given: &[String]) -> Result<Switches, SwitchError> {
        let mut s = if variant {
            Switches::variant()
        } else {
            Switches::default()
        };
        for one in given {
            s.parse_and_set(one)?;
        }
        Ok(s)
    }

    /// The switches away from the reference server's values, as `NAME=VALUE`
    /// (what a failing combination prints, and what `--switch` reads back).
    pub fn flipped_list(&self) -> Vec<String> {
        self.chosen
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_vendor_prefixed_and_each_switch_has_another_value() {
        let mut seen = std::collections::BTreeSet::new();
        for s in all() {
            assert!(seen.insert(s.name), "two switches called {}", s.name);
            let vendor = s.name.split('.').next().unwrap();
            assert!(
                crate::vendor::Vendor::ALL.iter().any(|v| v.id() == vendor),
                "{} does not start with a vendor id",
                s.name
            );
            assert!(s.values.len() >= 2, "{} has no other value", s.name);
        }
    }

    #[test]
    fn set_parse_and_list_round_trip() {
        let first = all().next().expect("at least one switch");
        let mut s = Switches::default();
        assert!(!s.flipped(first));
        s.parse_and_set(&format!("{}={}", first.name, first.values[1]))
            .unwrap();
        assert!(s.flipped(first));
        assert_eq!(
            s.flipped_list(),
            vec![format!("{}={}", first.name, first.values[1])]
        );
        s.set(first, first.values[0]).unwrap();
        assert!(
            s.flipped_list().is_empty(),
            "the reference value is no flip"
        );
        assert!(matches!(
            s.parse_and_set("nope.nothing=1"),
            Err(SwitchError::Unknown { .. })
        ));
        assert!(matches!(
            s.parse_and_set(&format!("{}=not-a-value", first.name)),
            Err(SwitchError::UnknownValue { .. })
        ));
        assert!(matches!(
            s.parse_and_set("no-equals-sign"),
            Err(SwitchError::Malformed { .. })
        ));
        let variant = Switches::variant();
        assert!(all().all(|sw| variant.flipped(sw)));
    }
}
