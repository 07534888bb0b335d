//! The CA Live API Creator part of the harness: its calls (`api`), its
//! target-file section (`target`), the steps that give the feature files'
//! sentences their meaning (`steps`), and its answers to the generic harness
//! ([`LacSuite`]).

pub mod api;
mod steps;
pub mod target;

use std::any::Any;

pub use steps::LacScenario;
use target::LacTarget;

use crate::fixtures::Fixtures;
use crate::harness::capability::Capability;
use crate::harness::exchange::Exchange;
use crate::harness::preflight;
use crate::harness::suite::{Issued, Probe, Section, SignOn, VendorSuite};
use crate::harness::target::{Fields, Target, TargetError, read_section};
use crate::vendor::Vendor;

/// CA Live API Creator, for the generic harness.
pub struct LacSuite;

crate::register_suite!(&LacSuite);

const CAPABILITIES: &[Capability] = &[
    // The API allows auth tokens in the URL (`lac.url_auth`).
    Capability::new(
        "needs-url-auth",
        |t| t.section::<LacTarget>().is_some_and(|l| l.url_auth),
        "needs an API that allows auth tokens in the URL: set `lac.url_auth: true` if its API property is on",
    ),
    // An API that does not allow them (`lac.url_auth: false`, or `lac.url_auth_off_base_url`).
    Capability::new(
        "needs-url-auth-off",
        |t| {
            t.section::<LacTarget>()
                .is_some_and(|l| !l.url_auth || l.url_auth_off_base_url.is_some())
        },
        "needs an API that does not allow auth tokens in the URL: set `lac.url_auth: false`, or give another such API as `lac.url_auth_off_base_url`",
    ),
    // `lac.no_password_change` is given.
    Capability::new(
        "needs-provider-without-password-change",
        |t| {
            t.section::<LacTarget>()
                .is_some_and(|l| l.no_password_change.is_some())
        },
        "needs an API whose authentication provider does not implement password change: add `lac.no_password_change` (base_url, username, password)",
    ),
    // `lac.admin_token` is given.
    Capability::new(
        "needs-admin-token",
        |t| {
            t.section::<LacTarget>()
                .is_some_and(|l| l.admin_token.is_some())
        },
        "needs an auth token created in API Creator: add `lac.admin_token`",
    ),
];

/// Its feature files (`features/lac/`), compiled in.
const FEATURES: &[(&str, &str)] = &[
    crate::feature!("lac/sign_on.feature"),
    crate::feature!("lac/transport.feature"),
    crate::feature!("lac/revalidate.feature"),
    crate::feature!("lac/disable.feature"),
    crate::feature!("lac/password.feature"),
];

impl VendorSuite for LacSuite {
    fn id(&self) -> &'static str {
        Vendor::Lac.id()
    }

    fn scenario_prefix(&self) -> &'static str {
        Vendor::Lac.scenario_prefix()
    }

    fn spec(&self) -> Option<&'static crate::spec::Spec> {
        Some(crate::spec::for_vendor(Vendor::Lac))
    }

    fn features(&self) -> &'static [(&'static str, &'static str)] {
        FEATURES
    }

    fn section_key(&self) -> Option<&'static str> {
        Some("lac")
    }

    fn section(&self, text: &str, fields: &Fields) -> Result<Option<Section>, TargetError> {
        let Some(raw) = read_section::<target::RawLac>(text, "lac")? else {
            return Ok(None);
        };
        Ok(Some(std::sync::Arc::new(LacTarget::parse(&raw, fields)?)))
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        vec![
            ("users.primary", target.users.primary.is_some()),
            ("users.secondary", target.users.secondary.is_some()),
            ("the lac section", target.section::<LacTarget>().is_some()),
        ]
    }

    fn reference_target(&self, target: &mut Target, fixtures: &Fixtures) {
        target::reference(target, fixtures);
    }

    fn capabilities(&self) -> &'static [Capability] {
        CAPABILITIES
    }

    fn sign_ons(&self, target: &Target) -> Vec<SignOn> {
        preflight::account_sign_ons(target, |a| api::sign_on(&a.username, &a.password))
    }

    fn sign_on_problem(&self, s: &SignOn, x: &Exchange, _: bool) -> Option<String> {
        (!preflight::issued(x, "apikey")).then(|| preflight::cannot_sign_on(s, x))
    }

    /// alice's auth token in the Authorization header on the probe resource.
    fn probe(&self, target: &Target, s: &SignOn, x: &Exchange) -> Option<Probe> {
        if s.role != "users.primary" {
            return None;
        }
        let lac = target.section::<LacTarget>()?;
        let key = x.str_field("apikey")?;
        Some(Probe {
            call: api::with_token(
                api::probe(reqwest::Method::GET, &lac.probe_path),
                key,
                api::Transport::Header,
            ),
            field: "lac.probe_path",
            path: lac.probe_path.clone(),
        })
    }

    /// An auth token, on the API it was issued by: disabled.
    fn issued(&self, _: &Target, x: &Exchange) -> Option<Issued> {
        let apikey = x.str_field("apikey").filter(|v| !v.is_empty())?;
        let base_url = &x.url[..x.url.find(api::AUTHENTICATION)?];
        Some(Issued {
            key: format!("{base_url} {apikey}"),
            end: api::disable(apikey).on_base_url(base_url),
        })
    }

    fn scenario(&self) -> Box<dyn Any + Send + Sync> {
        Box::new(LacScenario::default())
    }
}
