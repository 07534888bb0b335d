//! Issue #12, the request log: when nobody reads the log (a stopped stderr
//! pipe), requests go on being served at full speed; the lines that do not
//! fit the bounded queue are dropped and counted.

use std::io::Write;
use std::time::{Duration, Instant};

use authconform::reference::request_log::{self, LOG_BATCH_BYTES, LOG_QUEUE_LINES};
use authconform::reference::{ReferenceConfig, ReferenceServer};
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

/// A log reader that never reads: every write blocks until the test ends.
struct Stalled(std::sync::mpsc::Receiver<()>);

impl Write for Stalled {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        let _ = self.0.recv();
        Err(std::io::Error::other("closed"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime: the subscriber set for this thread sees every
// request the router handles.
#[tokio::test]
async fn a_stalled_log_reader_does_not_stall_requests() {
    let (unblock, blocked) = std::sync::mpsc::channel();
    let (writer, guard) = request_log::non_blocking(Stalled(blocked));
    let dropped = writer.error_counter();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let router = ReferenceServer::new(ReferenceConfig {
        log_requests: true,
        ..ReferenceConfig::for_tests()
    })
    .router();
    let requests = LOG_QUEUE_LINES + 4000;
    let long_path = format!("/limecraft/api/{}", "p".repeat(60_000));
    let started = Instant::now();
    for i in 0..requests {
        let path = if i % 100 == 0 {
            long_path.as_str()
        } else {
            "/limecraft/api/authentication/user"
        };
        let r = router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(60),
        "{requests} requests took {took:?}"
    );
    // Beyond the queue, the log thread holds one batch before its write
    // blocks: lines are at least ~50 bytes.
    let held = LOG_QUEUE_LINES + LOG_BATCH_BYTES / 50 + 1;
    assert!(
        dropped.dropped_lines() >= requests - held,
        "{} lines dropped of {requests}",
        dropped.dropped_lines()
    );
    drop(unblock);
    drop(guard);
}
