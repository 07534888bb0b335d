//! One log line per request: method, path, status, time.
//!
//! Only the path is logged, never the query string (it may carry
//! `access_token`), headers or bodies, so no token or password can reach the log.
//!
//! The log never holds up a request: `authconform serve` writes it from a
//! background thread ([`LogSink`]). A request formats its line straight into
//! the sink's buffer of at most [`LOG_QUEUE_BYTES`] (each line at most about
//! [`MAX_PATH_BYTES`] + 100 bytes); the thread swaps that buffer for an empty
//! one and writes it with one `write(2)`, then pauses briefly so the next
//! lines gather. When the reader of stderr falls behind and the buffer is
//! full, lines are dropped and counted, and the count is logged
//! ([`report_dropped`]). The sink holds at most two buffers: the one being
//! filled and the one being written, under 2 MiB in all.
//!
//! The line is the one `tracing_subscriber`'s plain format writes for
//! `info!(target: "authconform::request", "{method} {path} {status} {ms:.1}ms")`
//! (`2026-12-05T10:41:00.123456Z  INFO GET /path 200 0.1ms`); `serve` formats
//! it itself rather than through `tracing`'s dispatch and formatter, which cost
//! more than the rest of a token-validated request (bench/README.md, issue #24).
//! Its other events reach the same sink through `tracing` ([`LogSink::writer`]),
//! in order. Without a sink (a terminal, colours on; the library's own
//! servers), the line goes through `tracing` as before.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::Request;
use axum::http::{Method, Uri};

/// Longest path written in full; a longer one is cut and its length noted.
pub const MAX_PATH_BYTES: usize = 256;

/// Bytes of log lines the sink holds before it drops (about 8,000 request lines).
pub const LOG_QUEUE_BYTES: usize = 1024 * 1024;

/// Room a request line needs: timestamp, level, method, the cut path, status, time.
const MAX_LINE_BYTES: usize = MAX_PATH_BYTES + 160;

/// The longest a cut path gets: [`MAX_PATH_BYTES`] and `…(N bytes)`.
const MAX_CUT_PATH_BYTES: usize = MAX_PATH_BYTES + 40;

/// How long the log thread lets lines gather after each write.
const BATCH_PAUSE: Duration = Duration::from_millis(2);

/// `path`, or its first [`MAX_PATH_BYTES`] bytes and how long it was.
fn truncated(path: &str) -> std::borrow::Cow<'_, str> {
    if path.len() <= MAX_PATH_BYTES {
        return path.into();
    }
    let mut cut = MAX_PATH_BYTES;
    while !path.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…({} bytes)", &path[..cut], path.len()).into()
}

/// The bounded, lossy log buffer and the thread that writes it. Cheap to clone.
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSink")
            .field("dropped", &self.dropped_lines())
            .finish_non_exhaustive()
    }
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    dropped: AtomicU64,
    stopping: AtomicBool,
    done: (Mutex<bool>, Condvar),
}

struct Pending {
    buf: Vec<u8>,
    /// The writer waits on `wake` for the buffer to fill.
    writer_waiting: bool,
    /// The second of `stamp`: `YYYY-MM-DDTHH:MM:SS.` of it.
    stamp_second: u64,
    stamp: [u8; 20],
}

/// Flushes the sink and stops its thread when dropped (for at most about a second).
pub struct FlushGuard(LogSink);

impl Drop for FlushGuard {
    fn drop(&mut self) {
        let shared = &self.0.shared;
        shared.stopping.store(true, Ordering::Release);
        shared.wake.notify_one();
        let (lock, cv) = &shared.done;
        let done = lock.lock().unwrap_or_else(|e| e.into_inner());
        let _ = cv.wait_timeout_while(done, Duration::from_secs(1), |d| !*d);
    }
}

impl LogSink {
    /// A sink written to `out` by a thread of its own; the guard flushes it.
    pub fn new<W: Write + Send + 'static>(out: W) -> (LogSink, FlushGuard) {
        let sink = LogSink {
            shared: Arc::new(Shared {
                pending: Mutex::new(Pending {
                    buf: Vec::with_capacity(64 * 1024),
                    writer_waiting: false,
                    stamp_second: u64::MAX,
                    stamp: [0; 20],
                }),
                wake: Condvar::new(),
                dropped: AtomicU64::new(0),
                stopping: AtomicBool::new(false),
                done: (Mutex::new(false), Condvar::new()),
            }),
        };
        let shared = sink.shared.clone();
        let spawned = std::thread::Builder::new()
            .name("request-log".into())
            .spawn(move || write_loop(&shared, out));
        if spawned.is_err() {
            // No thread: nothing is ever written, every line counts as dropped.
            sink.shared.stopping.store(true, Ordering::Release);
        }
        let guard = FlushGuard(sink.clone());
        (sink, guard)
    }

    /// Lines dropped so far because the buffer was full.
    pub fn dropped_lines(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Appends what `fill` writes (at most `room` bytes) as one line, or drops it.
    fn push(&self, room: usize, fill: impl FnOnce(&mut Pending)) {
        if self.shared.stopping.load(Ordering::Relaxed) {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut pending = self.lock();
        if pending.buf.len() + room > LOG_QUEUE_BYTES {
            drop(pending);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        fill(&mut pending);
        if pending.writer_waiting {
            pending.writer_waiting = false;
            drop(pending);
            self.shared.wake.notify_one();
        }
    }

    /// The request line, as `tracing_subscriber`'s plain format writes it.
    /// Everything after the timestamp's second is written on the stack first,
    /// so the lock is held for two copies (the second's text, the rest).
    pub fn request_line(&self, method: &Method, path: &str, status: u16, elapsed: Duration) {
        let path = truncated(path);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // Tenths of a millisecond, rounded: `{:.1}ms` (in u64: no 128-bit division).
        let tenths = elapsed
            .as_secs()
            .saturating_mul(10_000)
            .saturating_add((u64::from(elapsed.subsec_nanos()) + 50_000) / 100_000);
        let mut line = Line::default();
        line.digits(u64::from(now.subsec_micros()), 6);
        line.push(b"Z  INFO ");
        line.push_leaving(
            method.as_str().as_bytes(),
            TAIL_BYTES + 1 + MAX_CUT_PATH_BYTES,
        );
        line.push(b" ");
        line.push_leaving(path.as_bytes(), TAIL_BYTES);
        line.push(b" ");
        line.digits(u64::from(status), 3);
        line.push(b" ");
        line.digits(tenths / 10, 1);
        line.push(b".");
        line.digits(tenths % 10, 1);
        line.push(b"ms\n");
        self.push(20 + MAX_LINE_BYTES, |p| {
            let second = now.as_secs();
            if p.stamp_second != second {
                p.stamp_second = second;
                let mut stamp = [0u8; 20];
                let text = jiff::Timestamp::from_second(second as i64)
                    .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.").to_string())
                    .unwrap_or_default();
                let n = text.len().min(20);
                stamp[..n].copy_from_slice(&text.as_bytes()[..n]);
                p.stamp = stamp;
            }
            let stamp = p.stamp;
            p.buf.extend_from_slice(&stamp);
            p.buf.extend_from_slice(line.as_bytes());
        });
    }

    /// A writer for `tracing_subscriber` (`.with_writer(move || sink.writer())`):
    /// each event it formats becomes one line of this sink.
    pub fn writer(&self) -> SinkWriter {
        SinkWriter { sink: self.clone() }
    }
}

/// Room for what follows the path: ` 200 12345.6ms\n` and more.
const TAIL_BYTES: usize = 64;

/// A request line after its timestamp's second, on the stack: at most
/// [`MAX_LINE_BYTES`] bytes. The path comes cut to about [`MAX_PATH_BYTES`]
/// ([`truncated`]); a method too long for what is left (hyper takes any
/// token as a method) is cut, so that the status and time always fit.
struct Line {
    bytes: [u8; MAX_LINE_BYTES],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Line {
            bytes: [0; MAX_LINE_BYTES],
            len: 0,
        }
    }
}

impl Line {
    fn push(&mut self, bytes: &[u8]) {
        self.push_leaving(bytes, 0);
    }

    /// Appends as much of `bytes` as leaves `keep` bytes free.
    fn push_leaving(&mut self, bytes: &[u8], keep: usize) {
        let n = bytes
            .len()
            .min(MAX_LINE_BYTES.saturating_sub(self.len + keep));
        self.bytes[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    /// `n` in decimal, zero-padded to at least `width` digits.
    fn digits(&mut self, mut n: u64, width: usize) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        while n > 0 || digits.len() - i < width {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.push(&digits[i..]);
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// One `tracing` event's bytes, pushed into the sink as one line.
pub struct SinkWriter {
    sink: LogSink,
}

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // An event longer than the whole buffer is cut rather than never written.
        let buf = &buf[..buf.len().min(LOG_QUEUE_BYTES / 4)];
        self.sink.push(buf.len(), |p| p.buf.extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write_loop<W: Write>(shared: &Shared, mut out: W) {
    let mut spare = Vec::with_capacity(64 * 1024);
    loop {
        {
            let mut pending = shared.pending.lock().unwrap_or_else(|e| e.into_inner());
            while pending.buf.is_empty() {
                if shared.stopping.load(Ordering::Acquire) {
                    let (lock, cv) = &shared.done;
                    *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
                    cv.notify_all();
                    return;
                }
                pending.writer_waiting = true;
                pending = shared
                    .wake
                    .wait_timeout(pending, Duration::from_millis(100))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            std::mem::swap(&mut pending.buf, &mut spare);
        }
        let _ = out.write_all(&spare);
        let _ = out.flush();
        spare.clear();
        // A buffer that grew on a burst goes back to its usual size.
        spare.shrink_to(64 * 1024);
        if !shared.stopping.load(Ordering::Relaxed) {
            std::thread::sleep(BATCH_PAUSE);
        }
    }
}

/// Every `every`, logs how many lines were dropped since the last report (the
/// report itself may be dropped; the next one then counts its lines too).
pub async fn report_dropped(sink: LogSink, every: Duration) {
    let mut reported = 0;
    loop {
        tokio::time::sleep(every).await;
        let now = sink.dropped_lines();
        if now > reported {
            tracing::warn!(
                "log: {} line(s) dropped because stderr is not read fast enough ({now} in all)",
                now - reported
            );
            reported = now;
        }
    }
}

/// Where a server's request lines go.
#[derive(Clone, Debug, Default)]
pub enum RequestLog {
    /// None are written.
    #[default]
    Off,
    /// Through `tracing` (`info!` with target `authconform::request`).
    Tracing,
    /// Formatted straight into a sink.
    Sink(LogSink),
}

/// What a request's line needs from its start (its path comes at the end:
/// the caller keeps the request's URI as it came, without a copy of it).
pub struct Seen {
    method: Method,
    started: Instant,
}

impl RequestLog {
    /// Notes what the line needs, when there is a line to write.
    pub fn start(&self, req: &Request) -> Option<Seen> {
        match self {
            RequestLog::Off => None,
            _ => Some(Seen {
                method: req.method().clone(),
                started: Instant::now(),
            }),
        }
    }

    /// Writes the line of the request to `uri` (as it came), now that its
    /// answer has `status`.
    pub fn line(&self, seen: Seen, uri: &Uri, status: u16) {
        let elapsed = seen.started.elapsed();
        match self {
            RequestLog::Sink(sink) => sink.request_line(&seen.method, uri.path(), status, elapsed),
            RequestLog::Tracing => tracing::info!(
                target: "authconform::request",
                "{} {} {status} {:.1}ms",
                seen.method,
                truncated(uri.path()),
                elapsed.as_secs_f64() * 1000.0
            ),
            RequestLog::Off => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_padded() {
        let mut line = Line::default();
        for (n, width) in [(0, 1), (7, 6), (123_456, 6), (401, 3), (12_345, 1)] {
            line.digits(n, width);
            line.push(b" ");
        }
        assert_eq!(
            String::from_utf8(line.as_bytes().to_vec()).unwrap(),
            "0 000007 123456 401 12345 "
        );
    }

    #[test]
    fn a_request_line_is_the_one_tracing_writes() {
        let captured = Capture::default();
        let (sink, guard) = LogSink::new(captured.clone());
        sink.request_line(
            &Method::GET,
            "/limecraft/api/authentication/user",
            401,
            Duration::from_micros(1_250),
        );
        drop(guard);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        // 2026-12-05T10:41:00.123456Z  INFO GET /limecraft/api/authentication/user 401 1.3ms
        let (stamp, rest) = text.split_once("Z  INFO ").expect(&text);
        assert_eq!(stamp.len(), 26, "{stamp}");
        assert!(
            format!("{stamp}Z").parse::<jiff::Timestamp>().is_ok(),
            "{stamp}"
        );
        assert_eq!(rest, "GET /limecraft/api/authentication/user 401 1.3ms\n");
    }

    /// A writer whose bytes the test reads back.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_long_method_and_path_keep_the_line_bounded_and_whole() {
        let captured = Capture::default();
        let (sink, guard) = LogSink::new(captured.clone());
        let method = Method::from_bytes("M".repeat(200).as_bytes()).unwrap();
        let path = format!("/{}", "é".repeat(300));
        sink.request_line(&method, &path, 200, Duration::from_micros(40));
        drop(guard);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(text.len() <= 20 + MAX_LINE_BYTES, "{}", text.len());
        assert!(text.ends_with("…(601 bytes) 200 0.0ms\n"), "{text}");
    }

    #[test]
    fn long_paths_are_cut_on_a_char_boundary() {
        assert_eq!(truncated("/api/x"), "/api/x");
        let long = "é".repeat(200);
        let cut = truncated(&long);
        assert!(cut.len() < MAX_PATH_BYTES + 30, "{}", cut.len());
        assert!(cut.ends_with("…(400 bytes)"));
    }
}
