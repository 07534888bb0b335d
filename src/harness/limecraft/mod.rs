//! The Limecraft Flow part of the harness: its calls (`api`), its target
//! file (`target`: `users:` only), the steps that give the feature files'
//! sentences their meaning (`steps`), and its answers to the generic harness
//! ([`LimecraftSuite`]).

pub mod api;
pub mod model;
mod steps;
pub mod target;

pub use steps::LimecraftScenario;

use crate::harness::exchange::Exchange;
use crate::harness::preflight;
use crate::harness::suite::{Issued, SignOn, VendorSuite};
use crate::harness::target::Target;
use crate::vendor::Vendor;

/// Limecraft Flow, for the generic harness.
pub struct LimecraftSuite;

crate::register_suite!(&LimecraftSuite);

impl VendorSuite for LimecraftSuite {
    crate::built_in_suite! {
        Vendor::Limecraft,
        reference: target::reference, scenario: LimecraftScenario,
        features: ["limecraft/login.feature", "limecraft/transport.feature",
            "limecraft/session.feature", "limecraft/twofactor.feature",
            "limecraft/logout.feature"],
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        target.users.given(&["users.primary", "users.secondary"])
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

    fn explorer(&self) -> Option<&'static dyn crate::harness::explore::Explorer> {
        Some(&crate::harness::explore::ModelExplorer::<model::LimecraftModel>::NEW)
    }

    /// A session token: logged out.
    fn issued(&self, _: &Target, x: &Exchange) -> Option<Issued> {
        let token = x.str_field("token").filter(|t| !t.is_empty())?;
        Some(Issued {
            key: token.to_owned(),
            end: api::logout(token, api::Transport::Header, false),
        })
    }
}
