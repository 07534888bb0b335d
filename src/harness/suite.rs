//! The vendor seam: what the generic harness asks of a vendor, answered by one
//! [`VendorSuite`] in each `harness/<vendor>/`, and the registry of them.
//!
//! The generic code (the run, the world, the target file, preflight, the
//! capabilities) names no vendor: it asks the target's suite. A vendor is its
//! folders (`harness/<vendor>/`, `features/<vendor>/`) and one line that
//! registers its suite: in [`BUILT_IN`] for the vendors this crate ships, or
//! [`register`] for one added from outside (a test's toy vendor).

use std::any::Any;
use std::fmt;
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;

use crate::fixtures::Fixtures;
use crate::harness::capability::Capability;
use crate::harness::exchange::{Call, Exchange};
use crate::harness::target::{Account, Fields, Target, TargetError};
use crate::harness::world::RunContext;
use crate::spec::Spec;

/// What the generic harness asks of one vendor.
pub trait VendorSuite: Send + Sync + 'static {
    /// The vendor's id: `vendor:` in a target file, the folder of its
    /// features (`features/<id>/`), its name in the reports.
    fn id(&self) -> &'static str;

    /// The prefix of its scenarios' catalogue ids (`LC` of `LC7`).
    fn scenario_prefix(&self) -> &'static str;

    /// The OpenAPI document every exchange is checked against (`None`: no check).
    fn spec(&self) -> Option<&'static Spec>;

    /// Its feature files, compiled in: (path relative to the features folder,
    /// `<id>/name.feature`; text). `--features DIR` reads `DIR/<id>/` instead.
    fn features(&self) -> &'static [(&'static str, &'static str)];

    // ---- the target file

    /// Its own section of a target file (`lac:`), if it has one, read from the
    /// file's `text` (with [`crate::harness::target::read_section`]) and its
    /// values through `fields`. Called for every file that has the key
    /// [`Self::section_key`], whatever its vendor.
    fn section(&self, _text: &str, _fields: &Fields) -> Result<Option<Section>, TargetError> {
        Ok(None)
    }

    /// The key of its section in a target file (`lac`), if it has one.
    fn section_key(&self) -> Option<&'static str> {
        None
    }

    /// The fields of the target file its suite cannot run without, and
    /// whether `target` gives each (the first missing one is the error).
    fn required(&self, target: &Target) -> Vec<(&'static str, bool)>;

    /// Fills in `target` (its users and section) for the reference server's
    /// accounts in `fixtures`.
    fn reference_target(&self, _target: &mut Target, _fixtures: &Fixtures) {}

    /// The secrets of its section, masked in every report.
    fn secrets(&self, _target: &Target) -> Vec<String> {
        Vec::new()
    }

    /// What its scenarios may need that not every server offers, besides the
    /// capabilities every vendor shares ([`crate::harness::capability::SHARED`]).
    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    // ---- preflight

    /// The sign-ons preflight tries, one per credential of the target file.
    fn sign_ons(&self, target: &Target) -> Vec<SignOn>;

    /// The problem line when `x` is no sign-on for `sign_on`, else `None`.
    fn sign_on_problem(&self, ctx: &RunContext, sign_on: &SignOn, x: &Exchange) -> Option<String>;

    /// The protected resource preflight calls after a sign-on, if any: it
    /// must answer the signed-on caller with a 2xx.
    fn probe(&self, _target: &Target, _sign_on: &SignOn, _x: &Exchange) -> Option<Probe> {
        None
    }

    // ---- what a run leaves behind

    /// The credential an exchange (a 2xx) issued, with the documented call
    /// that ends it, if the vendor has one: the end of the run sends it.
    fn issued(&self, _target: &Target, _x: &Exchange) -> Option<Issued> {
        None
    }

    /// Sets back, at the end of a run, what the suite changed on the target
    /// (FileVerbs: a SecretKey it reset).
    fn restore<'a>(&'a self, _ctx: &'a RunContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    // ---- state

    /// The vendor's state for one run, shared by its scenarios
    /// ([`RunContext::run_state`]).
    fn run_state(&self, _target: &Target) -> Box<dyn Any + Send + Sync> {
        Box::new(())
    }

    /// A fresh state for one scenario ([`crate::harness::world::ConformanceWorld::scenario`]).
    fn scenario(&self) -> Box<dyn Any + Send + Sync> {
        Box::new(())
    }
}

/// A vendor's parsed section of a target file; [`Target::section`] reads it back by its type.
pub type Section = Arc<dyn Any + Send + Sync>;

/// One sign-on of preflight.
pub struct SignOn {
    /// The target file's field of the credential (`users.primary`).
    pub role: &'static str,
    /// The account, when the credential is one (a key pair is not).
    pub account: Option<Account>,
    pub call: Call,
}

/// A protected resource preflight calls after a sign-on.
pub struct Probe {
    pub call: Call,
    /// The target file's field that names it (`lac.probe_path`).
    pub field: &'static str,
    pub path: String,
}

/// A credential a scenario (or preflight) was issued, and the documented call that ends it.
#[derive(Clone, Debug)]
pub struct Issued {
    /// What tells it apart from the others (the token, with the API it belongs to).
    pub key: String,
    pub end: Call,
}

/// A registered vendor suite: a copyable handle, equal by id, shown as its id.
#[derive(Clone, Copy)]
pub struct Suite(&'static dyn VendorSuite);

impl Suite {
    /// The registered suite of the vendor `id`.
    pub fn by_id(id: &str) -> Option<Suite> {
        all().into_iter().find(|s| s.id() == id)
    }

    /// The suite of a vendor of the reference server.
    pub fn of(vendor: crate::vendor::Vendor) -> Suite {
        Suite::by_id(vendor.id()).expect("every vendor of the reference server has a suite")
    }
}

impl From<crate::vendor::Vendor> for Suite {
    fn from(vendor: crate::vendor::Vendor) -> Suite {
        Suite::of(vendor)
    }
}

impl std::ops::Deref for Suite {
    type Target = dyn VendorSuite;

    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Suite {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Suite {}

impl PartialEq<crate::vendor::Vendor> for Suite {
    fn eq(&self, other: &crate::vendor::Vendor) -> bool {
        self.id() == other.id()
    }
}

impl std::hash::Hash for Suite {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl fmt::Debug for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Suite({})", self.id())
    }
}

/// The vendors this crate ships, in the order reports list them: one line a vendor.
static BUILT_IN: [&dyn VendorSuite; 4] = [
    &crate::harness::limecraft::LimecraftSuite,
    &crate::harness::fileverbs::FileVerbsSuite,
    &crate::harness::lac::LacSuite,
    &crate::harness::liquidfiles::LiquidFilesSuite,
];

/// Suites registered from outside the crate, after the built-in ones.
static ADDED: RwLock<Vec<&'static dyn VendorSuite>> = RwLock::new(Vec::new());

/// Adds a vendor's suite to the registry (once: a suite whose id is
/// registered already is left as it is).
pub fn register(suite: &'static dyn VendorSuite) {
    if Suite::by_id(suite.id()).is_some() {
        return;
    }
    ADDED.write().unwrap_or_else(|e| e.into_inner()).push(suite);
}

/// Every registered suite: the built-in ones, then the added ones.
pub fn all() -> Vec<Suite> {
    let added = ADDED.read().unwrap_or_else(|e| e.into_inner());
    BUILT_IN
        .iter()
        .chain(added.iter())
        .map(|s| Suite(*s))
        .collect()
}

/// An id that names no registered vendor; the message lists the ids.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown vendor `{0}`; available: {list}", list = available())]
pub struct UnknownVendor(pub String);

fn available() -> String {
    all().iter().map(|s| s.id()).collect::<Vec<_>>().join(", ")
}

impl std::str::FromStr for Suite {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Suite::by_id(s).ok_or_else(|| UnknownVendor(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendor_of_the_reference_server_has_a_suite_with_its_ids() {
        for v in crate::vendor::Vendor::ALL {
            let s = Suite::of(*v);
            assert_eq!(s.id(), v.id());
            assert_eq!(s.scenario_prefix(), v.scenario_prefix());
            assert!(s.spec().is_some(), "{v}");
        }
        assert_eq!(
            "acme".parse::<Suite>().unwrap_err().to_string(),
            "unknown vendor `acme`; available: limecraft, fileverbs, lac, liquidfiles"
        );
    }
}
