//! JSON written directly for the answers of the token-validated routes (issue
//! #24): the same bytes as `serde_json::to_vec`, without its escaping pass
//! over strings that need none.

/// `s` as a JSON string, as serde_json writes it: copied between quotes when
/// no byte needs escaping (a control character, `"` or `\`), else escaped by
/// serde_json itself.
pub fn push_string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Into a Vec, writing cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::push_string;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "alice",
            "user@example.com",
            "quote \" and \\ back",
            "ctl \u{1}\n\t\u{1f} del \u{7f}",
            "é ✓ 😀",
            "</script>",
        ] {
            let mut out = Vec::new();
            push_string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
