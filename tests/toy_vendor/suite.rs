//! The toy's answers to the generic harness: what `harness/<vendor>/mod.rs`
//! is for a built-in vendor.

use std::any::Any;

use authconform::harness::capability::Capability;
use authconform::harness::exchange::{Call, Exchange};
use authconform::harness::preflight;
use authconform::harness::suite::{Identity, Issued, Probe, Section, SignOn, VendorSuite};
use authconform::harness::target::{Fields, Target, TargetError, parse_section};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

pub struct ToySuite;

// The one registration line.
authconform::register_suite!(&ToySuite);

/// The toy's section of a target file (`toy:`).
#[derive(Clone, Debug)]
pub struct ToyTarget {
    /// The call that names a token's user.
    pub whoami_path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToy {
    whoami_path: String,
}

/// What a toy scenario keeps between its steps.
#[derive(Default)]
pub struct ToyScenario {
    /// The token of the last sign-on, if it gave one.
    pub token: Option<String>,
}

pub fn login(username: &str, password: &str) -> Call {
    Call::new(Method::POST, "/login").json(json!({ "username": username, "password": password }))
}

pub fn whoami(path: &str, token: &str) -> Call {
    Call::new(Method::GET, "/whoami")
        .path(path)
        .header("Authorization", &format!("Bearer {token}"))
}

pub fn logout(token: &str) -> Call {
    Call::new(Method::POST, "/logout").header("Authorization", &format!("Bearer {token}"))
}

const CAPABILITIES: &[Capability] = &[Capability::new(
    "needs-toy-whoami",
    |t| t.section::<ToyTarget>().is_some(),
    "needs the whoami call: add `toy.whoami_path`",
)];

const FEATURES: &[(&str, &str)] = &[(
    "toy/sign_on.feature",
    include_str!("features/toy/sign_on.feature"),
)];

impl VendorSuite for ToySuite {
    fn identity(&self) -> Identity {
        Identity {
            id: "toy",
            scenario_prefix: "TOY",
            spec: None,
        }
    }

    fn features(&self) -> &'static [(&'static str, &'static str)] {
        FEATURES
    }

    fn section_key(&self) -> Option<&'static str> {
        Some("toy")
    }

    fn section(&self, text: &str, fields: &Fields) -> Result<Option<Section>, TargetError> {
        parse_section(text, "toy", fields, |raw: &RawToy, fields| {
            Ok(ToyTarget {
                whoami_path: fields.path(&raw.whoami_path, "toy.whoami_path")?,
            })
        })
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        vec![("users.primary", target.users.primary.is_some())]
    }

    fn capabilities(&self) -> &'static [Capability] {
        CAPABILITIES
    }

    fn sign_ons(&self, target: &Target) -> Vec<SignOn> {
        preflight::account_sign_ons(target, |a| login(&a.username, &a.password))
    }

    fn sign_on_problem(&self, s: &SignOn, x: &Exchange, _: bool) -> Option<String> {
        (!preflight::issued(x, "token")).then(|| preflight::cannot_sign_on(s, x))
    }

    fn probe(&self, target: &Target, s: &SignOn, x: &Exchange) -> Option<Probe> {
        let section = target.section::<ToyTarget>()?;
        (s.role == "users.primary").then(|| Probe {
            call: whoami(
                &section.whoami_path,
                x.str_field("token").unwrap_or_default(),
            ),
            field: "toy.whoami_path",
            path: section.whoami_path.clone(),
        })
    }

    fn issued(&self, _: &Target, x: &Exchange) -> Option<Issued> {
        let token = x.str_field("token").filter(|t| !t.is_empty())?;
        Some(Issued {
            key: token.to_owned(),
            end: logout(token),
        })
    }

    fn scenario(&self) -> Box<dyn Any + Send + Sync> {
        Box::new(ToyScenario::default())
    }
}
