//! One log line per request: method, path, status, time.
//!
//! Only the path is logged, never the query string (it may carry
//! `access_token`), headers or bodies, so no token or password can reach the log.
//!
//! The log never holds up a request: `authconform serve` writes it from a
//! background thread through a queue of [`LOG_QUEUE_LINES`] lines, each at most
//! about [`MAX_PATH_BYTES`] + 100 bytes (so under 2 MiB in all), written in
//! batches of up to [`LOG_BATCH_BYTES`]; when the
//! reader of stderr falls behind, lines are dropped and counted, and the count
//! is logged ([`report_dropped`]).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Longest path written in full; a longer one is cut and its length noted.
pub const MAX_PATH_BYTES: usize = 256;

/// Lines the log queue holds before it drops.
pub const LOG_QUEUE_LINES: usize = 8192;

pub async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = truncated(req.uri().path());
    let started = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        target: "authconform::request",
        "{method} {path} {} {:.1}ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

/// `path`, or its first [`MAX_PATH_BYTES`] bytes and how long it was.
fn truncated(path: &str) -> String {
    if path.len() <= MAX_PATH_BYTES {
        return path.to_owned();
    }
    let mut cut = MAX_PATH_BYTES;
    while !path.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…({} bytes)", &path[..cut], path.len())
}

/// The writer `serve` logs through: a bounded queue drained by a background
/// thread into `out`; when the queue is full a line is dropped, never waited for.
#[cfg(feature = "log-writer")]
pub fn non_blocking<W: std::io::Write + Send + 'static>(
    out: W,
) -> (
    tracing_appender::non_blocking::NonBlocking,
    tracing_appender::non_blocking::WorkerGuard,
) {
    tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("request-log")
        .finish(Batched {
            out: std::io::BufWriter::with_capacity(LOG_BATCH_BYTES, out),
        })
}

/// Bytes of log lines written with one `write(2)` (held by the log thread,
/// beyond the queue's [`LOG_QUEUE_LINES`]).
pub const LOG_BATCH_BYTES: usize = 64 * 1024;

/// How long the log thread lets lines gather after each write.
#[cfg(feature = "log-writer")]
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

/// The log thread's writer: it writes what the queue held in one `write(2)`
/// (the queue is drained, then flushed) and then pauses briefly so the next
/// lines gather. Measured under `wrk`, one `write(2)` and one thread wake-up
/// per request line were most of the line's cost (bench/README.md); now there
/// are at most about 500 of each per second, whatever the request rate. A
/// line waits at most a few milliseconds; the queue bound is unchanged.
#[cfg(feature = "log-writer")]
struct Batched<W: std::io::Write> {
    out: std::io::BufWriter<W>,
}

#[cfg(feature = "log-writer")]
impl<W: std::io::Write> std::io::Write for Batched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        std::thread::sleep(BATCH_PAUSE);
        Ok(())
    }
}

/// Every `every`, logs how many lines were dropped since the last report (the
/// report itself may be dropped; the next one then counts its lines too).
#[cfg(feature = "log-writer")]
pub async fn report_dropped(
    dropped: tracing_appender::non_blocking::ErrorCounter,
    every: std::time::Duration,
) {
    let mut reported = 0;
    loop {
        tokio::time::sleep(every).await;
        let now = dropped.dropped_lines();
        if now > reported {
            tracing::warn!(
                "log: {} line(s) dropped because stderr is not read fast enough ({now} in all)",
                now - reported
            );
            reported = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_are_cut_on_a_char_boundary() {
        assert_eq!(truncated("/api/x"), "/api/x");
        let long = "é".repeat(200);
        let cut = truncated(&long);
        assert!(cut.len() < MAX_PATH_BYTES + 30, "{}", cut.len());
        assert!(cut.ends_with("…(400 bytes)"));
    }
}
