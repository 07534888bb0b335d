//! Step definitions for `features/fileverbs/*.feature`, one file a feature
//! (`secret_key.rs`, `access_token.rs` with the bearer JWT, `refresh.rs`);
//! this file holds the scenario state and what they share.
//!
//! Personas: alice plays `fileverbs.primary`, bob `fileverbs.secondary`. Every
//! response is checked against `specs/fileverbs.openapi.yaml` by
//! [`ConformanceWorld::send_checked`]; the steps assert what the spec cannot
//! say (which status, whether a token still works, what a JWT carries).
//!
//! Check: every documented check cites its rule
//! (`reference::fileverbs::rules`): the document (seed 004) gives the
//! SecretKey header, the access-token call and its eight fields, a JWT for
//! `Authorization: Bearer`, short-lived bearer tokens, and the refresh token in
//! an HTTP-only cookie that gets a new bearer token; RFC 9110 makes header
//! names case-insensitive, RFC 7519 and 8725 say when a JWT is refused. The
//! document gives no status code, error body, field type beyond the
//! example's `IsVerified`, cookie name, encoding or attribute beyond HttpOnly,
//! lifetime, JWT claim, nor the refresh and revoke calls. So "authorized" is
//! documented as a 2xx and "refused" as a non-2xx without a token; the exact
//! status is a reference check, as is everything the `@strict-…` scenarios say
//! about rotation, reuse, revocation and lifetimes.
//!
//! Time: a JWT is refused once its `exp` and the target's leeway
//! (`fileverbs.jwt_leeway_seconds`, 300 by default: RFC 7519 §4.1.4's "a few
//! minutes") have passed; the clock moves by a tenth of the JWT's own
//! lifetime, never by a number of ours. A JWT without `exp` skips that.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cucumber::{given, then, when};
use serde_json::Value;

use super::api;
use super::target::{FileVerbsTarget, KeyPair};
use crate::harness::exchange::{Call, Exchange};
use crate::harness::world::{Check, ConformanceWorld, Failure, Persona, Rule, Status, StepResult};
use crate::reference::fileverbs::rules;

mod access_token;
mod refresh;
mod secret_key;

use access_token::*;

pub(super) use access_token::{
    alg_none, bearer_of, refresh_cookie, segment, signed_with_another_key, tamper_payload,
    tamper_signature,
};

/// The key pairs of a run by persona: a SecretKey reset replaces one for the
/// rest of the run (the run state of FileVerbs).
#[derive(Default)]
pub struct KeyPairs(pub Mutex<HashMap<Persona, KeyPair>>);

impl KeyPairs {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Persona, KeyPair>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a FileVerbs scenario keeps between its steps.
#[derive(Default)]
pub struct FileVerbsScenario {
    /// A persona's SecretKey before the scenario reset it.
    old_secret_keys: HashMap<Persona, String>,
    /// Refresh tokens by persona, oldest first.
    refresh_tokens: HashMap<Persona, Vec<IssuedRefresh>>,
    /// When the server's clock issued a persona's newest bearer token (Unix seconds).
    jwt_issued_at: HashMap<Persona, i64>,
    /// Personas whose newest bearer token came from a refresh.
    refreshed: std::collections::HashSet<Persona>,
    /// The rule the last call to the protected resource relied on, for the
    /// step that judges its answer.
    pending: Option<&'static Rule>,
}

/// A refresh token and the cookie that carried it, as set (`name=value`,
/// the value as the server wrote it: quoted or encoded, a browser sends it back so).
struct IssuedRefresh {
    token: String,
    cookie: Option<String>,
}

fn section(w: &ConformanceWorld) -> Result<FileVerbsTarget, Failure> {
    w.section("fileverbs")
}

fn fv(w: &ConformanceWorld) -> &FileVerbsScenario {
    w.scenario()
}

fn fv_mut(w: &mut ConformanceWorld) -> &mut FileVerbsScenario {
    w.scenario_mut()
}

fn key_pair(w: &ConformanceWorld, who: Persona) -> Result<KeyPair, Failure> {
    w.ctx()
        .run_state::<KeyPairs>()
        .lock()
        .get(&who)
        .cloned()
        .ok_or_else(|| {
            Failure(format!(
                "no FileVerbs key pair for {who}: alice is `fileverbs.primary`, bob `fileverbs.secondary`"
            ))
        })
}

/// A value that is certainly not a valid key: random, so never a real one.
fn wrong_value() -> String {
    format!("wrong-{}", crate::secret::Token::generate().as_str())
}
