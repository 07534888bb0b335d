//! Issue #12, password hashing: many concurrent wrong-password logins at the
//! production Argon2 cost (19 MiB a hash) run on a bounded pool, so memory
//! stays bounded; what the pool cannot take is a 503 with `Retry-After` in
//! the vendor's envelope, at once (Limecraft's JSON; LiquidFiles' XML, JSON
//! or login page, as the request was).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use authconform::reference::liquidfiles::page;
use authconform::reference::serving::ServeLimits;
use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::secret::{HashCost, HashPoolSize};
use authconform::vendor::Vendor;
use serde_json::{Value, json};

/// The process's resident memory, in MiB (Linux).
fn rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The stated bound: 64 logins at 19 MiB each would be 1.2 GiB; two workers
/// hold two Argon2 blocks (38 MiB) plus what allocator arenas keep.
const GROWTH_BOUND_MIB: u64 = 160;
const LOGINS: usize = 64;
/// What the pool takes at once: 2 hashing plus 6 waiting.
const POOL: HashPoolSize = HashPoolSize {
    workers: 2,
    queue: 6,
};

/// One flood at a time: resident memory is the whole test process's.
static ONE_FLOOD_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn production_cost_server() -> RunningServer {
    ReferenceServer::new(ReferenceConfig {
        hash_cost: HashCost::Owasp,
        hash_pool: POOL,
        limits: ServeLimits::default(),
        ..ReferenceConfig::for_tests()
    })
    .spawn(([127, 0, 0, 1], 0).into())
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    content_type: String,
    body: String,
}

/// Sends [`LOGINS`] requests at once (`request(i)` builds the i-th) and
/// returns their answers; checks that resident memory grew less than
/// [`GROWTH_BOUND_MIB`] meanwhile, and that both a checked answer
/// (`checked_status`) and a 503 came back, nothing else.
async fn flood(
    what: &str,
    checked_status: u16,
    request: impl Fn(usize) -> reqwest::RequestBuilder,
) -> Vec<Answer> {
    let before = rss_mib();
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = tokio::spawn({
        let peak = peak.clone();
        async move {
            loop {
                if let Some(now) = rss_mib() {
                    peak.fetch_max(now, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let answers = futures::future::join_all((0..LOGINS).map(|i| {
        let sent = request(i).send();
        async move {
            let r = sent.await.unwrap();
            let header = |name: &str| {
                r.headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            Answer {
                status: r.status().as_u16(),
                retry_after: header("retry-after"),
                content_type: header("content-type").unwrap_or_default(),
                body: r.text().await.unwrap(),
            }
        }
    }))
    .await;
    sampler.abort();
    let checked = answers
        .iter()
        .filter(|a| a.status == checked_status)
        .count();
    let busy = answers.iter().filter(|a| a.status == 503).count();
    for a in &answers {
        assert!(
            [checked_status, 503].contains(&a.status),
            "{what}: {} {}",
            a.status,
            a.body
        );
        if a.status == 503 {
            assert_eq!(a.retry_after.as_deref(), Some("1"), "{what}: {}", a.body);
        }
    }
    // The queue's places at least: a burst can fill them before a worker
    // has taken its first job.
    let pool = POOL.workers + POOL.queue;
    assert!(
        checked >= POOL.queue,
        "{what}: the pool and its queue served {checked}"
    );
    assert!(busy > 0, "{what}: {LOGINS} at once must overflow {pool}");
    if let Some(before) = before {
        let growth = peak.load(Ordering::Relaxed).saturating_sub(before);
        eprintln!(
            "{what}: {LOGINS} logins: {checked} checked ({checked_status}), {busy} refused (503); RSS {before} MiB, peak +{growth} MiB"
        );
        assert!(
            growth < GROWTH_BOUND_MIB,
            "{what}: resident memory grew {growth} MiB (bound {GROWTH_BOUND_MIB})"
        );
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_password_logins_at_production_cost_stay_bounded() {
    let _alone = ONE_FLOOD_AT_A_TIME.lock().await;
    let running = production_cost_server().await;
    let url = format!(
        "{}/authentication/login",
        running.api_base_url(Vendor::Limecraft)
    );
    let client = client();
    let answers = flood("Limecraft", 401, |i| {
        client
            .post(&url)
            .json(&json!({"username": "alice", "password": format!("wrong-{i}")}))
    })
    .await;
    for a in &answers {
        let body: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(
            body["code"],
            json!(a.status),
            "Limecraft's envelope: {body}"
        );
    }
    // Served again once the load is gone.
    let r = client
        .post(&url)
        .json(&json!({"username": "alice", "password": "alice-Pa55word"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A name per login: LiquidFiles limits failed logins per name (10 in 15
/// min), and a flood of one name would meet that limit, not the pool's.
fn flood_name(i: usize) -> String {
    format!("flood-{i}@example.com")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liquidfiles_logins_refuse_a_full_pool_with_503_in_the_request_s_format() {
    let _alone = ONE_FLOOD_AT_A_TIME.lock().await;
    let running = production_cost_server().await;
    let base = running.api_base_url(Vendor::LiquidFiles);
    let login = format!("{base}/login");
    let client = client();

    // The XML API: `<errors><error>…</error></errors>`.
    let answers = flood("LiquidFiles XML", 401, |i| {
        client
            .post(&login)
            .header("content-type", "application/xml")
            .body(format!(
                "<user><email>{}</email><password>wrong</password></user>",
                flood_name(i)
            ))
    })
    .await;
    for a in &answers {
        assert!(a.content_type.starts_with("application/xml"), "{}", a.body);
        let error = page::xml_element(&a.body, "error").unwrap_or_else(|| panic!("{}", a.body));
        if a.status == 503 {
            assert!(error.contains("busy"), "{error}");
        }
    }

    // The JSON API: `{"errors":["…"]}`.
    let answers = flood("LiquidFiles JSON", 401, |i| {
        client
            .post(&login)
            .json(&json!({"user": {"email": flood_name(i), "password": "wrong"}}))
    })
    .await;
    for a in &answers {
        let body: Value = serde_json::from_str(&a.body).unwrap_or_else(|_| panic!("{}", a.body));
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(errors.len(), 1, "{body}");
    }

    // The browser login: the login page again, with the message, so the
    // same login can try again.
    let mut login_ids = Vec::new();
    for _ in 0..LOGINS {
        let html = client
            .get(format!("{base}/session/api"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let form = page::login_form(&html).expect("the login form");
        let id = form.input("login_id").and_then(|t| t.attr("value"));
        login_ids.push(id.expect("a login_id").to_owned());
    }
    let answers = flood("LiquidFiles /session/api", 401, |i| {
        client.post(format!("{base}/session/api")).form(&[
            ("login_id", login_ids[i].as_str()),
            ("user", &flood_name(i)),
            ("password", "wrong"),
        ])
    })
    .await;
    let mut retry = None;
    for (i, a) in answers.iter().enumerate() {
        assert!(a.content_type.starts_with("text/html"), "{}", a.body);
        assert!(page::login_form(&a.body).is_some(), "{}", a.body);
        if a.status == 503 {
            assert!(a.body.contains("busy"), "{}", a.body);
            retry.get_or_insert(i);
        }
    }

    // Served again once the load is gone: the refused browser login goes on.
    let i = retry.expect("a refused browser login");
    let r = client
        .post(format!("{base}/session/api"))
        .form(&[
            ("login_id", login_ids[i].as_str()),
            ("user", "alice"),
            ("password", "alice-Pa55word"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        page::element(&html, "api_key").is_some(),
        "the key after a refused try: {html}"
    );
    let r = client
        .post(&login)
        .json(&json!({"user": {"email": "alice", "password": "alice-Pa55word"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
