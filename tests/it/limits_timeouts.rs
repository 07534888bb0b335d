//! Issue #12, timeouts: a slow or half-sent request is cut off within the
//! configured limits (short ones here, so the tests run fast), and malformed
//! framing gets a 400, never a 413.

use std::time::{Duration, Instant};

use authconform::reference::serving::ServeLimits;
use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub fn short_limits() -> ServeLimits {
    ServeLimits {
        header_read_timeout: Duration::from_millis(400),
        keep_alive_timeout: Duration::from_millis(400),
        body_idle_timeout: Duration::from_millis(400),
        body_total_timeout: Duration::from_millis(1500),
        max_connections: 64,
        max_connections_per_source: 64,
        shutdown_grace: Duration::from_millis(300),
        ..ServeLimits::default()
    }
}

pub async fn spawn_with(limits: ServeLimits) -> RunningServer {
    let config = ReferenceConfig {
        limits,
        ..ReferenceConfig::for_tests()
    };
    ReferenceServer::new(config)
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback")
}

const LOGIN: &str = "/limecraft/api/authentication/login";

/// Reads until the server closes the connection (or `limit` passes: then
/// panics), returning what it sent.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return String::from_utf8_lossy(&out).into_owned(),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the connection was still open after {limit:?}; got so far: {}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
}

/// Connects, sends `request` as it is, and reads until the server closes the
/// connection (within 3 s, else panics).
async fn exchange_raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_until_closed(&mut stream, Duration::from_secs(3)).await
}

fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

#[tokio::test]
async fn a_slowloris_head_is_cut_off() {
    let server = spawn_with(short_limits()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(format!("POST {LOGIN} HTTP/1.1\r\nHost: x\r\n").as_bytes())
        .await
        .unwrap();
    // One header byte every 100 ms: always progress, never a whole head.
    let drip = async {
        for _ in 0..100 {
            if stream.write_all(b"X").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), drip).await;
    let _ = read_until_closed(&mut stream, Duration::from_secs(1)).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn many_idle_and_half_sent_connections_are_all_closed() {
    let server = spawn_with(short_limits()).await;
    let mut streams = Vec::new();
    for i in 0..30 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        if i % 2 == 0 {
            s.write_all(b"GET /limecraft/api/authentication/user HTTP/1.1\r\nHo")
                .await
                .unwrap();
        }
        streams.push(s);
    }
    for s in &mut streams {
        read_until_closed(s, Duration::from_secs(3)).await;
    }
}

#[tokio::test]
async fn a_body_announced_but_not_sent_is_cut_off_with_408() {
    let server = spawn_with(short_limits()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(
            format!(
                "POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{{\"usernam"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    // 413 would be as right for a 10 GB announcement; what matters is the end.
    assert!([408, 413].contains(&status_of(&answer)), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_unfinished_chunked_body_is_cut_off_with_408_in_the_envelope() {
    let server = spawn_with(short_limits()).await;
    let request = format!(
        "POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"use\r\n"
    );
    let answer = exchange_raw(server.addr, request.as_bytes()).await;
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(
        answer.contains("\"code\":408"),
        "Limecraft's envelope: {answer}"
    );
}

#[tokio::test]
async fn a_trickled_body_is_cut_off_by_the_total_limit() {
    let server = spawn_with(short_limits()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(
            format!(
                "POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // A byte every 200 ms: each within the idle limit, never done.
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(4), reader.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(read.is_ok(), "still open after 4 s");
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(1400));
}

#[tokio::test]
async fn a_bad_chunk_size_is_400_not_413() {
    let server = spawn_with(short_limits()).await;
    let request = format!(
        "POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    let answer = exchange_raw(server.addr, request.as_bytes()).await;
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert!(
        answer.contains("\"code\":400"),
        "Limecraft's envelope: {answer}"
    );
}

#[tokio::test]
async fn http_1_1_without_host_is_400() {
    let server = spawn_with(short_limits()).await;
    let answer = exchange_raw(
        server.addr,
        b"GET /limecraft/api/authentication/user HTTP/1.1\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&answer), 400, "{answer}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let server = spawn_with(short_limits()).await;
    let answer = exchange_raw(
        server.addr,
        b"GET /limecraft/api/authentication/user HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&answer), 401, "{answer}");
}

/// Reads one answer (head and `Content-Length` body) within `limit`; its
/// status.
async fn read_answer(stream: &mut TcpStream, limit: Duration) -> u16 {
    let read = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if got.len() >= end + 4 + length {
                    return status_of(&head);
                }
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before a whole answer: {got:?}");
            got.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(limit, read)
        .await
        .expect("an answer in time")
}

const WRONG_LOGIN: &str = r#"{"username":"alice","password":"wrong"}"#;

fn login_request(body: &str) -> String {
    format!(
        "POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn the_keep_alive_timeout_closes_an_idle_connection_not_the_head_timeout() {
    let server = spawn_with(ServeLimits {
        header_read_timeout: Duration::from_secs(5),
        keep_alive_timeout: Duration::from_millis(300),
        ..short_limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(login_request(WRONG_LOGIN).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_answer(&mut stream, Duration::from_secs(3)).await, 401);
    let answered = Instant::now();
    let rest = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(rest.is_empty(), "{rest}");
    let idle = answered.elapsed();
    assert!(
        idle >= Duration::from_millis(250) && idle < Duration::from_secs(2),
        "closed after {idle:?} idle (keep-alive 300 ms, head 5 s)"
    );
}

#[tokio::test]
async fn an_idle_connection_outlives_the_head_timeout_within_the_keep_alive_timeout() {
    let server = spawn_with(ServeLimits {
        header_read_timeout: Duration::from_millis(400),
        keep_alive_timeout: Duration::from_secs(5),
        ..short_limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(login_request(WRONG_LOGIN).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_answer(&mut stream, Duration::from_secs(3)).await, 401);
    // Idle for three head timeouts, then a head that takes most of one.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let request = login_request(WRONG_LOGIN);
    let (first, rest) = request.split_at(10);
    stream.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut stream, Duration::from_secs(3)).await, 401);
}

#[tokio::test]
async fn a_slow_but_progressing_connection_is_not_cut_by_the_keep_alive_timeout() {
    let server = spawn_with(ServeLimits {
        keep_alive_timeout: Duration::from_millis(300),
        ..short_limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    // Requests 200 ms apart, each within the keep-alive timeout, for three
    // times as long as it.
    for _ in 0..5 {
        stream
            .write_all(login_request(WRONG_LOGIN).as_bytes())
            .await
            .unwrap();
        assert_eq!(read_answer(&mut stream, Duration::from_secs(3)).await, 401);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A body trickled a byte every 150 ms, longer than the keep-alive
    // timeout but within the body limits: the request is being answered,
    // not idle.
    let request = login_request(WRONG_LOGIN);
    let (head, body) = request.split_at(request.len() - WRONG_LOGIN.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    let (body, last) = body.split_at(body.len() - 6);
    stream.write_all(body.as_bytes()).await.unwrap();
    for byte in last.as_bytes() {
        tokio::time::sleep(Duration::from_millis(150)).await;
        stream.write_all(&[*byte]).await.unwrap();
    }
    assert_eq!(read_answer(&mut stream, Duration::from_secs(3)).await, 401);
    assert!(started.elapsed() >= Duration::from_millis(1500));
}

#[tokio::test]
async fn a_mock_takes_its_keep_alive_timeout_from_its_limits() {
    let mock = authconform::mock::Limecraft::try_start_with_limits(ServeLimits {
        header_read_timeout: Duration::from_secs(5),
        keep_alive_timeout: Duration::from_millis(300),
        ..ServeLimits::default()
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    stream
        .write_all(b"GET /api/authentication/user HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut stream, Duration::from_secs(3)).await, 401);
    let answered = Instant::now();
    read_until_closed(&mut stream, Duration::from_secs(2)).await;
    assert!(answered.elapsed() >= Duration::from_millis(250));
}
