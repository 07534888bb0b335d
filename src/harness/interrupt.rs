//! Ctrl-C (SIGINT) and SIGTERM during a run (`authconform run`, and any
//! long command that takes an [`Interrupt`], as `explore` can): the first
//! signal asks the run to stop; the run lets the current request end, marks
//! what it did not run as not run, runs its clean-up (sessions and tokens
//! ended, a changed password or key set back), writes every requested
//! report, prints its recap and exits 130 ([`crate::harness::exit::Exit::INTERRUPTED`]).
//! A second signal exits at once, as `serve` does.

use std::sync::{Arc, OnceLock};

/// A request to stop, shared by everything that should stop: set once, by
/// a signal ([`Interrupt::on_signals`]) or by a caller ([`Interrupt::trigger`]).
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    signal: OnceLock<&'static str>,
    notify: tokio::sync::Notify,
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks everything that holds this to stop (`signal`: what asked, `SIGINT`).
    pub fn trigger(&self, signal: &'static str) {
        if self.0.signal.set(signal).is_ok() {
            self.0.notify.notify_waiters();
        }
    }

    /// What asked to stop, if anything did.
    pub fn signal(&self) -> Option<&'static str> {
        self.0.signal.get().copied()
    }

    /// Waits until something asks to stop; what did.
    pub async fn triggered(&self) -> &'static str {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(signal) = self.signal() {
                return signal;
            }
            notified.await;
        }
    }

    /// An interrupt that SIGINT and SIGTERM trigger; it says so on stderr.
    /// A second signal exits the process at once with 130. Needs a tokio
    /// runtime.
    #[cfg(feature = "cli")]
    pub fn on_signals() -> Interrupt {
        let interrupt = Interrupt::new();
        let first = interrupt.clone();
        tokio::spawn(async move {
            let signal = next_signal().await;
            eprintln!(
                "\nauthconform: {signal}: stopping after the current request; cleaning up and \
                 writing the reports (a second signal exits at once)"
            );
            first.trigger(signal);
            let again = next_signal().await;
            eprintln!("authconform: {again} again: exiting at once");
            std::process::exit(crate::harness::exit::Exit::INTERRUPTED);
        });
        interrupt
    }
}

/// The next SIGINT (Ctrl-C) or SIGTERM (a CI runner, a service manager):
/// which. `serve` stops on it too.
#[cfg(feature = "cli")]
pub async fn next_signal() -> &'static str {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => "SIGINT",
        _ = term => "SIGTERM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_trigger_wakes_every_waiter_once_and_is_kept() {
        let interrupt = Interrupt::new();
        let waiter = tokio::spawn({
            let i = interrupt.clone();
            async move { i.triggered().await }
        });
        tokio::task::yield_now().await;
        interrupt.trigger("SIGTERM");
        interrupt.trigger("SIGINT");
        assert_eq!(waiter.await.unwrap(), "SIGTERM");
        assert_eq!(interrupt.triggered().await, "SIGTERM");
        assert_eq!(interrupt.signal(), Some("SIGTERM"));
    }
}
