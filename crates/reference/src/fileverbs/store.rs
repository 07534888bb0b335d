//! The state of the FileVerbs reference server and every rule it enforces:
//! SecretKey machine access, JWT access tokens, and refresh-token families
//! with rotation and reuse detection (OAuth 2.0 Security BCP §4.14).
//!
//! Handlers only translate HTTP to calls here. Faults are applied next to the
//! rule they break.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use super::switches;
use super::wire::{ApiError, Claims};
use crate::clock::{Clock, UnixSeconds};
use crate::fault::Fault;
use crate::fixtures::{FileVerbsAccount, FileVerbsFixtures};
use crate::issued::Issued;
use crate::secret::{Token, TokenDigest};
use crate::switch::Switches;
use crate::vendor::Vendor;

/// Lifetimes and the signing key.
#[derive(Clone)]
pub struct FileVerbsConfig {
    /// The HS256 key JWTs are signed with.
    pub jwt_key: Vec<u8>,
    /// Seconds a JWT lives (default 15 minutes).
    pub jwt_ttl: i64,
    /// Seconds a refresh token lives (default 7 days).
    pub refresh_ttl: i64,
    /// Refresh-token families kept per account (a reference choice, default
    /// 100): a new one beyond it ends revoked families first, then the one
    /// least recently issued a token.
    pub max_families_per_account: usize,
    /// Refresh tokens kept per family (a reference choice, default 32): the
    /// current one and the last used ones, whose reuse revokes the family.
    /// Older used tokens are forgotten (presented again, they are unknown:
    /// refused, without revoking the family). With the family cap this bounds
    /// an account's refresh tokens, and so the table's (issue #26, R5).
    pub max_refresh_tokens_per_family: usize,
    /// Where seed 004 is silent, the choices of this server
    /// (`super::switches`); the reference server's by default. Every
    /// documented rule holds whatever they are.
    pub switches: Switches,
}

impl Default for FileVerbsConfig {
    /// A fresh random signing key per server: tokens of one run never verify on another.
    fn default() -> Self {
        FileVerbsConfig {
            jwt_key: Token::generate().as_str().as_bytes().to_vec(),
            jwt_ttl: 15 * 60,
            refresh_ttl: 7 * 24 * 3600,
            max_families_per_account: 100,
            max_refresh_tokens_per_family: 32,
            switches: Switches::default(),
        }
    }
}

impl std::fmt::Debug for FileVerbsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileVerbsConfig")
            .field("jwt_ttl", &self.jwt_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish_non_exhaustive()
    }
}

struct Account {
    id: String,
    first_name: String,
    last_name: String,
    email: String,
    role: String,
    is_verified: bool,
    secret_key: TokenDigest,
    api_key: TokenDigest,
}

impl Account {
    /// The stored record of a seeded (or added) account: only the keys' digests are kept.
    fn seeded(a: &FileVerbsAccount) -> Account {
        Account {
            id: a.id.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            email: a.email.clone(),
            role: a.role.clone(),
            is_verified: a.is_verified,
            secret_key: TokenDigest::of(&a.secret_key),
            api_key: TokenDigest::of(&a.api_key),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RefreshState {
    Active,
    /// Exchanged once already: presenting it again is reuse.
    Used,
}

struct RefreshToken {
    account: usize,
    expires_at: UnixSeconds,
    state: RefreshState,
    /// Its family was revoked (every token of a family is marked at once).
    revoked: bool,
}

struct Store {
    accounts: Vec<Account>,
    /// Each account's index by its SecretKey's digest, so that a call finds
    /// its account without a pass over every account under the lock (issue #24).
    by_secret: HashMap<TokenDigest, usize>,
    /// Every account's id: an added account's may not be one (ids never change).
    ids: HashSet<String>,
    /// Owned by their family (at most `max_refresh_tokens_per_family` each);
    /// forgotten when they expire.
    refresh: Issued<u64, RefreshToken>,
    /// Each account's families, least recently issued a token first: a
    /// family moves to the back when it rotates, so the expired ones are at
    /// the front. Bounded by `max_families_per_account`.
    families: Vec<VecDeque<FamilyRef>>,
    next_family: u64,
}

/// A family in its account's list: its id, and whether it was revoked, in
/// one word (ids count up from 1 and never reach 2^63), so that ending the
/// families beyond the cap reads the account's list alone, without looking
/// each family up in the table (issue #24; 8 bytes, a token's share at 1M).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct FamilyRef(u64);

impl FamilyRef {
    const REVOKED: u64 = 1 << 63;

    fn id(self) -> u64 {
        self.0 & !Self::REVOKED
    }

    fn revoked(self) -> bool {
        self.0 & Self::REVOKED != 0
    }
}

impl Store {
    /// Revokes every token of `account`'s `family` (at most
    /// `max_refresh_tokens_per_family`) and marks it in the account's list.
    fn revoke_family(&mut self, account: usize, family: u64) {
        self.refresh.owned_by_mut(&family, |t| t.revoked = true);
        if let Some(f) = self
            .families
            .get_mut(account)
            .and_then(|mine| mine.iter_mut().find(|f| f.id() == family))
        {
            f.0 |= FamilyRef::REVOKED;
        }
    }

    /// Moves `account`'s `family` to the back of its list: it was just issued a token.
    fn touch_family(&mut self, account: usize, family: u64) {
        let Some(mine) = self.families.get_mut(account) else {
            return;
        };
        if let Some(at) = mine.iter().position(|f| f.id() == family)
            && let Some(f) = mine.remove(at)
        {
            mine.push_back(f);
        }
    }
}

/// The documented response of access-token (and of refresh).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Authenticated {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: String,
    pub is_verified: bool,
    pub jwt_token: String,
    pub refresh_token: String,
}

/// An answer of access-token or refresh whose JWT is still to be signed.
struct Unsigned {
    claims: Claims,
    answer: Authenticated,
}

/// How a caller of a protected resource proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    SecretKey,
    Bearer,
}

/// The FileVerbs reference server's state (shared as [`FileVerbs`]).
pub struct FileVerbsState {
    store: Arc<Mutex<Store>>,
    clock: Clock,
    fault: Option<Fault>,
    config: Arc<FileVerbsConfig>,
    /// `config.jwt_key`, ready to verify with.
    jwt_key: crate::hs256::Hs256Key,
    /// When the server started (the `secret-key-expires` fault counts from it).
    started_at: UnixSeconds,
}

crate::shared_state!(FileVerbs => FileVerbsState);

impl FileVerbs {
    /// Its configuration (the variant's JWT lifetime applied).
    pub fn config(&self) -> &FileVerbsConfig {
        &self.config
    }

    pub fn new(
        fixtures: &FileVerbsFixtures,
        clock: Clock,
        fault: Option<Fault>,
        config: FileVerbsConfig,
    ) -> Self {
        FileVerbs(Arc::new(FileVerbsState::new(
            fixtures, clock, fault, config,
        )))
    }
}

impl FileVerbsState {
    fn new(
        fixtures: &FileVerbsFixtures,
        clock: Clock,
        fault: Option<Fault>,
        config: FileVerbsConfig,
    ) -> Self {
        let accounts: Vec<Account> = fixtures.accounts.iter().map(Account::seeded).collect();
        let ids = accounts.iter().map(|a| a.id.clone()).collect();
        let mut by_secret = HashMap::new();
        for (i, a) in accounts.iter().enumerate() {
            // Fixtures refuse a shared SecretKey; were one shared, the first account keeps it.
            by_secret.entry(a.secret_key).or_insert(i);
        }
        let mut config = config;
        if config.switches.is(&switches::JWT_LIFETIME, "10m") {
            config.jwt_ttl = 10 * 60;
        }
        FileVerbsState {
            store: Arc::new(Mutex::new(Store {
                families: vec![Default::default(); accounts.len()],
                accounts,
                by_secret,
                ids,
                refresh: Issued::new(),
                next_family: 1,
            })),
            started_at: clock.now(),
            clock,
            fault: fault.filter(|f| f.vendor() == Vendor::FileVerbs),
            jwt_key: crate::hs256::Hs256Key::new(&config.jwt_key),
            config: Arc::new(config),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn fault_is(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    /// The account whose SecretKey this is.
    fn account_by_secret(store: &Store, secret_key: &str) -> Option<usize> {
        store.by_secret.get(&TokenDigest::of(secret_key)).copied()
    }

    /// `SecretKey: <key>` on any call.
    pub fn check_secret_key(&self, presented: &str) -> Result<Proof, ApiError> {
        if self.fault_is(Fault::SecretKeyIgnored) {
            return Err(ApiError::unauthorized(
                "A valid SecretKey or bearer token is required.",
            ));
        }
        if self.fault_is(Fault::SecretKeyExpires) && self.clock.now() > self.started_at + 24 * 3600
        {
            return Err(ApiError::unauthorized("The SecretKey has expired."));
        }
        let store = self.store();
        if Self::account_by_secret(&store, presented).is_some()
            || self.fault_is(Fault::AnySecretKeyAccepted)
        {
            Ok(Proof::SecretKey)
        } else {
            Err(ApiError::unauthorized("The SecretKey is not valid."))
        }
    }

    /// POST /accounts/access-token: the pair must belong to one account.
    pub fn issue(&self, secret_key: &str, api_key: &str) -> Result<Authenticated, ApiError> {
        let now = self.clock.now();
        let refresh = Token::generate();
        let mut store = self.store();
        let account = Self::account_by_secret(&store, secret_key)
            .filter(|i| {
                TokenDigest::of(api_key).ct_eq(&store.accounts[*i].api_key)
                    || self.fault_is(Fault::ApiKeyNotChecked)
            })
            .ok_or_else(|| {
                ApiError::unauthorized("The SecretKey and APIKey do not match an account.")
            })?;
        let family = self.open_family(&mut store, account);
        let unsigned = self.open_refresh(&mut store, account, family, now, refresh);
        drop(store);
        self.signed(unsigned)
    }

    /// Ends `account`'s families beyond the cap (revoked ones first, then the
    /// least recently issued a token, which are the expired ones when any
    /// is), so that one key pair cannot grow the store without bound, and
    /// records the new one. (Expired tokens are forgotten by the table itself,
    /// a few per insert.) The work is the account's own list, never a pass
    /// over the table (issue #26, R5), nor a lookup per family (issue #24).
    fn open_family(&self, store: &mut Store, account: usize) -> u64 {
        let family = store.next_family;
        store.next_family += 1;
        let Store {
            refresh, families, ..
        } = store;
        let Some(mine) = families.get_mut(account) else {
            return family;
        };
        let max = self.config.max_families_per_account.max(1);
        while mine.len() >= max {
            let revoked = mine.iter().position(|f| f.revoked());
            let Some(ended) = mine.remove(revoked.unwrap_or(0)) else {
                break;
            };
            refresh.remove_owned_by(&ended.id());
        }
        mine.push_back(FamilyRef(family));
        family
    }

    /// Opens a refresh token in `family` for `account`, under the lock; the
    /// answer's JWT is signed by [`Self::signed`] once the lock is released,
    /// so that concurrent calls wait for the table's work alone (issue #24).
    fn open_refresh(
        &self,
        store: &mut Store,
        account: usize,
        family: u64,
        now: UnixSeconds,
        refresh: Token,
    ) -> Unsigned {
        // Expired refresh tokens are dropped as new ones come, a few at a time,
        // so the table stays bounded by live ones at a cost independent of their number.
        store.refresh.forget_due(now);
        store
            .refresh
            .make_room(&family, self.config.max_refresh_tokens_per_family);
        let expires_at = now + self.config.refresh_ttl;
        store.refresh.insert(
            refresh.digest(),
            Some(family),
            Some(expires_at),
            RefreshToken {
                account,
                expires_at,
                state: RefreshState::Active,
                revoked: false,
            },
        );
        let a = &store.accounts[account];
        Unsigned {
            claims: Claims {
                sub: a.id.clone(),
                iat: now,
                exp: now + self.config.jwt_ttl,
                role: a.role.clone(),
            },
            answer: Authenticated {
                id: a.id.clone(),
                first_name: a.first_name.clone(),
                last_name: a.last_name.clone(),
                email: a.email.clone(),
                role: a.role.clone(),
                is_verified: a.is_verified,
                jwt_token: String::new(),
                refresh_token: refresh.as_str().to_owned(),
            },
        }
    }

    /// The answer of [`Self::open_refresh`] with its JWT signed.
    fn signed(&self, unsigned: Unsigned) -> Result<Authenticated, ApiError> {
        let Unsigned { claims, answer } = unsigned;
        let claims = if self.config.switches.is(&switches::JWT_CLAIMS, "id-no-iat") {
            super::variant::claims(&claims)
        } else {
            serde_json::to_value(&claims).unwrap_or_default()
        };
        let jwt = crate::hs256::sign(&self.config.jwt_key, &claims)
            .map_err(|e| ApiError::internal(format!("cannot sign the token: {e}")))?;
        Ok(Authenticated {
            jwt_token: jwt,
            ..answer
        })
    }

    /// `Authorization: Bearer <jwt>`: signature (HS256 with our key only),
    /// expiry against the server clock, and an account that still exists.
    pub fn check_bearer(&self, jwt: &str) -> Result<Proof, ApiError> {
        let refused = || ApiError::unauthorized("The bearer token is not valid or has expired.");
        let claims = if self.fault_is(Fault::JwtSignatureNotChecked)
            || self.fault_is(Fault::JwtAlgNoneAccepted) && alg_is_none(jwt)
        {
            crate::hs256::insecure_claims::<Claims>(jwt).map_err(|_| refused())?
        } else {
            // Expiry is checked below against the server's clock, which tests move;
            // `exp` and the user (`sub`, or the variant's `id`) are required by `Claims`.
            crate::hs256::verify_with::<Claims>(&self.jwt_key, jwt).map_err(|_| refused())?
        };
        let leeway = if self.config.switches.is(&switches::JWT_LEEWAY, "5m") {
            5 * 60
        } else {
            0
        };
        if self.clock.now() >= claims.exp + leeway && !self.fault_is(Fault::JwtExpiryNotChecked) {
            return Err(refused());
        }
        let store = self.store();
        if !store.accounts.iter().any(|a| a.id == claims.sub) {
            return Err(refused());
        }
        Ok(Proof::Bearer)
    }

    /// POST /accounts/refresh-token: rotate. A used token is reuse: its whole
    /// family is revoked, so a thief and the victim both have to authenticate again.
    pub fn refresh(&self, presented: &str) -> Result<Authenticated, ApiError> {
        let refused = || ApiError::unauthorized("The refresh token is not valid.");
        let now = self.clock.now();
        let digest = TokenDigest::of(presented);
        let rotated = Token::generate();
        let mut store = self.store();
        let (account, family, state, expires_at, revoked) = {
            let r = store.refresh.get(&digest).ok_or_else(refused)?;
            let family = *r.owner.ok_or_else(refused)?;
            let v = r.value;
            (v.account, family, v.state, v.expires_at, v.revoked)
        };
        // How many tokens of the family were issued after this one (one fault's rule).
        let rotated_after = || {
            let this = store.refresh.get(&digest).map(|t| t.value);
            store
                .refresh
                .owned_by(&family)
                .skip_while(|e| this.is_none_or(|v| !std::ptr::eq(e.value, v)))
                .count()
                .saturating_sub(1)
        };
        let ignore_expiry = self.fault_is(Fault::RefreshNeverExpires);
        if revoked || (now >= expires_at && !ignore_expiry) {
            return Err(refused());
        }
        match state {
            RefreshState::Used if self.fault_is(Fault::RefreshReuseNotDetected) => {}
            RefreshState::Used
                if self.fault_is(Fault::RefreshReuseAfterTwoRotations) && rotated_after() >= 2 => {}
            RefreshState::Used if self.fault_is(Fault::RefreshNotRotated) => {}
            // The variant refuses the reuse but leaves the family alone.
            RefreshState::Used
                if self
                    .config
                    .switches
                    .is(&switches::REFRESH_REUSE, "refuse-only") =>
            {
                return Err(refused());
            }
            RefreshState::Used => {
                store.revoke_family(account, family);
                return Err(ApiError::unauthorized(
                    "This refresh token was already used: every token of its family is revoked.",
                ));
            }
            RefreshState::Active => {}
        }
        if !self.fault_is(Fault::RefreshNotRotated)
            && let Some(r) = store.refresh.get_mut(&digest)
        {
            r.state = RefreshState::Used;
        }
        store.touch_family(account, family);
        let unsigned = self.open_refresh(&mut store, account, family, now, rotated);
        drop(store);
        let mut issued = self.signed(unsigned)?;
        if self.fault_is(Fault::RefreshJwtInvalid) {
            issued.jwt_token.push('x');
        }
        Ok(issued)
    }

    /// POST /accounts/revoke-token: ends the family of a known refresh token.
    pub fn revoke(&self, presented: &str) -> Result<(), ApiError> {
        let mut store = self.store();
        let (account, family) = store
            .refresh
            .get(&TokenDigest::of(presented))
            .and_then(|r| Some((r.value.account, *r.owner?)))
            .ok_or_else(|| ApiError::not_found("No such refresh token."))?;
        if !self.fault_is(Fault::RevokeDoesNotRevoke) {
            store.revoke_family(account, family);
        }
        Ok(())
    }

    /// Bytes of what the store keeps per token itself (its own value, not
    /// counting what the value points to), for `bench/growth.sh`.
    pub fn token_value_bytes(&self) -> usize {
        std::mem::size_of::<RefreshToken>()
    }

    /// Refresh tokens stored (live, used or revoked, not yet forgotten), for
    /// tests of the bounds.
    pub fn refresh_token_count(&self) -> usize {
        self.store().refresh.len()
    }

    /// Adds an account at run time (the mocks' builder), made exactly as a
    /// seeded one. Ids and SecretKeys stay unique, as the fixtures check them.
    pub fn add_account(&self, account: &FileVerbsAccount) -> Result<(), String> {
        let record = Account::seeded(account);
        let mut store = self.store();
        if store.ids.contains(&account.id) {
            return Err(format!("fileverbs account `{}` exists", account.id));
        }
        if Self::account_by_secret(&store, &account.secret_key).is_some() {
            return Err(format!(
                "fileverbs account `{}` reuses another account's secret_key",
                account.id
            ));
        }
        let i = store.accounts.len();
        store.by_secret.insert(record.secret_key, i);
        store.ids.insert(record.id.clone());
        store.accounts.push(record);
        store.families.push(Default::default());
        Ok(())
    }

    /// Test hook (control API): replaces an account's SecretKey, as "reset in the
    /// portal" does, and ends its refresh families. Returns the new key.
    pub fn reset_secret_key(&self, old: &str) -> Option<String> {
        self.reset_secret_key_to(old, None).ok()
    }

    /// [`Self::reset_secret_key`] to a chosen key (`None` or empty: a random
    /// one). A chosen key must be a strong secret of its own: at least
    /// [`MIN_SECRET_KEY_CHARS`] visible ASCII characters (at most 256), and
    /// not another account's SecretKey (two accounts with one key would sign
    /// each other's APIKeys on).
    pub fn reset_secret_key_to(&self, old: &str, to: Option<&str>) -> Result<String, KeyReset> {
        let mut store = self.store();
        let i = Self::account_by_secret(&store, old).ok_or(KeyReset::UnknownKey)?;
        let new = match to {
            Some(key) if !key.is_empty() => {
                check_chosen_secret_key(key)?;
                if Self::account_by_secret(&store, key).is_some_and(|other| other != i) {
                    return Err(KeyReset::Refused(
                        "NewSecretKey is another account's SecretKey".into(),
                    ));
                }
                key.to_owned()
            }
            _ => Token::generate().as_str().to_owned(),
        };
        if self.fault_is(Fault::SecretKeyResetIgnored) {
            return Ok(new);
        }
        let old_digest =
            std::mem::replace(&mut store.accounts[i].secret_key, TokenDigest::of(&new));
        store.by_secret.remove(&old_digest);
        let new_digest = store.accounts[i].secret_key;
        store.by_secret.insert(new_digest, i);
        let families: Vec<u64> = store.families[i].iter().map(|f| f.id()).collect();
        for family in families {
            store.revoke_family(i, family);
        }
        Ok(new)
    }
}

/// Shortest SecretKey a reset may choose (a random one has 43 characters).
pub const MIN_SECRET_KEY_CHARS: usize = 16;

/// Why a SecretKey reset did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyReset {
    /// No account has the SecretKey to reset.
    UnknownKey,
    /// The chosen key is refused, and why.
    Refused(String),
}

fn check_chosen_secret_key(key: &str) -> Result<(), KeyReset> {
    let refused = |why: &str| Err(KeyReset::Refused(why.to_owned()));
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return refused("NewSecretKey must be visible ASCII characters, without spaces");
    }
    if key.len() < MIN_SECRET_KEY_CHARS {
        return Err(KeyReset::Refused(format!(
            "NewSecretKey must have at least {MIN_SECRET_KEY_CHARS} characters"
        )));
    }
    if key.len() > 256 {
        return refused("NewSecretKey may have at most 256 characters");
    }
    Ok(())
}

/// Whether a JWT's header says `"alg": "none"` (for the fault that trusts it).
fn alg_is_none(jwt: &str) -> bool {
    use base64::Engine;
    let Some(header) = jwt.split('.').next() else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        .is_some_and(|h| {
            h["alg"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case("none"))
        })
}
