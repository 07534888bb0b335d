//! The LiquidFiles part of the harness: its calls and the reading of its
//! pages (`api`), its target-file section (`target`), its test hook
//! (`control`), the steps of the feature files (`steps`), and its answers to
//! the generic harness ([`LiquidFilesSuite`]).

pub mod api;
pub mod control;
pub mod model;
mod steps;
pub mod target;

pub use steps::LiquidFilesScenario;
use target::LiquidFilesTarget;

use crate::harness::capability::Capability;
use crate::harness::exchange::Exchange;
use crate::harness::preflight;
use crate::harness::suite::{Probe, SignOn, VendorSuite};
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
    "needs-xml-login" => |t| target::login(t).xml(), "needs the XML API of POST /login: the target sets `liquidfiles.login: json`";
    "needs-json-login" => |t| target::login(t).json(), "needs the JSON API of POST /login (LiquidFiles v3): the target sets `liquidfiles.login: xml`";
};

/// The API key a login answered, as XML (`<api_key>`) or JSON (`user.api_key`).
fn api_key(x: &Exchange) -> Option<String> {
    api::xml_element(&x.response_body, "api_key").or_else(|| api::json_api_key(&x.response_body))
}

impl VendorSuite for LiquidFilesSuite {
    crate::built_in_suite! {
        Vendor::LiquidFiles, section: "liquidfiles" => LiquidFilesTarget::parse, capabilities: CAPABILITIES,
        reference: target::reference, scenario: LiquidFilesScenario,
        features: ["liquidfiles/browser.feature", "liquidfiles/xml_login.feature",
            "liquidfiles/json_login.feature"],
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        target.users.given(&["users.primary", "users.secondary"])
    }

    /// The XML login, unless the deployment has only the JSON one (a v3 may
    /// have dropped the deprecated XML API).
    fn explorer(&self) -> Option<&'static dyn crate::harness::explore::Explorer> {
        Some(&crate::harness::explore::ModelExplorer::<model::LiquidFilesModel>::NEW)
    }

    fn sign_ons(&self, target: &Target) -> Vec<SignOn> {
        let xml = target::login(target).xml();
        preflight::account_sign_ons(target, |a| {
            if xml {
                api::xml_login(
                    &api::login_document(
                        &a.username,
                        &api::escape_password(&a.password, api::Escaping::Decimal),
                    ),
                    "text/xml",
                )
            } else {
                api::json_login(&a.username, &a.password)
            }
        })
    }

    fn sign_on_problem(&self, s: &SignOn, x: &Exchange, _: bool) -> Option<String> {
        let ok = Status::Success.holds(x.status) && api_key(x).is_some_and(|k| !k.is_empty());
        (!ok).then(|| preflight::cannot_sign_on(s, x))
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
