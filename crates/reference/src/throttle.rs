//! Failed-login throttling per account name, for the vendors whose documents
//! say nothing about it (Limecraft, LAC): a reference choice, made like
//! LiquidFiles' documented one. After `max_failures` wrong passwords for one
//! name within `window` seconds, that name is refused (429) before any
//! password check, right or wrong, until the oldest failure leaves the window.
//! Off in `ReferenceConfig::for_tests()` (the suite and the mocks), on in
//! `authconform serve`; a mock turns it on with its store's
//! `set_login_throttle`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::clock::UnixSeconds;

/// Names tracked at most; beyond, names whose failures all left the window go.
const MAX_NAMES: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleConfig {
    pub max_failures: usize,
    pub window: i64,
}

impl Default for ThrottleConfig {
    /// LiquidFiles' numbers: 10 failures in 15 minutes.
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 10,
            window: 15 * 60,
        }
    }
}

#[derive(Default)]
pub struct LoginThrottle {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    config: Option<ThrottleConfig>,
    failures: HashMap<String, VecDeque<UnixSeconds>>,
}

impl LoginThrottle {
    pub fn new(config: Option<ThrottleConfig>) -> Self {
        LoginThrottle {
            inner: Mutex::new(Inner {
                config,
                failures: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Turns throttling on (or off with `None`), forgetting past failures.
    pub fn set(&self, config: Option<ThrottleConfig>) {
        let mut inner = self.lock();
        inner.config = config;
        inner.failures.clear();
    }

    /// Whether `name` is refused now.
    pub fn is_limited(&self, name: &str, now: UnixSeconds) -> bool {
        let mut inner = self.lock();
        let Some(config) = inner.config else {
            return false;
        };
        match inner.failures.get_mut(&key(name)) {
            Some(times) => {
                while times.front().is_some_and(|t| now - *t >= config.window) {
                    times.pop_front();
                }
                times.len() >= config.max_failures
            }
            None => false,
        }
    }

    /// A right password clears the name's failures (as most products do): the
    /// limit stops guessing, not an owner who mistyped a few times, and a
    /// test suite re-run against the server starts afresh.
    pub fn record_success(&self, name: &str) {
        self.lock().failures.remove(&key(name));
    }

    pub fn record_failure(&self, name: &str, now: UnixSeconds) {
        let mut inner = self.lock();
        let Some(config) = inner.config else {
            return;
        };
        if inner.failures.len() >= MAX_NAMES {
            inner
                .failures
                .retain(|_, t| t.back().is_some_and(|last| now - *last < config.window));
        }
        let times = inner.failures.entry(key(name)).or_default();
        times.push_back(now);
        while times.len() > config.max_failures {
            times.pop_front();
        }
    }
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_after_max_failures_until_the_window_passes() {
        let t = LoginThrottle::new(Some(ThrottleConfig {
            max_failures: 2,
            window: 60,
        }));
        assert!(!t.is_limited("Alice", 0));
        t.record_failure("alice", 0);
        t.record_failure(" ALICE", 10);
        assert!(t.is_limited("alice", 20));
        assert!(!t.is_limited("bob", 20));
        assert!(!t.is_limited("alice", 61));
        let off = LoginThrottle::new(None);
        off.record_failure("alice", 0);
        off.record_failure("alice", 0);
        assert!(!off.is_limited("alice", 0));
    }

    #[test]
    fn a_right_password_clears_the_failures_of_that_name_only() {
        let t = LoginThrottle::new(Some(ThrottleConfig {
            max_failures: 2,
            window: 60,
        }));
        t.record_failure("alice", 0);
        t.record_failure("bob", 0);
        t.record_success("Alice");
        t.record_failure("alice", 1);
        t.record_failure("bob", 1);
        assert!(
            !t.is_limited("alice", 2),
            "alice's earlier failure was cleared"
        );
        assert!(t.is_limited("bob", 2));
    }
}
