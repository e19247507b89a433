//! The knowledge base of maildoc: for every finding [`Code`], what it means and how to fix
//! it, in Japanese and English, with optional steps per mail app.
//!
//! The texts live in `data/findings.toml` and are compiled into the binary. They may contain
//! `{name}` placeholders that [`fill`] replaces with a finding's params. Which names a code
//! may use is fixed by the code registry (`maildoc_model::code`): [`SERVER_PARAMS`] for every
//! finding tied to a server (all codes where [`has_server_params`] is true) plus the code's
//! own [`allowed_params`].

pub mod catalogue;
pub mod providers;
pub mod status;

use maildoc_model::Code;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The language of the texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// Both languages, Japanese first.
    pub const ALL: &'static [Lang] = &[Lang::Ja, Lang::En];

    /// Parses a language tag or locale: `ja`, `en`, `ja_JP.UTF-8`, `en-US`, `JA`, ...
    /// Returns `None` for other languages and for `C`/`POSIX`.
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s
            .trim()
            .split([':', '_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "ja" | "jpn" => Some(Lang::Ja),
            "en" | "eng" => Some(Lang::En),
            _ => None,
        }
    }

    /// Maps a `LANG` / `LC_ALL` / `LANGUAGE` value to a language: Japanese locales
    /// (`ja*`) give [`Lang::Ja`], everything else (including empty, `C`) gives [`Lang::En`].
    pub fn from_env_lang(value: &str) -> Lang {
        match Lang::parse(value) {
            Some(Lang::Ja) => Lang::Ja,
            _ => Lang::En,
        }
    }

    /// `"ja"` or `"en"`, as used in the data file.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

/// A mail app for which the knowledge base may give its own steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Client {
    Iphone,
    MacosMail,
    Outlook,
    WindowsMail,
    Thunderbird,
    AndroidGmail,
}

impl Client {
    /// Every client, in the order steps are shown.
    pub const ALL: &'static [Client] = &[
        Client::Iphone,
        Client::MacosMail,
        Client::Outlook,
        Client::WindowsMail,
        Client::Thunderbird,
        Client::AndroidGmail,
    ];

    /// The key used in the data file.
    pub fn key(self) -> &'static str {
        match self {
            Client::Iphone => "iphone",
            Client::MacosMail => "macos-mail",
            Client::Outlook => "outlook",
            Client::WindowsMail => "windows-mail",
            Client::Thunderbird => "thunderbird",
            Client::AndroidGmail => "android-gmail",
        }
    }

    /// Looks a client up by its key.
    pub fn parse(key: &str) -> Option<Client> {
        Client::ALL.iter().copied().find(|c| c.key() == key)
    }

    /// The name shown to people.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Client::Iphone, Lang::Ja) => "iPhone / iPad の「メール」",
            (Client::Iphone, Lang::En) => "iPhone/iPad Mail",
            (Client::MacosMail, Lang::Ja) => "Mac の「メール」",
            (Client::MacosMail, Lang::En) => "Mail on Mac",
            (Client::Outlook, Lang::Ja) => "Outlook（Windows 版）",
            (Client::Outlook, Lang::En) => "Outlook for Windows",
            (Client::WindowsMail, Lang::Ja) => "Windows の「メール」",
            (Client::WindowsMail, Lang::En) => "Windows Mail",
            (Client::Thunderbird, _) => "Thunderbird",
            (Client::AndroidGmail, Lang::Ja) => "Android の Gmail アプリ",
            (Client::AndroidGmail, Lang::En) => "Gmail app on Android",
        }
    }
}

/// The text for one code in one language. Placeholders are not filled in; use [`fill`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingText {
    /// One line that states the problem.
    pub title: String,
    /// Why it happens / what it means.
    pub cause: String,
    /// What to do, and who must act.
    pub fix: String,
    /// Steps per mail app, in [`Client::ALL`] order; empty when the steps do not differ.
    pub clients: Vec<(Client, String)>,
}

pub use maildoc_model::SERVER_PARAMS;

/// Whether findings of this code carry [`SERVER_PARAMS`]: the code's scope is a server.
pub fn has_server_params(code: Code) -> bool {
    code.scope() == maildoc_model::Scope::Server
}

/// The params specific to a code, in addition to [`SERVER_PARAMS`] where
/// [`has_server_params`] holds: the code registry's row declares them.
pub fn allowed_params(code: Code) -> &'static [&'static str] {
    code.params()
}

/// Every placeholder name the texts of `code` may use: [`SERVER_PARAMS`] (if the code has
/// them) followed by [`allowed_params`].
pub fn placeholders(code: Code) -> Vec<&'static str> {
    let common: &[&str] = if has_server_params(code) {
        SERVER_PARAMS
    } else {
        &[]
    };
    common.iter().chain(allowed_params(code)).copied().collect()
}

/// The text of `code` in `lang`. Never panics; if the data somehow lacks the entry
/// (the tests rule that out), a generic text naming the code is returned.
pub fn finding_text(code: Code, lang: Lang) -> &'static FindingText {
    static GENERIC: OnceLock<FindingText> = OnceLock::new();
    kb().get(&(code, lang))
        .unwrap_or_else(|| GENERIC.get_or_init(|| fallback_text("unknown", Lang::En)))
}

/// Replaces each `{name}` in `template` with `params[name]`. Placeholders without a value,
/// and braces that do not form a placeholder, stay as written.
pub fn fill(template: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_placeholder_name(&after[..close]) => {
                match params.get(&after[..close]) {
                    Some(value) => out.push_str(value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholder names used in `template`, in order of appearance (with repeats).
pub fn placeholders_in(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_placeholder_name(&after[..close]) => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

fn is_placeholder_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The content of `docs/findings.md`: every code with its severity, params and both texts.
pub fn findings_markdown() -> String {
    let mut md = String::new();
    md.push_str("# maildoc findings\n\n");
    md.push_str(
        "<!-- Generated from crates/maildoc-kb/data/findings.toml by maildoc-kb. \
         Do not edit by hand: edit the TOML and run \
         `MAILDOC_BLESS=1 cargo test -p maildoc-kb`. -->\n\n",
    );
    md.push_str(
        "Every problem maildoc reports has a stable code. This page lists each code with its \
         default severity and the texts maildoc shows, in English and Japanese: a title, the \
         cause, the fix, and, where the steps differ between mail apps, steps per app.\n\n\
         Words in braces, such as `{host}`, are filled in from the finding's parameters. \
         Findings about a server carry `server`, `protocol`, `host`, `port` and `security`; \
         further parameters are listed per code.\n\n\
         maildoc never advises accepting a certificate warning or weakening encryption: \
         certificate problems are fixed on the server, with the correct server name, or with \
         the correct clock.\n\n\
         Parameters that quote a server (`reply`, `detail`, `received`) never hold the \
         password (of four characters or more): whatever a server sends is searched for it \
         in every form maildoc sent it \
         (clear, quoted, hex, percent-encoded, base64 at any offset) and it is replaced with \
         `<redacted>` before a rule sees it. A server that sends without end, too much or too \
         slowly is cut off (1,000 lines or 1 MiB an answer, 4 MiB a connection, one time limit \
         an answer) and reported as `garbled-response` or `server-slow`. The tests behind \
         these promises are `crates/maildoc-cli/tests/echo.rs` (servers that echo the \
         password, every output format) and `crates/maildoc-cli/tests/campaign.rs` (hostile \
         servers, each run timed, its memory measured and its output searched); the README's \
         Safety paragraph lists them.\n\n",
    );
    md.push_str("## Contents\n\n| Code | Severity | Title |\n|---|---|---|\n");
    for &code in Code::ALL {
        let t = finding_text(code, Lang::En);
        md.push_str(&format!(
            "| [`{c}`](#{c}) | {s} | {t} |\n",
            c = code.as_str(),
            s = code.default_severity().as_str(),
            t = table_cell(&t.title),
        ));
    }
    for &code in Code::ALL {
        md.push_str(&format!("\n## {}\n\n", code.as_str()));
        md.push_str(&format!(
            "Severity: **{}**  \n",
            code.default_severity().as_str()
        ));
        let params = placeholders(code);
        if params.is_empty() {
            md.push_str("Parameters: none\n");
        } else {
            let list: Vec<String> = params.iter().map(|p| format!("`{p}`")).collect();
            md.push_str(&format!("Parameters: {}\n", list.join(", ")));
        }
        for (lang, heading, cause, fix, steps) in [
            (Lang::En, "English", "Cause", "Fix", "Steps per mail app"),
            (Lang::Ja, "日本語", "原因", "対処", "メールアプリごとの手順"),
        ] {
            let t = finding_text(code, lang);
            md.push_str(&format!("\n### {heading}\n\n**{}**\n\n", t.title));
            md.push_str(&format!("{cause}: {}\n\n{fix}: {}\n", t.cause, t.fix));
            if !t.clients.is_empty() {
                md.push_str(&format!("\n{steps}:\n\n"));
                for (client, text) in &t.clients {
                    md.push_str(&format!("- **{}**: {}\n", client.label(lang), text));
                }
            }
        }
    }
    md
}

fn table_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

// ---------------------------------------------------------------------------------------
// Loading

/// The data files, each owning the codes of one area; a code may appear in one file only.
const DATA: &[(&str, &str)] = &[
    ("findings.toml", include_str!("../data/findings.toml")),
    ("settings.toml", include_str!("../data/settings.toml")),
    ("karte.toml", include_str!("../data/karte.toml")),
    ("domain.toml", include_str!("../data/domain.toml")),
    ("message.toml", include_str!("../data/message.toml")),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    title: String,
    cause: String,
    fix: String,
    #[serde(default)]
    clients: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    ja: Option<RawText>,
    en: Option<RawText>,
}

type RawData = BTreeMap<String, RawEntry>;

fn parse_raw(data: &str) -> Result<RawData, String> {
    toml::from_str(data).map_err(|e| e.to_string())
}

/// Every data file, merged.
fn parse_all() -> Result<RawData, String> {
    let mut all = RawData::new();
    for (name, text) in DATA {
        for (code, entry) in parse_raw(text).map_err(|e| format!("data/{name}: {e}"))? {
            if all.insert(code.clone(), entry).is_some() {
                return Err(format!(
                    "data/{name}: `{code}` is defined in another file too"
                ));
            }
        }
    }
    Ok(all)
}

fn kb() -> &'static BTreeMap<(Code, Lang), FindingText> {
    static KB: OnceLock<BTreeMap<(Code, Lang), FindingText>> = OnceLock::new();
    KB.get_or_init(|| build(parse_all().unwrap_or_default()))
}

fn build(raw: RawData) -> BTreeMap<(Code, Lang), FindingText> {
    let mut map = BTreeMap::new();
    for &code in Code::ALL {
        let entry = raw.get(code.as_str());
        for &lang in Lang::ALL {
            let text = entry
                .and_then(|e| match lang {
                    Lang::Ja => e.ja.as_ref(),
                    Lang::En => e.en.as_ref(),
                })
                .map(convert)
                .unwrap_or_else(|| fallback_text(code.as_str(), lang));
            map.insert((code, lang), text);
        }
    }
    map
}

fn convert(raw: &RawText) -> FindingText {
    let clients = Client::ALL
        .iter()
        .filter_map(|&c| raw.clients.get(c.key()).map(|s| (c, s.trim().to_string())))
        .collect();
    FindingText {
        title: raw.title.trim().to_string(),
        cause: raw.cause.trim().to_string(),
        fix: raw.fix.trim().to_string(),
        clients,
    }
}

fn fallback_text(name: &str, lang: Lang) -> FindingText {
    let (title, cause, fix) = match lang {
        Lang::Ja => (
            format!("問題が見つかりました（{name}）"),
            format!("「{name}」という問題が見つかりましたが、この問題の説明はありません。"),
            "下の詳しい結果をご覧になるか、この結果をプロバイダーやサポートの担当者にお見せください。"
                .to_string(),
        ),
        Lang::En => (
            format!("A problem was found ({name})"),
            format!("maildoc found the problem \"{name}\", but has no description for it."),
            "See the technical details below, or show this report to your provider or to the \
             person who helps you."
                .to_string(),
        ),
    };
    FindingText {
        title,
        cause,
        fix,
        clients: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
