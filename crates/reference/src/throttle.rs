//! Failed-login throttling, one for every vendor's password logins (Limecraft,
//! LAC, LiquidFiles' `POST /login` and `/session/api`). The documents say
//! nothing about it: a reference choice. Off in `ReferenceConfig::for_tests()`
//! (the suite and the mocks), on in `authconform serve`; a mock turns it on
//! with its store's `set_login_throttle`.
//!
//! The design, and why (OWASP ASVS v4.0.3 §2.2.1: anti-automation "effective
//! at mitigating breached credential testing, brute force, and account
//! lockout attacks", "no more than 100 failed attempts per hour … on a single
//! account"; §2.2 lists soft lockouts, rate limiting, IP address restrictions
//! and "ever increasing delays"):
//!
//! - **Per account and source**: `max_failures` wrong passwords for one
//!   account from one source (an IPv4 address, an IPv6 /64) within `window`
//!   refuse *that source* for that account (429, before any password check).
//!   Another source is not affected: 10 wrong passwords from anywhere cannot
//!   lock the owner out (the hard lockout the 2026-12 audit found, R7).
//! - **Per account, from every source**: at most `account_max_failures` within
//!   `account_window` (ASVS's 100 per hour), so many sources cannot guess
//!   without bound; beyond it, sources *unfamiliar* to the account are refused.
//!   A familiar source (one that signed on to this account with the right
//!   password within `familiar_for`) is exempt from this limit and counts
//!   nothing toward it: the owner keeps signing on from where they did before
//!   (what Microsoft Entra's smart lockout does with familiar locations). So
//!   no one anywhere can lock the right password out from the owner's own
//!   machines; a distributed attacker delays only a new machine's first login.
//! - **One counter per account**: a name that belongs to an account counts
//!   against the account (its username, email and any case of them alike);
//!   a name that belongs to none counts against the name (trimmed, lower-case),
//!   so an unknown name is limited as a known one is.
//! - **Atomic**: the check reserves the attempt under the lock
//!   ([`LoginThrottle::begin`]), and the password check's outcome settles it
//!   ([`Attempt::failed`], [`Attempt::succeeded`]); attempts in flight count, so
//!   concurrent tries cannot pass more than the limit.
//! - **Smooth**: each limit is a leaky bucket (GCRA): a failure fills it by
//!   `window / max_failures`, which drains with time; a refused source may
//!   try again one interval later (the `Retry-After`), not after a full window.
//!   A right password empties its source's bucket (not the account's).
//! - **Bounded in bytes**: a table entry is a 16-byte digest of the account or
//!   name (a 60 KB name costs what a 5-byte one does) plus the source and the
//!   bucket; each table holds at most [`MAX_ENTRIES`], drained entries go
//!   first and then the lightest (fewest failures held), so a flood of names
//!   costs memory up to the cap and no more.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::clock::UnixSeconds;

/// Entries each table (per source, per account) holds at most.
pub const MAX_ENTRIES: usize = 100_000;
/// Familiar sources remembered per account (the most recent go last).
const FAMILIAR_PER_ACCOUNT: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures of one account from one source within `window` seconds.
    pub max_failures: usize,
    pub window: i64,
    /// Failures of one account from unfamiliar sources within `account_window`.
    pub account_max_failures: usize,
    pub account_window: i64,
    /// Seconds a source stays familiar after a right password.
    pub familiar_for: i64,
}

impl ThrottleConfig {
    /// `max_failures` per `window` seconds per source, and the account-wide
    /// defaults.
    pub fn per_source(max_failures: usize, window: i64) -> Self {
        ThrottleConfig {
            max_failures,
            window,
            ..Self::default()
        }
    }
}

impl Default for ThrottleConfig {
    /// 10 failures in 15 minutes per source and account; 100 an hour per
    /// account (ASVS v4.0.3 §2.2.1's ceiling); familiar for 30 days.
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 10,
            window: 15 * 60,
            account_max_failures: 100,
            account_window: 3600,
            familiar_for: 30 * 24 * 3600,
        }
    }
}

/// Where a request comes from, as the throttle counts it: the peer's IPv4
/// address, or the /64 of an IPv6 one (one host usually holds a whole /64).
/// Read from axum's `ConnectInfo<SocketAddr>` request extension when a caller
/// inserted one, else from the connection `serving::serve` is answering on; a
/// request with neither (in-process calls) is [`Source::UNKNOWN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Source(u128);

impl Source {
    /// Every request whose peer is not known counts as this one source.
    pub const UNKNOWN: Source = Source(u128::MAX);

    pub fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(v4) => Source(u128::from(u32::from(v4))),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source(u128::from(u32::from(v4))),
                None => Source(u128::from(v6) & !((1u128 << 64) - 1)),
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .or_else(crate::serving::current_source);
        Ok(peer.map_or(Source::UNKNOWN, Source::of))
    }
}

/// Whom failures count against: a 16-byte digest of an account's stable id,
/// or of a name that belongs to no account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountKey([u8; 16]);

impl AccountKey {
    /// An account, by an id that does not change (its aliases share it).
    pub fn account(id: &str) -> AccountKey {
        Self::digest(b"account\0", id)
    }

    /// Whom a login of `name` counts against: the account it found (by its
    /// stable id), else the name itself.
    pub fn of_login(account_id: Option<&str>, name: &str) -> AccountKey {
        account_id.map_or_else(|| Self::unknown_name(name), Self::account)
    }

    /// A name no account has: trimmed and lower-cased, as a login reads it.
    pub fn unknown_name(name: &str) -> AccountKey {
        Self::digest(b"name\0", &name.trim().to_lowercase())
    }

    fn digest(kind: &[u8], value: &str) -> AccountKey {
        let full = Sha256::new()
            .chain_update(kind)
            .chain_update(value.as_bytes())
            .finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&full[..16]);
        AccountKey(key)
    }
}

/// Sets `Retry-After: secs` on a refusal (every vendor's 429 and 503 say
/// when to try again).
pub fn set_retry_after(response: &mut axum::response::Response, secs: u64) {
    response
        .headers_mut()
        .insert(axum::http::header::RETRY_AFTER, secs.into());
}

/// A refused attempt: nothing was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    /// Seconds until this source may try again (`Retry-After`).
    pub retry_after: u64,
}

/// Why an attempt cannot be reserved now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Limited(Limited),
    /// Only attempts in flight stand in the way: wait for one to settle.
    Wait,
}

/// A leaky bucket (GCRA): `full_at` is when it drains empty, in
/// milliseconds; attempts reserved and not yet settled are `in_flight`.
#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    full_at: i64,
    in_flight: u32,
}

/// One limit: `max` failures per `window_ms`.
#[derive(Clone, Copy, Debug)]
struct Limit {
    max: u64,
    interval_ms: i64,
}

impl Limit {
    fn new(max: usize, window_secs: i64) -> Limit {
        let max = max.max(1) as u64;
        Limit {
            max,
            interval_ms: (window_secs.max(1).saturating_mul(1000) / max as i64).max(1),
        }
    }

    /// Failures the bucket holds at `now_ms`.
    fn held(&self, b: &Bucket, now_ms: i64) -> u64 {
        let level = (b.full_at - now_ms).max(0);
        ((level + self.interval_ms - 1) / self.interval_ms) as u64
    }

    /// Reserves an attempt; refuses when the failures held reach the limit,
    /// or asks to wait when only the attempts in flight would (were they
    /// all to fail, the limit would be passed; were they right, the bucket
    /// empties).
    fn reserve(&self, b: &mut Bucket, now_ms: i64) -> Result<(), Refusal> {
        let held = self.held(b, now_ms);
        if held >= self.max {
            // The oldest held failure drains within one interval.
            let drains = (b.full_at - now_ms) - (self.max as i64 - 1) * self.interval_ms;
            let secs = (drains.max(0) as u64).div_ceil(1000).max(1);
            return Err(Refusal::Limited(Limited { retry_after: secs }));
        }
        if held + u64::from(b.in_flight) >= self.max {
            return Err(Refusal::Wait);
        }
        b.in_flight += 1;
        Ok(())
    }

    fn fail(&self, b: &mut Bucket, now_ms: i64) {
        b.in_flight = b.in_flight.saturating_sub(1);
        b.full_at = b.full_at.max(now_ms).saturating_add(self.interval_ms);
    }
}

/// A bounded table of buckets.
struct Table<K> {
    buckets: HashMap<K, Bucket>,
}

impl<K: std::hash::Hash + Eq + Copy> Table<K> {
    fn new() -> Self {
        Table {
            buckets: HashMap::new(),
        }
    }

    /// The bucket of `key`, making room first when the table is full.
    fn entry(&mut self, key: K, limit: &Limit, now_ms: i64) -> &mut Bucket {
        if !self.buckets.contains_key(&key) && self.buckets.len() >= MAX_ENTRIES {
            self.make_room(limit, now_ms);
        }
        self.buckets.entry(key).or_default()
    }

    /// Drops drained buckets; then, while more than 3/4 full, the lightest
    /// (fewest failures held). Attempts in flight are never dropped. Each call
    /// frees a quarter of the table, so its cost is spread over the inserts
    /// that filled it.
    fn make_room(&mut self, limit: &Limit, now_ms: i64) {
        let target = MAX_ENTRIES * 3 / 4;
        let mut threshold = 0;
        while self.buckets.len() > target && threshold <= limit.max {
            self.buckets
                .retain(|_, b| b.in_flight > 0 || limit.held(b, now_ms) > threshold);
            threshold += 1;
        }
    }

    /// A copy of `key`'s bucket (empty when there is none).
    fn get(&self, key: &K) -> Bucket {
        self.buckets.get(key).copied().unwrap_or_default()
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut Bucket> {
        self.buckets.get_mut(key)
    }

    /// Forgets `key` when its bucket is drained and idle.
    fn forget_if_empty(&mut self, key: &K, limit: &Limit, now_ms: i64) {
        if self
            .buckets
            .get(key)
            .is_some_and(|b| b.in_flight == 0 && limit.held(b, now_ms) == 0)
        {
            self.buckets.remove(key);
        }
    }
}

/// The failed-login throttle of one vendor's store.
pub struct LoginThrottle {
    inner: Mutex<Inner>,
    /// Woken whenever an attempt settles, for attempts waiting on those in flight.
    settled: tokio::sync::Notify,
}

struct Inner {
    config: Option<ThrottleConfig>,
    per_source: Table<(AccountKey, Source)>,
    per_account: Table<AccountKey>,
    /// Sources that signed on to an account, with when they last did.
    familiar: HashMap<AccountKey, Vec<(Source, UnixSeconds)>>,
    /// While `familiar` is full: no entry of it stops being familiar before
    /// then, so a new account is not remembered without a pass over it. (A
    /// pass at every sign-on of a new account, under the lock, is what this
    /// saves once more than [`MAX_ENTRIES`] accounts signed on in
    /// `familiar_for`: issue #24.)
    familiar_full_until: UnixSeconds,
}

impl Inner {
    fn limits(config: &ThrottleConfig) -> (Limit, Limit) {
        (
            Limit::new(config.max_failures, config.window),
            Limit::new(config.account_max_failures, config.account_window),
        )
    }

    fn is_familiar(&self, account: &AccountKey, source: Source, now: UnixSeconds) -> bool {
        let Some(config) = self.config else {
            return false;
        };
        self.familiar.get(account).is_some_and(|sources| {
            sources
                .iter()
                .any(|(s, at)| *s == source && now - *at < config.familiar_for)
        })
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(None)
    }
}

impl LoginThrottle {
    pub fn new(config: Option<ThrottleConfig>) -> Self {
        LoginThrottle {
            inner: Mutex::new(Inner {
                config,
                per_source: Table::new(),
                per_account: Table::new(),
                familiar: HashMap::new(),
                familiar_full_until: UnixSeconds::MIN,
            }),
            settled: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Turns throttling on (or off with `None`), forgetting past failures.
    pub fn set(&self, config: Option<ThrottleConfig>) {
        let mut inner = self.lock();
        inner.config = config;
        inner.per_source = Table::new();
        inner.per_account = Table::new();
        inner.familiar.clear();
        drop(inner);
        self.settled.notify_waiters();
    }

    /// Reserves a password check of `account` from `source` at `now`, or
    /// refuses it. Settle the attempt with its outcome; dropped unsettled
    /// (the check did not happen: a full hashing pool), it counts nothing.
    ///
    /// Attempts in flight count as failures-to-be: when they alone would
    /// reach a limit, this one waits for them to settle (an owner's parallel
    /// logins are delayed a password check, not refused), then is reserved
    /// or refused on their outcome. So no burst checks more than the limit.
    pub async fn begin(
        &self,
        account: AccountKey,
        source: Source,
        now: UnixSeconds,
    ) -> Result<Attempt<'_>, Limited> {
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            // Listen before trying, so no settlement is missed.
            settled.as_mut().enable();
            match self.try_begin(account, source, now) {
                Ok(attempt) => return Ok(attempt),
                Err(Refusal::Limited(limited)) => return Err(limited),
                // Attempts in flight are password checks on the bounded
                // hashing pool (or a refusal from it): each settles soon.
                Err(Refusal::Wait) => settled.await,
            }
        }
    }

    fn try_begin(
        &self,
        account: AccountKey,
        source: Source,
        now: UnixSeconds,
    ) -> Result<Attempt<'_>, Refusal> {
        let mut inner = self.lock();
        let Some(config) = inner.config else {
            return Ok(Attempt::settled(self));
        };
        let (per_source, per_account) = Inner::limits(&config);
        let now_ms = now.saturating_mul(1000);
        let counts_for_account = !inner.is_familiar(&account, source, now);
        // Check both before reserving either, so a refusal reserves nothing.
        let mut source_bucket = inner.per_source.get(&(account, source));
        per_source.reserve(&mut source_bucket, now_ms)?;
        if counts_for_account {
            let mut account_bucket = inner.per_account.get(&account);
            per_account.reserve(&mut account_bucket, now_ms)?;
            *inner.per_account.entry(account, &per_account, now_ms) = account_bucket;
        }
        *inner
            .per_source
            .entry((account, source), &per_source, now_ms) = source_bucket;
        Ok(Attempt {
            throttle: self,
            account,
            source,
            counts_for_account,
            settled: false,
        })
    }

    fn settle(&self, a: &Attempt<'_>, outcome: Outcome, now: UnixSeconds) {
        let mut inner = self.lock();
        let Some(config) = inner.config else {
            return;
        };
        let (per_source, per_account) = Inner::limits(&config);
        let now_ms = now.saturating_mul(1000);
        let key = (a.account, a.source);
        if let Some(b) = inner.per_source.get_mut(&key) {
            match outcome {
                Outcome::Failed => per_source.fail(b, now_ms),
                // The source proved it knows the password: its bucket empties.
                Outcome::Succeeded => {
                    *b = Bucket {
                        full_at: 0,
                        in_flight: b.in_flight.saturating_sub(1),
                    }
                }
                Outcome::NotChecked => b.in_flight = b.in_flight.saturating_sub(1),
            }
        }
        inner.per_source.forget_if_empty(&key, &per_source, now_ms);
        if a.counts_for_account {
            if let Some(b) = inner.per_account.get_mut(&a.account) {
                match outcome {
                    Outcome::Failed => per_account.fail(b, now_ms),
                    // A right password does not empty the account's bucket:
                    // that would give other sources a fresh hundred guesses.
                    Outcome::Succeeded | Outcome::NotChecked => {
                        b.in_flight = b.in_flight.saturating_sub(1);
                    }
                }
            }
            inner
                .per_account
                .forget_if_empty(&a.account, &per_account, now_ms);
        }
        if outcome == Outcome::Succeeded {
            remember_familiar(&mut inner, a.account, a.source, now, config.familiar_for);
        }
        drop(inner);
        self.settled.notify_waiters();
    }

    /// Entries held in the per-source and per-account tables (for tests and
    /// benchmarks).
    pub fn entries(&self) -> (usize, usize) {
        let inner = self.lock();
        (
            inner.per_source.buckets.len(),
            inner.per_account.buckets.len(),
        )
    }
}

fn remember_familiar(
    inner: &mut Inner,
    account: AccountKey,
    source: Source,
    now: UnixSeconds,
    familiar_for: i64,
) {
    if !inner.familiar.contains_key(&account) && inner.familiar.len() >= MAX_ENTRIES {
        if now < inner.familiar_full_until {
            return;
        }
        // Forget the accounts no source is familiar to any more, and note
        // when the next of the others will be.
        let mut next = UnixSeconds::MAX;
        inner
            .familiar
            .retain(|_, s| match s.iter().map(|(_, at)| *at).max() {
                Some(at) if now - at < familiar_for => {
                    next = next.min(at.saturating_add(familiar_for));
                    true
                }
                _ => false,
            });
        if inner.familiar.len() >= MAX_ENTRIES {
            inner.familiar_full_until = next;
            return;
        }
    }
    let sources = inner.familiar.entry(account).or_default();
    sources.retain(|(s, at)| *s != source && now - *at < familiar_for);
    if sources.len() >= FAMILIAR_PER_ACCOUNT {
        sources.remove(0);
    }
    sources.push((source, now));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Failed,
    Succeeded,
    NotChecked,
}

/// A reserved password check; settle it with its outcome.
#[must_use = "settle the attempt with failed() or succeeded()"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    account: AccountKey,
    source: Source,
    counts_for_account: bool,
    settled: bool,
}

impl<'a> Attempt<'a> {
    fn settled(throttle: &'a LoginThrottle) -> Self {
        Attempt {
            throttle,
            account: AccountKey([0; 16]),
            source: Source::UNKNOWN,
            counts_for_account: false,
            settled: true,
        }
    }

    /// A wrong password (or an unknown name).
    pub fn failed(mut self, now: UnixSeconds) {
        if !self.settled {
            self.throttle.settle(&self, Outcome::Failed, now);
            self.settled = true;
        }
    }

    /// The right password: the source's failures are forgotten and the source
    /// becomes familiar to the account.
    pub fn succeeded(mut self, now: UnixSeconds) {
        if !self.settled {
            self.throttle.settle(&self, Outcome::Succeeded, now);
            self.settled = true;
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            // Not checked (a full hashing pool, an error): release the
            // reservation. The time does not matter: nothing is added.
            self.throttle.settle(self, Outcome::NotChecked, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(last: u8) -> Source {
        Source::of(IpAddr::from([127, 0, 0, last]))
    }

    fn alice() -> AccountKey {
        AccountKey::account("1000")
    }

    fn throttle(max: usize, window: i64) -> LoginThrottle {
        LoginThrottle::new(Some(ThrottleConfig::per_source(max, window)))
    }

    async fn fail(t: &LoginThrottle, who: AccountKey, s: Source, now: i64) -> Result<(), Limited> {
        t.begin(who, s, now).await.map(|a| a.failed(now))
    }

    #[tokio::test]
    async fn limits_one_source_after_max_failures_until_a_failure_drains() {
        let t = throttle(2, 60);
        fail(&t, alice(), src(2), 0).await.unwrap();
        fail(&t, alice(), src(2), 10).await.unwrap();
        assert_eq!(
            t.begin(alice(), src(2), 20).await.err(),
            Some(Limited { retry_after: 10 })
        );
        // Another source is not refused: no one can lock the account.
        assert!(t.begin(alice(), src(1), 20).await.is_ok());
        // One interval (30 s) after the bucket filled, one more try.
        assert!(t.begin(alice(), src(2), 30).await.is_ok());
        let off = LoginThrottle::new(None);
        for _ in 0..5 {
            fail(&off, alice(), src(2), 0).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_right_password_empties_its_source_and_makes_it_familiar() {
        let t = LoginThrottle::new(Some(ThrottleConfig {
            max_failures: 2,
            window: 60,
            account_max_failures: 3,
            account_window: 3600,
            familiar_for: 1000,
        }));
        fail(&t, alice(), src(1), 0).await.unwrap();
        t.begin(alice(), src(1), 1).await.unwrap().succeeded(1);
        // src(1)'s bucket is empty again; the account's keeps its failure.
        fail(&t, alice(), src(1), 2).await.unwrap();
        fail(&t, alice(), src(1), 2).await.unwrap();
        assert!(t.begin(alice(), src(1), 2).await.is_err());
        // Unfamiliar sources: the account-wide limit (3) counts only theirs.
        // (src(1)'s first failure counted: it was not familiar yet.)
        fail(&t, alice(), src(2), 3).await.unwrap();
        fail(&t, alice(), src(3), 3).await.unwrap();
        assert!(
            t.begin(alice(), src(4), 3).await.is_err(),
            "account-wide limit"
        );
        // The familiar source is past its own limit now, but once its bucket
        // drains it signs on although the account is limited for strangers.
        assert!(t.begin(alice(), src(1), 32).await.is_ok());
        assert!(t.begin(alice(), src(6), 32).await.is_err());
        // Familiarity ends: then src(1) is a stranger, refused like the rest.
        assert!(t.begin(alice(), src(1), 1002).await.is_err());
    }

    #[tokio::test]
    async fn a_full_familiar_table_takes_new_accounts_again_once_its_oldest_expire() {
        let t = LoginThrottle::new(Some(ThrottleConfig {
            max_failures: 2,
            window: 60,
            account_max_failures: 1,
            account_window: 3600,
            familiar_for: 1000,
        }));
        let name = |i: usize| AccountKey::unknown_name(&format!("user{i}"));
        // The table fills at times 0 and 500.
        for i in 0..MAX_ENTRIES {
            let at = if i < MAX_ENTRIES / 2 { 0 } else { 500 };
            t.begin(name(i), src(1), at).await.unwrap().succeeded(at);
        }
        // Full, none expired: a new account's source is not remembered.
        t.begin(name(MAX_ENTRIES), src(1), 999)
            .await
            .unwrap()
            .succeeded(999);
        fail(&t, name(MAX_ENTRIES), src(2), 999).await.unwrap();
        assert!(
            t.begin(name(MAX_ENTRIES), src(1), 999).await.is_err(),
            "not familiar: the account-wide limit holds for src(1) too"
        );
        // Once the first half expired, a new account is remembered again.
        let late = MAX_ENTRIES + 1;
        t.begin(name(late), src(1), 1000)
            .await
            .unwrap()
            .succeeded(1000);
        fail(&t, name(late), src(2), 1000).await.unwrap();
        assert!(
            t.begin(name(late), src(1), 1000).await.is_ok(),
            "familiar: src(1) is exempt from the account-wide limit"
        );
    }

    #[tokio::test]
    async fn concurrent_attempts_count_before_they_are_settled() {
        let t = throttle(3, 60);
        let a = t.begin(alice(), src(1), 0).await.unwrap();
        let b = t.begin(alice(), src(1), 0).await.unwrap();
        let c = t.begin(alice(), src(1), 0).await.unwrap();
        // Three in flight: a fourth waits for one of them to settle.
        assert_eq!(t.try_begin(alice(), src(1), 0).err(), Some(Refusal::Wait));
        drop(a); // not checked: released, counts nothing
        b.failed(0);
        c.failed(0);
        let d = t.begin(alice(), src(1), 0).await.unwrap();
        assert_eq!(t.try_begin(alice(), src(1), 0).err(), Some(Refusal::Wait));
        d.failed(0);
        assert!(matches!(
            t.try_begin(alice(), src(1), 0).err(),
            Some(Refusal::Limited(_))
        ));
    }

    #[tokio::test]
    async fn a_waiting_attempt_goes_ahead_when_those_in_flight_succeed() {
        let t = std::sync::Arc::new(throttle(2, 60));
        let a = t.begin(alice(), src(1), 0).await.unwrap();
        let b = t.begin(alice(), src(1), 0).await.unwrap();
        let waiting = {
            let t = t.clone();
            tokio::spawn(async move { t.begin(alice(), src(1), 0).await.map(|c| c.failed(0)) })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        a.succeeded(0);
        b.succeeded(0);
        assert_eq!(waiting.await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn names_are_digested_and_aliases_share_the_account() {
        assert_eq!(
            AccountKey::unknown_name(" Alice "),
            AccountKey::unknown_name("alice")
        );
        assert_ne!(
            AccountKey::unknown_name("1000"),
            AccountKey::account("1000")
        );
        let huge = "x".repeat(60_000);
        assert_eq!(std::mem::size_of_val(&AccountKey::unknown_name(&huge)), 16);
    }

    #[tokio::test]
    async fn sources_are_addresses_and_ipv6_slash_64s() {
        let v6 = |s: &str| Source::of(s.parse().unwrap());
        assert_eq!(v6("2001:db8::1"), v6("2001:db8::ffff:1"));
        assert_ne!(v6("2001:db8::1"), v6("2001:db8:0:1::1"));
        assert_eq!(v6("::ffff:127.0.0.2"), src(2));
        assert_ne!(src(1), src(2));
    }

    #[tokio::test]
    async fn the_tables_stay_within_their_cap_and_keep_the_heaviest() {
        let t = throttle(10, 900);
        for _ in 0..5 {
            fail(&t, alice(), src(1), 0).await.unwrap();
        }
        for i in 0..(MAX_ENTRIES + 10) {
            fail(&t, AccountKey::unknown_name(&i.to_string()), src(9), 0)
                .await
                .unwrap();
        }
        let (per_source, per_account) = t.entries();
        assert!(per_source <= MAX_ENTRIES && per_account <= MAX_ENTRIES);
        // alice's five failures outweigh the flood's one each: kept.
        for _ in 0..5 {
            fail(&t, alice(), src(1), 0).await.unwrap();
        }
        assert!(t.begin(alice(), src(1), 0).await.is_err());
    }
}
