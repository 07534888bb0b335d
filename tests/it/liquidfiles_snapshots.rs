//! Snapshots of every LiquidFiles response shape the reference server
//! produces: status, the headers a page's contract needs, and the body. Keys,
//! login ids and script nonces are replaced, each after a check of its form,
//! so no secret and nothing random lands in a `.snap`.
//!
//! The server is driven in-process (`tower::ServiceExt::oneshot`), serving
//! LiquidFiles alone at the root as the product does.

use authconform::reference::ReferenceServer;
use authconform::vendor::Vendor;
use axum::body::Body;
use axum::http::Method;

fn server() -> ReferenceServer {
    crate::common::in_process(Vendor::LiquidFiles)
}

/// The answer as a snapshot holds it: the status, the headers a page's
/// contract needs, and the body, redacted.
async fn call(
    s: &ReferenceServer,
    method: Method,
    uri: &str,
    ct: Option<&str>,
    body: &str,
) -> String {
    let reply = crate::common::call(s, method, uri, None, ct, body.to_owned()).await;
    let mut out = format!("HTTP {}\n", reply.status);
    for name in [
        "content-type",
        "content-security-policy",
        "cache-control",
        "referrer-policy",
        "x-frame-options",
        "www-authenticate",
    ] {
        if let Some(v) = reply.headers.get(name) {
            out.push_str(&format!("{name}: {}\n", v.to_str().unwrap()));
        }
    }
    out.push('\n');
    out.push_str(&reply.raw);
    redact(&out)
}

/// Replaces the value after each `marker` up to `end`, checking its form.
fn replace_after(
    text: &str,
    marker: &str,
    end: char,
    check: fn(&str) -> bool,
    mask: &str,
) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(marker) {
        let start = i + marker.len();
        out.push_str(&rest[..start]);
        let len = rest[start..].find(end).unwrap_or(rest.len() - start);
        let value = &rest[start..start + len];
        if value == SEED_KEY {
            // The documentation's own sample key is public: shown as it is.
            out.push_str(value);
        } else {
            assert!(check(value), "unexpected value after {marker}: {value:?}");
            out.push_str(mask);
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// The key of the XML API documentation's example response.
const SEED_KEY: &str = "4i1Rkf3pkxu0OCRuSuTMqE";

fn alnum44(v: &str) -> bool {
    v.len() == 44 && v.chars().all(|c| c.is_ascii_alphanumeric())
}

fn token(v: &str) -> bool {
    v.len() == 43
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn redact(text: &str) -> String {
    let t = replace_after(text, "<api_key>", '<', alnum44, "[key]");
    let t = replace_after(&t, "id=\"api_key\">", '<', alnum44, "[key]");
    let t = replace_after(&t, "name=\"api_key\" value=\"", '"', alnum44, "[key]");
    let t = replace_after(&t, "name=\"login_id\" value=\"", '"', token, "[login_id]");
    let t = replace_after(&t, "nonce=\"", '"', token, "[nonce]");
    replace_after(&t, "'nonce-", '\'', token, "[nonce]")
}

async fn open(s: &ReferenceServer, query: &str) -> String {
    call(s, Method::GET, &format!("/session/api{query}"), None, "").await
}

/// Opens a login, returns its id (read from the server's raw page).
async fn start(s: &ReferenceServer, query: &str) -> String {
    let uri = format!("/session/api{query}");
    let page = crate::common::call(s, Method::GET, &uri, None, None, Body::empty())
        .await
        .raw;
    let marker = "name=\"login_id\" value=\"";
    let i = page.find(marker).unwrap() + marker.len();
    page[i..i + 43].to_owned()
}

async fn submit(s: &ReferenceServer, fields: &str) -> String {
    call(
        s,
        Method::POST,
        "/session/api",
        Some("application/x-www-form-urlencoded"),
        fields,
    )
    .await
}

#[tokio::test]
async fn xml_login_shapes() {
    let s = server();
    let xml = |email: &str, pw: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>{email}</email>\n  <password>{pw}</password>\n</user>\n"
        )
    };
    let ok = call(
        &s,
        Method::POST,
        "/login",
        Some("text/xml"),
        &xml("alice@example.com", "alice-Pa55word"),
    )
    .await;
    insta::assert_snapshot!("liquidfiles_login_200", ok);
    // The documentation's own example answers the documentation's key.
    let example = call(
        &s,
        Method::POST,
        "/login",
        Some("text/xml"),
        &xml("user@example.com", "password"),
    )
    .await;
    insta::assert_snapshot!("liquidfiles_login_200_seed_example", example);
    let wrong = call(
        &s,
        Method::POST,
        "/login",
        Some("text/xml"),
        &xml("alice@example.com", "nope"),
    )
    .await;
    insta::assert_snapshot!("liquidfiles_login_401", wrong);
    let unknown = call(
        &s,
        Method::POST,
        "/login",
        Some("text/xml"),
        &xml("nobody@example.com", "nope"),
    )
    .await;
    assert_eq!(wrong, unknown, "no user enumeration");
    let bad = call(
        &s,
        Method::POST,
        "/login",
        Some("text/xml"),
        "<user><email>a</email><password>a&b</password></user>",
    )
    .await;
    insta::assert_snapshot!("liquidfiles_login_400_raw_ampersand", bad);
    let doctype = call(
        &s,
        Method::POST,
        "/login",
        Some("application/xml"),
        "<!DOCTYPE user><user/>",
    )
    .await;
    insta::assert_snapshot!("liquidfiles_login_400_doctype", doctype);
    let json = call(&s, Method::POST, "/login", Some("application/json"), "{}").await;
    insta::assert_snapshot!("liquidfiles_json_login_400", json);
    let text = call(&s, Method::POST, "/login", Some("text/plain"), "{}").await;
    insta::assert_snapshot!("liquidfiles_login_415", text);
}

#[tokio::test]
async fn browser_pages() {
    let s = server();
    insta::assert_snapshot!(
        "liquidfiles_session_login_page",
        open(&s, "?agent_port=5000").await
    );
    insta::assert_snapshot!(
        "liquidfiles_session_400_bad_port",
        open(&s, "?agent_port=80x").await
    );

    let id = start(&s, "?agent_port=5000").await;
    let wrong = submit(&s, &format!("login_id={id}&user=alice&password=nope")).await;
    insta::assert_snapshot!("liquidfiles_session_401_wrong_password", wrong);
    let ok = submit(
        &s,
        &format!("login_id={id}&user=alice%40example.com&password=alice-Pa55word"),
    )
    .await;
    insta::assert_snapshot!("liquidfiles_session_success_with_callback", ok);

    let id = start(&s, "").await;
    let ok = submit(
        &s,
        &format!("login_id={id}&user=alice&password=alice-Pa55word"),
    )
    .await;
    insta::assert_snapshot!("liquidfiles_session_success_without_callback", ok);

    let id = start(&s, "").await;
    let two = submit(
        &s,
        &format!("login_id={id}&user=carol&password=carol-Pa55word"),
    )
    .await;
    insta::assert_snapshot!("liquidfiles_session_two_factor", two);
    let missing = submit(&s, &format!("login_id={id}")).await;
    insta::assert_snapshot!("liquidfiles_session_401_two_factor_missing_code", missing);

    let expired = submit(&s, "login_id=unknown&user=alice&password=alice-Pa55word").await;
    insta::assert_snapshot!("liquidfiles_session_400_unknown_login", expired);

    let none = call(&s, Method::GET, "/account", None, "").await;
    insta::assert_snapshot!("liquidfiles_account_401", none);
}
