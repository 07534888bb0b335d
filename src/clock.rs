//! The one clock of the reference server.
//!
//! Every expiry and every TOTP step is computed from [`Clock::now`], never from
//! `SystemTime` directly, so that a test can move time forward (token lifetimes,
//! TOTP windows) without sleeping. The offset is shared by every clone, so the
//! control endpoint and the vendor handlers always agree on "now".

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time in whole seconds.
pub type UnixSeconds = i64;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current time as this server sees it: the system time plus every advance so far.
    pub fn now(&self) -> UnixSeconds {
        system_now() + self.offset.load(Ordering::SeqCst)
    }

    /// Moves this clock forward. Time never goes backwards: a negative advance is refused.
    pub fn advance(&self, seconds: i64) -> Result<UnixSeconds, ClockError> {
        if seconds < 0 {
            return Err(ClockError::Backwards);
        }
        self.offset.fetch_add(seconds, Ordering::SeqCst);
        Ok(self.now())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    #[error("the clock only moves forward; advance by a positive number of seconds")]
    Backwards,
}

pub fn system_now() -> UnixSeconds {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let clock = Clock::new();
        let other = clock.clone();
        let before = other.now();
        clock.advance(3600).unwrap();
        assert!(other.now() >= before + 3600);
    }

    #[test]
    fn never_backwards() {
        assert_eq!(Clock::new().advance(-1), Err(ClockError::Backwards));
    }
}
