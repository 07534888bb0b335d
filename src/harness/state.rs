//! The state file: what the suite must remember between runs against the same
//! deployment, because it cannot undo it (issue #11).
//!
//! Three things: the TOTP secret of a two-factor enrolment the suite made
//! (Limecraft's `enable2fa`), the newest TOTP step of the two-factor
//! account the server accepted, and that account's last session. The
//! documents give no call that turns a second factor off, so after the first
//! run the account keeps it; without its secret the next run cannot sign that
//! account on. A code is good once (RFC 6238 §5.2), so a run that starts
//! within the period of the last run's last accepted code must wait for the
//! next: without the step, it would send a used code, be refused, and (a
//! server that throttles, RFC 4226 §7.3) could lock the account out. The
//! session is the one the run left open instead of logging it out, so that
//! the next run's first "carol has logged in" costs no code, hence no wait
//! for a period (one session at a time: the run that takes it ends it, or
//! leaves it open in its turn; the server ends it when it expires).
//! Everything else the suite changes it undoes (a LAC password is set back,
//! preflight's sessions and tokens are ended).
//!
//! A fourth, once seen: that the server keeps used TOTP steps for each key,
//! not for the user across a new key, so a new key's first code need not
//! wait for a period an older key's code was taken in.
//!
//! Format (JSON, version 1): `{"version":1,"enrolments":{"<base_url> <username>":
//! {"secret":"<base32>","algorithm":"SHA1|SHA256|SHA512","digits":6,"period":30}},
//! "totp_steps":{"<base_url> <username>":<step>},
//! "sessions":{"<base_url> <username>":"<token>"},
//! "totp_steps_by_key":["<base_url> <username>"]}` (the last three may be absent).
//! Written atomically (a temporary file renamed over it), readable by its owner
//! only; never printed. Keep it between pipeline runs (cache it); if it is lost,
//! preflight stops with exit 2 naming the account and what to do.
//!
//! Sealed, when [`KEY_ENV`] holds a key (`authconform state key` makes one):
//! the same JSON encrypted with AES-256-GCM, as `{"version":1,"sealed":
//! "<base64url of nonce, ciphertext and tag>"}`. It holds a TOTP secret and a
//! live session: a CI cache is readable by whoever can run a workflow of the
//! repository (on GitHub, anyone who opens a pull request on a public one),
//! so the templates keep the key as a secret and only the sealed file in the
//! cache. A plain file is read with a key too, and sealed when next written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::totp::{self, TotpParams};

/// A TOTP enrolment the suite made (or was given), kept for the whole run
/// and, against a deployment, between runs.
#[derive(Clone)]
pub struct Enrolment {
    pub secret: Vec<u8>,
    pub params: TotpParams,
}

/// What the state file remembers of one account ([`State::account`]).
#[derive(Default)]
pub struct SavedAccount {
    pub enrolment: Option<Enrolment>,
    /// The newest TOTP step the server accepted in an earlier run.
    pub totp_step: Option<i64>,
    /// The session an earlier run left open.
    pub session: Option<String>,
    /// An earlier run saw the server keep used TOTP steps for each key.
    pub totp_steps_by_key: bool,
}

/// The default location, relative to the working directory (a CI cache can
/// keep the folder).
pub const DEFAULT_PATH: &str = ".authconform/state.json";

/// The environment variable holding the key the state file is sealed with.
pub const KEY_ENV: &str = "AUTHCONFORM_STATE_KEY";

/// What the sealed content is bound to besides the key.
const SEALED_AAD: &[u8] = b"authconform state file, version 1";

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    /// The whole file sealed ([`Key`]); nothing else is then set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
    #[serde(default)]
    enrolments: BTreeMap<String, SavedEnrolment>,
    /// The newest TOTP step the server accepted, by account, whoever
    /// enrolled it (the suite, or the target file's `totp_secret`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    totp_steps: BTreeMap<String, i64>,
    /// The two-factor account's session the last run left open, by account.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sessions: BTreeMap<String, String>,
    /// The accounts whose server was seen to keep used steps for each key.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    totp_steps_by_key: std::collections::BTreeSet<String>,
}

/// The file as written when sealed: nothing but the sealed text shows.
#[derive(Serialize)]
struct SealedFile {
    version: u32,
    sealed: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SavedEnrolment {
    secret: String,
    algorithm: String,
    digits: usize,
    period: u64,
}

/// Why the state file cannot be read or written; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// It exists but is not a state file this program wrote.
    #[error("the state file {} is not authconform's ({reason}); move it away or give --state another path", .path.display())]
    NotOurs { path: PathBuf, reason: String },
    /// It is authconform's, but a value in it cannot be used.
    #[error("the state file {} holds {what}", .path.display())]
    Damaged { path: PathBuf, what: &'static str },
    #[error("cannot read the state file {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `path` is the file or the folder it goes in.
    #[error("cannot write the state file {}: {source}", .path.display())]
    Unwritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the state file {} is sealed: give the key it was sealed with in {KEY_ENV}", .path.display())]
    Sealed { path: PathBuf },
    #[error("the state file {} cannot be opened with the key in {KEY_ENV}: it was sealed with another key, or changed since; give that key, or move the file away (the run then says what the deployment needs)", .path.display())]
    WrongKey { path: PathBuf },
    #[error("{KEY_ENV} is not a state key ({reason}); `authconform state key` prints a new one")]
    BadKey { reason: &'static str },
}

/// A key the state file is sealed with: 32 random bytes, written as 43
/// characters of unpadded base64url.
#[derive(Clone)]
pub struct Key(std::sync::Arc<ring::aead::LessSafeKey>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

impl Key {
    /// A new random key, as [`Key::parse`] reads it.
    pub fn generate() -> String {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .expect("the system's random source");
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn parse(text: &str) -> Result<Key, StateError> {
        let bad = |reason| StateError::BadKey { reason };
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| bad("not unpadded base64url"))?;
        let unbound = ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &bytes)
            .map_err(|_| bad("not 32 bytes"))?;
        Ok(Key(std::sync::Arc::new(ring::aead::LessSafeKey::new(
            unbound,
        ))))
    }

    fn seal(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; ring::aead::NONCE_LEN];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .expect("the system's random source");
        let mut data = plain.to_vec();
        self.0
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(SEALED_AAD),
                &mut data,
            )
            .expect("a state file far below AES-GCM's limit");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The sealed text's content; `None` when this key did not seal it.
    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let mut data = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if data.len() < ring::aead::NONCE_LEN {
            return None;
        }
        let mut ciphertext = data.split_off(ring::aead::NONCE_LEN);
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(&data).ok()?;
        let plain = self
            .0
            .open_in_place(nonce, ring::aead::Aad::from(SEALED_AAD), &mut ciphertext)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// What [`State::save_account`] writes of one account; `None`: left as it is.
#[derive(Clone, Copy, Default)]
pub struct AccountUpdate<'a> {
    /// The enrolment of the account's TOTP key.
    pub enrolment: Option<&'a Enrolment>,
    /// The newest TOTP step of it the server accepted.
    pub totp_step: Option<i64>,
    /// The session the run leaves open (`Some(None)`: none, the entry goes).
    pub session: Option<Option<&'a str>>,
    /// Whether the account's server keeps used steps for each key.
    pub totp_steps_by_key: Option<bool>,
}

impl AccountUpdate<'_> {
    fn is_empty(&self) -> bool {
        self.enrolment.is_none()
            && self.totp_step.is_none()
            && self.session.is_none()
            && self.totp_steps_by_key.is_none()
    }
}

/// The state file of a run against an external target.
#[derive(Clone, Debug)]
pub struct State {
    path: PathBuf,
    /// Sealed with it, when given.
    key: Option<Key>,
}

impl State {
    /// The state file at `path`, not sealed.
    pub fn at(path: impl Into<PathBuf>) -> State {
        State {
            path: path.into(),
            key: None,
        }
    }

    /// The state file at `path`, sealed with the key [`KEY_ENV`] holds when
    /// it is set and not empty (a pipeline's unset secret is often empty).
    pub fn from_env(path: impl Into<PathBuf>) -> Result<State, StateError> {
        let key = match std::env::var(KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => Some(Key::parse(&text)?),
            _ => None,
        };
        Ok(State {
            key,
            ..State::at(path)
        })
    }

    /// This state file, sealed with `key`.
    pub fn sealed_with(self, key: Key) -> State {
        State {
            key: Some(key),
            ..self
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<StateFile, StateError> {
        let not_ours = |e: serde_json::Error| StateError::NotOurs {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        match std::fs::read_to_string(&self.path) {
            Ok(text) => {
                let file: StateFile = serde_json::from_str(&text).map_err(not_ours)?;
                let Some(sealed) = &file.sealed else {
                    return Ok(file);
                };
                let path = self.path.clone();
                let key = self.key.as_ref().ok_or(StateError::Sealed { path })?;
                let plain = key.open(sealed).ok_or_else(|| StateError::WrongKey {
                    path: self.path.clone(),
                })?;
                let file: StateFile = serde_json::from_slice(&plain).map_err(not_ours)?;
                match file.sealed {
                    None => Ok(file),
                    Some(_) => Err(StateError::Damaged {
                        path: self.path.clone(),
                        what: "a sealed file inside a sealed file",
                    }),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StateFile {
                version: 1,
                ..StateFile::default()
            }),
            Err(source) => Err(StateError::Unreadable {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Everything remembered for this account of this deployment, in one
    /// read of the file.
    pub fn account(&self, base_url: &str, username: &str) -> Result<SavedAccount, StateError> {
        let mut file = self.read()?;
        let account = key(base_url, username);
        Ok(SavedAccount {
            enrolment: self.enrolment_in(&file, &account)?,
            totp_step: file.totp_steps.get(&account).copied(),
            session: file.sessions.remove(&account),
            totp_steps_by_key: file.totp_steps_by_key.contains(&account),
        })
    }

    /// The enrolment remembered for this account of this deployment.
    pub fn enrolment(
        &self,
        base_url: &str,
        username: &str,
    ) -> Result<Option<Enrolment>, StateError> {
        Ok(self.account(base_url, username)?.enrolment)
    }

    fn enrolment_in(
        &self,
        file: &StateFile,
        account: &str,
    ) -> Result<Option<Enrolment>, StateError> {
        let Some(saved) = file.enrolments.get(account) else {
            return Ok(None);
        };
        let damaged = |what| StateError::Damaged {
            path: self.path.clone(),
            what,
        };
        let secret =
            totp::decode_secret(&saved.secret).ok_or_else(|| damaged("a damaged secret"))?;
        let algorithm = totp::parse_algorithm(&saved.algorithm)
            .ok_or_else(|| damaged("an unknown algorithm"))?;
        Ok(Some(Enrolment {
            secret,
            params: TotpParams {
                algorithm,
                digits: saved.digits,
                period: saved.period,
            },
        }))
    }

    /// Writes what changed of this account since the last write, in one
    /// atomic rewrite of the file (a scenario may change several entries).
    pub fn save_account(
        &self,
        base_url: &str,
        username: &str,
        changed: AccountUpdate<'_>,
    ) -> Result<(), StateError> {
        if changed.is_empty() {
            return Ok(());
        }
        let account = key(base_url, username);
        self.update(|file| {
            if let Some(enrolment) = changed.enrolment {
                file.enrolments.insert(
                    account.clone(),
                    SavedEnrolment {
                        secret: totp::encode_secret(&enrolment.secret),
                        algorithm: totp::algorithm_name(enrolment.params.algorithm).to_owned(),
                        digits: enrolment.params.digits,
                        period: enrolment.params.period,
                    },
                );
            }
            if let Some(step) = changed.totp_step {
                file.totp_steps.insert(account.clone(), step);
            }
            match changed.session {
                Some(Some(token)) => {
                    file.sessions.insert(account.clone(), token.to_owned());
                }
                Some(None) => {
                    file.sessions.remove(&account);
                }
                None => {}
            }
            match changed.totp_steps_by_key {
                Some(true) => {
                    file.totp_steps_by_key.insert(account);
                }
                Some(false) => {
                    file.totp_steps_by_key.remove(&account);
                }
                None => {}
            }
        })
    }

    /// Reads the file, changes it with `change` and writes it back, atomically.
    fn update(&self, change: impl FnOnce(&mut StateFile)) -> Result<(), StateError> {
        // Read, change, write: one at a time, as several targets of one run
        // (`run --target a --target b`) share the file.
        static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = WRITING.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = self.read()?;
        file.version = 1;
        change(&mut file);
        // A map of strings and numbers always serializes.
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        if let Some(key) = &self.key {
            let sealed = SealedFile {
                version: 1,
                sealed: key.seal(text.as_bytes()),
            };
            text = serde_json::to_string_pretty(&sealed).unwrap_or_default();
        }
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let unwritable = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StateError::Unwritable { path, source }
        };
        std::fs::create_dir_all(dir).map_err(unwritable(dir))?;
        let temp = tempfile::NamedTempFile::new_in(dir).map_err(unwritable(dir))?;
        std::fs::write(temp.path(), text).map_err(unwritable(&self.path))?;
        temp.persist(&self.path)
            .map_err(|e| unwritable(&self.path)(e.error))?;
        Ok(())
    }
}

fn key(base_url: &str, username: &str) -> String {
    format!("{} {username}", base_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolment(e: &Enrolment) -> AccountUpdate<'_> {
        AccountUpdate {
            enrolment: Some(e),
            ..AccountUpdate::default()
        }
    }

    fn step(step: i64) -> AccountUpdate<'static> {
        AccountUpdate {
            totp_step: Some(step),
            ..AccountUpdate::default()
        }
    }

    #[test]
    fn a_session_is_kept_by_account_until_it_is_taken_away() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::at(dir.path().join("state.json"));
        assert_eq!(
            state.account("https://a/api", "carol").unwrap().session,
            None
        );
        let session = |token| AccountUpdate {
            session: Some(token),
            ..AccountUpdate::default()
        };
        let by_key = |by_key| AccountUpdate {
            totp_steps_by_key: Some(by_key),
            ..AccountUpdate::default()
        };
        state
            .save_account("https://a/api/", "carol", session(Some("t-1")))
            .unwrap();
        state
            .save_account("https://a/api", "carol", step(7))
            .unwrap();
        assert_eq!(
            state
                .account("https://a/api", "carol")
                .unwrap()
                .session
                .as_deref(),
            Some("t-1")
        );
        assert_eq!(
            state.account("https://a/api", "dave").unwrap().session,
            None
        );
        state
            .save_account("https://a/api", "carol", session(None))
            .unwrap();
        assert_eq!(
            state.account("https://a/api", "carol").unwrap().session,
            None
        );
        assert_eq!(
            state.account("https://a/api", "carol").unwrap().totp_step,
            Some(7)
        );
        assert!(
            !state
                .account("https://a/api", "carol")
                .unwrap()
                .totp_steps_by_key
        );
        state
            .save_account("https://a/api", "carol", by_key(true))
            .unwrap();
        assert!(
            state
                .account("https://a/api/", "carol")
                .unwrap()
                .totp_steps_by_key
        );
        assert!(
            !state
                .account("https://a/api", "dave")
                .unwrap()
                .totp_steps_by_key
        );
        state
            .save_account("https://a/api", "carol", by_key(false))
            .unwrap();
        assert!(
            !state
                .account("https://a/api", "carol")
                .unwrap()
                .totp_steps_by_key
        );
    }

    #[test]
    fn an_enrolment_survives_a_round_trip_and_is_keyed_by_deployment_and_account() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::at(dir.path().join("sub/state.json"));
        let e = Enrolment {
            secret: b"0123456789abcdef0123".to_vec(),
            params: TotpParams::default(),
        };
        assert!(state.enrolment("https://a/api", "carol").unwrap().is_none());
        state
            .save_account("https://a/api/", "carol", enrolment(&e))
            .unwrap();
        let back = state.enrolment("https://a/api", "carol").unwrap().unwrap();
        assert_eq!(back.secret, e.secret);
        assert_eq!(back.params, e.params);
        assert!(state.enrolment("https://b/api", "carol").unwrap().is_none());
        std::fs::write(state.path(), "not json").unwrap();
        let Err(e) = state.enrolment("https://a/api", "carol") else {
            panic!("a damaged state file must be refused");
        };
        assert!(matches!(e, StateError::NotOurs { .. }), "{e}");
    }

    #[test]
    fn the_last_accepted_step_is_kept_beside_the_enrolment_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::at(dir.path().join("state.json"));
        let e = Enrolment {
            secret: b"0123456789abcdef0123".to_vec(),
            params: TotpParams::default(),
        };
        assert_eq!(
            state.account("https://a/api", "carol").unwrap().totp_step,
            None
        );
        // Both in one write, then the step alone.
        let both = AccountUpdate {
            totp_step: Some(59_000_001),
            ..enrolment(&e)
        };
        state.save_account("https://a/api", "carol", both).unwrap();
        state
            .save_account("https://a/api", "carol", step(59_000_002))
            .unwrap();
        assert_eq!(
            state.account("https://a/api", "carol").unwrap().totp_step,
            Some(59_000_002)
        );
        assert_eq!(
            state.account("https://a/api", "dave").unwrap().totp_step,
            None
        );
        // The step is written beside the enrolment, not over it.
        assert!(state.enrolment("https://a/api", "carol").unwrap().is_some());
        // A file of an earlier version (no steps) still reads.
        std::fs::write(state.path(), r#"{"version":1,"enrolments":{}}"#).unwrap();
        assert_eq!(
            state.account("https://a/api", "carol").unwrap().totp_step,
            None
        );
    }

    #[test]
    fn a_sealed_file_shows_nothing_and_opens_with_its_key_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let key = Key::parse(&Key::generate()).unwrap();
        let sealed = State::at(&path).sealed_with(key.clone());
        let e = Enrolment {
            secret: b"0123456789abcdef0123".to_vec(),
            params: TotpParams::default(),
        };
        let all = AccountUpdate {
            enrolment: Some(&e),
            totp_step: Some(7),
            session: Some(Some("session-token-1")),
            totp_steps_by_key: Some(true),
        };
        sealed.save_account("https://a/api", "carol", all).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for secret in ["session-token-1", "carol", &totp::encode_secret(&e.secret)] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        // Not even which entries it holds: the version and the sealed text alone.
        let fields: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
                .unwrap()
                .keys()
                .cloned()
                .collect();
        assert_eq!(fields, ["sealed", "version"], "{text}");
        let back = sealed.account("https://a/api", "carol").unwrap();
        assert_eq!(back.enrolment.map(|e| e.secret), Some(e.secret.clone()));
        assert_eq!(back.session.as_deref(), Some("session-token-1"));
        assert_eq!(back.totp_step, Some(7));
        assert!(back.totp_steps_by_key);
        // Without the key, or with another one: a clear refusal, never a fresh start.
        let Err(without) = State::at(&path).account("https://a/api", "carol") else {
            panic!("a sealed file read without its key");
        };
        assert!(matches!(without, StateError::Sealed { .. }), "{without}");
        let other = Key::parse(&Key::generate()).unwrap();
        let Err(wrong) = State::at(&path)
            .sealed_with(other)
            .account("https://a/api", "carol")
        else {
            panic!("a sealed file opened with another key");
        };
        assert!(matches!(wrong, StateError::WrongKey { .. }), "{wrong}");
        // A changed byte of the sealed text is refused as well.
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut sealed_text = file["sealed"].as_str().unwrap().to_owned();
        let last = sealed_text.pop().unwrap();
        sealed_text.push(if last == 'A' { 'B' } else { 'A' });
        std::fs::write(
            &path,
            serde_json::json!({ "version": 1, "sealed": sealed_text }).to_string(),
        )
        .unwrap();
        assert!(matches!(
            sealed.account("https://a/api", "carol"),
            Err(StateError::WrongKey { .. })
        ));
    }

    #[test]
    fn a_plain_file_is_read_with_a_key_and_sealed_when_next_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        State::at(&path)
            .save_account("https://a/api", "carol", step(5))
            .unwrap();
        let sealed = State::at(&path).sealed_with(Key::parse(&Key::generate()).unwrap());
        assert_eq!(
            sealed.account("https://a/api", "carol").unwrap().totp_step,
            Some(5)
        );
        sealed
            .save_account("https://a/api", "dave", step(6))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"sealed\"") && !text.contains("carol"),
            "{text}"
        );
        assert_eq!(
            sealed.account("https://a/api", "carol").unwrap().totp_step,
            Some(5)
        );
    }

    #[test]
    fn a_key_is_43_characters_of_base64url_and_anything_else_is_named() {
        let key = Key::generate();
        assert_eq!(key.len(), 43, "{key}");
        assert!(Key::parse(&key).is_ok());
        assert!(
            Key::parse(&format!(" {key}\n")).is_ok(),
            "a trailing newline is fine"
        );
        for bad in ["", "short", &key[..42], &format!("{key}AA"), "!!!!"] {
            let Err(e) = Key::parse(bad) else {
                panic!("{bad:?} taken as a key");
            };
            let message = e.to_string();
            assert!(message.contains("authconform state key"), "{message}");
            assert!(
                !message.contains(bad) || bad.is_empty(),
                "the key is not echoed"
            );
        }
        assert_eq!(
            format!("{:?}", Key::parse(&key).unwrap()),
            "Key(<redacted>)"
        );
    }
}
