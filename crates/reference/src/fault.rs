//! The fault catalogue: named ways to make the reference server break exactly
//! one rule: a documented one (the default run must catch it) or one of the
//! reference server's own choices (only `--strict` must catch it; the default
//! run must pass with a warning).
//!
//! A conformance suite that passes against a broken server proves nothing, so
//! every scenario is shown to fail against at least one of these
//! (`tests/verdicts/faults.rs`), and each fault names the scenarios that catch it.
//! `authconform faults` prints this table; the README carries a copy that a
//! test keeps in sync.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::provenance::Provenance;
use crate::vendor::Vendor;

/// The body of every 401 replaced with `{"error": "unauthorized"}`: how the
/// faults that break a vendor's error body (`lac-error-body-wrong`,
/// `error-envelope-wrong`) answer; a vendor's router maps its responses through it.
pub async fn unauthorized_body_replaced(response: Response) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({ "error": "unauthorized" })),
        )
            .into_response()
    } else {
        response
    }
}

macro_rules! faults {
    ($( $variant:ident = $name:literal, $vendor:ident, $provenance:ident, $breaks:literal, [$($caught:literal),+ $(,)?]; )+) => {
        /// One deliberately broken rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Fault { $($variant),+ }

        impl Fault {
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The name used on the command line (`--fault NAME`).
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name),+ }
            }

            pub fn vendor(self) -> Vendor {
                match self { $(Fault::$variant => Vendor::$vendor),+ }
            }

            /// Whether the rule it breaks is the vendor's (`Documented`: the
            /// default run catches it) or the reference server's own choice
            /// (`Reference`: the default run warns, `--strict` catches it).
            pub fn provenance(self) -> Provenance {
                match self { $(Fault::$variant => Provenance::$provenance),+ }
            }

            /// The documented rule this fault breaks, in a sentence.
            pub fn breaks(self) -> &'static str {
                match self { $(Fault::$variant => $breaks),+ }
            }

            /// Scenario ids (from the catalogue) that must fail against this
            /// fault; [`EXPLORE`] for a fault only an order of operations
            /// reveals, which `authconform explore` finds
            /// (`tests/verdicts/explore.rs`) and no scenario checks.
            pub fn caught_by(self) -> &'static [&'static str] {
                match self { $(Fault::$variant => &[$($caught),+]),+ }
            }
        }
    };
}

faults! {
    JsonLoginRejected = "json-login-rejected", Limecraft, Documented,
        "login accepts only form parameters; an application/json body gets 415", ["LC1"];
    FormLoginRejected = "form-login-rejected", Limecraft, Documented,
        "login accepts only JSON; form parameters get 415", ["LC2"];
    LoginNeedsSecondTokenMissing = "login-omits-needs-second-token", Limecraft, Documented,
        "the login of a user with 2FA omits needsSecondToken, so its temporary token looks final", ["LC13"];
    EmailLoginRefused = "email-login-refused", Limecraft, Documented,
        "login takes the username only: the email address gets 401", ["LC26"];
    RedirectIfPasswordIgnored = "redirect-if-password-ignored", Limecraft, Documented,
        "a login without a password answers 400 instead of redirecting to redirectIfPassword", ["LC27"];
    SamlRedirectsRefused = "saml-redirects-refused", Limecraft, Documented,
        "a login or logout with redirectIfOk, redirectIfFailed or redirectIfSaml answers 400", ["LC28"];
    AuthorizationNameCaseSensitive = "authorization-name-case-sensitive", Limecraft, Documented,
        "the Authorization header is read only when its name is spelled as the document writes it", ["LC29"];
    ErrorEnvelopeWrong = "error-envelope-wrong", Limecraft, Documented,
        "the 401 body is {\"error\":\"…\"} instead of the UnauthorizedError envelope", ["LC3", "LC4"];
    UnknownUserNotFound = "unknown-user-404", Limecraft, Documented,
        "an unknown username gets 404 (user enumeration) instead of the same 401", ["LC4"];
    DisabledAccountLogsIn = "disabled-account-logs-in", Limecraft, Documented,
        "a disabled account can log in", ["LC5"];
    LockedAccount401 = "locked-account-401", Limecraft, Documented,
        "a locked account gets 401 instead of 403", ["LC6"];
    QueryTokenIgnored = "query-token-ignored", Limecraft, Documented,
        "a token in ?access_token is ignored", ["LC7", "LC15", "LC24"];
    CookieTokenIgnored = "cookie-token-ignored", Limecraft, Documented,
        "a token in the MOJITO_SESSION_ID_V2 cookie is ignored", ["LC7", "LC24"];
    UserMissingRequiredField = "user-missing-modified-by", Limecraft, Documented,
        "GET /authentication/user omits the required field modifiedBy", ["LC7"];
    RefusedToken403 = "refused-token-403", Limecraft, Reference,
        "GET /authentication/user refuses a missing or invalid token with 403 instead of 401 (the document gives no status)", ["LC8"];
    AnyTokenAccepted = "any-token-accepted", Limecraft, Documented,
        "a garbage token authorizes GET /authentication/user", ["LC8", "LC21"];
    SessionTooShort = "session-too-short", Limecraft, Documented,
        "a session without rememberMe ends after 30 minutes instead of 1 hour", ["LC9"];
    SessionNeverExpires = "session-never-expires", Limecraft, Documented,
        "tokens never expire", ["LC9", "LC10"];
    RememberMeIgnored = "remember-me-ignored", Limecraft, Documented,
        "rememberMe is ignored: every session lasts 1 hour", ["LC10", "LC20"];
    Enable2faFieldMissing = "enable2fa-omits-period", Limecraft, Reference,
        "the enable2fa response omits period (the table marks it optional; the suite then uses the sample's 30 s)", ["LC11"];
    Enable2faKeyHex = "enable2fa-key-hex", Limecraft, Documented,
        "enable2fa answers the key in hex, which the document's sample library (base32) cannot read", ["LC11"];
    Enable2faAnyUser = "enable2fa-any-user", Limecraft, Documented,
        "any user may enable 2FA for another user without SUPPORT rights", ["LC12"];
    Enable2faUnknownUser403 = "enable2fa-unknown-user-403", Limecraft, Documented,
        "enable2fa for an unknown user id gets 403 instead of 404, even for a SUPPORT user", ["LC31"];
    Enable2faSupportRefused = "enable2fa-support-refused", Limecraft, Documented,
        "a SUPPORT user may not enable 2FA for another user (403)", ["LC30"];
    Enable2faRedoRefused = "enable2fa-redo-refused", Limecraft, Documented,
        "enable2fa with redo true answers 403 when 2FA is already on", ["LC32"];
    Enable2faNeverOn = "enable2fa-never-on", Limecraft, Documented,
        "enable2fa answers a key but never turns 2FA on: logins ask for no second token, and no first code confirms it", ["LC13", "LC15"];
    Enable2faErrorBodyWrong = "enable2fa-error-body-wrong", Limecraft, Reference,
        "enable2fa's 403 and 404 answer {\"error\":\"…\"} instead of the envelope (the document gives their statuses only)", ["LC12"];
    SecondFactorSkipped = "second-factor-skipped", Limecraft, Documented,
        "a user with 2FA gets a final token from login (needsSecondToken false)", ["LC13", "LC15"];
    TemporaryTokenAuthorizes = "temporary-token-authorizes", Limecraft, Reference,
        "the temporary token of a 2FA login authorizes GET /authentication/user", ["LC14"];
    TotpWrongAlgorithm = "totp-wrong-algorithm", Limecraft, Documented,
        "codes are checked with SHA256: neither the advertised SHA512 nor the sample client's SHA-1", ["LC15"];
    TotpAnyCode = "totp-any-code", Limecraft, Documented,
        "any 6-digit code is accepted", ["LC16"];
    TotpWideWindow = "totp-wide-window", Limecraft, Documented,
        "codes up to 3 periods old or ahead are accepted", ["LC17"];
    TotpNoSkew = "totp-no-skew", Limecraft, Reference,
        "only the current period's code is accepted", ["LC17"];
    TotpReuseAccepted = "totp-reuse-accepted", Limecraft, Documented,
        "a code that was already accepted is accepted again", ["LC18"];
    ValidateAcceptsFinalToken = "validate-accepts-final-token", Limecraft, Reference,
        "2fa/validate accepts a final session token instead of only a temporary one", ["LC19"];
    ValidateIgnoresRememberMe = "validate-ignores-remember-me", Limecraft, Documented,
        "2fa/validate ignores rememberMe: the final token lasts 1 hour", ["LC20"];
    LogoutDoesNotRevoke = "logout-does-not-revoke", Limecraft, Documented,
        "logout answers 200 but the token keeps working", ["LC21", "LC23"];
    LogoutEndsAllSessions = "logout-ends-all-sessions", Limecraft, Documented,
        "logout without allSessions ends every session of the user", ["LC22"];
    LogoutIgnoresAllSessions = "logout-ignores-all-sessions", Limecraft, Documented,
        "allSessions:true ends only the calling session", ["LC23"];
    LogoutEndsEveryonesSessions = "logout-ends-everyones-sessions", Limecraft, Documented,
        "allSessions:true ends the sessions of every user", ["LC23"];
    LogoutInvalidToken500 = "logout-invalid-token-500", Limecraft, Documented,
        "logout with an invalid token fails with 500", ["LC25"];
    LogoutAllSparesOldest = "logout-all-spares-oldest", Limecraft, Documented,
        "allSessions:true leaves the user's oldest session alive when the user has three or more", ["explore"];
    SecretKeyIgnored = "secret-key-ignored", FileVerbs, Documented,
        "the SecretKey header is not accepted on any call", ["FV1"];
    AnySecretKeyAccepted = "any-secret-key-accepted", FileVerbs, Documented,
        "any SecretKey value authorizes a call", ["FV2"];
    IsVerifiedAsText = "is-verified-as-text", FileVerbs, Documented,
        "access-token returns IsVerified as the string \"true\" instead of a boolean", ["FV3"];
    RefreshCookieNotHttpOnly = "refresh-cookie-not-http-only", FileVerbs, Documented,
        "the refresh-token cookie lacks HttpOnly", ["FV3"];
    ApiKeyNotChecked = "api-key-not-checked", FileVerbs, Documented,
        "access-token checks only the SecretKey: any APIKey, or none, gets a token", ["FV4"];
    JwtSignatureNotChecked = "jwt-signature-not-checked", FileVerbs, Documented,
        "a bearer JWT is accepted without checking its signature", ["FV5"];
    JwtAlgNoneAccepted = "jwt-alg-none-accepted", FileVerbs, Documented,
        "a bearer JWT with \"alg\": \"none\" and no signature is accepted", ["FV5"];
    JwtExpiryNotChecked = "jwt-expiry-not-checked", FileVerbs, Documented,
        "an expired bearer JWT is accepted", ["FV5"];
    RefreshNotRotated = "refresh-not-rotated", FileVerbs, Reference,
        "a refresh token stays valid after it was exchanged", ["FV6"];
    RefreshReuseNotDetected = "refresh-reuse-not-detected", FileVerbs, Reference,
        "presenting a used refresh token does not revoke its family", ["FV6"];
    RefreshJwtInvalid = "refresh-jwt-invalid", FileVerbs, Documented,
        "refresh returns a JwtToken that does not verify", ["FV6"];
    RefreshNeverExpires = "refresh-never-expires", FileVerbs, Reference,
        "refresh tokens never expire", ["FV6"];
    RefreshReuseAfterTwoRotations = "refresh-reuse-after-two-rotations", FileVerbs, Reference,
        "a refresh token presented again after its family rotated twice more is accepted, not detected as reuse", ["explore"];
    RevokeDoesNotRevoke = "revoke-does-not-revoke", FileVerbs, Reference,
        "revoke answers 200 but the refresh token keeps working", ["FV7"];
    SecretKeyExpires = "secret-key-expires", FileVerbs, Documented,
        "a SecretKey stops working a day after the server started, though it does not expire unless reset", ["FV7"];
    SecretKeyResetIgnored = "secret-key-reset-ignored", FileVerbs, Documented,
        "after a SecretKey reset the old key still works", ["FV7"];
    NonJsonBody401 = "non-json-body-401", FileVerbs, Reference,
        "a non-JSON access-token body gets 401 instead of 400 or 415", ["FV8"];
    ErrorBodyNotMessage = "error-body-not-message", FileVerbs, Reference,
        "errors answer {\"error\": …} instead of the reference server's {\"message\": …} (the document shows no error body)", ["FV2", "FV4"];
    ApikeyFieldRenamed = "apikey-field-renamed", Lac, Documented,
        "a sign-on answers the auth token as apiKey instead of apikey", ["LAC1"];
    LacExpirationWrongFormat = "expiration-wrong-format", Lac, Reference,
        "expiration is written 12/31/2014 23:59:59 instead of the example's 2014-12-31T23:59:59.999 (the document shows one example, no form)", ["LAC1"];
    SignOnReusesToken = "sign-on-reuses-token", Lac, Documented,
        "every sign-on of a user returns the same auth token instead of a new one", ["LAC2"];
    LacWrongPasswordAccepted = "wrong-password-accepted", Lac, Documented,
        "any password signs a known user on", ["LAC3"];
    LacErrorBodyWrong = "lac-error-body-wrong", Lac, Reference,
        "a 401 answers {\"error\":\"…\"} instead of {statusCode, errorCode, errorMessage}", ["LAC3", "LAC5"];
    HeaderTokenGetOnly = "header-token-get-only", Lac, Documented,
        "the Authorization header authorizes GET only; POST, PUT and DELETE get 401", ["LAC4"];
    AdminTokensRefused = "admin-tokens-refused", Lac, Documented,
        "auth tokens created in API Creator are not accepted", ["LAC4"];
    AnyApikeyAccepted = "any-apikey-accepted", Lac, Documented,
        "any value in Authorization: CALiveAPICreator <apikey>:1 authorizes a call", ["LAC5"];
    AnyAuthSchemeAccepted = "any-auth-scheme-accepted", Lac, Reference,
        "an auth token is accepted under any Authorization scheme (Bearer <apikey>:1; the document names its scheme and forbids no other)", ["LAC5"];
    LacRolesIgnored = "lac-roles-ignored", Lac, Documented,
        "a role resource lets in any valid auth token, whatever its roles", ["LAC21"];
    UrlAuthIgnored = "url-auth-ignored", Lac, Documented,
        "?auth=<apikey>:1 is refused even where the API property allows it", ["LAC6"];
    UrlAuthPropertyIgnored = "url-auth-property-ignored", Lac, Documented,
        "?auth=<apikey>:1 is accepted even where the API property does not allow it", ["LAC7"];
    UrlAuthAnyMethod = "url-auth-any-method", Lac, Documented,
        "an auth token in the URL authorizes POST, PUT and DELETE too", ["LAC8"];
    RevalidateIssuesNewToken = "revalidate-issues-new-token", Lac, Documented,
        "revalidation answers a new auth token instead of the same one", ["LAC9"];
    RevalidateSlidesExpiration = "revalidate-slides-expiration", Lac, Documented,
        "revalidation extends the expiration to a full lifetime from now", ["LAC10"];
    LacTokensNeverExpire = "auth-tokens-never-expire", Lac, Documented,
        "auth tokens never expire", ["LAC10", "LAC11"];
    DisableDoesNotDisable = "disable-does-not-disable", Lac, Documented,
        "disabling answers disabled: true but the auth token keeps working", ["LAC12"];
    DisableDisablesAllUserTokens = "disable-disables-all-user-tokens", Lac, Documented,
        "disabling one auth token disables every token of its user", ["LAC12"];
    DisabledTokenRevalidates = "disabled-token-revalidates", Lac, Documented,
        "revalidating a disabled auth token succeeds", ["LAC12"];
    DisableTwiceFails = "disable-twice-fails", Lac, Documented,
        "disabling an auth token that is already disabled gets 401", ["LAC13"];
    DisableEndsNewestToken = "disable-ends-newest-token", Lac, Documented,
        "disabling an auth token of a user who holds a newer one disables the newest instead; the one named keeps working", ["explore"];
    DisableExpiredFails = "disable-expired-fails", Lac, Documented,
        "disabling an expired auth token gets the expired error", ["LAC14"];
    DisableUnknownSucceeds = "disable-unknown-succeeds", Lac, Documented,
        "disabling an auth token that does not exist answers 200", ["LAC15"];
    PasswordChangeNotApplied = "password-change-not-applied", Lac, Documented,
        "a password change reports success but the password stays the same", ["LAC16"];
    OldPasswordStillWorks = "old-password-still-works", Lac, Documented,
        "after a password change the old password still works", ["LAC16"];
    NewPasswordAliasIgnored = "new-password-alias-ignored", Lac, Reference,
        "newPassword (the documentation's prose) is not read, only new_password", ["LAC16"];
    PasswordPolicyNotEnforced = "password-policy-not-enforced", Lac, Reference,
        "any new password is accepted, however short", ["LAC17"];
    FailedChangeWithholdsToken = "failed-change-withholds-token", Lac, Documented,
        "a password change that does not succeed issues no auth token", ["LAC17", "LAC20"];
    WrongPasswordChangesPassword = "wrong-password-changes-password", Lac, Documented,
        "a password change with a wrong current password is refused but changes the password", ["LAC18"];
    PasswordChangeFlagLoose = "password-change-flag-loose", Lac, Documented,
        "?enablePasswordChange without the !, or in another case, also changes the password", ["LAC19"];
    NotSupportedAsFailure = "not-supported-as-failure", Lac, Documented,
        "a provider without password change answers failure instead of notSupported", ["LAC20"];
    ApiKeyDivMissing = "api-key-div-missing", LiquidFiles, Documented,
        "the success page of /session/api and /saml/api has no div#api_key", ["LF1", "LF21"];
    SuccessMessageMissing = "success-message-missing", LiquidFiles, Documented,
        "the success page of /session/api and /saml/api has no message, only the hidden div#api_key", ["LF1", "LF21"];
    CallbackWrongPort = "callback-wrong-port", LiquidFiles, Documented,
        "the agent callback posts to another port than agent_port", ["LF2", "LF6"];
    SuccessPageCacheable = "success-page-cacheable", LiquidFiles, Reference,
        "the page with the key lacks Cache-Control: no-store", ["LF2"];
    CallbackFieldRenamed = "callback-field-renamed", LiquidFiles, Documented,
        "the agent callback sends the key as apikey instead of api_key", ["LF2"];
    CallbackWithoutAgentPort = "callback-without-agent-port", LiquidFiles, Documented,
        "without agent_port the success page still posts the key to localhost:80", ["LF3"];
    AgentPortUnchecked = "agent-port-unchecked", LiquidFiles, Reference,
        "any agent_port value (abc, 0, 65536, 80x) is accepted and used in the callback", ["LF4"];
    AnyPasswordLogsIn = "any-password-logs-in", LiquidFiles, Documented,
        "any password logs a known user in, on /login and /session/api", ["LF5", "LF14"];
    BrowserUnknownUserMessage = "browser-unknown-user-message", LiquidFiles, Reference,
        "an unknown user gets a different page (No such user) than a wrong password", ["LF5"];
    BrowserSecondFactorSkipped = "browser-second-factor-skipped", LiquidFiles, Documented,
        "a user with Strong 2FA gets the key right after the password", ["LF6"];
    BrowserTotpAnyCode = "browser-totp-any-code", LiquidFiles, Documented,
        "any 6-digit code passes Strong 2FA", ["LF6"];
    ActivityLogDropsAgent = "activity-log-drops-agent", LiquidFiles, Documented,
        "the activity log entry of a login omits agent_name and agent_version", ["LF7"];
    BrowserKeysNeverExpire = "browser-keys-never-expire", LiquidFiles, Documented,
        "keys from /session/api never expire", ["LF8"];
    TextXmlRejected = "text-xml-rejected", LiquidFiles, Documented,
        "POST /login accepts only application/xml; the documented text/xml gets 415", ["LF9", "LF10", "LF11", "LF12", "LF15"];
    XmlApiKeyElementRenamed = "xml-api-key-element-renamed", LiquidFiles, Documented,
        "POST /login answers <apikey> instead of <api_key>", ["LF9", "LF10", "LF15"];
    XmlUsernameNotAccepted = "xml-username-not-accepted", LiquidFiles, Documented,
        "POST /login accepts only the email in <email>, not the username", ["LF10"];
    XmlCharRefsNotDecoded = "xml-char-refs-not-decoded", LiquidFiles, Documented,
        "character references in the password (&#38;) are not decoded", ["LF11", "LF12"];
    XmlHexRefsRejected = "xml-hex-refs-rejected", LiquidFiles, Documented,
        "hexadecimal character references (&#x26;) are refused", ["LF12"];
    XmlRawAmpersandAccepted = "xml-raw-ampersand-accepted", LiquidFiles, Documented,
        "a raw & in the XML is taken literally instead of refused", ["LF13"];
    XmlUnknownUserDiffers = "xml-unknown-user-differs", LiquidFiles, Reference,
        "POST /login answers an unknown user with 404 No such user (user enumeration)", ["LF14"];
    XmlKeyChanges = "xml-key-changes", LiquidFiles, Documented,
        "POST /login returns a new API key every time", ["LF15"];
    XmlDoctypeAccepted = "xml-doctype-accepted", LiquidFiles, Reference,
        "a DOCTYPE in the XML is skipped instead of refused", ["LF16"];
    XmlMissingPasswordLogsIn = "xml-missing-password-logs-in", LiquidFiles, Documented,
        "POST /login without <password> returns the user's API key", ["LF16"];
    LfJsonKeyDiffers = "json-key-differs", LiquidFiles, Documented,
        "the JSON POST /login answers another key than the XML one (the user's key changes with the API)", ["LF17"];
    JsonUnknownUserDiffers = "json-unknown-user-differs", LiquidFiles, Reference,
        "the JSON POST /login answers an unknown user with 404 No such user (user enumeration)", ["LF18"];
    JsonMissingPasswordLogsIn = "json-missing-password-logs-in", LiquidFiles, Documented,
        "the JSON POST /login without a password returns the user's API key", ["LF19"];
    SamlApiShowsPasswordForm = "saml-api-shows-password-form", LiquidFiles, Documented,
        "/saml/api shows the local password form instead of sending the browser to the IdP", ["LF20"];
    SamlCallbackLost = "saml-callback-lost", LiquidFiles, Documented,
        "after a SAML login the success page makes no agent_port callback (the port is lost on the way)", ["LF22"];
    SamlKeyNotStored = "saml-key-not-stored", LiquidFiles, Documented,
        "the key shown after a SAML login is not accepted on the API", ["LF23"];
    SamlStatusIgnored = "saml-status-ignored", LiquidFiles, Documented,
        "a Response whose status is not Success (the IdP refused the login) still logs its assertion's user in", ["LF24"];
    SamlUnsignedAccepted = "saml-unsigned-accepted", LiquidFiles, Documented,
        "a Response with neither the Response nor its assertion signed is accepted", ["LF25"];
    SamlSignatureNotChecked = "saml-signature-not-checked", LiquidFiles, Documented,
        "a signature is only looked for, not verified: an assertion altered after signing is accepted", ["LF26", "LF27"];
    SamlKeyInfoTrusted = "saml-keyinfo-trusted", LiquidFiles, Documented,
        "the key in the message's own KeyInfo is trusted instead of the IdP's certificate: any signer is accepted", ["LF27"];
    SamlAudienceIgnored = "saml-audience-ignored", LiquidFiles, Documented,
        "an assertion for another service provider (Audience) is accepted", ["LF28"];
    SamlValidityIgnored = "saml-validity-ignored", LiquidFiles, Documented,
        "NotBefore and NotOnOrAfter are not checked: an expired assertion is accepted", ["LF29"];
    SamlReplayAccepted = "saml-replay-accepted", LiquidFiles, Documented,
        "the same assertion logs in twice", ["LF30"];
    SamlInResponseToIgnored = "saml-in-response-to-ignored", LiquidFiles, Documented,
        "a Response answering another AuthnRequest (InResponseTo) is accepted", ["LF31"];
    SamlDestinationIgnored = "saml-destination-ignored", LiquidFiles, Documented,
        "a Response sent to another service (Destination, Recipient) is accepted", ["LF32"];
    SamlWrappingAccepted = "saml-wrapping-accepted", LiquidFiles, Documented,
        "signature wrapping: the first assertion is read, whichever one the valid signature covers", ["LF33"];
    SamlRelayStateRedirect = "saml-relay-state-redirect", LiquidFiles, Documented,
        "a RelayState holding a URL is followed after the login (an open redirect) instead of the success page", ["LF34"];
}

/// What a fault names as its catcher when only `authconform explore` finds it.
pub const EXPLORE: &str = "explore";

impl Fault {
    /// The scenario ids that catch it (without [`EXPLORE`]).
    pub fn scenarios(self) -> impl Iterator<Item = &'static str> {
        self.caught_by().iter().copied().filter(|c| *c != EXPLORE)
    }

    /// The scenarios of [`Self::scenarios`] that catch this fault on a server
    /// whose silent choices are `switches`, as the suite runs by default (the
    /// HTTP player of `/session/api`): a switch can leave out the API a
    /// scenario plays (LiquidFiles' XML login under
    /// `liquidfiles.logins=json-only`) or the situation it needs to show the
    /// fault (each case says why), and a scenario only a browser could judge
    /// (a callback made by `fetch`: `tests/verdicts/players.rs`) is not
    /// judged. Empty: the fault does not apply there. A fault still breaks its
    /// rule; another scenario shows it.
    pub fn caught_under(self, switches: &crate::switch::Switches) -> Vec<&'static str> {
        if !self.applies_under(switches) {
            return Vec::new();
        }
        self.scenarios()
            .filter(|id| !self.hidden_under(id, switches))
            .collect()
    }

    fn applies_under(self, switches: &crate::switch::Switches) -> bool {
        use crate::liquidfiles::switches as lf;
        match self {
            // The same key from both APIs needs both.
            Fault::LfJsonKeyDiffers => {
                !switches.is(&lf::LOGINS, "json-only") && !switches.is(&lf::LOGINS, "xml-only")
            }
            // The callback is made by script: only a browser sees it.
            Fault::CallbackWrongPort
            | Fault::CallbackFieldRenamed
            | Fault::CallbackWithoutAgentPort
            | Fault::SamlCallbackLost => !switches.is(&lf::CALLBACK_BY, "fetch"),
            _ => true,
        }
    }

    fn hidden_under(self, id: &str, switches: &crate::switch::Switches) -> bool {
        use crate::liquidfiles::switches as lf;
        if self.vendor() == Vendor::LiquidFiles {
            let n: u32 = id.trim_start_matches("LF").parse().unwrap_or(0);
            return match n {
                // The pages go on by script: the HTTP player does not judge them.
                1..=8 => switches.is(&lf::INTERSTITIAL, "script-redirect"),
                // No XML API, or no JSON API.
                9..=16 => switches.is(&lf::LOGINS, "json-only"),
                17..=19 => switches.is(&lf::LOGINS, "xml-only"),
                // After the SAML login the same pages: a script interstitial
                // leaves the success page, or the refusal, not judged (LF20
                // reads the AuthnRequest, LF34 a redirect off-site).
                21..=33 => switches.is(&lf::INTERSTITIAL, "script-redirect"),
                _ => false,
            };
        }
        match (self, id) {
            // Without a password policy LAC17's one-character password is
            // accepted: no change fails there, so none withholds a token
            // (LAC20's notSupported still shows it).
            (Fault::FailedChangeWithholdsToken, "LAC17") => {
                switches.is(&crate::lac::switches::PASSWORD_POLICY, "none")
            }
            _ => false,
        }
    }

    pub fn from_name(name: &str) -> Result<Fault, String> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown fault `{name}`; `authconform faults` lists them: {}",
                    Fault::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// Header names the faulty server reads only when spelled exactly so
    /// (a server that compares names case-sensitively, against RFC 9110 §5.1).
    pub fn exact_header_names(self) -> &'static [&'static str] {
        match self {
            Fault::AuthorizationNameCaseSensitive => &["Authorization"],
            _ => &[],
        }
    }

    /// The catalogue as a Markdown table, as the README shows it.
    pub fn markdown_table() -> String {
        let mut out = String::from(
            "| vendor | fault (`--fault`) | the rule it breaks | whose rule | caught by |\n|---|---|---|---|---|\n",
        );
        for f in Fault::ALL {
            let whose = match f.provenance() {
                Provenance::Documented => "documented",
                Provenance::Reference => "reference (`--strict`)",
            };
            out.push_str(&format!(
                "| {} | `{}` | {} | {whose} | {} |\n",
                f.vendor(),
                f.name(),
                f.breaks().replace('|', "\\|"),
                f.caught_by().join(", ")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse() {
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Ok(*f));
        }
        assert!(
            Fault::from_name("nope")
                .unwrap_err()
                .contains("authconform faults")
        );
    }
}
