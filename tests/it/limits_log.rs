//! Issue #12, the request log: when nobody reads the log (a stopped stderr
//! pipe), requests go on being served at full speed; the lines that do not
//! fit the bounded buffer are dropped and counted.

use std::io::Write;
use std::time::{Duration, Instant};

use authconform::reference::request_log::{LOG_QUEUE_BYTES, LogSink, RequestLog};
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

/// The shortest request line this test makes (`…Z  INFO GET /limecraft/api/authentication/user 401 0.0ms`).
const SHORTEST_LINE: usize = 80;

#[tokio::test]
async fn a_stalled_log_reader_does_not_stall_requests() {
    let (unblock, blocked) = std::sync::mpsc::channel();
    let (sink, guard) = LogSink::new(Stalled(blocked));
    let router = ReferenceServer::new(ReferenceConfig {
        request_log: RequestLog::Sink(sink.clone()),
        ..ReferenceConfig::for_tests()
    })
    .router();
    // The sink holds at most two buffers: the one being filled and the one
    // whose write is blocked.
    let held = 2 * LOG_QUEUE_BYTES / SHORTEST_LINE;
    let requests = held + 4000;
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
    assert!(
        sink.dropped_lines() >= (requests - held) as u64,
        "{} lines dropped of {requests}",
        sink.dropped_lines()
    );
    drop(unblock);
    drop(guard);
}
