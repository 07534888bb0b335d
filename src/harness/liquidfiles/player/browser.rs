//! The browser player: a real browser over WebDriver plays `/session/api`.
//! The harness opens the URL, types into the forms it finds (the same
//! reading as the HTTP player's, on the live document, with what the browser
//! does not display marked hidden) and presses their buttons; then it only
//! watches. Whatever the pages do next (redirects, refreshes, script, the
//! agent-port callback by a form or by `fetch`) the browser does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::webdriver::Session;
use super::{Page, PlayError};

/// How long an action may take to settle into a page.
const SETTLE_LIMIT: Duration = Duration::from_secs(15);
/// A page unchanged this long, with nothing pending, has settled.
const QUIET: Duration = Duration::from_millis(250);

/// The live document, with every control the browser does not display
/// marked (`look::HIDDEN_MARK`), and the status of its navigation.
const READ_PAGE: &str = r#"
for (const el of document.querySelectorAll('input,button,select,textarea')) {
  const r = el.getBoundingClientRect();
  const shown = (el.checkVisibility ? el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) : el.offsetParent !== null)
    && r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0;
  if (shown) { el.removeAttribute('data-authconform-hidden'); } else { el.setAttribute('data-authconform-hidden', ''); }
}
const nav = performance.getEntriesByType('navigation')[0];
return { url: location.href, html: document.documentElement.outerHTML,
         status: nav && nav.responseStatus ? nav.responseStatus : null };
"#;

/// Where the document stands: whether it is the one the harness marked
/// (the same document), loaded, its URL and size, a refresh pending.
const STATE: &str = r#"
return [window.__authconform === 1, document.readyState, location.href,
        document.documentElement ? document.documentElement.outerHTML.length : 0,
        !!document.querySelector('meta[http-equiv="refresh" i]')];
"#;

/// One scenario's browser: the run's session and the page shown.
#[derive(Debug)]
pub struct BrowserPlayer {
    session: Arc<Session>,
    page: Option<Page>,
    /// Whether the scenario started without any cookie (else each site's are
    /// forgotten as the scenario first opens it).
    cleared: bool,
}

fn failed(e: String) -> PlayError {
    PlayError::Failed(format!("the browser to play the page ({e})"))
}

impl BrowserPlayer {
    /// A fresh start on the run's session: no cookies, a blank page.
    pub async fn new(session: Arc<Session>) -> Result<BrowserPlayer, String> {
        session.goto("about:blank").await?;
        let cleared = session.clear_all_cookies().await;
        Ok(BrowserPlayer {
            session,
            page: None,
            cleared,
        })
    }

    pub fn page(&self) -> Option<&Page> {
        self.page.as_ref()
    }

    /// Opens `url` in the browser and waits for it to settle.
    pub async fn open(&mut self, url: &str) -> Result<(), PlayError> {
        if !self.cleared {
            // A new login starts without the cookies of an earlier one.
            self.session.goto(url).await.map_err(failed)?;
            self.session.delete_cookies().await.map_err(failed)?;
            self.cleared = true;
        }
        self.session.goto(url).await.map_err(failed)?;
        self.settle().await
    }

    /// Types `values` into form `form`'s inputs (by index among the inputs
    /// it owns, `form=` ones outside it too, as `page::forms` lists them)
    /// and presses its first submit button.
    pub async fn submit(
        &mut self,
        form: usize,
        values: &[(usize, String)],
    ) -> Result<(), PlayError> {
        for (input, value) in values {
            let element = self
                .session
                .element_by_script(
                    "const f = document.querySelectorAll('form')[arguments[0]]; return f ? Array.from(document.querySelectorAll('input')).filter(e => e.form === f)[arguments[1]] || null : null;",
                    vec![json!(form), json!(input)],
                )
                .await
                .map_err(failed)?
                .ok_or_else(|| PlayError::Failed("the form's input to be in the browser's page".into()))?;
            // A box the browser cannot type into (hidden) keeps its value.
            if self.session.clear(&element).await.is_ok() {
                self.session
                    .send_keys(&element, value)
                    .await
                    .map_err(failed)?;
            }
        }
        self.mark().await?;
        let button = self
            .session
            .element_by_script(
                "const f = document.querySelectorAll('form')[arguments[0]]; return f ? Array.from(document.querySelectorAll('button,input')).find(e => e.form === f && !e.disabled && (e.type === 'submit' || e.type === 'image')) || null : null;",
                vec![json!(form)],
            )
            .await
            .map_err(failed)?;
        let clicked = match &button {
            Some(b) => self.session.click(b).await.is_ok(),
            None => false,
        };
        if !clicked {
            // No button a person could press: Enter in the form.
            self.session
                .execute(
                    "const f = document.querySelectorAll('form')[arguments[0]]; if (f.requestSubmit) { f.requestSubmit(); } else { f.submit(); }",
                    vec![json!(form)],
                )
                .await
                .map_err(failed)?;
        }
        self.settle().await
    }

    /// Marks the current document, so a new one is told apart.
    async fn mark(&self) -> Result<(), PlayError> {
        self.session
            .execute("window.__authconform = 1; return null;", vec![])
            .await
            .map(|_| ())
            .map_err(failed)
    }

    /// Waits until the page stops changing (loaded, no refresh pending, the
    /// same for a moment), then reads it.
    async fn settle(&mut self) -> Result<(), PlayError> {
        let start = Instant::now();
        let mut last: Option<Value> = None;
        let mut since = Instant::now();
        loop {
            // A navigation in progress may make the script fail: not settled.
            let state = self.session.execute(STATE, vec![]).await.ok();
            let loaded = state
                .as_ref()
                .is_some_and(|s| s[1] == "complete" && s[4] == false);
            if state != last {
                last = state;
                since = Instant::now();
            } else if loaded && since.elapsed() >= QUIET {
                break;
            }
            if start.elapsed() > SETTLE_LIMIT {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.read().await
    }

    /// Reads the page as it is now.
    pub async fn read(&mut self) -> Result<(), PlayError> {
        let v = self
            .session
            .execute(READ_PAGE, vec![])
            .await
            .map_err(failed)?;
        self.page = Some(Page {
            url: v["url"].as_str().unwrap_or_default().to_owned(),
            status: v["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
            html: format!(
                "<!DOCTYPE html>\n{}",
                v["html"].as_str().unwrap_or_default()
            ),
            headers: Vec::new(),
        });
        Ok(())
    }
}
