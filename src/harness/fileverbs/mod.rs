//! The FileVerbs part of the harness: its calls (`api`), its target-file
//! section (`target`), its test hook (`control`), the steps that give the
//! feature files' sentences their meaning (`steps`), and its answers to the
//! generic harness ([`FileVerbsSuite`]).

pub mod api;
pub mod control;
pub mod model;
mod steps;
pub mod target;

use std::any::Any;
use std::sync::Mutex;

use futures::future::BoxFuture;

pub use steps::{FileVerbsScenario, KeyPairs};
use target::{FileVerbsTarget, KeyPair};

use crate::harness::capability::Capability;
use crate::harness::exchange::{Call, Exchange};
use crate::harness::preflight;
use crate::harness::suite::{Issued, Probe, Run, SignOn, VendorSuite};
use crate::harness::target::Target;
use crate::harness::world::Persona;
use crate::vendor::Vendor;

/// FileVerbs, for the generic harness.
pub struct FileVerbsSuite;

crate::register_suite!(&FileVerbsSuite);

/// The key pairs of the target file: alice's (`fileverbs.primary`), bob's
/// (`fileverbs.secondary`), with the field each is given in.
fn pairs(fv: &FileVerbsTarget) -> impl Iterator<Item = (&'static str, Persona, &KeyPair)> {
    std::iter::once(("fileverbs.primary", Persona::Alice, &fv.primary)).chain(
        fv.secondary
            .iter()
            .map(|p| ("fileverbs.secondary", Persona::Bob, p)),
    )
}

const CAPABILITIES: &[Capability] = crate::capabilities! {
    "needs-refresh-endpoint" => |t| t.section::<FileVerbsTarget>().is_some_and(|f| f.refresh_path.is_some()), "needs the refresh call (not documented by the vendor): add `fileverbs.refresh_path`";
    "needs-revoke-endpoint" => |t| t.section::<FileVerbsTarget>().is_some_and(|f| f.revoke_path.is_some()), "needs the revoke call (not documented by the vendor): add `fileverbs.revoke_path`";
    "needs-secret-key-reset" => |t| t.control_url.is_some(), "needs a SecretKey reset hook: the target declares no `control_url` (only the reference server offers it)";
};

impl VendorSuite for FileVerbsSuite {
    crate::built_in_suite! {
        Vendor::FileVerbs, section: "fileverbs" => FileVerbsTarget::parse, capabilities: CAPABILITIES,
        reference: target::reference, scenario: FileVerbsScenario,
        features: ["fileverbs/secret_key.feature", "fileverbs/access_token.feature",
            "fileverbs/refresh.feature"],
    }

    fn required(&self, target: &Target) -> Vec<(&'static str, bool)> {
        vec![(
            "the fileverbs section",
            target.section::<FileVerbsTarget>().is_some(),
        )]
    }

    fn secrets(&self, target: &Target) -> Vec<String> {
        target
            .section::<FileVerbsTarget>()
            .into_iter()
            .flat_map(pairs)
            .flat_map(|(_, _, p)| [p.secret_key.clone(), p.api_key.clone()])
            .collect()
    }

    /// A key pair signs on: one sign-on per pair of the target file.
    fn sign_ons(&self, target: &Target) -> Vec<SignOn> {
        target
            .section::<FileVerbsTarget>()
            .into_iter()
            .flat_map(pairs)
            .map(|(role, _, pair)| SignOn {
                role,
                account: None,
                call: api::access_token(&pair.secret_key, &pair.api_key),
            })
            .collect()
    }

    fn sign_on_problem(&self, s: &SignOn, x: &Exchange, _: bool) -> Option<String> {
        (!preflight::issued(x, "JwtToken")).then(|| {
            format!(
                "{}: the key pair gets no JwtToken from POST {} (HTTP {}); check its secret_key and api_key",
                s.role, x.operation, x.status
            )
        })
    }

    /// alice's SecretKey on the probe path.
    fn probe(&self, target: &Target, s: &SignOn, _: &Exchange) -> Option<Probe> {
        let fv = target.section::<FileVerbsTarget>()?;
        (s.role == "fileverbs.primary").then(|| Probe {
            call: api::probe_with_secret_key(&fv.probe_path, &fv.primary.secret_key),
            field: "fileverbs.probe_path",
            path: fv.probe_path.clone(),
        })
    }

    fn explorer(&self) -> Option<&'static dyn crate::harness::explore::Explorer> {
        Some(&crate::harness::explore::ModelExplorer::<model::FileVerbsModel>::NEW)
    }

    /// The bearer JWT of the sign-on: a server that wants the SecretKey
    /// header in another spelling, or refuses it, still lets the JWT in, and
    /// FV1 says what is wrong.
    fn other_ways_in(&self, target: &Target, s: &SignOn, x: &Exchange) -> Vec<Call> {
        let (Some(fv), Some(jwt)) = (target.section::<FileVerbsTarget>(), x.str_field("JwtToken"))
        else {
            return Vec::new();
        };
        if s.role != "fileverbs.primary" {
            return Vec::new();
        }
        vec![api::probe_with_bearer(&fv.probe_path, jwt)]
    }

    /// A refresh token: revoked, where the target gives the call.
    fn issued(&self, target: &Target, x: &Exchange) -> Option<Issued> {
        let token = x.str_field("RefreshToken").filter(|t| !t.is_empty())?;
        let path = target
            .section::<FileVerbsTarget>()?
            .revoke_path
            .as_deref()?;
        Some(Issued {
            key: token.to_owned(),
            end: api::revoke(path, token),
        })
    }

    /// A SecretKey the suite reset through the control API goes back to the
    /// target file's, so the next run's key pair works.
    fn restore<'a>(&'a self, run: Run<'a>) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let (Some(fv), Some(key_pairs)) = (
                run.target.section::<FileVerbsTarget>(),
                run.state.downcast_ref::<KeyPairs>(),
            ) else {
                return Ok(());
            };
            let current = key_pairs.lock().clone();
            for (_, who, original) in pairs(fv) {
                if let Some(now) = current.get(&who)
                    && now.secret_key != original.secret_key
                {
                    control::reset_secret_key_to(
                        run.control,
                        &now.secret_key,
                        Some(&original.secret_key),
                    )
                    .await
                    .map_err(|e| format!("cannot set {who}'s SecretKey back: {e}"))?;
                    key_pairs.lock().insert(who, original.clone());
                }
            }
            Ok(())
        })
    }

    fn run_state(&self, target: &Target) -> Box<dyn Any + Send + Sync> {
        let pairs = target
            .section::<FileVerbsTarget>()
            .into_iter()
            .flat_map(pairs)
            .map(|(_, who, pair)| (who, pair.clone()))
            .collect();
        Box::new(KeyPairs(Mutex::new(pairs)))
    }
}
