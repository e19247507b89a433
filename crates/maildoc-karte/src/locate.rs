//! Finding places in the karte's text: line and column of an offset, the table a line is
//! in (`devices`, second entry), the line of a key. Good enough for files written by people
//! and by maildoc (`[table]`, `[[array]]`, `key = value`); dotted and inline tables fall back
//! to the nearest header.

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A header line: (`devices`, true) for `[[devices]]`, (`account`, false) for `[account]`.
fn header(line: &str) -> Option<(String, bool)> {
    let t = line.trim();
    let t = t.split('#').next().unwrap_or(t).trim();
    if let Some(inner) = t.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
        return Some((unquote(inner.trim()), true));
    }
    t.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .map(|inner| (unquote(inner.trim()), false))
}

/// The key assigned on a line (`port` for `port = 993`).
fn key_of(line: &str) -> Option<String> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    let (key, _) = t.split_once('=')?;
    let key = unquote(key.trim());
    (!key.is_empty()).then_some(key)
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// Where an offset is: the table (empty at the top), the entry of an array of tables
/// (0-based), the key on its line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ctx {
    pub table: String,
    pub index: Option<usize>,
    pub key: Option<String>,
}

impl Ctx {
    /// `devices[2].name` (entries counted from 1), `account.address`, `karte_version`.
    pub fn field(&self, name: &str) -> String {
        match (&self.index, self.table.is_empty()) {
            (_, true) => name.to_string(),
            (Some(i), false) => format!("{}[{}].{name}", self.table, i + 1),
            (None, false) => format!("{}.{name}", self.table),
        }
    }
}

/// Walks the lines up to the one holding `offset`.
pub fn context(text: &str, offset: usize) -> Ctx {
    let mut ctx = Ctx::default();
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        if let Some((name, array)) = header(line) {
            let index = if array {
                let n = counts.entry(name.clone()).or_insert(0);
                *n += 1;
                Some(*n - 1)
            } else {
                None
            };
            ctx = Ctx {
                table: name,
                index,
                key: None,
            };
        } else {
            ctx.key = None;
        }
        if offset < end || end == text.len() {
            ctx.key = key_of(line);
            return ctx;
        }
        start = end;
    }
    ctx
}

/// The line and column of `key` in `[table]` (or in the `index`-th `[[table]]`); the
/// header's line when the key is not written there.
pub fn key_in(text: &str, table: &str, index: Option<usize>, key: &str) -> Option<(usize, usize)> {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut inside = table.is_empty();
    let mut header_line = None;
    for (n, line) in text.lines().enumerate() {
        if let Some((name, array)) = header(line) {
            let i = if array {
                let c = counts.entry(name.clone()).or_insert(0);
                *c += 1;
                Some(*c - 1)
            } else {
                None
            };
            if inside && header_line.is_some() {
                break;
            }
            inside = name == table && (index.is_none() || i == index);
            if inside {
                header_line = Some((n + 1, 1));
            }
            continue;
        }
        if inside && key_of(line).as_deref() == Some(key) {
            let column = line.chars().take_while(|c| c.is_whitespace()).count() + 1;
            return Some((n + 1, column));
        }
    }
    header_line
}

/// The first line that assigns `key`, in any table.
pub fn key_anywhere(text: &str, key: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(n, line)| {
        (key_of(line).as_deref() == Some(key)).then(|| {
            let column = line.chars().take_while(|c| c.is_whitespace()).count() + 1;
            (n + 1, column)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "karte_version = 1\n\n[account]\naddress = \"a@b.jp\"\n\n[[devices]]\nname = \"PC\"\n\n[[devices]]\nname = \"スマホ\"\nprotocol = \"smtp\"\n";

    #[test]
    fn places() {
        assert_eq!(line_col(TEXT, 0), (1, 1));
        let at = TEXT.find("protocol").unwrap_or(0);
        assert_eq!(line_col(TEXT, at), (11, 1));
        let ctx = context(TEXT, at);
        assert_eq!(ctx.table, "devices");
        assert_eq!(ctx.index, Some(1));
        assert_eq!(ctx.key.as_deref(), Some("protocol"));
        assert_eq!(ctx.field("protocol"), "devices[2].protocol");
        assert_eq!(key_in(TEXT, "devices", Some(1), "name"), Some((10, 1)));
        assert_eq!(key_in(TEXT, "devices", Some(0), "name"), Some((7, 1)));
        assert_eq!(key_in(TEXT, "devices", Some(0), "backup"), Some((6, 1)));
        assert_eq!(key_in(TEXT, "account", None, "address"), Some((4, 1)));
        assert_eq!(key_anywhere(TEXT, "karte_version"), Some((1, 1)));
        // Multi-byte text before the offset: columns count characters.
        let s = "名前 = 1";
        assert_eq!(line_col(s, s.find('=').unwrap_or(0)), (1, 4));
    }
}
