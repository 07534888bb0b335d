//! Both players of LiquidFiles' `/session/api` (issue #21 items 1 and 2): a
//! real headless Chromium over WebDriver and the HTTP player, on the
//! reference server's pages and on every page style of its switches, in
//! four groups that between them set every page-style value: a Rails form
//! with a CSRF cookie, Post/Redirect/Get, a honeypot, a search form in the
//! layout, six one-digit code boxes, a meta refresh before the success page,
//! "Authentication<br>Successful"; a two-step login, a callback by `fetch`
//! to 127.0.0.1, a code box beside a device name, a script redirect,
//! "Authenticated Successful", a canonical-host redirect; a password-type
//! code box, a Rails callback form, 200 refusals, no security headers,
//! agent_port coerced; Rails markup with a two-step login and a `tel` box;
//! the user, the password and six code boxes in one form, HTML's other form
//! controls (`form=`, `<select>`, `<textarea>`, `formaction`), a German
//! success page, the callback to `https://localhost`; the code in a Rails
//! login form as a password-type box, Post/Redirect/Get.
//!
//! The browser must pass every browser scenario of each (the listener takes
//! its POST to `https://localhost` too); the HTTP player must fail none, and
//! may only report a scenario as not judged where the page goes on by
//! script. The browser still catches a broken callback made by `fetch` or
//! sent over https, a second factor that takes any code or is skipped (on
//! its own page or in the login form), and a success page without a message.
//!
//! Needs `chromium` and `chromedriver`; without them it says SKIP loudly,
//! unless `AUTHCONFORM_REQUIRE_BROWSER` (set by `.ci/run`) or `CI` is set:
//! then a missing browser fails.

use authconform::harness::target::BrowserChoice;
use authconform::harness::{self, Outcome, Output, RunOptions, RunReport, TargetChoice};
use authconform::reference::fault::Fault;
use authconform::reference::switch::Switches;
use authconform::vendor::Vendor;

/// The page-style groups (switch NAME=VALUE lists), every value of the
/// page switches in at least one.
const STYLES: &[&[&str]] = &[
    &[],
    &[
        "liquidfiles.form-markup=rails",
        "liquidfiles.flow=post-redirect-get",
        "liquidfiles.honeypot=off-screen-field",
        "liquidfiles.layout=search-form",
        "liquidfiles.otp-input=six-boxes",
        "liquidfiles.interstitial=meta-refresh",
        "liquidfiles.success-text=line-break",
    ],
    &[
        "liquidfiles.login-steps=two-step",
        "liquidfiles.callback-by=fetch",
        "liquidfiles.otp-input=with-device-name",
        "liquidfiles.interstitial=script-redirect",
        "liquidfiles.success-text=authenticated",
        "liquidfiles.callback-url=http-127.0.0.1",
        "liquidfiles.canonical-host=localhost",
    ],
    &[
        "liquidfiles.otp-input=password-type",
        "liquidfiles.callback-by=rails-form",
        "liquidfiles.refusal=200-form",
        "liquidfiles.security-headers=none",
        "liquidfiles.agent-port-check=coerce",
        "liquidfiles.saml-binding=post",
        "liquidfiles.saml-refusal=303-login",
    ],
    &[
        "liquidfiles.otp-input=rails-tel",
        "liquidfiles.form-markup=rails",
        "liquidfiles.login-steps=two-step",
        "liquidfiles.flow=post-redirect-get",
        "liquidfiles.agent-port-check=ignore",
    ],
    &[
        "liquidfiles.login-steps=with-code",
        "liquidfiles.otp-input=six-boxes",
        "liquidfiles.form-markup=html5",
        "liquidfiles.success-text=translated",
        "liquidfiles.callback-url=https-localhost",
    ],
    &[
        "liquidfiles.login-steps=with-code",
        "liquidfiles.otp-input=password-type",
        "liquidfiles.form-markup=rails",
        "liquidfiles.flow=post-redirect-get",
        "liquidfiles.honeypot=off-screen-field",
    ],
];

/// A group whose pages go on by script (what the HTTP player cannot judge).
fn scripted(style: &[&str]) -> bool {
    style
        .iter()
        .any(|s| s.ends_with("interstitial=script-redirect") || s.ends_with("callback-by=fetch"))
}

fn switches(style: &[&str]) -> Switches {
    let mut s = Switches::default();
    for one in style {
        s.parse_and_set(one).expect("a switch of the table");
    }
    s
}

async fn run(style: &[&str], browser: BrowserChoice, fault: Option<Fault>) -> RunReport {
    run_tagged(style, browser, fault, "@browser").await
}

async fn run_tagged(
    style: &[&str],
    browser: BrowserChoice,
    fault: Option<Fault>,
    tags: &str,
) -> RunReport {
    let options = RunOptions {
        target: TargetChoice::Reference {
            vendors: vec![Vendor::LiquidFiles],
            fault,
            variant: false,
            switches: switches(style),
        },
        tags: Some(tags.into()),
        output: Output::Quiet,
        browser: Some(browser),
        ..RunOptions::reference()
    };
    let report = harness::run(options)
        .await
        .unwrap_or_else(|e| panic!("the suite could not run: {e}"));
    drop(std::panic::take_hook());
    report
}

fn outcomes(report: &RunReport) -> String {
    report
        .scenarios
        .iter()
        .filter(|s| s.outcome != Outcome::Passed)
        .map(|s| {
            format!(
                "{} {}: {:?} {}",
                s.id.as_deref().unwrap_or("?"),
                s.name,
                s.outcome,
                s.failure
                    .as_deref()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a browser is here; a loud SKIP line when not, a failure when one
/// is required.
fn browser_here() -> bool {
    if authconform::harness::liquidfiles::player::webdriver::local_chromium().is_some() {
        return true;
    }
    let required = std::env::var_os("CI").is_some()
        || std::env::var_os(authconform::harness::liquidfiles::REQUIRE_BROWSER).is_some();
    assert!(
        !required,
        "chromium and chromedriver are required here: apt-get install chromium chromium-driver"
    );
    eprintln!(
        "\n!!! SKIP players: chromium/chromedriver not installed (apt-get install chromium chromium-driver)\n"
    );
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_player_fails_no_page_style_and_says_what_it_cannot_judge() {
    for style in STYLES {
        let report = run(style, BrowserChoice::None, None).await;
        assert!(
            report.succeeded(),
            "the HTTP player failed a conforming page style {style:?}:\n{}",
            outcomes(&report)
        );
        for s in &report.scenarios {
            if let Outcome::Skipped(why) = &s.outcome {
                assert!(
                    scripted(style) && why.starts_with("not judged:"),
                    "{style:?}: {} skipped for another reason than script: {why}",
                    s.name
                );
            }
        }
        assert_eq!(
            report.skipped() > 0,
            scripted(style),
            "{style:?}: only the scripted styles are not judged:\n{}",
            outcomes(&report)
        );
    }
    // The code in the login form, HTML's other controls and a German
    // success page pass above; the same pages broken are still caught.
    for (style, fault, id) in [
        (STYLES[5], Fault::BrowserTotpAnyCode, "LF6"),
        (STYLES[6], Fault::BrowserSecondFactorSkipped, "LF6"),
        (STYLES[5], Fault::SuccessMessageMissing, "LF1"),
        (STYLES[5], Fault::AnyPasswordLogsIn, "LF5"),
        (STYLES[5], Fault::CallbackFieldRenamed, "LF2"),
    ] {
        assert_caught(style, BrowserChoice::None, fault, id).await;
    }
}

/// The server of page style `style` with `fault` fails scenario `id` when
/// `browser` plays it.
async fn assert_caught(style: &[&str], browser: BrowserChoice, fault: Fault, id: &str) {
    let how = format!("{browser:?}");
    let report = run_tagged(
        style,
        browser,
        Some(fault),
        &format!("@{id} and not @strict-headers"),
    )
    .await;
    assert!(
        report.failed_ids().iter().any(|f| f == id),
        "--fault {} under {style:?} passed {id} with the player {how}:\n{}",
        fault.name(),
        outcomes(&report)
    );
}

/// The name of LF2's scenario on the key page's headers (read over HTTP).
const HEADERS_SCENARIO: &str =
    "the page with the key is not cached, framed or leaked as a referrer";
/// The name of LF30's scenario: it posts minted SAML Responses, which only
/// the HTTP player can (no page makes a browser post them), and its first,
/// good one ends on the success page.
const MINTED_SUCCESS_SCENARIO: &str = "a replayed assertion is refused";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_plays_every_page_style_and_catches_broken_ones() {
    if !browser_here() {
        return;
    }
    for style in STYLES {
        let report = run(style, BrowserChoice::Chromium, None).await;
        // WebDriver shows no response headers: the headers of the page with
        // the key are read by the HTTP player even here, as minted SAML
        // Responses are posted by it, and a page that goes on by script
        // leaves those scenarios not judged. Nothing else skips.
        let skipped_other = report.scenarios.iter().any(|s| {
            matches!(&s.outcome, Outcome::Skipped(_))
                && !s.name.contains(HEADERS_SCENARIO)
                && !s.name.contains(MINTED_SUCCESS_SCENARIO)
        });
        assert!(
            report.succeeded() && !skipped_other,
            "the browser did not pass page style {style:?}:\n{}",
            outcomes(&report)
        );
    }
    // A callback made by fetch (or over https) to the wrong port or with the
    // key renamed, a second factor that takes any code or is skipped (on its
    // own page or in the login form), and a success page without a message
    // still fail in the browser.
    for (style, fault, id) in [
        (STYLES[2], Fault::CallbackWrongPort, "LF2"),
        (STYLES[2], Fault::CallbackFieldRenamed, "LF2"),
        (STYLES[1], Fault::BrowserTotpAnyCode, "LF6"),
        (STYLES[4], Fault::BrowserSecondFactorSkipped, "LF6"),
        (STYLES[5], Fault::BrowserTotpAnyCode, "LF6"),
        (STYLES[5], Fault::CallbackFieldRenamed, "LF2"),
        (STYLES[6], Fault::BrowserSecondFactorSkipped, "LF6"),
        (STYLES[5], Fault::SuccessMessageMissing, "LF1"),
    ] {
        assert_caught(style, BrowserChoice::Chromium, fault, id).await;
    }
}
