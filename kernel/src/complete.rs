//! `is_complete_request`: whether a cell's Rust code is complete, so a console frontend knows to run it on Enter or
//! to wait for more lines.
//!
//! A lexical scan, no parse: brackets `( [ {` must balance, strings (`"…"`, raw `r#"…"#`) and block comments
//! (`/* … */`, which nest in Rust) must be closed, and a line may not end with `\`. A closing bracket that does not
//! match makes the code invalid (the compiler will say why when it runs).

/// What a frontend should do with the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// Run it.
    Complete,
    /// Wait for more lines.
    Incomplete,
    /// Run it anyway: it cannot become valid by adding lines, and the compiler's error is the answer.
    Invalid,
}

/// Scans the code; see the module documentation.
pub fn completeness(code: &str) -> Completeness {
    let bytes = code.as_bytes();
    let mut open: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while depth > 0 {
                    match (bytes.get(i), bytes.get(i + 1)) {
                        (None, _) => return Completeness::Incomplete,
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            i += 1;
                        }
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            i += 1;
                        }
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#')) && !is_ident_byte(bytes, i.wrapping_sub(1)) => {
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                if bytes.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let closing: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                let body = i + 2 + hashes;
                match bytes[body..].windows(closing.len()).position(|w| w == closing.as_slice()) {
                    Some(at) => i = body + at + closing.len(),
                    None => return Completeness::Incomplete,
                }
                continue;
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Completeness::Incomplete,
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        _ => i += 1,
                    }
                }
            }
            // A char literal ('x', '\n', '\''); a lifetime ('a) has no closing quote and is skipped as a quote.
            b'\'' => {
                if bytes.get(i + 1) == Some(&b'\\') {
                    if let Some(end) = bytes[i + 2..].iter().position(|&b| b == b'\'') {
                        i += 2 + end;
                    }
                } else if bytes.get(i + 2) == Some(&b'\'') {
                    i += 2;
                }
            }
            b'(' | b'[' | b'{' => open.push(bytes[i]),
            b')' | b']' | b'}' => {
                let expected = match bytes[i] {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if open.pop() != Some(expected) {
                    return Completeness::Invalid;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !open.is_empty() || code.trim_end().ends_with('\\') { Completeness::Incomplete } else { Completeness::Complete }
}

fn is_ident_byte(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use Completeness::*;

    #[test]
    fn brackets_strings_and_comments_must_close() {
        assert_eq!(completeness("let x = 1;"), Complete);
        assert_eq!(completeness("fn f() {"), Incomplete);
        assert_eq!(completeness("let v = vec![1,\n 2"), Incomplete);
        assert_eq!(completeness("let s = \"open"), Incomplete);
        assert_eq!(completeness("let s = \"}\";"), Complete, "a bracket inside a string does not count");
        assert_eq!(completeness("let s = r#\"a \" {\"#;"), Complete);
        assert_eq!(completeness("let s = r#\"never closed"), Incomplete);
        assert_eq!(completeness("/* a /* nested */ comment"), Incomplete);
        assert_eq!(completeness("/* a /* nested */ comment */ let x = 1;"), Complete);
        assert_eq!(completeness("let x = 1; // {"), Complete);
        assert_eq!(completeness("let c = '{'; let q = '\\''; let x = 1;"), Complete);
        assert_eq!(completeness("fn f<'a>(x: &'a str) -> &'a str { x }"), Complete);
        assert_eq!(completeness("let x = (1]"), Invalid);
        assert_eq!(completeness("let x = 1 + \\"), Incomplete);
        assert_eq!(completeness("let var = 1; let r = var;"), Complete, "`r` ending an identifier is no raw string");
    }
}
