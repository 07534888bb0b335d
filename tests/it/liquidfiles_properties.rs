//! Property tests of the LiquidFiles XML login: for any password (any legal
//! XML character, the XML specials `& < > " '` and `$` weighted in), escaping
//! every character outside [A-Za-z0-9] as a character reference, decimal or
//! hexadecimal as the strategy picks per character, logs the user in with
//! their stable key; the same escaping of a password changed in one
//! character does not. Users are seeded through the store, not fixtures.

use authconform::clock::Clock;
use authconform::fixtures::Fixtures;
use authconform::reference::liquidfiles::wire::{self, XmlLeniency};
use authconform::reference::liquidfiles::{LiquidFiles, LiquidFilesConfig, LoginError};
use authconform::reference::throttle::Source;
use authconform::secret::{HashCost, PasswordHashing};
use proptest::prelude::*;

/// XML 1.0's Char production: what a document can carry at all.
fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec!['&', '<', '>', '"', '\'', '$', ';', '#', ' ', '\t', '\n']),
        4 => prop::char::range('!', '~'),
        2 => prop::char::range('\u{a0}', '\u{d7ff}'),
        1 => prop::char::range('\u{e000}', '\u{fffd}'),
        1 => prop::char::range('\u{10000}', '\u{10ffff}'),
    ]
}

/// A password and, per character, whether to write it in hexadecimal.
fn password() -> impl Strategy<Value = Vec<(char, bool)>> {
    prop::collection::vec((xml_char(), any::<bool>()), 1..40)
}

fn escape(chars: &[(char, bool)]) -> String {
    chars
        .iter()
        .map(|(c, hex)| match c {
            c if c.is_ascii_alphanumeric() => c.to_string(),
            c if *hex => format!("&#x{:X};", *c as u32),
            c => format!("&#{};", *c as u32),
        })
        .collect()
}

fn document(email: &str, escaped: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>{email}</email>\n  <password>{escaped}</password>\n</user>\n"
    )
}

fn store() -> LiquidFiles {
    LiquidFiles::new(
        &Fixtures::builtin().liquidfiles,
        PasswordHashing::new(HashCost::Test),
        Clock::new(),
        None,
        LiquidFilesConfig::default(),
    )
}

fn login(lf: &LiquidFiles, doc: &str) -> Result<String, String> {
    let c = wire::parse_login(doc.as_bytes(), XmlLeniency::default())?;
    futures::executor::block_on(lf.xml_login(&c.email, &c.password, Source::UNKNOWN))
        .map_err(|e| format!("{e:?}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn escaped_passwords_log_in_and_altered_ones_do_not(
        chars in password(),
        at in any::<prop::sample::Index>(),
        replacement in xml_char(),
    ) {
        let lf = store();
        let plain: String = chars.iter().map(|(c, _)| *c).collect();
        let key = lf.add_user("prop@example.com", "prop", &plain);
        prop_assert_eq!(login(&lf, &document("prop@example.com", &escape(&chars))), Ok(key.clone()));
        prop_assert_eq!(login(&lf, &document("prop", &escape(&chars))), Ok(key));

        let mut altered = chars.clone();
        let i = at.index(altered.len());
        let replacement = if replacement == altered[i].0 {
            if replacement == 'a' { 'b' } else { 'a' }
        } else {
            replacement
        };
        altered[i].0 = replacement;
        prop_assert!(login(&lf, &document("prop@example.com", &escape(&altered))).is_err());
    }
}

#[test]
fn the_documented_example_and_the_wrong_password_answer() {
    let lf = store();
    let key = lf.add_user("x@example.com", "x", "aBcD0123&$");
    let doc = document("x@example.com", "aBcD0123&#38;&#36;");
    assert_eq!(login(&lf, &doc), Ok(key));
    assert_eq!(
        futures::executor::block_on(lf.xml_login(
            "x@example.com",
            "aBcD0123&#38;&#36;",
            Source::UNKNOWN
        )),
        Err(LoginError::InvalidCredentials)
    );
}
