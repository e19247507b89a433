//! The settings lint: what is wrong with the settings themselves, before (or without) any
//! probe. Pure: it reads an [`AccountSettings`] (host and user name exactly as typed), the
//! provider of the address's domain if one is known, and a list of known server names. It
//! never needs a password and puts none in a finding.
//!
//! Rules, at most one finding per root cause and field:
//!
//! - **Host field** (in this order; the first that applies ends the host checks, except that
//!   stray characters are reported beside a name problem):
//!   - holds a mail address (`@`, also full-width `＠`) or a person's name (words with spaces
//!     and no dot; one capitalised word such as `Taro`; a word in Japanese script without a
//!     dot): `host-looks-like-address` with `reason` `contains-at` or `person-name`;
//!   - invisible characters ([`input::is_invisible`]: format characters such as zero-width
//!     characters and bidi controls, control characters, other default-ignorable ones),
//!     no-break and ideographic spaces, spaces at either end or inside:
//!     `invisible-characters`;
//!     full-width letters, digits and signs (`ｉｍａｐ`, `．`, `。`) and a long-vowel mark or
//!     dash typed for `-` in an otherwise ASCII label (`so−net`): `full-width-characters`;
//!   - IP addresses get no name checks. Names are compared in ASCII and lower case; a name
//!     with non-ASCII letters (an IDN such as `mail.日本語.jp`) or an A-label (`xn--`) is never
//!     compared, so internationalized names give no false alarms;
//!   - a setting the provider no longer accepts (`provider.retired`), with its replacement
//!     (the provider's server of that protocol, else of that direction) and the date the
//!     sources give: `host-retired` for an old host name (`*.mail.plala.or.jp`), or
//!     `setting-retired` for an old port and security on a current host (BIGLOBE's POP3 on
//!     110 without SSL: this one only when port and security were both given, as the port
//!     rules below);
//!   - a name that equals a known one except for look-alike characters — `1`, `l`, `I` and
//!     `|`; `0`, `o` and `O`; Cyrillic and Greek letters that look Latin — `host-look-alike`;
//!   - a name one edit (Damerau-Levenshtein 1: a letter changed, added, dropped, or two
//!     neighbours swapped) away from a known one: `host-typo`. Edits that change, add or drop
//!     a digit, or swap two digits, are not typos here (numbered servers such as `mail2` and
//!     `sv1234` are real; digit look-alikes are the look-alike rule's), nor are edits in a
//!     label of fewer than four characters other than the last (`bol`/`uol`, `q`/`qq` are
//!     different real providers; `.con` for `.com` is a typo).
//!
//!   Known names are the provider's servers, `known_hosts`, and the address's own domain:
//!   a host whose ending is one edit (or look-alikes) away from that domain
//!   (`imap.exmaple.co.jp` for `@example.co.jp`) is suggested with the domain put right. The
//!   own-domain typo rule needs a domain of at least 8 characters; shorter ones have too many
//!   real neighbours. A host equal to or under the address's domain is never a typo.
//! - **Port and security**, only when both were given: a port of another protocol
//!   (`port-of-other-protocol`: 993/143 for POP3, 995/110 for IMAP, 25/465/587 for
//!   incoming, 110/143/993/995 for SMTP); SSL/TLS on a port that starts in plaintext (110,
//!   143, 587, 25: `ssl-on-plaintext-port`); no SSL/TLS on an implicit-TLS port (995, 993,
//!   465: `plaintext-on-ssl-port`). These two reuse the probe's codes: it is the same mistake,
//!   whether seen in the settings or on the wire.
//! - **SMTP authentication off** (`auth == Some(false)`): `smtp-auth-off`, an error on the
//!   submission ports 587 and 465 (where servers require it), a warning otherwise.
//! - **Address**: invisible characters as for hosts (spaces excepted: the address is
//!   maildoc's own input, trimmed with a note, and refused with a space inside):
//!   `invisible-characters`, account-wide. Full-width characters in it are folded with a note
//!   (`input-normalized`), not a finding.
//! - **User name**: invisible and full-width characters as for hosts (inner ASCII spaces
//!   excepted); `username-look-alike` when it equals the address or its local part except
//!   for look-alikes, or when it is a number with one look-alike letter in it (`0312O456`:
//!   at least four digits, fewer letters than digits, only `O`, `o`, `I`, `l` as letters);
//!   `username-form-unexpected` when the provider documents another form (the whole address,
//!   the local part, or an ID of its own). An address user name where the address is
//!   expected but that differs from it is left alone (aliases log in with the main address).
//!   Stray characters in a user name are account-wide findings (no server); the other
//!   user-name findings that are the same for several servers are reported once, on the
//!   first.
//!
//! Findings carry the server params (`server`, `protocol`, `host` as typed, `port`,
//! `security`; port and security completed the way the check completes them when not given)
//! and are tied to the server id the check's plan gives the same setting: `imap`, `imap-2`,
//! `pop3`, `smtp`, ... in the order of `settings.servers`.
//!
//! [`merge`] joins lint findings with the probe's findings of a report, one root cause
//! giving one finding (see there).

use maildoc_model::input::{self, Address};
use maildoc_model::provider::{ProviderInfo, ProviderServer, UsernameRule};
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Code, Finding, Protocol, Report, Security, ServerEvidence, StepKind};
use std::collections::BTreeSet;
use unicode_normalization::UnicodeNormalization;

/// The own-domain typo rule needs a domain at least this long (`lab.example`, `nifty.com`).
const MIN_DOMAIN_FOR_TYPO: usize = 8;

/// Lints one account's settings. See the module documentation for the rules.
pub fn lint(
    settings: &AccountSettings,
    provider: Option<&ProviderInfo>,
    known_hosts: &[&str],
) -> Vec<Finding> {
    let ctx = Lint::new(settings, provider, known_hosts);
    let ids = server_ids(settings);
    let mut out = typed_account(&settings.address, None);
    let mut user_findings: Vec<Finding> = Vec::new();
    for (setting, id) in settings.servers.iter().zip(&ids) {
        let base = Base::new(setting, id);
        out.extend(ctx.host_rules(setting, &base));
        out.extend(port_rules(setting, &base));
        if let Some(f) = smtp_auth_rule(setting, &base) {
            out.push(f);
        }
        for f in ctx.username_rules(setting, &base) {
            // The same user name on several servers: one finding, on the first.
            let same = |g: &Finding| {
                g.code == f.code
                    && g.params.get("username") == f.params.get("username")
                    && g.params.get("value") == f.params.get("value")
                    && g.params.get("expected") == f.params.get("expected")
                    && g.params.get("suggestion") == f.params.get("suggestion")
            };
            if !user_findings.iter().any(same) {
                user_findings.push(f);
            }
        }
    }
    out.extend(user_findings);
    // Order: account-wide first, then by server in settings order.
    let rank = |f: &Finding| match &f.server {
        None => 0,
        Some(s) => ids
            .iter()
            .position(|id| id == s)
            .map_or(usize::MAX, |i| i + 1),
    };
    out.sort_by_key(rank);
    out
}

/// What the address and a user name given for the whole account hold that nobody sees
/// (`invisible-characters`), for a check whose servers were not typed (so [`lint`] has no
/// server setting to carry the user name).
pub fn typed_account(address: &str, username: Option<&str>) -> Vec<Finding> {
    let mut out = Text::new(address, Field::Address).findings(None);
    if let Some(user) = username {
        out.extend(Text::new(user, Field::Username).findings(None));
    }
    out
}

/// The id the check's plan gives each server setting: the protocol name, then `-2`, `-3`,
/// ... for repeats, in settings order.
pub fn server_ids(settings: &AccountSettings) -> Vec<String> {
    let mut counts = std::collections::HashMap::new();
    settings
        .servers
        .iter()
        .map(|s| {
            let base = s.protocol.as_str();
            let n = counts.entry(base).or_insert(0usize);
            *n += 1;
            if *n == 1 {
                base.to_string()
            } else {
                format!("{base}-{n}")
            }
        })
        .collect()
}

/// Port and security as the check completes them when they were not given.
fn completed(setting: &ServerSetting) -> (u16, Security) {
    let protocol = setting.protocol;
    match (setting.port, setting.security) {
        (Some(p), Some(s)) => (p, s),
        (None, Some(s)) => (protocol.default_port(s), s),
        (Some(p), None) if p == protocol.implicit_tls_port() => (p, Security::Tls),
        (Some(p), None) => (p, Security::Starttls),
        (None, None) => (protocol.implicit_tls_port(), Security::Tls),
    }
}

/// The common params of one server setting.
struct Base {
    id: String,
    protocol: Protocol,
    host: String,
    port: u16,
    security: Security,
}

impl Base {
    fn new(setting: &ServerSetting, id: &str) -> Base {
        let (port, security) = completed(setting);
        Base {
            id: id.to_string(),
            protocol: setting.protocol,
            host: setting.host.clone(),
            port,
            security,
        }
    }

    fn finding(&self, code: Code) -> Finding {
        Finding::new(code)
            .server(&self.id)
            .param(
                "server",
                format!(
                    "{} {}:{} {}",
                    self.protocol.label(),
                    self.host,
                    self.port,
                    self.security.label()
                ),
            )
            .param("protocol", self.protocol.label())
            .param("host", &self.host)
            .param("port", self.port)
            .param("security", self.security.label())
    }
}

struct Lint<'a> {
    address: Option<Address>,
    /// The account's user name, for the servers without one of their own.
    username: Option<&'a str>,
    provider: Option<&'a ProviderInfo>,
    /// Known server names, lower-case ASCII: the provider's first, then `known_hosts`.
    known: Vec<String>,
}

impl<'a> Lint<'a> {
    fn new(
        settings: &'a AccountSettings,
        provider: Option<&'a ProviderInfo>,
        known_hosts: &[&str],
    ) -> Self {
        let address = input::parse_address(&settings.address).ok().map(|(a, _)| a);
        let mut known: Vec<String> = Vec::new();
        let provider_hosts = provider
            .into_iter()
            .flat_map(|p| p.servers.iter().filter_map(|s| s.host.as_deref()));
        for host in provider_hosts.chain(known_hosts.iter().copied()) {
            let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
            if !host.is_empty() && host.is_ascii() && !known.contains(&host) {
                known.push(host);
            }
        }
        Lint {
            address,
            username: settings.username.as_deref(),
            provider,
            known,
        }
    }

    fn host_rules(&self, setting: &ServerSetting, base: &Base) -> Vec<Finding> {
        let typed = setting.host.as_str();
        let text = Text::new(typed, Field::Host);
        if text.folded.contains('@') {
            return vec![
                base.finding(Code::HostLooksLikeAddress)
                    .param("reason", "contains-at"),
            ];
        }
        if looks_like_a_name(&text.words) {
            return vec![
                base.finding(Code::HostLooksLikeAddress)
                    .param("reason", "person-name"),
            ];
        }
        let mut out = text.findings(Some(base));
        let name = text.corrected.trim_end_matches('.');
        if name.is_empty() || is_ip(name) {
            return out;
        }
        if let Some(f) = self
            .retired_rule(name, setting, base)
            .or_else(|| self.name_rule(name, base))
        {
            out.push(f);
        }
        out
    }

    /// A setting the provider no longer accepts, with its replacement. An old port or
    /// security is judged only when both were given.
    fn retired_rule(&self, name: &str, setting: &ServerSetting, base: &Base) -> Option<Finding> {
        let p = self.provider?;
        let given = setting.port.is_some() && setting.security.is_some();
        let retired = p.retired.iter().find(|r| {
            (r.is_host() || given) && r.matches(base.protocol, name, base.port, base.security)
        })?;
        let new = replacement(p, base.protocol)?;
        let host = new.host.as_deref()?;
        // An old name is `host-retired` unless the replacement keeps it (then only the port
        // or security changed).
        let code = if retired.is_host() && !host.eq_ignore_ascii_case(name) {
            Code::HostRetired
        } else {
            Code::SettingRetired
        };
        Some(
            base.finding(code)
                .param("suggestion", host)
                .param("suggested_port", new.port)
                .param("suggested_security", new.security.label())
                .param("since", &retired.since)
                .param("provider", &p.name),
        )
    }

    /// Look-alike or typo: at most one, in that order.
    fn name_rule(&self, name: &str, base: &Base) -> Option<Finding> {
        let lower = name.to_ascii_lowercase();
        // Compare only plain ASCII names: IDNs and A-labels are never look-alikes or typos.
        let latin = to_latin(name)?;
        if lower.split('.').any(|l| l.starts_with("xn--")) {
            return None;
        }
        if self.known.contains(&lower) {
            return None;
        }
        let domain = self
            .address
            .as_ref()
            .map(|a| a.domain.as_str())
            .filter(|d| !d.split('.').any(|l| l.starts_with("xn--")));
        if let Some(d) = domain
            && (lower == d || lower.ends_with(&format!(".{d}")))
        {
            // The user's own domain: any name in it is intended.
            return None;
        }
        let suggest =
            |code: Code, suggestion: &str| Some(base.finding(code).param("suggestion", suggestion));
        let latin_lower = latin.to_ascii_lowercase();
        // Cyrillic or Greek letters in a name that is otherwise a known one, or in the
        // user's own domain.
        if latin != name
            && (self.known.contains(&latin_lower)
                || domain
                    .is_some_and(|d| latin_lower == d || latin_lower.ends_with(&format!(".{d}"))))
        {
            return suggest(Code::HostLookAlike, &latin_lower);
        }
        // Look-alikes first: they explain a one-letter difference better than "typo".
        if let Some(k) = self.known.iter().find(|k| look_alike(&latin, k)) {
            return suggest(Code::HostLookAlike, k);
        }
        if let Some(d) = domain {
            for (prefix, tail) in tails(&latin) {
                if look_alike(tail, d) {
                    return suggest(Code::HostLookAlike, &format!("{prefix}{d}"));
                }
            }
        }
        if let Some(k) = self.known.iter().find(|k| typo_of(&latin_lower, k)) {
            return suggest(Code::HostTypo, k);
        }
        if let Some(d) = domain.filter(|d| d.len() >= MIN_DOMAIN_FOR_TYPO) {
            for (prefix, tail) in tails(&latin_lower) {
                if typo_of(tail, d) {
                    return suggest(Code::HostTypo, &format!("{prefix}{d}"));
                }
            }
        }
        None
    }

    fn username_rules(&self, setting: &ServerSetting, base: &Base) -> Vec<Finding> {
        let Some(typed) = setting.username.as_deref().or(self.username) else {
            return Vec::new();
        };
        let text = Text::new(typed, Field::Username);
        // About the account's user name, not about one server: account-wide (so that a host
        // and a user name with stray characters on one server stay two findings).
        let mut out = text.findings(None);
        let user = text.corrected.as_str();
        if user.is_empty() {
            return out;
        }
        let with_user = |f: Finding| f.param("username", user);
        if let Some(suggestion) = self.username_look_alike(user) {
            out.push(with_user(
                base.finding(Code::UsernameLookAlike)
                    .param("suggestion", suggestion),
            ));
        }
        if let Some(f) = self.username_form(setting, user, base) {
            out.push(with_user(f));
        }
        out
    }

    fn username_look_alike(&self, user: &str) -> Option<String> {
        if let Some(a) = &self.address {
            let full = a.full();
            if user.eq_ignore_ascii_case(&a.local) || user.eq_ignore_ascii_case(&full) {
                return None;
            }
            for expected in [&a.local, &full] {
                if look_alike(user, expected) {
                    return Some(expected.clone());
                }
            }
        }
        // A number with a look-alike letter in it: `0312O456`.
        let (id, rest) = match user.split_once('@') {
            Some((id, domain)) => (id, format!("@{domain}")),
            None => (user, String::new()),
        };
        let digits = id.chars().filter(char::is_ascii_digit).count();
        let letters = id
            .chars()
            .filter(|c| matches!(c, 'O' | 'o' | 'I' | 'l'))
            .count();
        if digits >= 4 && letters >= 1 && letters < digits && digits + letters == id.chars().count()
        {
            let fixed: String = id
                .chars()
                .map(|c| match c {
                    'O' | 'o' => '0',
                    'I' | 'l' => '1',
                    other => other,
                })
                .collect();
            return Some(format!("{fixed}{rest}"));
        }
        None
    }

    fn username_form(&self, setting: &ServerSetting, user: &str, base: &Base) -> Option<Finding> {
        let provider = self.provider?;
        let address = self.address.as_ref()?;
        let host = setting.host.trim().to_ascii_lowercase();
        let documented = provider
            .servers
            .iter()
            .filter(|s| s.protocol == setting.protocol)
            .find(|s| {
                s.host
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(&host))
            })
            .or_else(|| {
                provider
                    .servers
                    .iter()
                    .find(|s| s.protocol == setting.protocol)
            })?;
        let full = address.full();
        let is_address = user.contains('@');
        let is_local = user.eq_ignore_ascii_case(&address.local);
        let expected = match &documented.username {
            UsernameRule::Address if !is_address => full,
            UsernameRule::LocalPart if is_address => address.local.clone(),
            // An ISPDB template such as `%EMAILLOCALPART%.%EMAILDOMAIN%`: a user name made
            // from the address in another way.
            UsernameRule::Other(template) if template.contains("%EMAIL") => {
                let made = template
                    .replace("%EMAILADDRESS%", &full)
                    .replace("%EMAILLOCALPART%", &address.local)
                    .replace("%EMAILDOMAIN%", &address.domain);
                if user.eq_ignore_ascii_case(&made) || !(is_address || is_local) {
                    return None;
                }
                made
            }
            UsernameRule::Other(what) if is_address || is_local => what.clone(),
            _ => return None,
        };
        let finding = base
            .finding(Code::UsernameFormUnexpected)
            .param("expected", expected)
            .param("provider", &provider.name);
        // An ID of the provider's own is not optional: the address will not log in.
        Some(match &documented.username {
            UsernameRule::Other(what) if !what.contains("%EMAIL") => {
                finding.severity(maildoc_model::Severity::Error)
            }
            _ => finding,
        })
    }
}

/// What replaces a retired setting: the provider's first server with a host for the
/// protocol, else for the same direction, that is not retired itself.
fn replacement(p: &ProviderInfo, protocol: Protocol) -> Option<&ProviderServer> {
    let current = |s: &&ProviderServer| {
        s.host.as_deref().is_some_and(|h| {
            !p.retired
                .iter()
                .any(|r| r.matches(s.protocol, h, s.port, s.security))
        })
    };
    let by =
        |f: &dyn Fn(Protocol) -> bool| p.servers.iter().filter(|s| f(s.protocol)).find(current);
    by(&|q| q == protocol).or_else(|| by(&|q| q.role() == protocol.role()))
}

fn port_rules(setting: &ServerSetting, base: &Base) -> Vec<Finding> {
    let protocol = setting.protocol;
    let Some(port) = setting.port else {
        return Vec::new();
    };
    if let Some(owner) = port_owner(port).filter(|o| *o != protocol) {
        let security = setting.security.unwrap_or(Security::Tls);
        return vec![
            base.finding(Code::PortOfOtherProtocol)
                .param("port_protocol", owner.label())
                .param("suggested_port", protocol.default_port(security)),
        ];
    }
    let Some(security) = setting.security else {
        return Vec::new();
    };
    let plaintext_first =
        port == protocol.starttls_port() || (protocol == Protocol::Smtp && port == 25);
    let code = if port == protocol.implicit_tls_port() && security != Security::Tls {
        Code::PlaintextOnSslPort
    } else if plaintext_first && security == Security::Tls {
        Code::SslOnPlaintextPort
    } else {
        return Vec::new();
    };
    vec![
        base.finding(code)
            .param("tls_port", protocol.implicit_tls_port())
            .param("plain_port", protocol.starttls_port()),
    ]
}

/// The protocol a well-known mail port belongs to.
fn port_owner(port: u16) -> Option<Protocol> {
    match port {
        143 | 993 => Some(Protocol::Imap),
        110 | 995 => Some(Protocol::Pop3),
        25 | 465 | 587 => Some(Protocol::Smtp),
        _ => None,
    }
}

fn smtp_auth_rule(setting: &ServerSetting, base: &Base) -> Option<Finding> {
    if setting.protocol != Protocol::Smtp || setting.auth != Some(false) {
        return None;
    }
    let finding = base.finding(Code::SmtpAuthOff);
    Some(if matches!(base.port, 587 | 465) {
        finding.severity(maildoc_model::Severity::Error)
    } else {
        finding
    })
}

// ---------------------------------------------------------------------------------------
// Characters

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Address,
    Host,
    Username,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Address => "address",
            Field::Host => "host",
            Field::Username => "username",
        }
    }
}

/// A typed value taken apart: what is invisible, what is full width, and what it should be.
struct Text {
    field: Field,
    typed: String,
    /// Invisible characters and stray spaces, in order of appearance (with repeats).
    invisible: Vec<char>,
    /// Whether some character is full width (or a look-alike dash in an ASCII label).
    full_width: bool,
    /// NFKC, `。` as `.`, invisible characters dropped, ends trimmed (for hosts, inner spaces
    /// dropped too); the value the field should hold.
    corrected: String,
    /// As `corrected`, but with inner spaces kept, for reading words.
    folded: String,
    words: Vec<String>,
}

/// A dash or long-vowel mark typed for `-` with a Japanese input method.
fn is_dash_like(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}' | '\u{FF0D}'
    )
}

/// Full-width forms and the ideographic full stops.
fn is_full_width(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{FFE0}'..='\u{FFEE}' | '\u{3002}' | '\u{FF61}')
}

impl Text {
    fn new(typed: &str, field: Field) -> Text {
        let chars: Vec<char> = typed.chars().collect();
        let visible = |c: &char| !c.is_whitespace() && !input::is_invisible(*c);
        let first = chars.iter().position(visible).unwrap_or(chars.len());
        let last = chars.iter().rposition(visible).map_or(0, |i| i + 1);
        let mut invisible = Vec::new();
        let mut full_width = false;
        let mut folded = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let at_end = i < first || i >= last;
            if input::is_invisible(c) {
                invisible.push(c);
                continue;
            }
            if c.is_whitespace() {
                // At the ends every space is stray. Inside, a plain space is visible (it ends
                // a word) but has no place in a host name; any other space is invisible. The
                // address's spaces are the parser's (trimmed with a note, or refused).
                if field != Field::Address && (at_end || c != ' ' || field == Field::Host) {
                    invisible.push(c);
                }
                if !at_end {
                    folded.push(' ');
                }
                continue;
            }
            if is_full_width(c) {
                full_width = true;
                if c == '\u{3002}' || c == '\u{FF61}' {
                    folded.push('.');
                } else {
                    folded.extend(c.to_string().nfkc());
                }
                continue;
            }
            if is_dash_like(c) && ascii_neighbours(&chars, i) {
                full_width = true;
                folded.push('-');
                continue;
            }
            folded.push(c);
        }
        let words = folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        let corrected = match field {
            Field::Host => folded.replace(' ', ""),
            Field::Address | Field::Username => folded.clone(),
        };
        Text {
            field,
            typed: typed.to_string(),
            invisible,
            full_width,
            corrected,
            folded,
            words,
        }
    }

    /// The findings about this text: tied to the server for a host, account-wide (`None`)
    /// for the address and a user name.
    fn findings(&self, base: Option<&Base>) -> Vec<Finding> {
        let finding = |code| base.map_or_else(|| Finding::new(code), |b| b.finding(code));
        let mut out = Vec::new();
        if !self.invisible.is_empty() {
            let mut seen = BTreeSet::new();
            let characters: Vec<String> = self
                .invisible
                .iter()
                .filter(|c| seen.insert(**c))
                .map(|c| format!("U+{:04X}", u32::from(*c)))
                .collect();
            out.push(
                finding(Code::InvisibleCharacters)
                    .param("field", self.field.name())
                    .param("value", &self.typed)
                    .param("shown", shown(&self.typed))
                    .param("characters", characters.join(", "))
                    .param("corrected", &self.corrected),
            );
        }
        if self.full_width {
            let finding = finding(Code::FullWidthCharacters)
                .param("field", self.field.name())
                .param("value", &self.typed)
                .param("corrected", &self.corrected);
            match self.field {
                // A server compares a user name byte for byte; many apps fold a host name.
                Field::Username => out.push(finding.severity(maildoc_model::Severity::Error)),
                Field::Host => out.push(finding),
                // maildoc's own input: folded, with a note (`input-normalized`).
                Field::Address => {}
            }
        }
        out
    }
}

/// Whether the label around position `i` is otherwise ASCII (so a dash-like character there
/// stands for `-`, not for a long vowel in a Japanese word).
fn ascii_neighbours(chars: &[char], i: usize) -> bool {
    let is_sep = |c: char| c == '.' || c == '\u{FF0E}' || c == '\u{3002}' || c == '@';
    let start = chars[..i]
        .iter()
        .rposition(|c| is_sep(*c))
        .map_or(0, |p| p + 1);
    let end = chars[i + 1..]
        .iter()
        .position(|c| is_sep(*c))
        .map_or(chars.len(), |p| i + 1 + p);
    let label = &chars[start..end];
    label.len() > 1
        && label
            .iter()
            .all(|c| c.is_ascii() || is_dash_like(*c) || is_full_width(*c))
}

/// The typed value with invisible characters made visible: `␣` for a space, `<U+200B>` for
/// the others.
fn shown(typed: &str) -> String {
    let chars: Vec<char> = typed.chars().collect();
    let visible = |c: &char| !c.is_whitespace() && !input::is_invisible(*c);
    let first = chars.iter().position(visible).unwrap_or(chars.len());
    let last = chars.iter().rposition(visible).map_or(0, |i| i + 1);
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' && (i < first || i >= last) {
            out.push('␣');
        } else if c == ' ' {
            out.push(' ');
        } else if input::is_invisible(c) || c.is_whitespace() {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A person's name (or another word) where a server name belongs: no dot, and either
/// several words of letters, one capitalised ASCII word (`Taro`), or one word of non-ASCII
/// letters (`山田太郎`).
fn looks_like_a_name(words: &[String]) -> bool {
    let all = words.concat();
    if words.is_empty() || all.contains('.') || all.contains(':') {
        return false;
    }
    let letters = |w: &String| {
        w.chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
    };
    if !words.iter().all(letters) {
        return false;
    }
    match words {
        [_, _, ..] => true,
        [w] => {
            let mut chars = w.chars();
            let capitalised = chars.next().is_some_and(|c| c.is_ascii_uppercase())
                && w.len() >= 2
                && chars.all(|c| c.is_ascii_lowercase());
            capitalised || w.chars().all(|c| !c.is_ascii())
        }
        [] => false,
    }
}

fn is_ip(host: &str) -> bool {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
}

// ---------------------------------------------------------------------------------------
// Names

/// Cyrillic and Greek letters that look like Latin ones, mapped to them.
const HOMOGLYPHS: &[(char, char)] = &[
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ѕ', 's'),
    ('ԁ', 'd'),
    ('һ', 'h'),
    ('ӏ', 'l'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Т', 'T'),
    ('Х', 'X'),
    ('І', 'I'),
    ('ο', 'o'),
    ('Ο', 'O'),
    ('α', 'a'),
    ('ν', 'v'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('ρ', 'p'),
    ('τ', 't'),
    ('Α', 'A'),
    ('Β', 'B'),
    ('Ε', 'E'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Χ', 'X'),
];

/// The name in ASCII with Latin look-alikes put back, case kept; `None` when other non-ASCII
/// characters remain (an internationalized name, never compared).
fn to_latin(name: &str) -> Option<String> {
    name.chars()
        .map(|c| {
            if c.is_ascii() {
                Some(c)
            } else {
                HOMOGLYPHS.iter().find(|(g, _)| *g == c).map(|(_, l)| *l)
            }
        })
        .collect()
}

/// The look-alike class of a character: `1`, `l`, `I`, `|` are one; `0`, `o`, `O` are one;
/// otherwise the character in lower case.
fn look_alike_class(c: char) -> char {
    match c {
        '1' | 'l' | 'I' | '|' => 'l',
        '0' | 'o' | 'O' => 'o',
        c => c.to_ascii_lowercase(),
    }
}

/// Whether `typed` reads like `known` but differs from it (ignoring case) only by
/// look-alike characters. `typed` keeps its case (`I` for `l` matters); lower-case `i` is
/// never a look-alike of `l`.
fn look_alike(typed: &str, known: &str) -> bool {
    if typed.len() != known.len() || typed.eq_ignore_ascii_case(known) {
        return false;
    }
    typed
        .chars()
        .zip(known.chars())
        .all(|(t, k)| t.eq_ignore_ascii_case(&k) || look_alike_class(t) == look_alike_class(k))
}

/// Whether `typed` is a typo of `known` (both lower-case ASCII): exactly one edit apart
/// ([`one_edit`]), in a part of `known` long enough for one changed letter to be a mistake
/// rather than another real name: a label of four or more characters, or the last label
/// (`.con` for `.com`). Short labels have real neighbours (`bol`/`uol`, `q`/`qq`). An edit
/// at a dot belongs to the label before it (`imapgmail.com`, `smtp.qq.com`).
fn typo_of(typed: &str, known: &str) -> bool {
    let Some(mut at) = one_edit(typed, known) else {
        return false;
    };
    if at >= known.len() {
        return true;
    }
    if known.as_bytes()[at] == b'.' && at > 0 {
        at -= 1;
    }
    let start = known[..at].rfind('.').map_or(0, |i| i + 1);
    let end = known[at..].find('.').map_or(known.len(), |i| at + i);
    end == known.len() || end - start >= 4
}

/// Where `a` and `b` (ASCII) differ when they are exactly one edit apart: one letter
/// changed, added or dropped, or two neighbours swapped. An edit that changes, adds or drops
/// a digit, or swaps two digits, does not count (`mail2`, `sv1234`).
fn one_edit(a: &str, b: &str) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return None;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    let digit = |c: &u8| c.is_ascii_digit();
    let ok = match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal if ra[1..] == rb[1..] => !digit(&ra[0]) && !digit(&rb[0]),
        std::cmp::Ordering::Equal => {
            ra.len() >= 2
                && ra[0] == rb[1]
                && ra[1] == rb[0]
                && ra[2..] == rb[2..]
                && !(digit(&ra[0]) && digit(&ra[1]))
        }
        std::cmp::Ordering::Greater => ra.len() == rb.len() + 1 && &ra[1..] == rb && !digit(&ra[0]),
        std::cmp::Ordering::Less => rb.len() == ra.len() + 1 && &rb[1..] == ra && !digit(&rb[0]),
    };
    ok.then_some(prefix)
}

/// The endings of a name: the whole name, then after each dot, with what comes before.
fn tails(name: &str) -> impl Iterator<Item = (&str, &str)> {
    std::iter::once(0)
        .chain(name.match_indices('.').map(|(i, _)| i + 1))
        .filter(move |&i| i < name.len())
        .map(move |i| name.split_at(i))
}

// ---------------------------------------------------------------------------------------
// Joining lint findings with the probe's

/// Lint codes about the host name itself: when one of them applies, what the probe saw of
/// that name (not found, no address, refused by the resolver, unusable) is its consequence.
const HOST_CODES: &[Code] = &[
    Code::HostLooksLikeAddress,
    Code::HostTypo,
    Code::HostLookAlike,
    Code::HostRetired,
    Code::InvisibleCharacters,
];

/// Probe findings a wrong host name explains.
const HOST_CONSEQUENCES: &[Code] = &[
    Code::DnsHostNotFound,
    Code::DnsNoAddress,
    Code::DnsResolverFailure,
    Code::HostLooksLikeAddress,
];

/// Joins lint findings (from [`lint`], tied to the report's server ids) with
/// `report.findings` (from [`crate::diagnose`]), so that one root cause gives one finding:
///
/// - The same code for the same server (a mail address in the host field, SSL/TLS on 587):
///   one finding, the probe's, with its evidence; params the lint adds are kept.
/// - Port and security (`ssl-on-plaintext-port`, `plaintext-on-ssl-port`,
///   `port-of-other-protocol`): once the probe reached the server (a TLS handshake or a
///   greeting), the evidence decides and the lint finding is dropped — the probe found the
///   same mistake, another one (`wrong-protocol-on-port`), or that the combination works.
///   When the server could not be reached (its name does not resolve, say), the lint finding
///   stays: it is the next thing to fix.
/// - `username-form-unexpected` is dropped when a login with that user name was accepted, or
///   when the probe found `auth-username-form` (evidence beats the table).
/// - `smtp-auth-off` is dropped when the probe found `smtp-relay-denied` on that server: that
///   finding says the same, with the server's answer.
/// - A host finding (`host-typo`, `host-look-alike`, `host-retired`,
///   `host-looks-like-address`, `invisible-characters` in the host) takes over the DNS
///   findings of that server (not found, no address, resolver failure) and the probe's
///   `host-looks-like-address`, with their evidence and the more serious severity.
/// - `full-width-characters` and `invisible-characters` take the place of `input-normalized`
///   for the same field (address, user name or host) and text: the lint finding says what to
///   correct in the mail app.
///
/// Order: account-wide findings first, then by server in report order; within a server, the
/// settings before what the probe found.
pub fn merge(report: &Report, lint: Vec<Finding>) -> Vec<Finding> {
    let mut probe: Vec<Finding> = report.findings.clone();
    let mut settings: Vec<Finding> = Vec::new();
    for mut f in lint {
        let ev = f
            .server
            .as_deref()
            .and_then(|id| report.servers.iter().find(|s| s.id == id));
        let probe_has = |code: Code| {
            probe
                .iter()
                .any(|p| p.code == code && p.server.is_some() && p.server == f.server)
        };
        let dropped = match f.code {
            Code::SslOnPlaintextPort | Code::PlaintextOnSslPort | Code::PortOfOtherProtocol => {
                ev.is_some_and(reached)
            }
            Code::UsernameFormUnexpected => {
                ev.is_some_and(logged_in) || probe_has(Code::AuthUsernameForm)
            }
            Code::SmtpAuthOff => probe_has(Code::SmtpRelayDenied),
            _ => false,
        };
        if dropped {
            continue;
        }
        if let Some(p) = probe
            .iter_mut()
            .find(|p| p.code == f.code && p.server.is_some() && p.server == f.server)
        {
            for (k, v) in f.params {
                p.params.entry(k).or_insert(v);
            }
            p.severity = p.severity.min(f.severity);
            continue;
        }
        let about_host = f.params.get("field").is_none_or(|field| field == "host");
        if HOST_CODES.contains(&f.code) && about_host && f.server.is_some() {
            probe.retain(|p| {
                let explained = p.server == f.server && HOST_CONSEQUENCES.contains(&p.code);
                if explained {
                    f.severity = f.severity.min(p.severity);
                    for id in &p.evidence {
                        if !f.evidence.contains(id) {
                            f.evidence.push(id.clone());
                        }
                    }
                }
                !explained
            });
        }
        if matches!(
            f.code,
            Code::FullWidthCharacters | Code::InvisibleCharacters
        ) {
            let field = match f.params.get("field").map(String::as_str) {
                Some(field @ ("username" | "address")) => field.to_string(),
                _ => f
                    .params
                    .get("protocol")
                    .map(|p| p.to_ascii_lowercase())
                    .unwrap_or_default(),
            };
            let value = f.params.get("value").map_or("", |v| v.trim()).to_string();
            probe.retain(|p| {
                !(p.code == Code::InputNormalized
                    && p.params.get("field") == Some(&field)
                    && p.params.get("original").map(|o| o.trim()) == Some(value.as_str()))
            });
        }
        settings.push(f);
    }
    let rank = |f: &Finding| match &f.server {
        None => 0,
        Some(id) => report
            .servers
            .iter()
            .position(|s| &s.id == id)
            .map_or(usize::MAX, |i| i + 1),
    };
    let mut all: Vec<(usize, bool, Finding)> = settings
        .into_iter()
        .map(|f| (rank(&f), false, f))
        .chain(probe.into_iter().map(|f| (rank(&f), true, f)))
        .collect();
    all.sort_by_key(|(rank, from_probe, _)| (*rank, *from_probe));
    all.into_iter().map(|(_, _, f)| f).collect()
}

/// Whether the probe got as far as a TLS handshake or a greeting: far enough to judge the
/// port and security.
fn reached(ev: &ServerEvidence) -> bool {
    ev.steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Tls(_) | StepKind::Greeting { .. }))
}

/// Whether a login was accepted.
fn logged_in(ev: &ServerEvidence) -> bool {
    ev.steps.iter().any(|s| {
        matches!(&s.kind, StepKind::Login(l) if l.outcome == maildoc_model::LoginOutcome::Accepted)
    })
}

#[cfg(test)]
mod tests;
