//! Hostile and malformed input against the LiquidFiles reference server, over
//! real HTTP: a clear 4xx (an XML error for `/login`, an HTML page for
//! `/session/api`), never a 5xx, a panic or a hang, no key, nothing fetched;
//! and the server keeps working.

use std::time::{Duration, Instant};

use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::vendor::Vendor;
use reqwest::Client;

async fn server() -> (RunningServer, Client, String) {
    let running = ReferenceServer::new(ReferenceConfig::for_tests())
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback");
    let base = running.api_base_url(Vendor::LiquidFiles);
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    (running, client, base)
}

const GOOD: &str =
    "<user><email>alice@example.com</email><password>alice-Pa55word</password></user>";

async fn post_xml(client: &Client, base: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let r = client
        .post(format!("{base}/login"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn hostile_xml_gets_a_clear_4xx_quickly() {
    let (_s, client, base) = server().await;
    let laughs = {
        let mut d = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            d.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        d.push_str("]><user><email>&lol9;</email><password>x</password></user>");
        d
    };
    let deep = format!(
        "<user>{}{}</user>",
        "<a>".repeat(5_000),
        "</a>".repeat(5_000)
    );
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("raw &", "text/xml", b"<user><email>alice@example.com</email><password>alice&Pa55word</password></user>".to_vec(), 400),
        ("billion laughs", "text/xml", laughs.into_bytes(), 400),
        ("external entity", "application/xml", b"<?xml version=\"1.0\"?><!DOCTYPE u [<!ENTITY x SYSTEM \"http://127.0.0.1:9/x\">]><user><email>&x;</email><password>p</password></user>".to_vec(), 400),
        ("parameter entity", "text/xml", b"<!DOCTYPE u [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><user/>".to_vec(), 400),
        ("undefined entity", "text/xml", b"<user><email>&nbsp;</email><password>p</password></user>".to_vec(), 400),
        ("unclosed", "text/xml", b"<user><email>alice@example.com</email><password>x</password>".to_vec(), 400),
        ("mismatched", "text/xml", b"<user><email>a</password></user>".to_vec(), 400),
        ("missing password", "text/xml", b"<user><email>alice@example.com</email></user>".to_vec(), 400),
        ("wrong root", "text/xml", b"<login><email>alice@example.com</email><password>alice-Pa55word</password></login>".to_vec(), 400),
        ("deep nesting", "text/xml", deep.into_bytes(), 400),
        ("not UTF-8", "text/xml", b"<user><email>\xff\xfe</email><password>p</password></user>".to_vec(), 400),
        ("NUL reference", "text/xml", b"<user><email>a</email><password>&#0;</password></user>".to_vec(), 400),
        ("huge reference", "text/xml", b"<user><email>a</email><password>&#99999999999999999999;</password></user>".to_vec(), 400),
        ("empty", "text/xml", vec![], 400),
        ("plain text", "text/plain", b"{\"email\":\"alice@example.com\"}".to_vec(), 415),
        ("form", "application/x-www-form-urlencoded", b"email=a&password=b".to_vec(), 415),
        ("10 MB", "text/xml", vec![b'a'; 10 * 1024 * 1024], 413),
    ];
    for (what, ct, body, expected) in cases {
        let started = Instant::now();
        let (status, text) = post_xml(&client, &base, ct, body).await;
        assert_eq!(status, expected, "{what}: {text}");
        assert!(
            text.contains("<errors>") && text.contains("<error>"),
            "{what}: {text}"
        );
        assert!(!text.contains("<api_key>"), "{what}: a key in a refusal");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what} took {:?}",
            started.elapsed()
        );
    }
    // Still serving, and the good document works.
    let (status, text) = post_xml(&client, &base, "text/xml", GOOD.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<api_key>"), "{text}");
}

#[tokio::test]
async fn hostile_browser_input_gets_a_clear_4xx() {
    let (_s, client, base) = server().await;
    let page = format!("{base}/session/api");
    for query in [
        "agent_port=abc",
        "agent_port=0",
        "agent_port=65536",
        "agent_port=-1",
        "agent_port=80x",
        "agent_port=",
        "agent_port=99999999999999999999999",
        "agent_port=80&agent_port=81",
        &format!("agent_name={}", "x".repeat(300)),
        &format!("agent_version={}", "%E2%82%AC".repeat(300)),
    ] {
        let r = client.get(format!("{page}?{query}")).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(status, 400, "{query}: {text}");
        assert!(
            !text.contains("id=\"login\""),
            "{query}: a form on a refusal"
        );
    }
    // Markup in the agent fields is never echoed raw.
    let r = client
        .get(format!(
            "{page}?agent_name=%3Cscript%3Ealert(1)%3C/script%3E&agent_port=5000"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(!r.text().await.unwrap().contains("<script>alert"));
    let forms: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "application/x-www-form-urlencoded",
            b"login_id=nope&user=alice&password=x".to_vec(),
            400,
        ),
        (
            "application/x-www-form-urlencoded",
            b"%%%&&&==".to_vec(),
            400,
        ),
        ("application/x-www-form-urlencoded", vec![0xff; 100], 400),
        ("application/json", b"{}".to_vec(), 415),
        (
            "application/x-www-form-urlencoded",
            vec![b'a'; 10 * 1024 * 1024],
            413,
        ),
    ];
    for (ct, body, expected) in forms {
        let r = client
            .post(&page)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(status, expected, "{ct}: {text}");
        assert!(!text.contains("id=\"api_key\""), "a key on a refusal");
        assert!(!text.contains("agent_callback"), "a callback on a refusal");
    }
    for auth in [
        "Basic",
        "Basic !!!",
        "Basic AAAA",
        "Bearer x",
        &format!("Basic {}", "A".repeat(100_000)),
    ] {
        let r = client
            .get(format!("{base}/account"))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{auth:.20}");
    }
}

/// Failed logins are limited per account name, known or not, on both logins
/// together; a lock looks the same for both, so it reveals nothing.
#[tokio::test]
async fn failed_logins_lock_known_and_unknown_names_alike() {
    let (_s, client, base) = server().await;
    let doc = |email: &str| {
        format!("<user><email>{email}</email><password>wrong-Pa55word</password></user>")
    };
    let mut last = Vec::new();
    for email in ["bob@example.com", "nobody-at-all@example.com"] {
        for _ in 0..10 {
            let (status, _) = post_xml(&client, &base, "text/xml", doc(email).into_bytes()).await;
            assert_eq!(status, 401, "{email}");
        }
        let (status, text) = post_xml(&client, &base, "text/xml", doc(email).into_bytes()).await;
        assert_eq!(status, 429, "{email}: {text}");
        last.push(text);
        // The browser login shares the limit: the right password is refused too.
        let page = client
            .get(format!("{base}/session/api"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"login_id\" value=\"";
        let i = page.find(marker).unwrap() + marker.len();
        let id = &page[i..i + 43];
        let r = client
            .post(format!("{base}/session/api"))
            .form(&[
                ("login_id", id),
                ("user", email),
                ("password", "bob-Pa55word"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 429, "{email}");
        assert!(!r.text().await.unwrap().contains("id=\"api_key\""));
    }
    assert_eq!(
        last[0], last[1],
        "a lock must not tell known from unknown names"
    );
}

/// The Rails markup's CSRF rule (`liquidfiles.form-markup=rails`): the
/// sign-in form is refused (422, no key) without the session cookie, with a
/// wrong `authenticity_token`, or with a token of another session; with both
/// it signs in and (`liquidfiles.flow=post-redirect-get`) redirects (303).
#[tokio::test]
async fn the_rails_forms_refuse_a_missing_or_foreign_csrf_token() {
    let mut switches = authconform::reference::switch::Switches::default();
    for s in [
        "liquidfiles.form-markup=rails",
        "liquidfiles.flow=post-redirect-get",
    ] {
        switches.parse_and_set(s).unwrap();
    }
    let running = ReferenceServer::new(ReferenceConfig::for_tests().with_switches(switches))
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback");
    let base = running.api_base_url(Vendor::LiquidFiles);
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let open = || async {
        let r = client
            .get(format!("{base}/session/api"))
            .send()
            .await
            .unwrap();
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let html = r.text().await.unwrap();
        let form = authconform::reference::liquidfiles::page::login_form(&html).unwrap();
        let token = form
            .input("authenticity_token")
            .unwrap()
            .attr("value")
            .unwrap()
            .to_owned();
        (cookie, token)
    };
    let (cookie, token) = open().await;
    let (_, other_token) = open().await;
    let sign_in = |cookie: Option<&str>, token: &str| {
        let mut r = client.post(format!("{base}/session/api")).form(&[
            ("authenticity_token", token),
            ("user[email]", "alice@example.com"),
            ("user[password]", "alice-Pa55word"),
        ]);
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send()
    };
    for (what, c, t) in [
        ("no cookie", None, token.as_str()),
        ("a wrong token", Some(cookie.as_str()), "0000"),
        (
            "another session's token",
            Some(cookie.as_str()),
            other_token.as_str(),
        ),
    ] {
        let r = sign_in(c, t).await.unwrap();
        assert_eq!(r.status().as_u16(), 422, "{what}");
        assert!(!r.text().await.unwrap().contains("api_key"), "{what}");
    }
    let r = sign_in(Some(&cookie), &token).await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("api/done?t="),
        "{:?}",
        r.headers()["location"]
    );
}
