//! The Limecraft Flow part of the harness: its calls (`api`), its target
//! file (`target`: `users:` only), the steps that give the feature files'
//! sentences their meaning (`steps`), and its answers to the generic harness
//! ([`LimecraftSuite`]).

pub mod api;
mod steps;
pub mod target;

use std::any::Any;

pub use steps::LimecraftScenario;

use crate::fixtures::Fixtures;
use crate::harness::exchange::Exchange;
use crate::harness::preflight;
use crate::harness::suite::{Issued, SignOn, VendorSuite};
use crate::harness::target::Target;
use crate::vendor::Vendor;

/// Limecraft Flow, for the generic harness.
pub struct LimecraftSuite;

crate::register_suite!(&LimecraftSuite);

/// Its feature files (`features/limecraft/`), compiled in.
const FEATURES: &[(&str, &str)] = &[
    crate::feature!("limecraft/login.feature"),
    crate::feature!("limecraft/transport.feature"),
    crate::feature!("limecraft/session.feature"),
    crate::feature!("limecraft/twofactor.feature"),
    crate::feature!("limecraft/logout.feature"),
];

impl VendorSuite for LimecraftSuite {
    fn id(&self) -> &'static str {
        Vendor::Limecraft.id()
    }

    fn scenario_prefix(&self) -> &'static str {
        Vendor::Limecraft.scenario_prefix()
    }

    fn spec(&self) -> Option<&'static crate::spec::Spec> {
        Some(crate::spec::for_vendor(Vendor::Limecraft))
    }

    fn features(&self) -> &'static [(&'static str, &'static str)] {
        FEATURES
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        vec![
            ("users.primary", target.users.primary.is_some()),
            ("users.secondary", target.users.secondary.is_some()),
        ]
    }

    fn reference_target(&self, target: &mut Target, fixtures: &Fixtures) {
        target::reference(target, fixtures);
    }

    fn sign_ons(&self, target: &Target) -> Vec<SignOn> {
        preflight::account_sign_ons(target, |a| api::login_json(&a.username, &a.password, None))
    }

    /// Besides a refused login: a two-factor account that already has a
    /// second factor nobody knows the secret of.
    fn sign_on_problem(&self, s: &SignOn, x: &Exchange, enrolled: bool) -> Option<String> {
        if !preflight::issued(x, "token") {
            return Some(preflight::cannot_sign_on(s, x));
        }
        let needs_second = x.field("needsSecondToken") == Some(&serde_json::Value::Bool(true));
        (s.role == "users.twofactor" && needs_second && !enrolled).then(|| {
            format!(
                "users.twofactor ({}) has two-factor authentication on (an earlier run enabled it), and neither \
                 users.twofactor.totp_secret nor the state file knows its secret: restore the state file \
                 (--state), give totp_secret, or turn the second factor off for this account",
                s.account.as_ref().map(|a| a.username.as_str()).unwrap_or_default()
            )
        })
    }

    /// A session token: logged out.
    fn issued(&self, _: &Target, x: &Exchange) -> Option<Issued> {
        let token = x.str_field("token").filter(|t| !t.is_empty())?;
        Some(Issued {
            key: token.to_owned(),
            end: api::logout(token, api::Transport::Header, false),
        })
    }

    fn scenario(&self) -> Box<dyn Any + Send + Sync> {
        Box::new(LimecraftScenario::default())
    }
}
