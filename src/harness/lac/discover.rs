//! Whether the API takes auth tokens in the URL, found out before the run.
//!
//! Seed 002 makes it a property of each API ("Prerequisite: You have
//! authorized users of this API to specify their auth token on the URL"), so
//! a GET with the token in the URL is let in by one conforming API and
//! refused by another. Unless the target file declares `lac.url_auth` (then
//! LAC6 or LAC7 checks it strictly), the suite signs alice on, calls the probe
//! resource with her token in the Authorization header (the path must work)
//! and then in the URL parameter (`lac.url_param`), disables the token, and
//! runs what the answer says the API is: LAC6 when it let the call in, LAC7 on
//! this API when it refused it, saying which. Neither answer fails the run.

use super::api::{self, Transport};
use super::steps::{keeps_out, lets_in};
use super::target::LacTarget;
use crate::harness::exchange::{Call, Exchange, HttpClient};
use crate::harness::target::Target;

/// Finds out whether the API lets an auth token in the URL in, unless the
/// target declares it; the line that says what was found.
pub async fn discover(target: &mut Target, http: &HttpClient) -> Vec<String> {
    let Some(mut lac) = target.section::<LacTarget>().cloned() else {
        return Vec::new();
    };
    if lac.url_auth.is_some() {
        return Vec::new();
    }
    let Some(alice) = target.users.primary.clone() else {
        return Vec::new();
    };
    let param = lac.url_param.clone();
    let line = match ask(http, &lac, &alice.username, &alice.password).await {
        Ok((true, _)) => {
            lac.found = Some(true);
            format!(
                "lac: the API let a GET with alice's auth token in the URL (`?{param}=`) in: its property allows it (found out before the run; `lac.url_auth` declares it). LAC6 runs; LAC7 needs `lac.url_auth_off`"
            )
        }
        Ok((false, status)) => {
            lac.found = Some(false);
            format!(
                "lac: the API refused a GET with alice's auth token in the URL (`?{param}=`, HTTP {status}): its property does not allow it, or its parameter has another name (`lac.url_param`); found out before the run, `lac.url_auth` declares it. LAC7 runs on this API; LAC6 is skipped"
            )
        }
        Err(why) => format!(
            "lac: could not find out whether the API takes auth tokens in the URL ({why}); LAC6, and LAC7 on this API, are skipped unless `lac.url_auth` declares it"
        ),
    };
    target.set_section(lac);
    vec![line]
}

/// Whether a GET with the token in the URL is let in (`true`) or refused
/// (`false`), with the status it answered; `Err` when the answers do not
/// tell (alice cannot sign on, the probe refuses her token in the header:
/// preflight then says what to fix).
async fn ask(
    http: &HttpClient,
    lac: &LacTarget,
    username: &str,
    password: &str,
) -> Result<(bool, u16), String> {
    let send = |call: Call| async move {
        http.send(&call)
            .await
            // Not the URL: a parameter of another name is not masked.
            .map_err(|e| format!("the server did not answer ({:?})", e.kind))
    };
    let signed_on = send(api::sign_on(username, password)).await?;
    let Some(apikey) = signed_on
        .str_field("apikey")
        .filter(|k| !k.is_empty() && (200..300).contains(&signed_on.status))
        .map(str::to_owned)
    else {
        return Err(format!(
            "alice's sign-on answered HTTP {}",
            signed_on.status
        ));
    };
    let probe = |transport| {
        api::with_token(
            api::probe(reqwest::Method::GET, &lac.probe_path),
            &apikey,
            transport,
            &lac.url_param,
        )
    };
    let verdict = async {
        let header = send(probe(Transport::Header)).await?;
        if !lets_in(&header, None) {
            return Err(format!(
                "GET {} answered HTTP {} to her auth token in the Authorization header",
                lac.probe_path, header.status
            ));
        }
        let url: Exchange = send(probe(Transport::Url)).await?;
        if lets_in(&url, None) {
            Ok((true, url.status))
        } else if keeps_out(&url, None) {
            Ok((false, url.status))
        } else {
            Err(format!(
                "GET {} answered HTTP {} to her auth token in the URL",
                lac.probe_path, url.status
            ))
        }
    }
    .await;
    // The token was the suite's alone: it ends here.
    let _ = http.send(&api::disable(&apikey)).await;
    verdict
}
