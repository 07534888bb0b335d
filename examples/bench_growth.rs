//! How a vendor's store behaves as its live tokens grow (issue #16): memory per
//! live token, login latency, and the latency of a token-validated call alone
//! and while 8 clients log in, with N live tokens in the store.
//!
//! In process, on the store itself (no sockets): what is measured is the
//! store's own work and its lock, the part that grows with N. 250 tokens per
//! user (Limecraft's 4,000 users x 250 sessions at 1M; FileVerbs 100, its cap
//! of families per account: 10,000 accounts); each vendor's "login" and "GET" are:
//!
//! | vendor      | login (adds a live token)             | GET (validates a token)           |
//! |-------------|---------------------------------------|-----------------------------------|
//! | limecraft   | `login` (session)                     | `authenticate` + `user_view`      |
//! | lac         | `sign_on` (auth token)                | `authorize` (header, GET)         |
//! | fileverbs   | `issue` (refresh token, new family)   | `refresh` of a live refresh token |
//! | liquidfiles | `start_browser_login` + `submit_password` (browser key) | `authorize` |
//!
//! FileVerbs' "GET" is the refresh: its JWTs are stateless, the refresh token
//! is what its table holds (the rotated token replaces the sampled one).
//!
//! `cargo run --release --example bench_growth -- VENDOR LIVE_TOKENS [SAMPLES]`
//! (`bench/growth.sh` runs every vendor at 1k, 10k, 100k and 1M, one process each).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use authconform::clock::Clock;
use authconform::fixtures::lac::LacUser;
use authconform::fixtures::{FileVerbsAccount, Fixtures, LimecraftUser};
use authconform::reference::fileverbs::store::{FileVerbs, FileVerbsConfig};
use authconform::reference::lac::store::{Lac, LacConfig};
use authconform::reference::lac::wire::{Credentials, HeaderCredential};
use authconform::reference::limecraft::store::{Limecraft, LimecraftConfig};
use authconform::reference::liquidfiles::store::{
    Agent, BrowserStep, LiquidFiles, LiquidFilesConfig,
};
use authconform::reference::throttle::Source;
use authconform::secret::{HashCost, PasswordHashing};
use axum::http::Method;

/// Live tokens per user, as in the issue's Limecraft figures (within each
/// vendor's per-user cap, so that every login adds a live token), or
/// `PER_USER` (e.g. 1: as many users as tokens, the shape in which a pass
/// over the users would show).
fn per_user(vendor: &str) -> usize {
    if let Some(n) = std::env::var("PER_USER").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    match vendor {
        "fileverbs" => 100,
        _ => 250,
    }
}
/// Clients logging in during the "GET under logins" phase.
const LOGGERS: usize = 8;
const GET_SPACING: Duration = Duration::from_micros(50);
const LOGIN_PAUSE: Duration = Duration::from_millis(1);

#[derive(Clone)]
enum Store {
    Limecraft(Limecraft),
    Lac(Lac),
    FileVerbs(FileVerbs),
    LiquidFiles(LiquidFiles),
}

fn name(i: usize) -> String {
    format!("bench{i}")
}

fn password(i: usize) -> String {
    format!("bench-Pa55word{i}")
}

impl Store {
    fn new(vendor: &str, users: usize) -> Store {
        let fixtures = Fixtures::builtin();
        let hashing = PasswordHashing::new(HashCost::Test);
        match vendor {
            "limecraft" => {
                let lc = Limecraft::new(
                    &fixtures.limecraft,
                    hashing,
                    Clock::new(),
                    None,
                    LimecraftConfig::default(),
                );
                for i in 0..users {
                    let id = lc.next_user_id();
                    lc.add_user(&LimecraftUser {
                        id,
                        username: name(i),
                        email: format!("{}@bench.test", name(i)),
                        password: password(i),
                        state: Default::default(),
                        support: false,
                        first_name: Some("Bench".into()),
                        last_name: None,
                    })
                    .expect("a fresh bench user");
                }
                Store::Limecraft(lc)
            }
            "lac" => {
                let lac = Lac::new(
                    &fixtures.lac,
                    hashing,
                    Clock::new(),
                    None,
                    LacConfig::default(),
                );
                for i in 0..users {
                    lac.add_user(&LacUser {
                        username: name(i),
                        password: password(i),
                        roles: vec!["bench".into()],
                    })
                    .expect("a fresh bench user");
                }
                Store::Lac(lac)
            }
            "fileverbs" => {
                let fv = FileVerbs::new(
                    &fixtures.fileverbs,
                    Clock::new(),
                    None,
                    FileVerbsConfig::default(),
                );
                for i in 0..users {
                    fv.add_account(&FileVerbsAccount {
                        id: name(i),
                        first_name: "Bench".into(),
                        last_name: "User".into(),
                        email: format!("{}@bench.test", name(i)),
                        role: "User".into(),
                        is_verified: true,
                        secret_key: format!("secret-{i}"),
                        api_key: password(i),
                    })
                    .expect("a fresh bench account");
                }
                Store::FileVerbs(fv)
            }
            "liquidfiles" => {
                let lf = LiquidFiles::new(
                    &fixtures.liquidfiles,
                    hashing,
                    Clock::new(),
                    None,
                    LiquidFilesConfig::default(),
                );
                for i in 0..users {
                    lf.add_user(&format!("{}@bench.test", name(i)), &name(i), &password(i));
                }
                Store::LiquidFiles(lf)
            }
            other => panic!("unknown vendor {other}: limecraft, lac, fileverbs or liquidfiles"),
        }
    }

    /// One login of user `i`; the new live token.
    async fn login(&self, i: usize) -> String {
        match self {
            Store::Limecraft(lc) => lc
                .login(&name(i), &password(i), false, Source::UNKNOWN)
                .await
                .expect("login")
                .token
                .as_str()
                .to_owned(),
            Store::Lac(lac) => {
                lac.sign_on(0, &name(i), &password(i), None, Source::UNKNOWN)
                    .await
                    .expect("sign-on")
                    .key
                    .expect("a new auth token")
                    .apikey
            }
            Store::FileVerbs(fv) => {
                fv.issue(&format!("secret-{i}"), &password(i))
                    .expect("access-token")
                    .refresh_token
            }
            Store::LiquidFiles(lf) => {
                let id = lf
                    .start_browser_login(Agent::default(), Source::UNKNOWN)
                    .expect("a login starts");
                match lf
                    .submit_password(&id, &name(i), &password(i), Source::UNKNOWN)
                    .await
                {
                    Ok(BrowserStep::Success(s)) => s.api_key,
                    _ => panic!("browser login failed"),
                }
            }
        }
    }

    /// Tokens the store holds (live or not yet forgotten), and the bytes of
    /// its own value per token.
    fn tokens(&self) -> (usize, usize) {
        match self {
            Store::Limecraft(lc) => (lc.session_count(), lc.token_value_bytes()),
            Store::Lac(lac) => (lac.key_count(0), lac.token_value_bytes()),
            Store::FileVerbs(fv) => (fv.refresh_token_count(), fv.token_value_bytes()),
            Store::LiquidFiles(lf) => (lf.browser_key_count(), lf.token_value_bytes()),
        }
    }

    /// One token-validated call; FileVerbs' refresh returns the rotated token.
    fn get(&self, token: &mut String) {
        match self {
            Store::Limecraft(lc) => {
                let caller = lc.authenticate(Some(token)).expect("a live session");
                lc.user_view(caller).expect("the user");
            }
            Store::Lac(lac) => {
                let credentials = Credentials {
                    header: Some(HeaderCredential {
                        value: format!("{token}:1").into(),
                        lac_scheme: true,
                    }),
                    url: None,
                };
                lac.authorize(0, &credentials, &Method::GET)
                    .expect("a live auth token");
            }
            Store::FileVerbs(fv) => {
                *token = fv
                    .refresh(token)
                    .expect("a live refresh token")
                    .refresh_token;
            }
            Store::LiquidFiles(lf) => {
                lf.authorize(token).expect("a live browser key");
            }
        }
    }
}

/// Resident set size in bytes, from /proc/self/statm (Linux).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm's resident field");
    pages * 4096
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    format!(
        "p50 {:.1} µs  p99 {:.1} µs",
        micros(percentile(&v, 0.5)),
        micros(percentile(&v, 0.99))
    )
}

/// `samples` token-validated calls on `tokens`, round robin, each timed, one
/// every `GET_SPACING` (a client at ~20k requests/s): long enough for the
/// logging-in clients to be at full speed while they run.
fn gets(store: &Store, tokens: &mut [String], samples: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(samples);
    for k in 0..samples {
        let i = k % tokens.len();
        let t = Instant::now();
        store.get(&mut tokens[i]);
        times.push(t.elapsed());
        std::thread::sleep(GET_SPACING);
    }
    times
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let vendor = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("limecraft")
        .to_owned();
    let live: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let samples: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let per_user = per_user(&vendor);
    let users = live.div_ceil(per_user).max(1);
    // The timed logins and the logging-in clients use users of their own:
    // their sessions beyond the per-user cap evict their own oldest, never the
    // tokens the GETs present.
    let extra = move |k: usize| users + k % (LOGGERS + 1);

    let store = Store::new(&vendor, users + LOGGERS + 1);
    // Warm-up, then the memory baseline: users are in, no token yet but these.
    for k in 0..16 {
        store.login(extra(k)).await;
    }
    let (tokens_before, _) = store.tokens();
    let rss_before = rss_bytes();

    // Fill: `live` logins, user by user, 4 at a time (the hashing runs on
    // blocking threads). Every 1000th token is kept for the GETs.
    let fill_start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let workers = 4;
    for w in 0..workers {
        let store = store.clone();
        tasks.spawn(async move {
            let mut kept = Vec::new();
            for n in (w..live).step_by(workers) {
                let token = store.login(n / per_user).await;
                if n % 1000 == 0 || live <= 1000 && n % 10 == 0 {
                    kept.push(token);
                }
            }
            kept
        });
    }
    let mut tokens: Vec<String> = Vec::new();
    while let Some(kept) = tasks.join_next().await {
        tokens.extend(kept.expect("a fill task"));
    }
    let fill = fill_start.elapsed();
    let kept_bytes: usize =
        tokens.iter().map(|t| t.capacity() + 24).sum::<usize>() + tokens.capacity() * 24;
    let rss_after = rss_bytes();
    let (tokens_after, value_bytes) = store.tokens();
    let stored = tokens_after.saturating_sub(tokens_before).max(1);
    let per_token =
        (rss_after.saturating_sub(rss_before) as f64 - kept_bytes as f64) / stored as f64;

    // Logins: each adds one more live token (N grows by `logins`, < 1 % at 1M).
    let logins = 2_000.min(live);
    let mut login_times = Vec::with_capacity(logins);
    for k in 0..logins {
        let t = Instant::now();
        store.login(extra(k)).await;
        login_times.push(t.elapsed());
    }

    // GETs alone, on a plain thread so no tokio scheduling is in the figure.
    let (alone, mut tokens) = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            let times = gets(&store, &mut tokens, samples);
            (times, tokens)
        })
        .await
        .expect("the GET thread")
    };

    // GETs while LOGGERS clients log in as fast as they can.
    let stop = Arc::new(AtomicBool::new(false));
    let mut loggers = tokio::task::JoinSet::new();
    for c in 0..LOGGERS {
        let store = store.clone();
        let stop = stop.clone();
        loggers.spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                store.login(extra(c + n)).await;
                n += 1;
                // ~1000 logins/s per client, about what one client gets over
                // HTTP here; flat out, in process, they would add hundreds of
                // thousands of tokens during the phase and change N itself.
                tokio::time::sleep(LOGIN_PAUSE).await;
            }
            n
        });
    }
    // Let every client reach its first login before the first GET.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let loaded = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || gets(&store, &mut tokens, samples))
            .await
            .expect("the GET thread")
    };
    stop.store(true, Ordering::Relaxed);
    let mut concurrent_logins = 0;
    while let Some(n) = loggers.join_next().await {
        concurrent_logins += n.expect("a login client");
    }

    println!(
        "{vendor} live={live} stored={stored} users={users} fill={:.1}s mem/token={per_token:.0}B (own value {value_bytes}B) | login {} | GET alone {} | GET under {LOGGERS} logging-in clients {} ({concurrent_logins} logins meanwhile)",
        fill.as_secs_f64(),
        summary(login_times),
        summary(alone),
        summary(loaded),
    );
}
