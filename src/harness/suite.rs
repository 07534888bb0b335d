//! The vendor seam: what the generic harness asks of a vendor, answered by one
//! [`VendorSuite`] in each `harness/<vendor>/`, and the registry of them.
//!
//! The generic code (the run, the world, the target file, preflight, the
//! capabilities) names no vendor: it asks the target's suite. A vendor is its
//! folders (`harness/<vendor>/`, `features/<vendor>/`) and one line in them
//! that registers its suite, [`crate::register_suite!`]; a vendor added from
//! outside the crate (a test's toy vendor) registers the same way.
//!
//! This module depends on what a suite answers about (the target, an
//! exchange, the control API, a capability), never on the run or the world
//! that ask it.

use std::any::Any;
use std::fmt;

use futures::future::BoxFuture;

use crate::fixtures::Fixtures;
use crate::harness::capability::{self, Capability};
use crate::harness::control_api::ControlApi;
use crate::harness::exchange::{Call, Exchange, HttpClient};
pub use crate::harness::target::Section;
use crate::harness::target::{Account, Fields, Target, TargetError, VendorId};
use crate::spec::Spec;

#[doc(hidden)]
pub use inventory;

/// What the generic harness asks of one vendor.
pub trait VendorSuite: Send + Sync + 'static {
    /// Who the vendor is to the harness: its id, its scenarios' prefix, its spec.
    fn identity(&self) -> Identity;

    /// The vendor's id: `vendor:` in a target file, the folder of its
    /// features (`features/<id>/`), its name in the reports.
    fn id(&self) -> &'static str {
        self.identity().id
    }

    /// The prefix of its scenarios' catalogue ids (`LC` of `LC7`).
    fn scenario_prefix(&self) -> &'static str {
        self.identity().scenario_prefix
    }

    /// The OpenAPI document every exchange is checked against (`None`: no check).
    fn spec(&self) -> Option<&'static Spec> {
        self.identity().spec
    }

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

    // ---- before the run

    /// Finds out, before the run, what the target's server offers where its
    /// document leaves it open (LiquidFiles: the XML login, the JSON one or
    /// both; LAC: whether the API takes auth tokens in the URL), filling it into `target` for its capabilities and sign-ons;
    /// the lines that say what was found.
    fn discover<'a>(
        &'a self,
        _target: &'a mut Target,
        _http: &'a HttpClient,
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async { Vec::new() })
    }

    /// Problems [`Self::discover`] found with the target file (an account
    /// no documented way takes): preflight reports them with its own.
    fn preflight_problems(&self, _target: &Target) -> Vec<String> {
        Vec::new()
    }

    // ---- preflight

    /// The sign-ons preflight tries, one per credential of the target file.
    fn sign_ons(&self, target: &Target) -> Vec<SignOn>;

    /// When a sign-on answered 404 or 405 (nothing there: `base_url` is not
    /// the API's root), the vendor's own words for it, if it has more to say
    /// than preflight's generic line (where its documented API base ends).
    fn not_the_api_base(&self, _x: &Exchange) -> Option<String> {
        None
    }

    /// The problem line when `x` is no sign-on for `sign_on`, else `None`.
    /// `enrolled`: the suite knows the TOTP secret of the two-factor account
    /// (from the target file or the state file).
    fn sign_on_problem(&self, sign_on: &SignOn, x: &Exchange, enrolled: bool) -> Option<String>;

    /// The protected resource preflight calls after a sign-on, if any: it
    /// must answer the signed-on caller with a 2xx.
    fn probe(&self, _target: &Target, _sign_on: &SignOn, _x: &Exchange) -> Option<Probe> {
        None
    }

    /// The other documented ways to call the same resource (FileVerbs: the
    /// bearer JWT besides the SecretKey). When the probe is refused and one
    /// of these answers 2xx, the path is right and the server breaks the rule
    /// the probe relied on: that is its scenario's failure (exit 1), not a
    /// wrong target file (exit 2).
    fn other_ways_in(&self, _target: &Target, _sign_on: &SignOn, _x: &Exchange) -> Vec<Call> {
        Vec::new()
    }

    // ---- what a run leaves behind

    /// The credential an exchange (a 2xx) issued, with the documented call
    /// that ends it, if the vendor has one: the end of the run sends it.
    fn issued(&self, _target: &Target, _x: &Exchange) -> Option<Issued> {
        None
    }

    /// Sets back, at the end of a run, what the suite changed on the target
    /// (FileVerbs: a SecretKey it reset).
    fn restore<'a>(&'a self, _run: Run<'a>) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    // ---- state

    /// The vendor's state for one run, shared by its scenarios
    /// (`RunContext::run_state`).
    fn run_state(&self, _target: &Target) -> Box<dyn Any + Send + Sync> {
        Box::new(())
    }

    /// A fresh state for one scenario ([`crate::harness::world::ConformanceWorld::scenario`]).
    fn scenario(&self) -> Box<dyn Any + Send + Sync> {
        Box::new(())
    }

    // ---- explore

    /// The vendor's model of its documented rules, for `authconform explore`
    /// (`harness/<vendor>/model.rs`); `None`: the vendor has none.
    fn explorer(&self) -> Option<&'static dyn crate::harness::explore::Explorer> {
        None
    }
}

/// Who a vendor is to the harness ([`VendorSuite::identity`]).
#[derive(Clone, Copy)]
pub struct Identity {
    /// `vendor:` in a target file, the folder of its features, its name in the reports.
    pub id: &'static str,
    /// The prefix of its scenarios' catalogue ids (`LC` of `LC7`).
    pub scenario_prefix: &'static str,
    /// The OpenAPI document every exchange is checked against (`None`: no check).
    pub spec: Option<&'static Spec>,
}

impl Identity {
    /// A vendor of the reference server: its ids and its compiled-in spec.
    pub fn of(vendor: crate::vendor::Vendor) -> Identity {
        Identity {
            id: vendor.id(),
            scenario_prefix: vendor.scenario_prefix(),
            spec: Some(crate::spec::for_vendor(vendor)),
        }
    }
}

/// What a suite may use of the run it restores ([`VendorSuite::restore`]).
#[derive(Clone, Copy)]
pub struct Run<'a> {
    pub target: &'a Target,
    /// The target's control API (or the local clock).
    pub control: &'a ControlApi,
    /// The state [`VendorSuite::run_state`] made for the run.
    pub state: &'a (dyn Any + Send + Sync),
}

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

    /// The suite of a vendor (of a target, of the reference server).
    pub fn of(vendor: impl Into<VendorId>) -> Suite {
        let id = vendor.into();
        Suite::by_id(id.as_str()).expect("a vendor id is made from a registered suite")
    }

    /// Its vendor's id, as a target holds it.
    pub fn vendor(self) -> VendorId {
        VendorId::of_registered(self.id())
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

/// The answers every built-in vendor gives alike, from its folder's tables:
/// its identity (of the reference server's `Vendor`), its compiled-in
/// features, its target-file section (key and parser) and own capabilities
/// if it has them, its reference accounts and its scenario state. Used
/// inside `impl VendorSuite for …`; the vendor writes the rest.
#[macro_export]
#[doc(hidden)]
macro_rules! built_in_suite {
    (
        $vendor:expr,
        $(section: $key:literal => $parse:expr,)?
        $(capabilities: $caps:expr,)?
        reference: $reference:expr, scenario: $scenario:ty,
        features: [$($feature:literal),+ $(,)?] $(,)?
    ) => {
        fn identity(&self) -> $crate::harness::suite::Identity {
            $crate::harness::suite::Identity::of($vendor)
        }

        fn features(&self) -> &'static [(&'static str, &'static str)] {
            &[$($crate::feature!($feature)),+]
        }

        $(
            fn section_key(&self) -> Option<&'static str> {
                Some($key)
            }

            fn section(
                &self,
                text: &str,
                fields: &$crate::harness::target::Fields,
            ) -> Result<Option<$crate::harness::target::Section>, $crate::harness::target::TargetError>
            {
                $crate::harness::target::parse_section(text, $key, fields, $parse)
            }
        )?

        $(
            fn capabilities(&self) -> &'static [$crate::harness::capability::Capability] {
                $caps
            }
        )?

        fn reference_target(
            &self,
            target: &mut $crate::harness::target::Target,
            fixtures: &$crate::fixtures::Fixtures,
        ) {
            ($reference)(target, fixtures)
        }

        fn scenario(&self) -> Box<dyn ::std::any::Any + Send + Sync> {
            Box::new(<$scenario>::default())
        }
    };
}

/// A suite in the registry; [`crate::register_suite!`] makes one.
pub struct Registration(pub &'static dyn VendorSuite);

inventory::collect!(Registration);

/// Registers a vendor's suite (a `&'static` value of a type that implements
/// [`VendorSuite`]): the one line a vendor adds, in its own folder.
#[macro_export]
macro_rules! register_suite {
    ($suite:expr) => {
        $crate::harness::suite::inventory::submit! {
            $crate::harness::suite::Registration($suite)
        }
    };
}

/// Every registered suite: the reference server's vendors in the order
/// reports list them, then any other by id.
pub fn all() -> Vec<Suite> {
    let mut all: Vec<Suite> = inventory::iter::<Registration>
        .into_iter()
        .map(|r| Suite(r.0))
        .collect();
    let built_in = |s: &Suite| {
        crate::vendor::Vendor::ALL
            .iter()
            .position(|v| v.id() == s.id())
            .unwrap_or(usize::MAX)
    };
    all.sort_by_key(|s| (built_in(s), s.id()));
    all.dedup_by_key(|s| s.id());
    all
}

/// Every capability: the shared ones, then each registered vendor's.
pub fn capabilities() -> Vec<Capability> {
    let own = all().into_iter().flat_map(|s| s.capabilities());
    capability::SHARED.iter().chain(own).copied().collect()
}

/// The capability a tag (without `@`) asks for; `None` for any other tag.
pub fn capability(tag: &str) -> Option<Capability> {
    capabilities().into_iter().find(|c| c.tag() == tag)
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
    fn every_tag_is_a_needs_tag_once_and_maps_back() {
        let all = capabilities();
        for c in &all {
            assert!(c.tag().starts_with("needs-"), "{c:?}");
            assert_eq!(capability(c.tag()), Some(*c));
            assert_eq!(
                all.iter().filter(|o| o.tag() == c.tag()).count(),
                1,
                "{c:?}"
            );
        }
        assert_eq!(capability("needs-nothing"), None);
    }

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
