//! The LiquidFiles part of the harness: its calls and the reading of its
//! pages (`api`), its target-file section (`target`), its test hook
//! (`control`), the steps of the feature files (`steps`), and its answers to
//! the generic harness ([`LiquidFilesSuite`]).

pub mod api;
pub mod control;
pub mod discover;
pub mod model;
pub mod player;
mod steps;
pub mod target;
pub mod user_machine;

pub use steps::LiquidFilesScenario;
use target::LiquidFilesTarget;

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::harness::capability::Capability;
use crate::harness::exchange::{Exchange, HttpClient};
use crate::harness::preflight;
use crate::harness::suite::{Probe, SignOn, VendorSuite};
use crate::harness::target::BrowserChoice;
use crate::harness::target::Target;
use crate::harness::world::Status;
use crate::vendor::Vendor;

/// LiquidFiles, for the generic harness.
pub struct LiquidFilesSuite;

crate::register_suite!(&LiquidFilesSuite);

const CAPABILITIES: &[Capability] = crate::capabilities! {
    "needs-activity-log" => |t| t.control_url.is_some(), "needs to read the activity log: the target declares no `control_url` (only the reference server offers it)";
    "needs-special-password-account" => |t| t.section::<LiquidFilesTarget>().is_some_and(|l| l.special.is_some()), "needs an account whose password has & and $: add `liquidfiles.special` (username, password)";
    "needs-key-probe" => |t| t.section::<LiquidFilesTarget>().is_some_and(|l| l.probe_path.is_some()), "needs a call that takes the API key as HTTP Basic user name (not documented with the key login): add `liquidfiles.probe_path`";
    "needs-username-login" => |t| t.section::<LiquidFilesTarget>().is_some_and(|l| l.primary_username.is_some()), "needs alice's username besides her email: add `liquidfiles.primary_username`";
    "needs-xml-login" => |t| target::login(t).is_some_and(|l| l.xml()), "needs the XML API of POST /login: the server did not answer it before the run (a v3 without the deprecated XML API) or the target declares `liquidfiles.login: json`";
    "needs-json-login" => |t| target::login(t).is_some_and(|l| l.json()), "needs the JSON API of POST /login (LiquidFiles v3): the server did not answer it before the run (a v2) or the target declares `liquidfiles.login: xml`";
    "needs-totp-secret" => |t| t.users.twofactor.as_ref().is_some_and(|a| a.totp_secret.is_some()), "needs `users.twofactor` with its TOTP secret (`totp_secret`): without one its second factor is not an authenticator app's (SMS, e-mail, Duo), which the suite cannot play";
    "needs-key-lifetime" => |t| t.section::<LiquidFilesTarget>().is_some_and(|l| l.key_lifetime_minutes.is_some()), "needs the lifetime of browser keys, which the documents do not give: add `liquidfiles.key_lifetime_minutes`";
    "needs-saml" => |t| t.users.saml.is_some() && t.section::<LiquidFilesTarget>().is_some_and(|l| l.saml.is_some()), "needs /saml/api: add `liquidfiles.saml` (idp: embedded or external) and `users.saml` (an account at the identity provider)";
    "needs-saml-forgery" => |t| t.section::<LiquidFilesTarget>().and_then(|l| l.saml.as_ref()).is_some_and(|s| s.idp == target::SamlIdp::Embedded), "needs an identity provider whose signing key the harness holds, to mint Responses that break one SAML rule each: the target's `liquidfiles.saml.idp` is external (or missing)";
};

/// Whether `target` offers the capability of `tag` (a `@needs-…` tag of
/// the feature files): what decides a scenario's skip decides whether the
/// explore model draws the operation that plays it.
pub(crate) fn offers(target: &Target, tag: &str) -> bool {
    crate::harness::capability::SHARED
        .iter()
        .chain(CAPABILITIES)
        .find(|c| c.tag() == tag)
        .is_some_and(|c| c.offered_by(target))
}

/// The API key a login answered, as XML (`<api_key>`) or JSON (`user.api_key`).
fn api_key(x: &Exchange) -> Option<String> {
    api::xml_element(&x.response_body, "api_key").or_else(|| api::json_api_key(&x.response_body))
}

impl VendorSuite for LiquidFilesSuite {
    crate::built_in_suite! {
        Vendor::LiquidFiles, section: "liquidfiles" => LiquidFilesTarget::parse, capabilities: CAPABILITIES,
        reference: target::reference, scenario: LiquidFilesScenario,
        features: ["liquidfiles/browser.feature", "liquidfiles/xml_login.feature",
            "liquidfiles/json_login.feature", "liquidfiles/saml.feature"],
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        target.users.given(&["users.primary", "users.secondary"])
    }

    fn explorer(&self) -> Option<&'static dyn crate::harness::explore::Explorer> {
        Some(&crate::harness::explore::ModelExplorer::<model::LiquidFilesModel>::NEW)
    }

    fn discover<'a>(
        &'a self,
        target: &'a mut Target,
        http: &'a HttpClient,
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(discover::discover(target, http))
    }

    fn preflight_problems(&self, target: &Target) -> Vec<String> {
        target
            .section::<LiquidFilesTarget>()
            .and_then(|l| l.discovered.as_ref())
            .map(|d| d.problems.clone())
            .unwrap_or_default()
    }

    /// Each password account the way it signed on before the run (the
    /// documented XML login where that was not found out); never the
    /// two-factor account with its password alone: a server may refuse that
    /// (seed 000's browser flow is how such a user gets a key), and its
    /// scenarios use it. An account that signed on in no documented way is
    /// `preflight_problems`'; one that did only in the browser, a note.
    fn sign_ons(&self, target: &Target) -> Vec<SignOn> {
        let discovered = target
            .section::<LiquidFilesTarget>()
            .and_then(|l| l.discovered.clone());
        let accounts = [
            ("users.primary", &target.users.primary),
            ("users.secondary", &target.users.secondary),
        ];
        accounts
            .into_iter()
            .filter_map(|(role, a)| {
                let a = a.as_ref()?;
                let way = match &discovered {
                    Some(d) => d.sign_ons.iter().find(|(r, _)| *r == role)?.1,
                    None => discover::Way::XmlDecimal,
                };
                Some(SignOn {
                    role,
                    call: way.call(a),
                    account: Some(a.clone()),
                })
            })
            .collect()
    }

    fn sign_on_problem(&self, s: &SignOn, x: &Exchange, _: bool) -> Option<String> {
        let ok = Status::Success.holds(x.status) && api_key(x).is_some_and(|k| !k.is_empty());
        (!ok).then(|| preflight::cannot_sign_on(s, x))
    }

    fn run_state(&self, _target: &Target) -> Box<dyn std::any::Any + Send + Sync> {
        Box::new(LiquidFilesRun::default())
    }

    /// alice's key as the HTTP Basic user name on `liquidfiles.probe_path`.
    fn probe(&self, target: &Target, s: &SignOn, x: &Exchange) -> Option<Probe> {
        if s.role != "users.primary" {
            return None;
        }
        let path = target.section::<LiquidFilesTarget>()?.probe_path.clone()?;
        let key = api_key(x)?;
        Some(Probe {
            call: api::account(&path, &key),
            field: "liquidfiles.probe_path",
            path,
        })
    }
}

/// What LiquidFiles' scenarios share in a run: the browser, started at the
/// first scenario that plays `/session/api` and ended with the run.
#[derive(Default)]
pub struct LiquidFilesRun {
    browser: tokio::sync::OnceCell<Result<Option<Arc<player::webdriver::Session>>, String>>,
}

/// Whether a missing browser must fail rather than fall back (CI sets it).
pub const REQUIRE_BROWSER: &str = "AUTHCONFORM_REQUIRE_BROWSER";

impl LiquidFilesRun {
    /// The run's browser for `target` (`None`: play over HTTP), started once.
    pub async fn browser(
        &self,
        target: &Target,
    ) -> Result<Option<Arc<player::webdriver::Session>>, String> {
        let choice = target::browser(target);
        self.browser
            .get_or_init(|| async move {
                let required = std::env::var_os(REQUIRE_BROWSER).is_some();
                let started = match &choice {
                    BrowserChoice::None => return Ok(None),
                    BrowserChoice::WebDriver(url) => {
                        player::webdriver::Session::connect(url, None).await
                    }
                    BrowserChoice::Chromium => {
                        player::webdriver::Session::start_local_chromium().await
                    }
                    BrowserChoice::Auto => {
                        if player::webdriver::local_chromium().is_none() && !required {
                            return Ok(None);
                        }
                        player::webdriver::Session::start_local_chromium().await
                    }
                };
                started
                    .map(|s| Some(Arc::new(s)))
                    .map_err(|e| format!("the browser for /session/api cannot start: {e}"))
            })
            .await
            .clone()
    }
}
