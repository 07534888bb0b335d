//! LiquidFiles' `/saml/api` over HTTP on a reference server: the round trip
//! through the embedded IdP (redirect with an AuthnRequest, the IdP's login
//! form, the HTTP-POST binding's page, the success page with the key and
//! the callback), and every SP rule: a Response that breaks it is refused by
//! the reference server and accepted by the server with the fault that
//! breaks that rule (the scenarios LF20–LF34 check the same over the harness).

use authconform::reference::fault::Fault;
use authconform::reference::liquidfiles::page;
use authconform::reference::saml::dsig::SigningKey;
use authconform::reference::saml::message::{AuthnRequest, ResponseSpec, Signing, Wrapping};
use authconform::reference::saml::{self, STATUS_AUTHN_FAILED};
use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use base64::Engine;

/// A reference server with `fault`, on a free port.
pub(crate) async fn server(fault: Option<Fault>) -> RunningServer {
    server_with(ReferenceConfig::for_tests().with_fault(fault)).await
}

pub(crate) async fn server_with(config: ReferenceConfig) -> RunningServer {
    ReferenceServer::new(config)
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .expect("the reference server starts")
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What `/saml/api` sent the browser to the IdP with.
pub(crate) struct Started {
    pub request: AuthnRequest,
    pub relay_state: String,
    /// The IdP URL with the query, absolute.
    pub idp_url: String,
}

/// `GET /liquidfiles/saml/api?<query>`: the redirect to the IdP, read.
pub(crate) async fn start(
    client: &reqwest::Client,
    server: &RunningServer,
    query: &str,
) -> Started {
    let url = format!("{}/liquidfiles/saml/api{query}", server.url());
    let res = client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 302, "/saml/api redirects to the IdP");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let idp_url = url::Url::parse(&url).unwrap().join(&location).unwrap();
    let mut saml_request = None;
    let mut relay_state = None;
    for (k, v) in idp_url.query_pairs() {
        match k.as_ref() {
            "SAMLRequest" => saml_request = Some(v.into_owned()),
            "RelayState" => relay_state = Some(v.into_owned()),
            _ => {}
        }
    }
    let xml = saml::inflate_base64(&saml_request.expect("SAMLRequest")).unwrap();
    Started {
        request: AuthnRequest::parse(&xml).unwrap(),
        relay_state: relay_state.expect("RelayState"),
        idp_url: idp_url.to_string(),
    }
}

/// The HTTP-POST binding's form, as the IdP's page gives it to the browser.
pub(crate) struct Posted {
    pub acs_url: String,
    pub saml_response: String,
    pub relay_state: Option<String>,
}

/// The IdP's login form filled with `email` / `password`: the POST binding
/// page's form, or `None` (and the page) when the IdP refused.
pub(crate) async fn idp_login(
    client: &reqwest::Client,
    started: &Started,
    email: &str,
    password: &str,
) -> Result<Posted, String> {
    let res = client.get(&started.idp_url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let form = page::form(&html, "idp_login").expect("the IdP's login form");
    let action = url::Url::parse(&started.idp_url)
        .unwrap()
        .join(form.tag.attr("action").unwrap_or(""))
        .unwrap();
    let fields = form.fields(&[("email", email), ("password", password)]);
    let res = client.post(action).form(&fields).send().await.unwrap();
    let html = res.text().await.unwrap();
    let Some(form) = page::form(&html, "saml_post") else {
        return Err(html);
    };
    let value = |name: &str| {
        form.input(name)
            .and_then(|i| i.attr("value"))
            .map(str::to_owned)
    };
    Ok(Posted {
        acs_url: form
            .tag
            .attr("action")
            .expect("the form's action")
            .to_owned(),
        saml_response: value("SAMLResponse").expect("SAMLResponse"),
        relay_state: value("RelayState"),
    })
}

/// Posts a Response to the ACS as the browser does; (status, page).
pub(crate) async fn consume(
    client: &reqwest::Client,
    acs_url: &str,
    saml_response: &str,
    relay_state: Option<&str>,
) -> (u16, String, Option<String>) {
    let mut fields = vec![("SAMLResponse", saml_response)];
    if let Some(r) = relay_state {
        fields.push(("RelayState", r));
    }
    let res = client.post(acs_url).form(&fields).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, res.text().await.unwrap(), location)
}

/// The key on a page, if it shows one.
pub(crate) fn api_key(html: &str) -> Option<String> {
    page::element_text(html, "div", "api_key")
}

async fn account(client: &reqwest::Client, server: &RunningServer, key: &str) -> u16 {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    client
        .get(format!("{}/liquidfiles/account", server.url()))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_round_trip_through_the_embedded_idp_ends_on_the_success_page() {
    let server = server(None).await;
    let client = client();
    let started = start(
        &client,
        &server,
        "?agent_port=4711&agent_name=Outlook&agent_version=2.1",
    )
    .await;
    assert!(started.idp_url.contains("/idp/sso?"), "{}", started.idp_url);
    let request = &started.request;
    assert_eq!(
        request.acs_url.as_deref(),
        Some(format!("{}/liquidfiles/saml/consume", server.url()).as_str())
    );
    assert_eq!(
        request.issuer,
        format!("{}/liquidfiles/saml/metadata", server.url())
    );
    assert!(started.relay_state.len() <= saml::MAX_RELAY_STATE);

    // A wrong password at the IdP: its form again, nothing for the SP.
    let refused = idp_login(&client, &started, "alice@example.com", "alice-Pa55word").await;
    assert!(
        refused.is_err(),
        "the LiquidFiles password is not the IdP's"
    );

    let posted = idp_login(&client, &started, "alice@example.com", "alice-Idp-Pa55word")
        .await
        .expect("alice signs in at the IdP");
    assert_eq!(Some(posted.acs_url.as_str()), request.acs_url.as_deref());
    assert_eq!(
        posted.relay_state.as_deref(),
        Some(started.relay_state.as_str())
    );
    let (status, html, _) = consume(
        &client,
        &posted.acs_url,
        &posted.saml_response,
        posted.relay_state.as_deref(),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Authentication Successful"));
    let key = api_key(&html).expect("div#api_key");
    let callback = page::form(&html, "agent_callback").expect("the agent callback");
    assert_eq!(callback.tag.attr("action"), Some("http://localhost:4711/"));
    assert_eq!(account(&client, &server, &key).await, 200);
    let log = server.server.liquidfiles.activity_log();
    let last = log.last().unwrap();
    assert_eq!(
        (last.agent_name.as_deref(), last.agent_version.as_deref()),
        (Some("Outlook"), Some("2.1"))
    );

    // The same Response again: used once (SAML Profiles 4.1.4.5).
    let (status, html, _) = consume(
        &client,
        &posted.acs_url,
        &posted.saml_response,
        posted.relay_state.as_deref(),
    )
    .await;
    assert!(status >= 400 && api_key(&html).is_none(), "{status} {html}");

    // An IdP user LiquidFiles does not know gets no key.
    let started = start(&client, &server, "").await;
    let posted = idp_login(&client, &started, "ivy@example.com", "ivy-Idp-Pa55word")
        .await
        .unwrap();
    let (status, html, _) = consume(
        &client,
        &posted.acs_url,
        &posted.saml_response,
        posted.relay_state.as_deref(),
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert!(api_key(&html).is_none());
}

/// A bad Response, minted for a fresh login of alice: what breaks which rule.
#[derive(Clone, Copy, Debug)]
enum Bad {
    Unsigned,
    Altered,
    OtherKey,
    OtherAudience,
    Expired,
    NotYetValid,
    OtherRequest,
    OtherDestination,
    OtherRecipient,
    Wrapped(Wrapping),
    FailedStatus,
}

impl Bad {
    fn fault(self) -> Fault {
        match self {
            Bad::Unsigned => Fault::SamlUnsignedAccepted,
            Bad::Altered => Fault::SamlSignatureNotChecked,
            Bad::OtherKey => Fault::SamlKeyInfoTrusted,
            Bad::OtherAudience => Fault::SamlAudienceIgnored,
            Bad::Expired | Bad::NotYetValid => Fault::SamlValidityIgnored,
            Bad::OtherRequest => Fault::SamlInResponseToIgnored,
            Bad::OtherDestination | Bad::OtherRecipient => Fault::SamlDestinationIgnored,
            Bad::Wrapped(_) => Fault::SamlWrappingAccepted,
            Bad::FailedStatus => Fault::SamlStatusIgnored,
        }
    }

    fn mint(self, started: &Started, now: i64) -> String {
        let key = SigningKey::builtin();
        let req = &started.request;
        let acs = req.acs_url.as_deref().unwrap();
        let mut spec = ResponseSpec::new(
            saml::DEFAULT_IDP_ENTITY_ID,
            "alice@example.com",
            &req.issuer,
            acs,
            Some(&req.id),
            now,
        );
        match self {
            Bad::Unsigned => spec.signing = Signing::None,
            Bad::Altered => {
                let xml = spec.to_xml(&key).unwrap();
                return xml.replace(">alice@example.com<", ">bob@example.com<");
            }
            Bad::OtherKey => {
                spec.name_id = "bob@example.com".into();
                return spec.to_xml(&SigningKey::untrusted()).unwrap();
            }
            Bad::OtherAudience => spec.audience = "https://other-sp.example/saml/metadata".into(),
            Bad::Expired => {
                spec.issue_instant = now - 3600;
                spec.not_before = now - 3600;
                spec.not_on_or_after = now - 1800;
            }
            Bad::NotYetValid => {
                spec.not_before = now + 1800;
                spec.not_on_or_after = now + 3600;
            }
            Bad::OtherRequest => spec.in_response_to = Some(saml::new_id()),
            Bad::OtherDestination => {
                spec.destination = Some("https://other-sp.example/saml/consume".into());
            }
            Bad::OtherRecipient => spec.recipient = "https://other-sp.example/saml/consume".into(),
            Bad::Wrapped(w) => return w.forge(&spec, "bob@example.com", &key).unwrap(),
            Bad::FailedStatus => spec.status = STATUS_AUTHN_FAILED.into(),
        }
        spec.to_xml(&key).unwrap()
    }
}

#[tokio::test]
async fn every_broken_rule_is_refused_and_accepted_by_its_fault() {
    let mut cases = vec![
        Bad::Unsigned,
        Bad::Altered,
        Bad::OtherKey,
        Bad::OtherAudience,
        Bad::Expired,
        Bad::NotYetValid,
        Bad::OtherRequest,
        Bad::OtherDestination,
        Bad::OtherRecipient,
        Bad::FailedStatus,
    ];
    cases.extend(Wrapping::ALL.map(Bad::Wrapped));
    let client = client();
    let good = server(None).await;
    for bad in cases {
        for (running, accepted) in [(&good, false), (&server(Some(bad.fault())).await, true)] {
            let started = start(&client, running, "").await;
            let now = running.server.clock.now();
            let xml = bad.mint(&started, now);
            let acs = started.request.acs_url.clone().unwrap();
            let (status, html, _) = consume(
                &client,
                &acs,
                &saml::post_base64(&xml),
                Some(&started.relay_state),
            )
            .await;
            if accepted {
                assert_eq!(
                    status,
                    200,
                    "{bad:?} with --fault {}: {html}",
                    bad.fault().name()
                );
                assert!(api_key(&html).is_some(), "{bad:?}: {html}");
            } else {
                assert!(status == 403, "{bad:?} is refused: {status} {html}");
                assert!(api_key(&html).is_none(), "{bad:?}: {html}");
            }
        }
    }
}

#[tokio::test]
async fn a_relay_state_url_is_not_followed() {
    let client = client();
    for (fault, followed) in [(None, false), (Some(Fault::SamlRelayStateRedirect), true)] {
        let running = server(fault).await;
        let started = start(&client, &running, "").await;
        let now = running.server.clock.now();
        let req = &started.request;
        let acs = req.acs_url.clone().unwrap();
        let spec = ResponseSpec::new(
            saml::DEFAULT_IDP_ENTITY_ID,
            "alice@example.com",
            &req.issuer,
            &acs,
            Some(&req.id),
            now,
        );
        let xml = spec.to_xml(&SigningKey::builtin()).unwrap();
        let (status, html, location) = consume(
            &client,
            &acs,
            &saml::post_base64(&xml),
            Some("https://evil.example/steal"),
        )
        .await;
        if followed {
            assert_eq!(
                (status, location.as_deref()),
                (302, Some("https://evil.example/steal"))
            );
        } else {
            assert!(location.is_none() && status == 400, "{status} {html}");
        }
    }
}

#[tokio::test]
async fn the_callback_and_the_key_survive_only_without_their_faults() {
    let client = client();
    for fault in [
        None,
        Some(Fault::SamlCallbackLost),
        Some(Fault::SamlKeyNotStored),
    ] {
        let running = server(fault).await;
        let started = start(&client, &running, "?agent_port=4711").await;
        let posted = idp_login(&client, &started, "bob@example.com", "bob-Idp-Pa55word")
            .await
            .unwrap();
        let (status, html, _) = consume(
            &client,
            &posted.acs_url,
            &posted.saml_response,
            posted.relay_state.as_deref(),
        )
        .await;
        assert_eq!(status, 200, "{html}");
        let key = api_key(&html).unwrap();
        assert_eq!(
            page::form(&html, "agent_callback").is_some(),
            fault != Some(Fault::SamlCallbackLost),
            "{fault:?}"
        );
        let works = account(&client, &running, &key).await == 200;
        assert_eq!(works, fault != Some(Fault::SamlKeyNotStored), "{fault:?}");
    }
    let running = server(Some(Fault::SamlApiShowsPasswordForm)).await;
    let res = client
        .get(format!("{}/liquidfiles/saml/api", running.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "the fault shows a form instead of redirecting"
    );
}

#[tokio::test]
async fn bad_input_at_the_acs_and_the_idp_gets_a_clear_4xx() {
    let running = server(None).await;
    let client = client();
    let started = start(&client, &running, "").await;
    let acs = started.request.acs_url.clone().unwrap();
    for (body, why) in [
        ("RelayState=x", "no SAMLResponse"),
        ("SAMLResponse=%%%", "not base64"),
        (
            "SAMLResponse=PHg%2B",
            "<x> for a Response, unknown RelayState",
        ),
    ] {
        let res = client
            .post(&acs)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{why}: {}", res.status());
    }
    let res = client.post(&acs).body("{}").send().await.unwrap();
    assert_eq!(res.status(), 415);
    let not_xml = saml::post_base64("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>");
    let (status, _, _) = consume(&client, &acs, &not_xml, Some(&started.relay_state)).await;
    assert_eq!(status, 403);
    for query in ["", "?SAMLRequest=%%", "?SAMLRequest=AAAA"] {
        let res = client
            .get(format!("{}/idp/sso{query}", running.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
    }
    let md = client
        .get(format!("{}/idp/metadata", running.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(md.contains("IDPSSODescriptor") && md.contains(&format!("{}/idp/sso", running.url())));
    let md = client
        .get(format!("{}/liquidfiles/saml/metadata", running.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(md.contains(&format!(
        "Location=\"{}/liquidfiles/saml/consume\"",
        running.url()
    )));
}

/// Whether a success page posts the key to `http://localhost:<port>/`.
pub(crate) fn has_callback(html: &str, port: u16) -> bool {
    page::form(html, "agent_callback")
        .is_some_and(|f| f.tag.attr("action") == Some(format!("http://localhost:{port}/").as_str()))
}

/// `authconform idp`: the IdP alone, its metadata on stdout, its accounts
/// from `--users`; bad arguments are exit 2 with a message.
#[tokio::test]
async fn authconform_idp_runs_the_idp_alone() {
    use std::io::{BufRead, BufReader, Write};
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.yaml");
    std::fs::File::create(&users)
        .unwrap()
        .write_all(b"- email: zoe@example.com\n  password: zoe-Idp-Pa55word\n")
        .unwrap();
    let mut child = crate::cli::command()
        .args([
            "idp",
            "--addr",
            "127.0.0.1:0",
            "--hash-cost",
            "test",
            "--users",
        ])
        .arg(&users)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("authconform idp starts");
    let mut metadata = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while !metadata.contains("</md:EntityDescriptor>") {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        metadata.push_str(&line);
    }
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("metadata at") {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        said.push_str(&line);
    }
    assert!(
        said.contains("public"),
        "it warns of the public test key: {said}"
    );
    let at = said.find("http://").unwrap();
    let url: String = said[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(',')
        .to_owned();
    let served = reqwest::get(&url).await.unwrap().text().await.unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        served.trim(),
        metadata.trim(),
        "the printed metadata is the served one"
    );
    assert!(metadata.contains("IDPSSODescriptor") && metadata.contains("X509Certificate"));

    for args in [
        vec!["idp", "--key", "nope.pem"],
        vec!["idp", "--users", "/nonexistent/users.yaml"],
        vec!["idp", "--key", "nope.pem", "--cert", "nope.pem"],
    ] {
        let o = crate::cli::command().args(&args).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
