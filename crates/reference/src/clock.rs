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
        system_now().saturating_add(self.offset.load(Ordering::SeqCst))
    }

    /// Moves this clock forward. Time never goes backwards, and moves at most
    /// [`MAX_TOTAL_ADVANCE`] in all, so `now()` can never overflow.
    pub fn advance(&self, seconds: i64) -> Result<UnixSeconds, ClockError> {
        if seconds < 0 {
            return Err(ClockError::Backwards);
        }
        self.offset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                offset
                    .checked_add(seconds)
                    .filter(|total| *total <= MAX_TOTAL_ADVANCE)
            })
            .map_err(|_| ClockError::TooFar)?;
        Ok(self.now())
    }
}

impl Clock {
    /// Sets this clock back to the system time (every clone with it).
    pub fn reset(&self) -> UnixSeconds {
        self.offset.store(0, Ordering::SeqCst);
        self.now()
    }

    /// Whether this clock has been moved from the system time.
    pub fn is_moved(&self) -> bool {
        self.offset.load(Ordering::SeqCst) != 0
    }
}

/// A response whose `Date` says this clock's time when the clock has been
/// moved (hyper's own `Date`, the system time, otherwise).
pub fn date_of_moved(
    clock: &Clock,
    mut response: axum::response::Response,
) -> axum::response::Response {
    if clock.is_moved()
        && let Ok(at) = jiff::Timestamp::from_second(clock.now())
        && let Ok(value) =
            axum::http::HeaderValue::from_str(&at.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        response
            .headers_mut()
            .insert(axum::http::header::DATE, value);
    }
    response
}

/// How far a clock may be moved in all: a thousand years.
pub const MAX_TOTAL_ADVANCE: i64 = 1000 * 366 * 24 * 3600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    #[error("the clock only moves forward; advance by a positive number of seconds")]
    Backwards,
    #[error("the clock may move at most a thousand years in all")]
    TooFar,
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
    fn huge_advances_are_refused_and_change_nothing() {
        let clock = Clock::new();
        assert_eq!(clock.advance(i64::MAX), Err(ClockError::TooFar));
        clock.advance(MAX_TOTAL_ADVANCE).unwrap();
        assert_eq!(clock.advance(1), Err(ClockError::TooFar));
        assert!(clock.now() > 0, "now() still works");
    }

    #[test]
    fn never_backwards() {
        assert_eq!(Clock::new().advance(-1), Err(ClockError::Backwards));
    }
}
