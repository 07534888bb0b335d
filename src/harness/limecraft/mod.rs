//! The Limecraft Flow part of the harness: its calls (`api`), its target
//! file (`target`: `users:` only), the steps that give the feature files'
//! sentences their meaning (`steps`), and its answers to the generic harness
//! ([`LimecraftSuite`]).

pub mod api;
pub mod model;
mod steps;
pub mod target;

pub use steps::{LimecraftRun, LimecraftScenario};

use crate::harness::capability::Capability;
use crate::harness::exchange::Exchange;
use crate::harness::preflight;
use crate::harness::suite::{Issued, SignOn, VendorSuite};
use crate::harness::target::Target;
use crate::vendor::Vendor;

/// Limecraft Flow, for the generic harness.
pub struct LimecraftSuite;

crate::register_suite!(&LimecraftSuite);

const CAPABILITIES: &[Capability] = crate::capabilities! {
    "needs-totp-account" => |t| t.users.twofactor.as_ref().is_some_and(|a| a.second_factor.is_totp()), "needs an account whose second factor is TOTP (or none yet, for the suite to enable): add `users.twofactor` (its `second_factor` says it is not TOTP)";
    "needs-support-account" => |t| t.users.support.is_some(), "needs an account with SUPPORT rights: add `users.support`";
};

impl VendorSuite for LimecraftSuite {
    crate::built_in_suite! {
        Vendor::Limecraft, capabilities: CAPABILITIES,
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

    /// Where Limecraft's documented API base ends (`/api`).
    fn not_the_api_base(&self, x: &Exchange) -> Option<String> {
        Some(format!(
            "base_url is not the Limecraft API base: {} {} answered HTTP {} (no login there). The login is \
             POST <base_url>{}; base_url is the documented API base, up to and including /api \
             (https://platform.limecraft.com/api)",
            x.method,
            crate::redact::redact_query(&x.url),
            x.status,
            api::LOGIN
        ))
    }

    /// A login that issued no token: a wrong `base_url` (a redirect to a web
    /// page; a 404 or 405 is [`Self::not_the_api_base`]), or wrong
    /// credentials (401, 403). Any other
    /// refusal of the documented JSON login (400, 415, …) or a 2xx without a
    /// token is the server breaking a documented rule: LC1 says so (exit 1),
    /// not preflight. Besides: a TOTP account that already has a second
    /// factor nobody knows the secret of.
    fn sign_on_problem(&self, s: &SignOn, x: &Exchange, enrolled: bool) -> Option<String> {
        let who = s
            .account
            .as_ref()
            .map(|a| a.username.as_str())
            .unwrap_or_default();
        if !preflight::issued(x, "token") {
            return match x.status {
                300..=399 => Some(format!(
                    "base_url is not the Limecraft API base: {} {} answered a redirect (HTTP {}), as a web page \
                     does; base_url is the documented API base, up to and including /api",
                    x.method, x.url, x.status
                )),
                401 | 403 => Some(preflight::cannot_sign_on(s, x)),
                _ => None,
            };
        }
        let needs_second = x.field("needsSecondToken") == Some(&serde_json::Value::Bool(true));
        let totp = s
            .account
            .as_ref()
            .is_some_and(|a| a.second_factor.is_totp());
        (s.role == "users.twofactor" && needs_second && !enrolled && totp).then(|| {
            format!(
                "users.twofactor ({who}) has two-factor authentication on (an earlier run enabled it), and neither \
                 users.twofactor.totp_secret nor the state file knows its secret: restore the state file \
                 (--state), give totp_secret, or turn the second factor off for this account \
                 (or say `second_factor: email` if it is not TOTP)"
            )
        })
    }

    fn explorer(&self) -> Option<&'static dyn crate::harness::explore::Explorer> {
        Some(&crate::harness::explore::ModelExplorer::<model::LimecraftModel>::NEW)
    }

    fn run_state(&self, _: &Target) -> Box<dyn std::any::Any + Send + Sync> {
        Box::new(LimecraftRun::default())
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
