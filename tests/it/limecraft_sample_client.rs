//! Seed 003's own client: after enable2fa answers `"hashingAlgorithm":
//! "SHA512"`, the document computes the code with
//! `totp('ABCDEFGHIJKLM', {digits: 6, algorithm: 'SHA-1', period: 30})`
//! ("For example using this library": npm `totp-generator`, whose 0.0.x
//! export is that very `totp(key, options)`). The reference server and
//! `mock::Limecraft` must log such a client in: this computes the code
//! exactly so, by node running that library, and validates with it against
//! both. It also holds the harness's own SHA-1 code (totp-rs, the sample's
//! parameters) to the library's, byte for byte, at several times.
//!
//! Needs `node` and the package: `TOTP_GENERATOR=/path/to/index.js`, or
//! `npm install totp-generator@0.0.14` under `target/totp-npm` (`.ci/run`
//! does). Without them the test prints a loud SKIP line and passes, except
//! under `AUTHCONFORM_REQUIRE_TOTP_GENERATOR` (CI), where it fails. The
//! same login with the Rust computation runs always.

use std::path::{Path, PathBuf};
use std::process::Command;

use authconform::mock::Limecraft as LimecraftMock;
use authconform::reference::limecraft::SAMPLE_CLIENT;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::totp;
use serde_json::{Value, json};

fn find_library() -> Option<PathBuf> {
    let script = match std::env::var_os("TOTP_GENERATOR") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/totp-npm/node_modules/totp-generator/index.js"),
    };
    let node = Command::new("node").arg("--version").output();
    (script.is_file() && node.is_ok_and(|o| o.status.success())).then_some(script)
}

/// The sample's line, run by node with the library: the key substituted,
/// and `timestamp` (milliseconds) when given (the sample leaves it to
/// `Date.now()`).
fn sample_code(library: &Path, key: &str, timestamp_ms: Option<i64>) -> String {
    let options = match timestamp_ms {
        Some(t) => format!("{{digits: 6, algorithm: 'SHA-1', period: 30, timestamp: {t}}}"),
        None => "{digits: 6, algorithm: 'SHA-1', period: 30}".to_owned(),
    };
    let script = format!(
        "const totp = require({}); process.stdout.write(totp({}, {options}))",
        json!(library.to_string_lossy()),
        json!(key)
    );
    let out = Command::new("node")
        .args(["-e", &script])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("digits")
}

/// How a test computes the sample's code.
enum Client<'a> {
    Node(&'a PathBuf),
    Rust,
}

/// The JSON answer to `request`.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// carol's (or the mock's zoe's) 2FA login, her code computed by `client`
/// from the key enable2fa gave; the final token must identify her.
async fn log_in_with_the_sample_client(
    base: &str,
    user: &str,
    password: &str,
    client: &Client<'_>,
) {
    let http = reqwest::Client::new();
    let login = || {
        http.post(format!("{base}/authentication/login"))
            .json(&json!({"username": user, "password": password}))
    };
    let first = json_of(login()).await;
    let token = first["token"].as_str().expect("a token").to_owned();
    let me = json_of(
        http.get(format!("{base}/authentication/user"))
            .bearer_auth(&token),
    )
    .await;
    let enrolled = json_of(
        http.post(format!("{base}/user/{}/enable2fa", me["id"]))
            .bearer_auth(&token)
            .json(&json!({})),
    )
    .await;
    assert_eq!(enrolled["hashingAlgorithm"], "SHA512", "{base}: advertised");
    let key = enrolled["key"].as_str().expect("a key");
    let temporary = json_of(login()).await;
    assert_eq!(temporary["needsSecondToken"], true);
    let code = match client {
        Client::Node(library) => sample_code(library, key, None),
        Client::Rust => totp::code_at(
            SAMPLE_CLIENT,
            &totp::decode_secret(key).unwrap(),
            authconform::reference::clock::system_now(),
        ),
    };
    let validated = http
        .post(format!("{base}/authentication/2fa/validate"))
        .bearer_auth(temporary["token"].as_str().unwrap())
        .json(&json!({ "token": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(validated.status(), 200, "{base}: the sample's SHA-1 code");
    let validated: Value = validated.json().await.unwrap();
    let user_again = http
        .get(format!("{base}/authentication/user"))
        .bearer_auth(validated["token"].as_str().expect("the final token"))
        .send()
        .await
        .unwrap();
    assert_eq!(user_again.status(), 200);
}

async fn against_both(client: Client<'_>) {
    let running = ReferenceServer::new(ReferenceConfig::for_tests())
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let base = running.api_base_url(authconform::vendor::Vendor::Limecraft);
    log_in_with_the_sample_client(&base, "carol", "carol-Pa55word", &client).await;

    let mock = LimecraftMock::start().await;
    mock.add_user("zoe", "zoe-Pa55word").unwrap();
    log_in_with_the_sample_client(&mock.base_url(), "zoe", "zoe-Pa55word", &client).await;
}

#[tokio::test]
async fn the_seeds_sample_client_logs_in_computed_in_rust() {
    against_both(Client::Rust).await;
}

#[tokio::test]
async fn the_seeds_sample_client_logs_in_computed_by_its_library() {
    let Some(library) = find_library() else {
        assert!(
            std::env::var_os("AUTHCONFORM_REQUIRE_TOTP_GENERATOR").is_none(),
            "node and totp-generator are required here (.ci/run installs them)"
        );
        eprintln!(
            "\n*** SKIP limecraft_sample_client: node or totp-generator is missing \
             (set TOTP_GENERATOR, or `npm install totp-generator@0.0.14` in target/totp-npm) ***\n"
        );
        return;
    };
    // The harness's SHA-1 code is the library's, byte for byte: the seed's
    // 65-bit example key and a 160-bit one, at several times.
    for key in ["ABCDEFGHIJKLM", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"] {
        for t in [59_i64, 1_111_111_109, 1_234_567_890, 2_000_000_000] {
            assert_eq!(
                sample_code(&library, key, Some(t * 1000)),
                totp::code_at(SAMPLE_CLIENT, &totp::decode_secret(key).unwrap(), t),
                "key {key} at {t}"
            );
        }
    }
    against_both(Client::Node(&library)).await;
}
