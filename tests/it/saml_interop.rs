//! SAML with implementations we did not write (issue #21 item 8):
//!
//! - the embedded IdP's Response (from its login form, over HTTP) verifies
//!   with `xmlsec1 --verify` (libxmlsec1, the C library most SAML stacks sit
//!   on), and an altered copy does not;
//! - node-saml (the engine of passport-saml), as an SP, accepts that Response
//!   with every check it has on (signature, Issuer, Audience, Recipient,
//!   InResponseTo, validity);
//! - samlify, as an IdP, reads the reference SP's metadata and answers its
//!   AuthnRequest; the reference SP accepts that Response and shows the key.
//!
//! Needs `xmlsec1` (Debian `xmlsec1`) and node with `samlify@2.13.1` and
//! `@node-saml/node-saml@5.1.0` under `target/saml-npm` (or `SAML_NPM=DIR`
//! holding their `node_modules`); `.ci/run` installs them. Without them each
//! test says SKIP loudly, unless `AUTHCONFORM_REQUIRE_SAML_INTEROP` is set
//! (CI), where it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use authconform::reference::ReferenceConfig;
use authconform::reference::saml::{self, dsig::SigningKey};
use serde_json::json;

use crate::liquidfiles_saml::{api_key, client, consume, idp_login, server, server_with, start};

fn required() -> bool {
    std::env::var_os("AUTHCONFORM_REQUIRE_SAML_INTEROP").is_some()
}

fn skip(what: &str) {
    assert!(!required(), "{what} is required here (.ci/run installs it)");
    eprintln!("\n*** SKIP saml_interop: {what} is missing ***\n");
}

/// The folder whose `node_modules` holds samlify and node-saml.
fn npm_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("SAML_NPM") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/saml-npm"),
    };
    let node = Command::new("node").arg("--version").output();
    (dir.join("node_modules/samlify/package.json").is_file()
        && dir
            .join("node_modules/@node-saml/node-saml/package.json")
            .is_file()
        && node.is_ok_and(|o| o.status.success()))
    .then_some(dir)
}

/// Runs `tests/it/saml_interop/<script>` with `input` on stdin: whether it
/// succeeded, the JSON line it printed (if any), and all it said.
fn node(npm: &Path, script: &str, input: &serde_json::Value) -> (bool, serde_json::Value, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/saml_interop")
        .join(script);
    let mut child = Command::new("node")
        .arg(path)
        .env("NODE_PATH", npm.join("node_modules"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null);
    (
        out.status.success(),
        json,
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

/// alice's Response from the embedded IdP of a reference server, as its POST
/// binding page holds it, with what it answers.
async fn embedded_idp_response() -> (
    crate::liquidfiles_saml::Started,
    crate::liquidfiles_saml::Posted,
    String,
) {
    let running = server(None).await;
    let client = client();
    let started = start(&client, &running, "").await;
    let posted = idp_login(&client, &started, "alice@example.com", "alice-Idp-Pa55word")
        .await
        .expect("alice signs in at the IdP");
    let url = running.url();
    // The server may stop: the Response is all the checks below need.
    (started, posted, url)
}

#[tokio::test]
async fn the_embedded_idps_response_verifies_with_xmlsec1() {
    if Command::new("xmlsec1").arg("--version").output().is_err() {
        return skip("xmlsec1 (apt-get install xmlsec1)");
    }
    let (_, posted, _) = embedded_idp_response().await;
    let xml = saml::read_post_base64(&posted.saml_response).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("idp-cert.pem");
    std::fs::write(&cert, SigningKey::builtin().certificate().to_pem()).unwrap();
    let verify = |xml: &str| {
        let file = dir.path().join("response.xml");
        std::fs::write(&file, xml).unwrap();
        let out = Command::new("xmlsec1")
            .args(["--verify", "--pubkey-cert-pem"])
            .arg(&cert)
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ])
            .arg(&file)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, said) = verify(&xml);
    assert!(
        ok && said.contains("OK"),
        "xmlsec1 verifies the IdP's signature:\n{said}"
    );
    let altered = xml.replace(">alice@example.com<", ">bob@example.com<");
    assert_ne!(altered, xml);
    let (ok, said) = verify(&altered);
    assert!(!ok, "xmlsec1 refuses an altered assertion:\n{said}");
}

#[tokio::test]
async fn node_saml_accepts_the_embedded_idps_response() {
    let Some(npm) = npm_dir() else {
        return skip("node with samlify and @node-saml/node-saml (npm install in target/saml-npm)");
    };
    let (started, posted, url) = embedded_idp_response().await;
    let input = |cert: String| {
        json!({
            "acs_url": posted.acs_url,
            "sso_url": format!("{url}/idp/sso"),
            "sp_entity_id": started.request.issuer,
            "idp_cert_pem": cert,
            "idp_entity_id": saml::DEFAULT_IDP_ENTITY_ID,
            "request_id": started.request.id,
            "saml_response": posted.saml_response,
        })
    };
    let (ok, answer, said) = node(
        &npm,
        "node_sp.js",
        &input(SigningKey::builtin().certificate().to_pem()),
    );
    assert!(ok, "node-saml accepts the Response:\n{said}");
    assert_eq!(answer["name_id"], "alice@example.com", "{said}");
    // The same check refuses it against another IdP certificate: it checks.
    let (ok, _, said) = node(
        &npm,
        "node_sp.js",
        &input(SigningKey::untrusted().certificate().to_pem()),
    );
    assert!(
        !ok,
        "node-saml refuses the Response for another certificate:\n{said}"
    );
}

#[tokio::test]
async fn the_reference_sp_accepts_a_response_from_samlify() {
    let Some(npm) = npm_dir() else {
        return skip("node with samlify and @node-saml/node-saml (npm install in target/saml-npm)");
    };
    // samlify signs with the second test key; this SP trusts that one.
    let samlify = SigningKey::untrusted();
    let mut config = ReferenceConfig::for_tests();
    config.liquidfiles.saml.idp_entity_id = "urn:samlify:idp".to_owned();
    config.liquidfiles.saml.idp_cert = samlify.certificate().clone();
    let running = server_with(config).await;
    let client = client();
    let started = start(&client, &running, "?agent_port=4711").await;
    let metadata = client
        .get(format!("{}/liquidfiles/saml/metadata", running.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (ok, answer, said) = node(
        &npm,
        "node_idp.js",
        &json!({
            "sp_metadata": metadata,
            "request_id": started.request.id,
            "idp_entity_id": "urn:samlify:idp",
            "idp_key_pem": include_str!("../../fixtures/saml/other-key.pem"),
            "idp_cert_pem": samlify.certificate().to_pem(),
            "email": "alice@example.com",
        }),
    );
    assert!(ok, "samlify answers the AuthnRequest:\n{said}");
    let acs = answer["acs_url"].as_str().expect(&said);
    assert_eq!(
        Some(acs),
        started.request.acs_url.as_deref(),
        "samlify read the ACS from the metadata"
    );
    let (status, html, _) = consume(
        &client,
        acs,
        answer["saml_response"].as_str().unwrap(),
        Some(&started.relay_state),
    )
    .await;
    assert_eq!(
        status, 200,
        "the reference SP accepts samlify's Response:\n{html}"
    );
    assert!(api_key(&html).is_some());
    assert!(crate::liquidfiles_saml::has_callback(&html, 4711));
}
