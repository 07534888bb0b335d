//! The HTML of `/session/api`, as the switches make it (`switches.rs`): the
//! reference server's pages at their first values, another conforming
//! LiquidFiles' at the others (Rails markup, HTML's other form controls, a
//! two-step login, the code in the login form, a honeypot, other
//! second-factor boxes, a search form in the layout, an interstitial, other
//! words for success (a translated UI's too), the callback by a Rails form or
//! `fetch`, to 127.0.0.1 or over https). Everything put in a page is
//! HTML-escaped.

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use super::switches as sw;
use super::wire::{Page, escape};
use crate::switch::Switches;

/// Where a page is served: `/session/api` itself, a page under it
/// (`/session/api/two_factor`), or `/saml/…` (`/saml/api`, `/saml/consume`,
/// whose login ends on the same pages): relative links differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Here {
    Root,
    Sub,
    Saml,
}

impl Here {
    /// Where every form posts: `/session/api`, relative, so it resolves
    /// under any mount.
    pub fn action(self) -> &'static str {
        match self {
            Here::Root => "api",
            Here::Sub => "../api",
            Here::Saml => "../session/api",
        }
    }

    /// A page under `/session/api`, relative to this one.
    pub fn link(self, page: &str) -> String {
        match self {
            Here::Root => format!("api/{page}"),
            Here::Sub => page.to_owned(),
            Here::Saml => format!("../session/api/{page}"),
        }
    }
}

/// The honeypot box's name: a login that fills it is refused.
pub const HONEYPOT_FIELD: &str = "website";
/// The six one-digit boxes' names (`liquidfiles.otp-input=six-boxes`).
pub const DIGIT_FIELDS: [&str; 6] = ["digit1", "digit2", "digit3", "digit4", "digit5", "digit6"];

/// The CSRF token of a Rails form, tied to the session (derived from its id,
/// so only a page served to that session carries it).
pub fn authenticity_token(session: &str) -> String {
    Sha256::digest(format!("authenticity_token:{session}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The per-login state of the `html5` markup, in a hidden `<textarea>` the
/// server wants back (derived from the login's id, as the Rails token is).
pub fn login_state(session: &str) -> String {
    authenticity_token(&format!("login_state:{session}"))
}

/// The `html5` markup's realm `<select>`: the option selected (not the
/// first) is the one a local account signs in with.
pub const REALM_FIELD: &str = "realm";
pub const LOCAL_REALM: &str = "local";
/// The `html5` markup's language `<select>` (no option selected: a browser
/// sends the first) and the values it offers.
pub const LOCALE_FIELD: &str = "locale";
pub const LOCALES: [&str; 2] = ["en", "de"];
/// The `html5` markup's hidden `<textarea>`.
pub const STATE_FIELD: &str = "login_state";

/// One page's switches.
pub struct Style<'s> {
    pub switches: &'s Switches,
    pub here: Here,
    /// The login's id (the hidden field of the reference markup, the session
    /// a Rails form's token is tied to).
    pub login_id: &'s str,
}

impl Style<'_> {
    fn rails(&self) -> bool {
        self.switches.is(&sw::FORM_MARKUP, "rails")
    }

    fn html5(&self) -> bool {
        self.switches.is(&sw::FORM_MARKUP, "html5")
    }

    fn page(&self, status: StatusCode, title: &'static str, body: String) -> Page {
        let mut body = body;
        if self.switches.is(&sw::LAYOUT, "search-form") {
            body = format!(
                "<nav><form class=\"navbar-form\" action=\"search\" method=\"get\"><input type=\"text\" name=\"q\" placeholder=\"Search\"><button type=\"submit\">Go</button></form></nav>\n{body}"
            );
        }
        Page {
            status,
            title,
            body,
            callback: None,
            strict_headers: self.switches.is(&sw::SECURITY_HEADERS, "strict"),
            script_nonce: None,
            lang: "en",
        }
    }

    /// The hidden fields that tie a form to its login.
    fn hidden(&self) -> String {
        if self.rails() {
            format!(
                "<input name=\"utf8\" type=\"hidden\" value=\"&#x2713;\">\n<input type=\"hidden\" name=\"authenticity_token\" value=\"{}\" autocomplete=\"off\">\n",
                authenticity_token(self.login_id)
            )
        } else {
            format!(
                "<input type=\"hidden\" name=\"login_id\" value=\"{}\">\n",
                escape(self.login_id)
            )
        }
    }

    fn open_form(&self, id: &str) -> String {
        if self.html5() {
            // The login's id sits before the form, joined to it by `form=`;
            // the form's own action is a GET to the help page: only the
            // button's formaction and formmethod post the login.
            return format!(
                "<input type=\"hidden\" name=\"login_id\" value=\"{}\" form=\"{id}\">\n<form id=\"{id}\" action=\"{}\">\n<textarea name=\"{STATE_FIELD}\" hidden>\n{}</textarea>\n",
                escape(self.login_id),
                self.here.link("help"),
                login_state(self.login_id)
            );
        }
        if self.rails() {
            format!(
                "<form class=\"{id}\" id=\"{id}\" action=\"{}\" accept-charset=\"UTF-8\" method=\"post\">\n{}",
                self.here.action(),
                self.hidden()
            )
        } else {
            format!(
                "<form id=\"{id}\" method=\"post\" action=\"{}\">\n{}",
                self.here.action(),
                self.hidden()
            )
        }
    }

    fn button(&self, id: &str, words: &str) -> String {
        if self.html5() {
            return format!(
                "<button type=\"submit\" id=\"{id}\" formaction=\"{}\" formmethod=\"post\">{words}</button>\n",
                self.here.action()
            );
        }
        if self.rails() {
            format!(
                "<input type=\"submit\" name=\"commit\" value=\"{words}\" class=\"btn\" data-disable-with=\"{words}\">\n"
            )
        } else {
            format!("<button type=\"submit\" id=\"{id}\">{words}</button>\n")
        }
    }

    fn user_box(&self) -> String {
        if self.rails() {
            "<label for=\"user_email\">Email</label><input type=\"email\" name=\"user[email]\" id=\"user_email\" autocomplete=\"email\">\n".to_owned()
        } else {
            "<label>Email or username <input name=\"user\" type=\"text\" autocomplete=\"username\" required></label>\n".to_owned()
        }
    }

    fn password_box(&self) -> String {
        if self.rails() {
            "<label for=\"user_password\">Password</label><input type=\"password\" name=\"user[password]\" id=\"user_password\" autocomplete=\"current-password\">\n".to_owned()
        } else {
            "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n".to_owned()
        }
    }

    /// The `html5` markup's selects, beside the password box.
    fn selects(&self) -> &'static str {
        if self.html5() {
            "<label>Sign in with <select name=\"realm\"><option value=\"ldap\">Directory account (LDAP)</option><option value=\"local\" selected>LiquidFiles account</option></select></label>\n<label>Language <select name=\"locale\"><option value=\"en\">English</option><option value=\"de\">Deutsch</option></select></label>\n"
        } else {
            ""
        }
    }

    fn honeypot(&self) -> &'static str {
        if self.switches.is(&sw::HONEYPOT, "off-screen-field") {
            "<div style=\"position:absolute; left:-10000px\" aria-hidden=\"true\"><input type=\"text\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>\n"
        } else {
            ""
        }
    }

    /// The login form: both boxes, or (a two-step login's first page) the
    /// user box alone, or (`liquidfiles.login-steps=with-code`) both boxes
    /// and the second factor's.
    pub fn login(&self, status: StatusCode, message: Option<&str>) -> Page {
        let two_step = self.switches.is(&sw::LOGIN_STEPS, "two-step");
        let with_code = self.switches.is(&sw::LOGIN_STEPS, "with-code");
        let id = if self.rails() { "new_user" } else { "login" };
        let mut form = format!(
            "<h1>Sign in</h1>\n{}{}",
            message_html(message),
            self.open_form(id)
        );
        form.push_str(self.honeypot());
        form.push_str(&self.user_box());
        if two_step {
            form.push_str(&self.button("next", "Next"));
        } else {
            form.push_str(&self.password_box());
            if with_code {
                form.push_str("<p class=\"hint\">Two-factor code: leave it empty if you have not turned two-factor authentication on.</p>\n");
                form.push_str(&self.code_boxes());
            }
            form.push_str(self.selects());
            if self.rails() {
                form.push_str("<input type=\"checkbox\" name=\"user[remember_me]\" value=\"1\" id=\"user_remember_me\"> Remember me\n");
            }
            form.push_str(&self.button("sign_in", "Sign in"));
        }
        form.push_str("</form>\n");
        self.page(status, "Sign in", form)
    }

    /// A two-step login's second page: the password alone.
    pub fn password(&self, status: StatusCode, user: &str, message: Option<&str>) -> Page {
        let id = if self.rails() { "new_user" } else { "login" };
        let body = format!(
            "<h1>Sign in</h1>\n{}<p class=\"user\">{}</p>\n{}{}{}{}</form>\n",
            message_html(message),
            escape(user),
            self.open_form(id),
            self.password_box(),
            self.selects(),
            self.button("sign_in", "Sign in"),
        );
        self.page(status, "Sign in", body)
    }

    /// The second factor's box or boxes, as `liquidfiles.otp-input` makes them.
    fn code_boxes(&self) -> String {
        match self.switches.value(&sw::OTP_INPUT) {
            "rails-tel" => "<label for=\"otp_attempt\">Authenticator code</label><input type=\"tel\" name=\"user[otp_attempt]\" id=\"otp_attempt\" autocomplete=\"one-time-code\">\n".to_owned(),
            "six-boxes" => {
                let mut b = String::from("<fieldset><legend>Code</legend>");
                for name in DIGIT_FIELDS {
                    b.push_str(&format!("<input name=\"{name}\" type=\"text\" inputmode=\"numeric\" maxlength=\"1\" size=\"1\">"));
                }
                b.push_str("</fieldset>\n");
                b
            }
            "password-type" => "<label>Code <input name=\"otp\" type=\"password\" autocomplete=\"one-time-code\"></label>\n".to_owned(),
            "with-device-name" => "<label>Name this device <input name=\"device_name\" type=\"text\"></label>\n<label>Code <input name=\"code\" type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\"></label>\n<label><input type=\"checkbox\" name=\"remember_device\" value=\"1\"> Remember this device</label>\n".to_owned(),
            _ => "<label>Code <input name=\"code\" type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\"></label>\n".to_owned(),
        }
    }

    /// The Strong 2FA form.
    pub fn two_factor(&self, status: StatusCode, message: Option<&str>) -> Page {
        let id = if self.rails() { "otp" } else { "two_factor" };
        let boxes = self.code_boxes();
        let body = format!(
            "<h1>Two-factor authentication</h1>\n{}{}{}{}</form>\n",
            message_html(message),
            self.open_form(id),
            boxes,
            self.button("verify", "Verify"),
        );
        self.page(status, "Two-factor authentication", body)
    }

    /// A page between the last form and the success page, moving on to
    /// `next` by itself.
    pub fn interstitial(&self, next: &str) -> Page {
        let next = escape(next);
        let script = self.switches.is(&sw::INTERSTITIAL, "script-redirect");
        let mut page = self.page(
            StatusCode::OK,
            "Signing in",
            if script {
                String::from("<p>Signing you in…</p>\n")
            } else {
                format!("<meta http-equiv=\"refresh\" content=\"0; url={next}\">\n<p>Signing you in… <a href=\"{next}\">continue</a></p>\n")
            },
        );
        if script {
            let nonce = crate::secret::Token::generate().as_str().to_owned();
            page.body.push_str(&format!(
                "<script nonce=\"{nonce}\">setTimeout(function () {{ window.location.replace(\"{next}\"); }}, 50);</script>\n"
            ));
            page.script_nonce = Some(nonce);
        }
        page
    }

    /// The success page: the words, the key in `div#api_key.d-none` and,
    /// with an agent port, the POST of `field=KEY` to the user's machine.
    pub fn success(&self, api_key: &str, agent_port: Option<&str>, field: &str) -> Page {
        let key = escape(api_key);
        let translated = self.switches.is(&sw::SUCCESS_TEXT, "translated");
        let words = match self.switches.value(&sw::SUCCESS_TEXT) {
            "authenticated" => {
                "<div class=\"container\"><p class=\"lead\">Authenticated Successful</p></div>"
            }
            "line-break" => "<h1>Authentication<br>\nSuccessful</h1>",
            "translated" => "<h1>Authentifizierung erfolgreich</h1>",
            _ => "<h1>Authentication Successful</h1>",
        };
        let close = if translated {
            "Sie können dieses Fenster jetzt schließen."
        } else {
            "You can close this window."
        };
        let mut body =
            format!("{words}\n<p>{close}</p>\n<div class=\"d-none\" id=\"api_key\">{key}</div>\n");
        let title = if translated {
            "Authentifizierung erfolgreich"
        } else {
            "Authentication Successful"
        };
        let mut page = self.page(StatusCode::OK, title, String::new());
        if translated {
            page.lang = "de";
        }
        if let Some(port) = agent_port {
            let nonce = crate::secret::Token::generate().as_str().to_owned();
            let port_text = escape(port);
            let origin = match self.switches.value(&sw::CALLBACK_URL) {
                "http-127.0.0.1" => format!("http://127.0.0.1:{port_text}"),
                "https-localhost" => format!("https://localhost:{port_text}"),
                _ => format!("http://localhost:{port_text}"),
            };
            match self.switches.value(&sw::CALLBACK_BY) {
                "rails-form" => body.push_str(&format!(
                    "<form name=\"agent\" action=\"{origin}\" accept-charset=\"UTF-8\" method=\"post\"><input name=\"utf8\" type=\"hidden\" value=\"&#x2713;\"><input type=\"hidden\" name=\"authenticity_token\" value=\"{}\"><input type=\"hidden\" name=\"{field}\" value=\"{key}\"></form>\n<script nonce=\"{nonce}\">document.forms.agent.submit();</script>\n",
                    authenticity_token(self.login_id)
                )),
                "fetch" => body.push_str(&format!(
                    "<script nonce=\"{nonce}\">fetch(\"{origin}/\", {{ method: \"POST\", mode: \"no-cors\", headers: {{ \"Content-Type\": \"application/x-www-form-urlencoded\" }}, body: \"{field}=\" + encodeURIComponent(document.getElementById(\"api_key\").textContent) }});</script>\n"
                )),
                _ => body.push_str(&format!(
                    "<form id=\"agent_callback\" method=\"post\" action=\"{origin}/\" enctype=\"application/x-www-form-urlencoded\"><input type=\"hidden\" name=\"{field}\" value=\"{key}\"></form>\n<script nonce=\"{nonce}\">document.getElementById('agent_callback').submit();</script>\n"
                )),
            }
            page.callback = Some((origin, nonce));
        }
        page.body = if self.switches.is(&sw::LAYOUT, "search-form") {
            format!("{}{body}", page.body)
        } else {
            body
        };
        page
    }
}

/// A message above a form.
pub fn message_html(message: Option<&str>) -> String {
    match message {
        Some(m) => format!(
            "<p class=\"alert\" id=\"error\" role=\"alert\">{}</p>\n",
            escape(m)
        ),
        None => String::new(),
    }
}
