//! The state of the LiquidFiles reference server and every rule it enforces:
//! users and their stable API keys (`POST /login`), the browser login of
//! `/session/api` (pending logins, Strong 2FA, per-login expiring keys), the
//! per-account rate limit of both logins, the activity log, and presenting a
//! key on later calls.
//!
//! Handlers only translate HTTP to calls here. Faults (`--fault`) are applied
//! next to the rule they break.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;

use crate::clock::{Clock, UnixSeconds};
use crate::fault::Fault;
use crate::fixtures::LiquidFilesFixtures;
use crate::issued::Issued;
use crate::secret::{PasswordHashing, Token, TokenDigest};
use crate::throttle::{AccountKey, LoginThrottle, Source, ThrottleConfig};
use crate::totp::{self, Algorithm, TotpParams};
use crate::vendor::Vendor;

/// Lifetimes and bounds (the documentation gives none).
#[derive(Clone, Debug)]
pub struct LiquidFilesConfig {
    /// Seconds a key from `/session/api` lives (default 30 days).
    pub browser_key_ttl: i64,
    /// Failed logins, for `/login` and `/session/api` together: per account
    /// (its email and username alike) and source, then per account
    /// (`throttle.rs`); refused with 429 beyond. `None`: no limit.
    pub login_throttle: Option<ThrottleConfig>,
    /// Seconds a `/session/api` login may take from the page to the last step.
    pub pending_ttl: i64,
    /// Wrong or missing 2FA codes allowed per login before it must start again.
    pub max_code_attempts: u32,
    /// Longest `agent_name` / `agent_version`, in characters.
    pub max_agent_field: usize,
    /// Logins in progress kept at most; beyond, a new one is refused (503)
    /// until one ends: a login in progress is never pushed out by others.
    pub max_pending: usize,
    /// Logins in progress kept at most per source (an IPv4 address, an IPv6
    /// /64); beyond, that source's new ones are refused (429), so a flood of
    /// page loads from one source cannot fill the table.
    pub max_pending_per_source: usize,
    /// Activity log entries kept (the oldest go first).
    pub max_activity: usize,
    /// Browser keys kept per user (the oldest end first): as Limecraft and LAC
    /// keep 256 sessions or auth tokens per user (issue #26, R12).
    pub max_browser_keys_per_user: usize,
    /// The choices where the documents are silent (`switches.rs`).
    pub switches: crate::switch::Switches,
    /// `/saml/api`: the IdP this installation trusts.
    pub saml: super::saml::SamlSpConfig,
}

impl Default for LiquidFilesConfig {
    fn default() -> Self {
        LiquidFilesConfig {
            browser_key_ttl: 30 * 24 * 3600,
            login_throttle: Some(ThrottleConfig::default()),
            pending_ttl: 15 * 60,
            max_code_attempts: 5,
            max_agent_field: 200,
            max_pending: 10_000,
            max_pending_per_source: 256,
            max_activity: 1_000,
            max_browser_keys_per_user: 256,
            switches: crate::switch::Switches::default(),
            saml: super::saml::SamlSpConfig::default(),
        }
    }
}

/// Strong 2FA codes: what authenticator apps assume (RFC 6238 defaults).
pub const TOTP_PARAMS: TotpParams = TotpParams {
    algorithm: Algorithm::SHA1,
    digits: 6,
    period: 30,
};

/// Seconds a source refused a new `/session/api` login is asked to wait: a
/// slot frees when one of the logins in progress ends, about the time a
/// person takes to sign in.
pub const PENDING_RETRY_AFTER: u64 = 60;

/// Characters of a generated API key (the documentation's sample has 44).
pub const KEY_LENGTH: usize = 44;

/// The one message of every refused password, known user or not.
pub const INVALID_CREDENTIALS: &str = "Invalid email or password";
pub const TOO_MANY_ATTEMPTS: &str = "Too many failed login attempts; try again later";

struct User {
    email: String,
    username: String,
    password_hash: String,
    /// The stable key of `POST /login`: it must be handed out again, so it is
    /// kept (as the product does); its digest finds it on later calls.
    api_key: String,
    totp_secret: Option<Vec<u8>>,
    /// The newest TOTP step accepted: it and older steps are refused (RFC 6238 §5.2).
    last_totp_step: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Password,
    /// The password was right; the user's code is awaited.
    TwoFactor {
        user: usize,
        attempts: u32,
    },
}

/// A `/session/api` login in progress, keyed by its random `login_id`.
struct Pending {
    agent: Agent,
    created: UnixSeconds,
    stage: Stage,
    source: Source,
    /// A `/saml/api` login: what its AuthnRequest asked (never continued
    /// by the password form).
    saml: Option<SamlPending>,
}

/// What a `/saml/api` login sent the IdP, to check its Response against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamlPending {
    /// The AuthnRequest's ID: the Response's `InResponseTo`.
    pub request_id: String,
    /// Where the Response must be posted: `Destination` and `Recipient`.
    pub acs_url: String,
    /// This SP's entity ID: the assertion's `Audience`.
    pub entity_id: String,
}

/// Why a validated SAML assertion still gives no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlRefusal {
    /// The login (RelayState) is unknown, used or expired.
    LoginExpired,
    /// The assertion ID was seen before (Profiles §4.1.4.5).
    Replayed,
    /// No LiquidFiles user has the NameID's email.
    UnknownUser,
    /// Too many assertion IDs are remembered to take another now.
    Busy,
}

/// What the login URL said about the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agent {
    /// Where the browser posts the key: always `http://localhost:<port>/`.
    pub port: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

struct BrowserKey {
    user: usize,
    expires_at: UnixSeconds,
}

/// One line of Admin → Activity Log.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ActivityEntry {
    pub time: UnixSeconds,
    pub user: String,
    pub event: String,
    pub agent_name: Option<String>,
    pub agent_version: Option<String>,
}

struct Store {
    users: Vec<User>,
    /// Every user's email and username in ASCII lower case, to the first
    /// user with that name: a login finds its user without a pass over
    /// every user under the lock (issue #24). Users are only added.
    names: HashMap<String, usize>,
    /// Stable keys, by digest, to their user.
    api_keys: HashMap<TokenDigest, usize>,
    /// Owned by their user (at most `max_browser_keys_per_user` each);
    /// forgotten when they expire.
    browser_keys: Issued<usize, BrowserKey>,
    pending: HashMap<String, Pending>,
    pending_order: VecDeque<(String, UnixSeconds)>,
    /// Logins in progress per source (known sources only).
    pending_per_source: HashMap<Source, usize>,
    /// Assertion IDs accepted, until their confirmation's NotOnOrAfter:
    /// the same assertion never logs in twice (SAML Profiles §4.1.4.5).
    saml_seen: HashMap<String, UnixSeconds>,
    saml_seen_order: VecDeque<(String, UnixSeconds)>,
    activity: VecDeque<ActivityEntry>,
}

/// The LiquidFiles reference server's state (shared as [`LiquidFiles`]).
pub struct LiquidFilesState {
    store: Arc<Mutex<Store>>,
    hashing: PasswordHashing,
    clock: Clock,
    fault: Option<Fault>,
    config: Arc<LiquidFilesConfig>,
    throttle: Arc<LoginThrottle>,
}

crate::shared_state!(LiquidFiles => LiquidFilesState);

/// Why a login step did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong password or unknown user: one answer for both.
    InvalidCredentials,
    /// The account name is rate limited (known or not) from this source: try
    /// again after so many seconds.
    TooManyAttempts(u64),
    /// This source has [`LiquidFilesConfig::max_pending_per_source`] logins in
    /// progress (429), or the server [`LiquidFilesConfig::max_pending`] (503):
    /// try again after [`PENDING_RETRY_AFTER`].
    TooManyPending,
    PendingFull,
    /// Every password hashing worker is busy and its queue is full: nothing
    /// was checked, the client may try again shortly (503, `Retry-After`).
    Busy,
    /// The `login_id` is unknown, expired, or at another stage.
    LoginExpired,
    /// A wrong or missing 2FA code; the login may try again.
    WrongCode,
    /// Too many wrong codes: the login is over.
    TooManyCodes,
}

/// Where a `/session/api` form submission leads.
#[derive(Debug)]
pub enum BrowserStep {
    /// The password was right; ask for the 2FA code.
    NeedsCode,
    Success(BrowserSuccess),
}

/// A completed browser login: the key to show and where to post it.
#[derive(Debug)]
pub struct BrowserSuccess {
    pub api_key: String,
    pub agent_port: Option<String>,
}

/// Who presented a key.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub email: String,
    pub username: String,
}

pub(super) fn generate_key() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(KEY_LENGTH)
        .map(char::from)
        .collect()
}

/// Checks the `agent_port` query value: an integer 1–65535, digits only.
pub fn parse_agent_port(raw: &str) -> Option<u16> {
    if raw.is_empty() || raw.len() > 5 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<u16>().ok().filter(|p| *p != 0)
}

impl LiquidFiles {
    pub fn new(
        fixtures: &LiquidFilesFixtures,
        hashing: PasswordHashing,
        clock: Clock,
        fault: Option<Fault>,
        config: LiquidFilesConfig,
    ) -> Self {
        LiquidFiles(Arc::new(LiquidFilesState::new(
            fixtures, hashing, clock, fault, config,
        )))
    }
}

impl LiquidFilesState {
    fn new(
        fixtures: &LiquidFilesFixtures,
        hashing: PasswordHashing,
        clock: Clock,
        fault: Option<Fault>,
        config: LiquidFilesConfig,
    ) -> Self {
        let fault = fault.filter(|f| f.vendor() == Vendor::LiquidFiles);
        let mut users = Vec::new();
        let mut api_keys = HashMap::new();
        for u in &fixtures.users {
            let api_key = u.api_key.clone().unwrap_or_else(generate_key);
            api_keys.insert(TokenDigest::of(&api_key), users.len());
            users.push(User {
                email: u.email.clone(),
                username: u.username.clone(),
                password_hash: hashing.hash(&u.password),
                api_key,
                totp_secret: u.totp_secret.as_deref().and_then(totp::decode_secret),
                last_totp_step: None,
            });
        }
        let mut store = Store {
            users,
            names: HashMap::new(),
            api_keys,
            browser_keys: Issued::new(),
            pending: HashMap::new(),
            pending_order: VecDeque::new(),
            pending_per_source: HashMap::new(),
            saml_seen: HashMap::new(),
            saml_seen_order: VecDeque::new(),
            activity: VecDeque::new(),
        };
        (0..store.users.len()).for_each(|i| store.add_names(i));
        LiquidFilesState {
            store: Arc::new(Mutex::new(store)),
            hashing,
            clock,
            fault,
            throttle: Arc::new(LoginThrottle::new(config.login_throttle)),
            config: Arc::new(config),
        }
    }

    pub fn fault_is(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    pub fn config(&self) -> &LiquidFilesConfig {
        &self.config
    }

    /// The server's clock.
    pub fn now(&self) -> UnixSeconds {
        self.clock.now()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a user (tests seed users through this, not through fixtures).
    /// Returns the user's stable API key.
    pub fn add_user(&self, email: &str, username: &str, password: &str) -> String {
        let hash = self.hashing.hash(password);
        let api_key = generate_key();
        let mut s = self.lock();
        let idx = s.users.len();
        s.api_keys.insert(TokenDigest::of(&api_key), idx);
        s.users.push(User {
            email: email.to_owned(),
            username: username.to_owned(),
            password_hash: hash,
            api_key: api_key.clone(),
            totp_secret: None,
            last_totp_step: None,
        });
        s.add_names(idx);
        api_key
    }

    /// The stable API key of a user (by email or username), for tests.
    pub fn stable_key_of(&self, name: &str) -> Option<String> {
        let s = self.lock();
        s.find_user(name).map(|i| s.users[i].api_key.clone())
    }

    /// Turns Strong 2FA on for a user (by email or username), as an admin
    /// does: a new TOTP secret (SHA1, 6 digits, 30 s), returned in unpadded
    /// base32; the browser login then asks for a code after the password.
    /// `None` when there is no such user.
    pub fn enable_two_factor(&self, name: &str) -> Option<String> {
        let secret = totp::generate_secret();
        let mut s = self.lock();
        let i = s.find_user(name)?;
        let encoded = totp::encode_secret(&secret);
        let user = &mut s.users[i];
        user.totp_secret = Some(secret);
        user.last_totp_step = None;
        Some(encoded)
    }

    /// Checks a password. The user lookup and an Argon2 verification happen
    /// for every name, known or not, so neither the answer nor its time says
    /// whether the account exists; a limited account or name is refused
    /// before any check, known or not (`throttle.rs`: per account and source,
    /// the email and the username one account). The verification runs on the
    /// bounded hashing pool: when it is full, [`LoginError::Busy`] at once (no
    /// failure is counted).
    async fn check_password(
        &self,
        name: &str,
        password: &str,
        source: Source,
    ) -> Result<usize, LoginError> {
        let now = self.clock.now();
        let found = {
            let s = self.lock();
            s.find_user(name)
                .map(|i| (i, s.users[i].password_hash.clone()))
        };
        // One counter per account: its index never changes (users are only added).
        let id = found.as_ref().map(|(i, _)| i.to_string());
        let attempt = self
            .throttle
            .begin(AccountKey::of_login(id.as_deref(), name), source, now)
            .await
            .map_err(|limited| LoginError::TooManyAttempts(limited.retry_after))?;
        // Verify outside the lock: Argon2 is slow on purpose.
        let (index, hash) = found.unzip();
        let password = password.to_owned();
        let ok = self
            .hashing
            .run(move |hashing| match &hash {
                Some(hash) => hashing.verify(&password, hash),
                None => hashing.verify_decoy(&password),
            })
            .await
            .map_err(|_| LoginError::Busy)?;
        match index {
            Some(i) if ok || self.fault_is(Fault::AnyPasswordLogsIn) => {
                // A right password clears this source's failures: the limit
                // stops guessing, not an owner who mistyped (nor a re-run suite).
                attempt.succeeded(self.clock.now());
                Ok(i)
            }
            _ => {
                attempt.failed(self.clock.now());
                Err(LoginError::InvalidCredentials)
            }
        }
    }

    /// Whether `name` (email or username) has Strong 2FA on.
    pub fn has_two_factor(&self, name: &str) -> bool {
        let s = self.lock();
        s.find_user(name)
            .is_some_and(|i| s.users[i].totp_secret.is_some())
    }

    /// `POST /login`: the user's stable API key.
    pub async fn xml_login(
        &self,
        name: &str,
        password: &str,
        source: Source,
    ) -> Result<String, LoginError> {
        let i = self.check_password(name, password, source).await?;
        let mut s = self.lock();
        if self.fault_is(Fault::XmlKeyChanges) {
            let fresh = generate_key();
            s.api_keys.insert(TokenDigest::of(&fresh), i);
            return Ok(fresh);
        }
        let user = &s.users[i];
        let entry = activity(now_of(&self.clock), &user.email, "api key retrieved", None);
        let key = user.api_key.clone();
        self.push_activity(&mut s, entry);
        Ok(key)
    }

    /// Opens a `/session/api` login; the agent travels server-side under the
    /// returned `login_id`, so the form cannot change the callback port.
    ///
    /// A login in progress is never pushed out by newer ones (a flood of page
    /// loads must not end a real login): beyond the per-source cap the source
    /// is refused, beyond the total cap everyone is, until logins end or expire.
    pub fn start_browser_login(&self, agent: Agent, source: Source) -> Result<String, LoginError> {
        self.start_login(agent, source, None)
    }

    /// Opens a `/saml/api` login: the agent and what the AuthnRequest asked
    /// travel server-side under the returned id, the RelayState (the same
    /// caps as the password login's).
    pub fn start_saml_login(
        &self,
        agent: Agent,
        source: Source,
        saml: SamlPending,
    ) -> Result<String, LoginError> {
        self.start_login(agent, source, Some(saml))
    }

    fn start_login(
        &self,
        agent: Agent,
        source: Source,
        saml: Option<SamlPending>,
    ) -> Result<String, LoginError> {
        let now = self.clock.now();
        let id = Token::generate().as_str().to_owned();
        let mut s = self.lock();
        self.purge_pending(&mut s, now);
        if source != Source::UNKNOWN
            && s.pending_per_source.get(&source).copied().unwrap_or(0)
                >= self.config.max_pending_per_source
        {
            return Err(LoginError::TooManyPending);
        }
        if s.pending.len() >= self.config.max_pending {
            return Err(LoginError::PendingFull);
        }
        s.pending.insert(
            id.clone(),
            Pending {
                agent,
                created: now,
                stage: Stage::Password,
                source,
                saml,
            },
        );
        if source != Source::UNKNOWN {
            *s.pending_per_source.entry(source).or_default() += 1;
        }
        s.pending_order.push_back((id.clone(), now));
        Ok(id)
    }

    /// Ends a login in progress (completed, expired or failed for good).
    fn end_pending(s: &mut Store, login_id: &str) -> Option<Pending> {
        let pending = s.pending.remove(login_id)?;
        if let Some(n) = s.pending_per_source.get_mut(&pending.source) {
            *n -= 1;
            if *n == 0 {
                s.pending_per_source.remove(&pending.source);
            }
        }
        Some(pending)
    }

    fn purge_pending(&self, s: &mut Store, now: UnixSeconds) {
        let ttl = self.config.pending_ttl;
        while s
            .pending_order
            .front()
            .is_some_and(|(_, t)| now - *t >= ttl)
        {
            if let Some((id, _)) = s.pending_order.pop_front() {
                Self::end_pending(s, &id);
            }
        }
        // Ids of logins that ended early wait in the order until their
        // expiry; keep that queue within a small multiple of the live logins.
        if s.pending_order.len() > 2 * s.pending.len() + 64 {
            let pending = &s.pending;
            s.pending_order.retain(|(id, _)| pending.contains_key(id));
        }
    }

    /// Whether a login is waiting for its password (`Some(false)`) or its code
    /// (`Some(true)`); `None` when the id is unknown or expired.
    pub fn pending_stage(&self, login_id: &str) -> Option<bool> {
        let now = self.clock.now();
        let mut s = self.lock();
        self.purge_pending(&mut s, now);
        s.pending
            .get(login_id)
            .filter(|p| now - p.created < self.config.pending_ttl && p.saml.is_none())
            .map(|p| matches!(p.stage, Stage::TwoFactor { .. }))
    }

    /// What a `/saml/api` login's AuthnRequest asked; `None` when the id is
    /// unknown, used, expired, or not a SAML login.
    pub fn saml_pending(&self, login_id: &str) -> Option<SamlPending> {
        let now = self.clock.now();
        let mut s = self.lock();
        self.purge_pending(&mut s, now);
        s.pending
            .get(login_id)
            .filter(|p| now - p.created < self.config.pending_ttl)
            .and_then(|p| p.saml.clone())
    }

    /// The SAML login whose AuthnRequest had this ID (only the
    /// `saml-relay-state-redirect` fault looks logins up this way).
    pub fn saml_login_of_request(&self, request_id: &str) -> Option<String> {
        let s = self.lock();
        s.pending
            .iter()
            .find(|(_, p)| p.saml.as_ref().is_some_and(|r| r.request_id == request_id))
            .map(|(id, _)| id.clone())
    }

    /// Ends a `/saml/api` login whose Response the SP validated: the
    /// assertion ID is used once (remembered until `remember_until`), the
    /// NameID's email must be a user's, then a new key as for `/session/api`.
    pub fn complete_saml(
        &self,
        login_id: &str,
        email: &str,
        assertion_id: &str,
        remember_until: UnixSeconds,
        replay_allowed: bool,
    ) -> Result<BrowserSuccess, SamlRefusal> {
        const MAX_SEEN: usize = 100_000;
        let now = self.clock.now();
        let mut s = self.lock();
        if s.pending.get(login_id).is_none_or(|p| p.saml.is_none()) {
            return Err(SamlRefusal::LoginExpired);
        }
        while s
            .saml_seen_order
            .front()
            .is_some_and(|(_, until)| *until <= now)
        {
            if let Some((id, _)) = s.saml_seen_order.pop_front() {
                s.saml_seen.remove(&id);
            }
        }
        if s.saml_seen
            .get(assertion_id)
            .is_some_and(|until| *until > now)
            && !replay_allowed
        {
            return Err(SamlRefusal::Replayed);
        }
        let user = s
            .users
            .iter()
            .position(|u| u.email.eq_ignore_ascii_case(email.trim()))
            .ok_or(SamlRefusal::UnknownUser)?;
        if s.saml_seen.len() >= MAX_SEEN {
            return Err(SamlRefusal::Busy);
        }
        s.saml_seen.insert(assertion_id.to_owned(), remember_until);
        s.saml_seen_order
            .push_back((assertion_id.to_owned(), remember_until));
        self.complete(&mut s, login_id, user)
            .map_err(|_| SamlRefusal::LoginExpired)
    }

    /// The user whose password a login form gave, as the browser login
    /// checks it (`browser-unknown-user-message` answers an unknown user
    /// otherwise).
    async fn browser_password(
        &self,
        name: &str,
        password: &str,
        source: Source,
    ) -> Result<usize, LoginError> {
        if self.fault_is(Fault::BrowserUnknownUserMessage) && self.lock().find_user(name).is_none()
        {
            let password = password.to_owned();
            self.hashing
                .run(move |hashing| hashing.verify_decoy(&password))
                .await
                .map_err(|_| LoginError::Busy)?;
            return Err(LoginError::LoginExpired);
        }
        self.check_password(name, password, source).await
    }

    /// The login form's submission.
    pub async fn submit_password(
        &self,
        login_id: &str,
        name: &str,
        password: &str,
        source: Source,
    ) -> Result<BrowserStep, LoginError> {
        if self.pending_stage(login_id) != Some(false) {
            return Err(LoginError::LoginExpired);
        }
        let user = self.browser_password(name, password, source).await?;
        let mut s = self.lock();
        let has_2fa = s.users[user].totp_secret.is_some();
        if has_2fa && !self.fault_is(Fault::BrowserSecondFactorSkipped) {
            let Some(p) = s.pending.get_mut(login_id) else {
                return Err(LoginError::LoginExpired);
            };
            p.stage = Stage::TwoFactor { user, attempts: 0 };
            return Ok(BrowserStep::NeedsCode);
        }
        self.complete(&mut s, login_id, user)
            .map(BrowserStep::Success)
    }

    /// The submission of a form with the user, the password and the code
    /// together (`liquidfiles.login-steps=with-code`): the password, then,
    /// for a user with Strong 2FA, the code. A user without 2FA needs no
    /// code. A 2FA user's first submission without one is asked for it
    /// (`NeedsCode`, not counted as a wrong code); a wrong or missing code
    /// after that counts. Either way the form asks for all three again.
    pub async fn submit_with_code(
        &self,
        login_id: &str,
        name: &str,
        password: &str,
        code: Option<&str>,
        source: Source,
    ) -> Result<BrowserStep, LoginError> {
        if self.pending_stage(login_id).is_none() {
            return Err(LoginError::LoginExpired);
        }
        let user = self.browser_password(name, password, source).await?;
        let mut s = self.lock();
        let has_2fa = s.users[user].totp_secret.is_some();
        if !has_2fa || self.fault_is(Fault::BrowserSecondFactorSkipped) {
            return self
                .complete(&mut s, login_id, user)
                .map(BrowserStep::Success);
        }
        let Some(p) = s.pending.get_mut(login_id) else {
            return Err(LoginError::LoginExpired);
        };
        let first = match p.stage {
            Stage::TwoFactor { user: u, .. } if u == user => false,
            _ => {
                p.stage = Stage::TwoFactor { user, attempts: 0 };
                true
            }
        };
        drop(s);
        if first && code.is_none_or(|c| c.trim().is_empty()) {
            return Ok(BrowserStep::NeedsCode);
        }
        self.submit_code(login_id, code).map(BrowserStep::Success)
    }

    /// The two-factor form's submission; `code` is `None` when missing.
    pub fn submit_code(
        &self,
        login_id: &str,
        code: Option<&str>,
    ) -> Result<BrowserSuccess, LoginError> {
        let now = self.clock.now();
        if self.pending_stage(login_id) != Some(true) {
            return Err(LoginError::LoginExpired);
        }
        let mut s = self.lock();
        let Some(Stage::TwoFactor { user, attempts }) = s.pending.get(login_id).map(|p| p.stage)
        else {
            return Err(LoginError::LoginExpired);
        };
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        let accepted = match (&s.users[user].totp_secret, code) {
            (Some(secret), Some(code)) => {
                if self.fault_is(Fault::BrowserTotpAnyCode) {
                    code.len() == TOTP_PARAMS.digits && code.bytes().all(|b| b.is_ascii_digit())
                } else {
                    match totp::matching_step(TOTP_PARAMS, secret, code, now, 1) {
                        Some(step) if s.users[user].last_totp_step.is_none_or(|l| step > l) => {
                            s.users[user].last_totp_step = Some(step);
                            true
                        }
                        _ => false,
                    }
                }
            }
            _ => false,
        };
        if !accepted {
            let attempts = attempts + 1;
            if attempts >= self.config.max_code_attempts {
                Self::end_pending(&mut s, login_id);
                return Err(LoginError::TooManyCodes);
            }
            if let Some(p) = s.pending.get_mut(login_id) {
                p.stage = Stage::TwoFactor { user, attempts };
            }
            return Err(LoginError::WrongCode);
        }
        self.complete(&mut s, login_id, user)
    }

    /// Ends a login: a new key, stored as its digest, and the activity entry.
    fn complete(
        &self,
        s: &mut Store,
        login_id: &str,
        user: usize,
    ) -> Result<BrowserSuccess, LoginError> {
        let Some(pending) = Self::end_pending(s, login_id) else {
            return Err(LoginError::LoginExpired);
        };
        let now = self.clock.now();
        // Forget expired keys as new ones come, a few at a time: a login costs
        // the same with 1k or 1M keys alive.
        s.browser_keys.forget_due(now);
        s.browser_keys
            .make_room(&user, self.config.max_browser_keys_per_user);
        let key = generate_key();
        let expires_at = now.saturating_add(self.config.browser_key_ttl);
        s.browser_keys.insert(
            TokenDigest::of(&key),
            Some(user),
            Some(expires_at),
            BrowserKey { user, expires_at },
        );
        let agent = if self.fault_is(Fault::ActivityLogDropsAgent) {
            None
        } else {
            Some(&pending.agent)
        };
        let entry = activity(now, &s.users[user].email, "login", agent);
        self.push_activity(s, entry);
        Ok(BrowserSuccess {
            api_key: key,
            agent_port: pending.agent.port,
        })
    }

    fn push_activity(&self, s: &mut Store, entry: ActivityEntry) {
        s.activity.push_back(entry);
        while s.activity.len() > self.config.max_activity {
            s.activity.pop_front();
        }
    }

    /// Admin → Activity Log, oldest first.
    pub fn activity_log(&self) -> Vec<ActivityEntry> {
        self.lock().activity.iter().cloned().collect()
    }

    /// Bytes of what the store keeps per token itself (its own value, not
    /// counting what the value points to), for `bench/growth.sh`.
    pub fn token_value_bytes(&self) -> usize {
        std::mem::size_of::<BrowserKey>()
    }

    /// Browser keys stored (live or not yet forgotten), for tests of the bounds.
    pub fn browser_key_count(&self) -> usize {
        self.lock().browser_keys.len()
    }

    /// A key presented on a later call: a user's stable key, or a browser key
    /// that has not expired.
    pub fn authorize(&self, key: &str) -> Option<AccountView> {
        self.with_authorized(key, |u| AccountView {
            email: u.email.clone(),
            username: u.username.clone(),
        })
    }

    /// `GET /account`'s body for a key [`Self::authorize`] accepts:
    /// `{"user":{"email","username"}}`, written from the stored user in place.
    pub fn account_json(&self, key: &str) -> Option<Vec<u8>> {
        self.with_authorized(key, |u| {
            // What serde_json writes for it, written directly (`crate::json`).
            let mut out = Vec::with_capacity(40 + u.email.len() + u.username.len());
            out.extend_from_slice(b"{\"user\":{\"email\":");
            crate::json::push_string(&mut out, &u.email);
            out.extend_from_slice(b",\"username\":");
            crate::json::push_string(&mut out, &u.username);
            out.extend_from_slice(b"}}");
            out
        })
    }

    fn with_authorized<T>(&self, key: &str, f: impl FnOnce(&User) -> T) -> Option<T> {
        let now = self.clock.now();
        let digest = TokenDigest::of(key);
        let s = self.lock();
        let user = match s.api_keys.get(&digest) {
            Some(i) => *i,
            None => {
                let k = s.browser_keys.get(&digest)?.value;
                if k.expires_at <= now && !self.fault_is(Fault::BrowserKeysNeverExpire) {
                    return None;
                }
                k.user
            }
        };
        Some(f(&s.users[user]))
    }
}

fn now_of(clock: &Clock) -> UnixSeconds {
    clock.now()
}

fn activity(time: UnixSeconds, user: &str, event: &str, agent: Option<&Agent>) -> ActivityEntry {
    ActivityEntry {
        time,
        user: user.to_owned(),
        event: event.to_owned(),
        agent_name: agent.and_then(|a| a.name.clone()),
        agent_version: agent.and_then(|a| a.version.clone()),
    }
}

impl Store {
    /// Records user `i`'s email and username; a name already taken keeps its first user.
    fn add_names(&mut self, i: usize) {
        let u = &self.users[i];
        for name in [&u.email, &u.username] {
            self.names.entry(name.to_ascii_lowercase()).or_insert(i);
        }
    }

    /// A user by email or username, case-insensitively (the first added
    /// when two share a name). One hash lookup, known name or not: the time
    /// says nothing of where (or whether) the name is found.
    fn find_user(&self, name: &str) -> Option<usize> {
        self.names.get(&name.trim().to_ascii_lowercase()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Fixtures;
    use crate::secret::HashCost;

    fn lf(config: LiquidFilesConfig) -> LiquidFiles {
        LiquidFiles::new(
            &Fixtures::builtin().liquidfiles,
            PasswordHashing::new(HashCost::Test),
            Clock::new(),
            None,
            config,
        )
    }

    #[test]
    fn a_user_is_found_by_email_or_username_in_any_case_first_added_first() {
        let lf = lf(LiquidFilesConfig::default());
        let zed = lf.add_user("Zed@Example.test", "ZedUser", "Pa55word-zed");
        // A later user whose username is the first one's email: the first keeps the name.
        let other = lf.add_user("other@example.test", "zed@example.test", "Pa55word-other");
        for name in [
            "zed@example.test",
            " ZED@EXAMPLE.TEST ",
            "zeduser",
            "ZedUser",
        ] {
            assert_eq!(lf.stable_key_of(name), Some(zed.clone()), "{name}");
        }
        assert_eq!(lf.stable_key_of("OTHER@example.test"), Some(other));
        assert_eq!(lf.stable_key_of("nobody@example.test"), None);
    }

    #[test]
    fn agent_ports() {
        for ok in ["1", "80", "12345", "65535"] {
            assert!(parse_agent_port(ok).is_some(), "{ok}");
        }
        for bad in [
            "", "0", "65536", "-1", "80x", "abc", "+80", " 80", "0080000", "1e3",
        ] {
            assert_eq!(parse_agent_port(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn the_same_key_by_email_or_username_and_one_error_for_both_failures() {
        let lf = lf(LiquidFilesConfig::default());
        let a = lf
            .xml_login("alice@example.com", "alice-Pa55word", Source::UNKNOWN)
            .await
            .unwrap();
        let b = lf
            .xml_login("ALICE", "alice-Pa55word", Source::UNKNOWN)
            .await
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), KEY_LENGTH);
        assert_eq!(
            lf.xml_login("alice", "nope", Source::UNKNOWN).await,
            Err(LoginError::InvalidCredentials)
        );
        assert_eq!(
            lf.xml_login("nobody", "nope", Source::UNKNOWN).await,
            Err(LoginError::InvalidCredentials)
        );
        assert!(lf.authorize(&a).is_some());
    }

    #[tokio::test]
    async fn failed_logins_are_rate_limited_alike_for_known_and_unknown_names() {
        let lf = lf(LiquidFilesConfig {
            login_throttle: Some(ThrottleConfig::per_source(3, 15 * 60)),
            ..LiquidFilesConfig::default()
        });
        for name in ["bob", "nobody-here"] {
            for _ in 0..3 {
                assert_eq!(
                    lf.xml_login(name, "x", Source::UNKNOWN).await,
                    Err(LoginError::InvalidCredentials)
                );
            }
            assert!(matches!(
                lf.xml_login(name, "x", Source::UNKNOWN).await,
                Err(LoginError::TooManyAttempts(_))
            ));
        }
        // The right password does not get through from that source either,
        // by any of the account's names; another source is not refused.
        for name in ["bob", "BOB@example.com"] {
            assert!(matches!(
                lf.xml_login(name, "bob-Pa55word", Source::UNKNOWN).await,
                Err(LoginError::TooManyAttempts(_))
            ));
        }
        let elsewhere = Source::of([127, 0, 0, 2].into());
        assert!(lf.xml_login("bob", "bob-Pa55word", elsewhere).await.is_ok());
        // The browser login shares the limit.
        let id = lf
            .start_browser_login(Agent::default(), Source::UNKNOWN)
            .unwrap();
        assert!(matches!(
            lf.submit_password(&id, "bob", "bob-Pa55word", Source::UNKNOWN)
                .await,
            Err(LoginError::TooManyAttempts(_))
        ));
        lf.clock.advance(15 * 60).unwrap();
        assert!(
            lf.xml_login("bob", "bob-Pa55word", Source::UNKNOWN)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn code_attempts_are_limited() {
        let lf = lf(LiquidFilesConfig::default());
        let id = lf
            .start_browser_login(Agent::default(), Source::UNKNOWN)
            .unwrap();
        assert!(matches!(
            lf.submit_password(&id, "carol", "carol-Pa55word", Source::UNKNOWN)
                .await,
            Ok(BrowserStep::NeedsCode)
        ));
        for _ in 0..4 {
            assert_eq!(
                lf.submit_code(&id, Some("000000")).unwrap_err(),
                LoginError::WrongCode
            );
        }
        assert_eq!(
            lf.submit_code(&id, Some("000000")).unwrap_err(),
            LoginError::TooManyCodes
        );
        assert_eq!(lf.pending_stage(&id), None);
    }

    #[tokio::test]
    async fn browser_keys_expire() {
        let lf = lf(LiquidFilesConfig::default());
        let id = lf
            .start_browser_login(Agent::default(), Source::UNKNOWN)
            .unwrap();
        let Ok(BrowserStep::Success(ok)) = lf
            .submit_password(&id, "alice", "alice-Pa55word", Source::UNKNOWN)
            .await
        else {
            panic!("alice logs in")
        };
        assert!(lf.authorize(&ok.api_key).is_some());
        lf.clock.advance(30 * 24 * 3600).unwrap();
        assert!(lf.authorize(&ok.api_key).is_none());
        // A login id is used once.
        assert!(matches!(
            lf.submit_password(&id, "alice", "alice-Pa55word", Source::UNKNOWN)
                .await,
            Err(LoginError::LoginExpired)
        ));
    }
}
