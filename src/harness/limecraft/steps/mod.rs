//! Step definitions for `features/limecraft/*.feature`, one file a feature
//! (`login.rs`, `session.rs` with `transport.feature`, `twofactor.rs`,
//! `logout.rs`); this file holds the scenario state and what they share.
//!
//! Each step is one sentence of the vendor's domain language; it sends calls
//! from [`api`] and judges the answers. Every response is also checked against
//! `specs/limecraft.openapi.yaml` by [`ConformanceWorld::send_checked`], so the
//! steps only assert what the spec cannot say (which status, which user, whether
//! a token still works).
//!
//! Check (seed 003): every documented check cites its rule
//! (`crate::reference::limecraft::rules`: the seed's words, or RFC 6238 /
//! 6750 / 9110 where the seed relies on them). Everything else is
//! `w.reference`: the status of a refused token (the document lists only 200
//! for GET /authentication/user), every status and body of a refused
//! validation (the document gives only a "default response"), the login
//! body's `status` and `needsSecondToken: false` (the sentence after the
//! example asks only for a token), exact messages, key sizes, the temporary
//! token on GET /authentication/user, a code one step off, the final token
//! refused by validate, date strings.
//!
//! TOTP as the document's own client computes it: a code is tried with the
//! advertised parameters, then as seed 003's sample computes it
//! (`totp(key, {digits: 6, algorithm: 'SHA-1', period: 30})`); either passes,
//! and a server that accepts only the sample's while advertising another is
//! a warning that says which it checks. Once the run has seen which the
//! server checks, only that one is tried.
//!
//! Bookkeeping first: a token or TOTP code the server accepted is filed (the
//! session, `RunContext::file_totp_step`, the enrolment) before any assertion
//! of the same step, the spec check included, so a failed check never makes a
//! later scenario replay a used code or lose an enrolment.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use cucumber::{given, then, when};
use serde_json::Value;

use super::api::{self, Transport};
use crate::harness::exchange::Exchange;
use crate::harness::world::{
    Check, ConformanceWorld, Enrolment, Failure, Persona, Rule, Status, StepResult, totp_step_used,
};
use crate::reference::limecraft::{SAMPLE_CLIENT, rules};
use crate::totp::{self, Algorithm, TotpParams};

mod login;
mod logout;
mod session;
mod twofactor;

use login::*;
use session::*;
use twofactor::*;

pub(super) use twofactor::{
    TurnedOn, confirm_if_needed, enrolment_of, final_token, turn_on, wrong_code,
};

/// A user id no server is expected to have.
pub(super) const UNKNOWN_USER_ID: &str = "987654321987";

/// The session name of the account with SUPPORT rights (`users.support`).
const SUPPORT: &str = "the support user";

/// What a Limecraft scenario keeps between its steps.
#[derive(Default)]
pub struct LimecraftScenario {
    /// Temporary tokens of logins waiting for their second factor, by persona.
    temporary: HashMap<Persona, String>,
    /// The last TOTP code the scenario sent.
    last_code: Option<String>,
    /// The rule the scenario's last action tests, which the checks of the
    /// steps after it cite (a lifetime, a logout, a transport); `None`:
    /// what those steps check by default.
    because: Option<&'static Rule>,
    /// The rule a refused validation breaks if it was accepted; `None`: a
    /// reference check (a code one step off, the final token of a session).
    refusal_rule: Option<&'static Rule>,
    /// Whether the code sent was the current step's (a code one step off is
    /// accepted only by RFC 6238's recommendation: a reference check).
    code_off_by: i64,
    /// Redirect parameters the scenario sent, by name.
    redirects: HashMap<&'static str, String>,
}

/// Limecraft's state for one run.
#[derive(Default)]
pub struct LimecraftRun {
    /// The TOTP algorithm whose code the server accepted, once seen.
    checked: Mutex<Option<Algorithm>>,
    /// The server refused a code one step ahead as proof when enabling 2FA
    /// again (a window narrower than RFC 6238's one step): wait instead.
    ahead_refused: AtomicBool,
    /// Without clock control, a new key's first code is tried in the period
    /// an older key's code was accepted (a server that keeps its replay
    /// state for each key takes it); once the server refused one, it keeps
    /// the state for the account, and codes wait for a newer period.
    replay_by_account: AtomicBool,
    /// The suite took carol's key from an enable2fa answer and has not yet
    /// seen her second factor on: a server may wait for a first code to
    /// confirm it ([`turn_on`]), which the next step that needs it sends.
    unconfirmed: AtomicBool,
}

/// Reads or changes Limecraft's state for the run the world belongs to.
fn with_run<R>(w: &ConformanceWorld, f: impl FnOnce(&LimecraftRun) -> R) -> R {
    f(w.ctx().run_state())
}

fn lc(w: &ConformanceWorld) -> &LimecraftScenario {
    w.scenario()
}

fn lc_mut(w: &mut ConformanceWorld) -> &mut LimecraftScenario {
    w.scenario_mut()
}

/// The rule the scenario's last action tests, or `default`.
fn because(w: &ConformanceWorld, default: &'static Rule) -> Check {
    Check::Documented(lc(w).because.unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_wrong_code_differs_from_every_candidate_in_every_digit() {
        let others = vec!["012345".to_owned(), "678901".to_owned()];
        let wrong = wrong_code("234567", &others);
        assert_eq!(wrong.len(), 6);
        for (i, c) in wrong.chars().enumerate() {
            for o in others.iter().chain(std::iter::once(&"234567".to_owned())) {
                assert_ne!(Some(c), o.chars().nth(i), "{wrong} vs {o}");
            }
        }
    }

    #[test]
    fn a_missing_parameter_is_the_sample_clients() {
        let x = Exchange {
            method: "POST".into(),
            operation: api::ENABLE_2FA,
            url: "http://h/api/user/1/enable2fa".into(),
            request_headers: vec![],
            request_body: None,
            status: 200,
            response_headers: vec![],
            response_body: String::new(),
            json: Some(json!({ "key": "ABCDEFGHIJKLM", "qr": "" })),
            spec_violation: None,
        };
        let e = enrolment_of(&x).expect("an enrolment from the key alone");
        assert_eq!(e.params, SAMPLE_CLIENT);
        assert_eq!(e.secret.len(), 8, "the seed's 65-bit example key");
    }
}
