//! The start cost of a mock: time from `Limecraft::start()` to the first
//! answered request, and the resident memory each live mock adds, over many
//! starts; with a baseline in the same run (a bare axum router bound on
//! 127.0.0.1:0 and asked once), because the machines are shared and noisy.
//!
//! `cargo run --release -p authconform-mock --example bench_mock_start -- [STARTS]`

use std::time::{Duration, Instant};

use authconform_mock::Limecraft;
use axum::Router;
use axum::routing::get;

/// Resident set size in bytes, from /proc/self/statm (Linux).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

async fn first_answer(client: &reqwest::Client, url: String) -> bool {
    client.get(url).send().await.is_ok()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let starts: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        .clamp(1, 10_000);
    let client = reqwest::Client::new();
    // Warm-up: the fixtures and specs are parsed once per process.
    drop(Limecraft::start().await);

    let mut baseline = Vec::with_capacity(starts);
    let mut mock = Vec::with_capacity(starts);
    for _ in 0..starts {
        let t = Instant::now();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().route("/", get(|| async { "ok" }));
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        assert!(first_answer(&client, format!("http://{addr}/")).await);
        baseline.push(t.elapsed());
        task.abort();

        let t = Instant::now();
        let m = Limecraft::start().await;
        assert!(first_answer(&client, format!("{}/authentication/user", m.base_url())).await);
        mock.push(t.elapsed());
    }

    // Memory: keep N mocks alive at once and divide the growth by N.
    let live = starts.min(100);
    let before = rss_bytes().unwrap_or(0);
    let mut held = Vec::with_capacity(live);
    for _ in 0..live {
        let m = Limecraft::start().await;
        assert!(first_answer(&client, format!("{}/authentication/user", m.base_url())).await);
        held.push(m);
    }
    let after = rss_bytes().unwrap_or(0);
    let per_mock = after.saturating_sub(before) as f64 / live as f64;

    let (b, m) = (median(baseline), median(mock));
    println!("starts: {starts}");
    println!(
        "baseline (bare axum, bind + first answer): median {:.3} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "mock (Limecraft::start + first answer):    median {:.3} ms",
        m.as_secs_f64() * 1e3
    );
    println!(
        "mock / baseline: {:.1}x",
        m.as_secs_f64() / b.as_secs_f64().max(1e-9)
    );
    println!("RSS per live mock ({live} held): {:.2} MB", per_mock / 1e6);
    drop(held);
}
