//! The CA Live API Creator part of the harness: its calls (`api`), its
//! target-file section (`target`), the steps that give the feature files'
//! sentences their meaning (`steps`), and its answers to the generic harness
//! ([`LacSuite`]).

pub mod api;
pub mod discover;
pub mod model;
mod steps;
pub mod target;

pub use steps::{LacScenario, Ledger};

use target::LacTarget;

use crate::harness::capability::Capability;
use crate::harness::exchange::{Exchange, HttpClient};
use crate::harness::preflight;
use crate::harness::suite::{Issued, Probe, Run, SignOn, VendorSuite};
use crate::harness::target::Target;
use crate::vendor::Vendor;

/// CA Live API Creator, for the generic harness.
pub struct LacSuite;

crate::register_suite!(&LacSuite);

const CAPABILITIES: &[Capability] = crate::capabilities! {
    "needs-url-auth" => |t| t.section::<LacTarget>().is_some_and(|l| l.url_auth() == Some(true)), "needs an API that allows auth tokens in the URL: the target declares `lac.url_auth: false`, or leaves it out and the API did not let alice's auth token in the URL in before the run (see the `lac:` line at the start; set `lac.url_auth: true` if its API property is on, `lac.url_param` if the parameter has another name)";
    "needs-url-auth-off" => |t| t.section::<LacTarget>().is_some_and(|l| l.url_auth() == Some(false) || l.url_auth_off.is_some()), "needs an API that does not allow auth tokens in the URL: this one allows them (declared as `lac.url_auth: true`, or found out before the run) or could not be asked; give another such API as `lac.url_auth_off` (base_url, and username and password if its users are its own)";
    "needs-provider-without-password-change" => |t| t.section::<LacTarget>().is_some_and(|l| l.no_password_change.is_some()), "needs an API whose authentication provider does not implement password change: add `lac.no_password_change` (base_url, username, password)";
    "needs-admin-token" => |t| t.section::<LacTarget>().is_some_and(|l| l.admin_token.is_some()), "needs an auth token created in API Creator: add `lac.admin_token`";
    "needs-role-resource" => |t| t.section::<LacTarget>().is_some_and(|l| l.role_path.is_some()), "needs a resource whose roles allow alice and not bob: add `lac.role_path`";
};

impl VendorSuite for LacSuite {
    crate::built_in_suite! {
        Vendor::Lac, section: "lac" => LacTarget::parse, capabilities: CAPABILITIES,
        reference: target::reference, scenario: LacScenario,
        features: ["lac/sign_on.feature", "lac/transport.feature", "lac/revalidate.feature",
            "lac/disable.feature", "lac/password.feature"],
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        let mut required = target.users.given(&["users.primary", "users.secondary"]);
        required.push(("the lac section", target.section::<LacTarget>().is_some()));
        required
    }

    fn secrets(&self, target: &Target) -> Vec<String> {
        let Some(lac) = target.section::<LacTarget>() else {
            return Vec::new();
        };
        let other = lac.url_auth_off.iter().filter_map(|o| o.account.as_ref());
        let provider = lac.no_password_change.iter().map(|p| &p.account);
        other
            .chain(provider)
            .map(|a| a.password.clone())
            .chain(lac.admin_token.clone())
            .collect()
    }

    /// Whether the API takes auth tokens in the URL, unless declared.
    fn discover<'a>(
        &'a self,
        target: &'a mut Target,
        http: &'a HttpClient,
    ) -> futures::future::BoxFuture<'a, Vec<String>> {
        Box::pin(discover::discover(target, http))
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
                &lac.url_param,
            ),
            field: "lac.probe_path",
            path: lac.probe_path.clone(),
        })
    }

    fn explorer(&self) -> Option<&'static dyn crate::harness::explore::Explorer> {
        Some(&crate::harness::explore::ModelExplorer::<model::LacModel>::NEW)
    }

    /// Nothing to undo over the network: a password the suite could not set
    /// back (the server refused the original again) is reported, with how
    /// it was derived, so the operator can set it back.
    fn restore<'a>(&'a self, run: Run<'a>) -> futures::future::BoxFuture<'a, Result<(), String>> {
        let left = run
            .state
            .downcast_ref::<Ledger>()
            .map(|ledger| steps::left_changed(run.target, ledger))
            .unwrap_or_default();
        Box::pin(async move {
            if left.is_empty() {
                Ok(())
            } else {
                Err(left.join("\n"))
            }
        })
    }

    fn run_state(&self, _target: &Target) -> Box<dyn std::any::Any + Send + Sync> {
        Box::new(Ledger::default())
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
}
