//! Snapshots of every documented FileVerbs response shape from the reference
//! server, with tokens, keys and times redacted.

use authconform::vendor::Vendor;
use insta::assert_json_snapshot;
use serde_json::{Value, json};

async fn shape(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|c| {
            // The value is a secret; the attributes are the shape.
            let (_, attrs) = c.split_once(';').unwrap_or((c, ""));
            format!("RefreshToken=[token];{attrs}")
        });
    let body: Value = response.json().await.unwrap_or(Value::Null);
    json!({ "status": status, "set_cookie": cookie, "body": body })
}

#[tokio::test]
async fn documented_shapes() {
    let running = crate::common::in_process(Vendor::FileVerbs)
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let base = running.api_base_url(Vendor::FileVerbs);
    let c = reqwest::Client::new();
    let settings = {
        let mut s = insta::Settings::clone_current();
        s.add_redaction(".body.JwtToken", "[token]");
        s.add_redaction(".body.RefreshToken", "[token]");
        s
    };
    let _guard = settings.bind_to_scope();

    // The documentation's own example request, verbatim.
    let issued = shape(
        c.post(format!("{base}/accounts/access-token"))
            .header("content-type", "application/json")
            .body("{\n  \"SecretKey\": \"eyJhbGci...\",\n  \"APIKey\": \"jgJhbSag...\"\n}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_json_snapshot!("fileverbs_access_token_200", issued);

    let r = crate::common::json_of(
        c.post(format!("{base}/accounts/access-token"))
            .json(&json!({"SecretKey": "eyJhbGci...", "APIKey": "jgJhbSag..."})),
    )
    .await;
    let refresh = r["RefreshToken"].as_str().unwrap().to_owned();

    let wrong = c
        .post(format!("{base}/accounts/access-token"))
        .json(&json!({"SecretKey": "eyJhbGci...", "APIKey": "nope"}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("fileverbs_access_token_401", shape(wrong).await);

    let missing = c
        .post(format!("{base}/accounts/access-token"))
        .json(&json!({"SecretKey": "eyJhbGci..."}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!(
        "fileverbs_access_token_400_missing_field",
        shape(missing).await
    );

    let plain = c
        .post(format!("{base}/accounts/access-token"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("fileverbs_access_token_415", shape(plain).await);

    let probe = c
        .get(format!("{base}/endpoint"))
        .header("SecretKey", "eyJhbGci...")
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("fileverbs_probe_200_secret_key", shape(probe).await);

    let probe = c.get(format!("{base}/endpoint")).send().await.unwrap();
    assert_json_snapshot!("fileverbs_probe_401", shape(probe).await);

    let rotated = c
        .post(format!("{base}/accounts/refresh-token"))
        .header("cookie", format!("RefreshToken={refresh}"))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("fileverbs_refresh_200", shape(rotated).await);

    let reused = c
        .post(format!("{base}/accounts/refresh-token"))
        .json(&json!({"RefreshToken": refresh}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("fileverbs_refresh_401_reuse", shape(reused).await);

    let revoked = c
        .post(format!("{base}/accounts/revoke-token"))
        .json(&json!({"RefreshToken": refresh}))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("fileverbs_revoke_200", shape(revoked).await);
}
