//! Macros (RFC 7208 §7): parsing a macro-string and expanding it.

use std::net::IpAddr;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct MacroString {
    pub(crate) tokens: Vec<Token>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Literal(String),
    Macro {
        letter: u8,
        upper: bool,
        digits: Option<usize>,
        reverse: bool,
        delims: String,
    },
    /// `%%`, `%_`, `%-`: `%`, a space, `%20`.
    Escape(&'static str),
}

impl MacroString {
    pub(crate) fn has_macros(&self) -> bool {
        self.tokens.iter().any(|t| !matches!(t, Token::Literal(_)))
    }

    pub(crate) fn ends_with_macro(&self) -> bool {
        matches!(
            self.tokens.last(),
            Some(Token::Macro { .. } | Token::Escape(_))
        )
    }

    /// Whether it uses `%{p}` (which needs DNS to expand).
    pub(crate) fn uses_p(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Macro { letter: b'p', .. }))
    }
}

/// Parses a macro-string; `exp` allows the letters `c`, `r`, `t` and spaces (explain-string).
/// On error: the byte offset in `s` and a message.
pub(crate) fn parse_macro_string(s: &str, exp: bool) -> Result<MacroString, (usize, String)> {
    let b = s.as_bytes();
    let mut tokens = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'%' {
            if !((0x21..0x7f).contains(&c) || (exp && c == b' ')) {
                return Err((i, "a character that is not printable ASCII".into()));
            }
            lit.push(c as char);
            i += 1;
            continue;
        }
        let tok = match b.get(i + 1) {
            Some(b'%') => Token::Escape("%"),
            Some(b'_') => Token::Escape(" "),
            Some(b'-') => Token::Escape("%20"),
            Some(b'{') => {
                let Some(close) = s[i..].find('}') else {
                    return Err((i, "a macro `%{` without its closing `}`".into()));
                };
                let body = &b[i + 2..i + close];
                let tok = parse_macro_body(body, exp).map_err(|m| (i, m))?;
                if !lit.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut lit)));
                }
                tokens.push(tok);
                i += close + 1;
                continue;
            }
            _ => {
                return Err((
                    i,
                    "a `%` that does not start a macro (write `%%` for a percent sign)".into(),
                ));
            }
        };
        if !lit.is_empty() {
            tokens.push(Token::Literal(std::mem::take(&mut lit)));
        }
        tokens.push(tok);
        i += 2;
    }
    if !lit.is_empty() {
        tokens.push(Token::Literal(lit));
    }
    Ok(MacroString { tokens })
}

fn parse_macro_body(body: &[u8], exp: bool) -> Result<Token, String> {
    let Some(&first) = body.first() else {
        return Err("an empty macro `%{}`".into());
    };
    let letter = first.to_ascii_lowercase();
    let allowed: &[u8] = if exp { b"slodiphvcrt" } else { b"slodiphv" };
    if !allowed.contains(&letter) {
        return Err(format!(
            "`{}` is not a macro letter here",
            char::from(first).escape_default()
        ));
    }
    let mut j = 1;
    let mut digits = None;
    let start = j;
    while j < body.len() && body[j].is_ascii_digit() {
        j += 1;
    }
    if j > start {
        let n: usize = std::str::from_utf8(&body[start..j])
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        if n == 0 {
            return Err("a macro's label count must not be zero".into());
        }
        digits = Some(n.min(128));
    }
    let mut reverse = false;
    if j < body.len() && (body[j] == b'r' || body[j] == b'R') {
        reverse = true;
        j += 1;
    }
    let mut delims = String::new();
    for &d in &body[j..] {
        if !b".-+,/_=".contains(&d) {
            return Err(format!(
                "`{}` is not a macro delimiter (one of . - + , / _ =)",
                char::from(d).escape_default()
            ));
        }
        delims.push(d as char);
    }
    Ok(Token::Macro {
        letter,
        upper: first.is_ascii_uppercase(),
        digits,
        reverse,
        delims,
    })
}

/// What the macros expand to.
#[derive(Clone, Debug)]
pub(crate) struct MacroContext<'a> {
    pub sender_local: &'a str,
    pub sender_domain: &'a str,
    pub domain: &'a str,
    pub ip: IpAddr,
    pub helo: &'a str,
    /// `%{p}`, resolved beforehand by the evaluator when the string uses it.
    pub validated: Option<&'a str>,
    pub receiver: &'a str,
    pub timestamp: u64,
}

pub(crate) fn expand(ms: &MacroString, cx: &MacroContext<'_>) -> String {
    let mut out = String::new();
    for t in &ms.tokens {
        match t {
            Token::Literal(l) => out.push_str(l),
            Token::Escape(e) => out.push_str(e),
            Token::Macro {
                letter,
                upper,
                digits,
                reverse,
                delims,
            } => {
                let value = letter_value(*letter, cx);
                let delims: &str = if delims.is_empty() { "." } else { delims };
                let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
                if *reverse {
                    parts.reverse();
                }
                if let Some(n) = digits
                    && *n < parts.len()
                {
                    parts.drain(..parts.len() - n);
                }
                let joined = parts.join(".");
                if *upper {
                    out.push_str(&url_escape(&joined));
                } else {
                    out.push_str(&joined);
                }
            }
        }
    }
    out
}

fn letter_value(letter: u8, cx: &MacroContext<'_>) -> String {
    match letter {
        b's' => format!("{}@{}", cx.sender_local, cx.sender_domain),
        b'l' => cx.sender_local.to_string(),
        b'o' => cx.sender_domain.to_string(),
        b'd' => cx.domain.to_string(),
        b'i' => match cx.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => nibbles(&v6.octets()).join("."),
        },
        b'p' => cx.validated.unwrap_or("unknown").to_string(),
        b'v' => match cx.ip {
            IpAddr::V4(_) => "in-addr".into(),
            IpAddr::V6(_) => "ip6".into(),
        },
        b'h' => cx.helo.to_string(),
        b'c' => cx.ip.to_string(),
        b'r' => cx.receiver.to_string(),
        b't' => cx.timestamp.to_string(),
        _ => String::new(),
    }
}

pub(crate) fn nibbles(octets: &[u8]) -> Vec<String> {
    octets
        .iter()
        .flat_map(|o| [o >> 4, o & 0xf])
        .map(|n| format!("{n:x}"))
        .collect()
}

fn url_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
