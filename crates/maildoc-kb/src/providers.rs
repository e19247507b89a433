//! What maildoc knows about mail providers, with no network: maildoc's own provider table
//! (`data/providers.toml`, written from the providers' public help pages) and the whole
//! Thunderbird ISPDB snapshot (`data/ispdb/*.xml`, MPL-2.0, embedded unchanged).
//!
//! Both are parsed once, on first use. The own table comes first everywhere: it wins over the
//! ISPDB for the same domain, MX or host.
//!
//! Some ISPDB servers use templates the caller must fill in for an address: the user name
//! (`UsernameRule::Other("%EMAILLOCALPART%.%EMAILDOMAIN%")`) and, in a few files, the host name
//! (`mail.%EMAILDOMAIN%`). [`host_for`] and [`username_for`] do that.

use crate::Lang;
use maildoc_model::provider::{
    Grade, ProviderInfo, ProviderServer, ProviderSource, RetiredSetting, UsernameRule,
};
use maildoc_model::{Protocol, Security};
use quick_xml::events::{BytesStart, Event};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/ispdb_files.rs"));

/// The own table, as written.
const TABLE: &str = include_str!("../data/providers.toml");

/// Every known provider: the own table first (in file order), then the ISPDB (by file name).
pub fn all() -> &'static [ProviderInfo] {
    &db().providers
}

/// The provider whose mail domains include `domain` (case-insensitive; a trailing dot and
/// surrounding spaces are ignored). The own table wins over the ISPDB; within the own table
/// an exact domain wins over a `*.parent` entry, and the longest parent wins.
pub fn for_domain(domain: &str) -> Option<&'static ProviderInfo> {
    let domain = normalize(domain);
    if domain.is_empty() {
        return None;
    }
    let db = db();
    let own = &db.providers[..db.own_count];
    let ispdb = &db.providers[db.own_count..];
    if let Some(p) = own.iter().find(|p| p.domains.contains(&domain)) {
        return Some(p);
    }
    let wildcard = own
        .iter()
        .filter_map(|p| {
            p.domains
                .iter()
                .filter_map(|d| d.strip_prefix("*."))
                .filter(|parent| is_strict_subdomain(&domain, parent))
                .map(str::len)
                .max()
                .map(|len| (len, p))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, p)| p);
    wildcard.or_else(|| ispdb.iter().find(|p| p.domains.contains(&domain)))
}

/// The provider that runs mail for a domain whose MX host is `mx_host`, recognised by the
/// provider's MX suffixes (`aspmx.l.google.com` → `google.com`). For ISPDB files these are the
/// domains the file documents as MX domains. The own table wins; within a table, the longest
/// matching suffix wins.
pub fn for_mx(mx_host: &str) -> Option<&'static ProviderInfo> {
    let host = normalize(mx_host);
    if host.is_empty() {
        return None;
    }
    let db = db();
    let best = |providers: &'static [ProviderInfo]| {
        providers
            .iter()
            .filter_map(|p| {
                p.mx_suffixes
                    .iter()
                    .filter(|s| host == **s || is_strict_subdomain(&host, s))
                    .map(String::len)
                    .max()
                    .map(|len| (len, p))
            })
            // On equal length the earlier provider wins (`max_by_key` keeps the last).
            .fold(
                None,
                |acc: Option<(usize, &'static ProviderInfo)>, x| match acc {
                    Some(a) if a.0 >= x.0 => Some(a),
                    _ => Some(x),
                },
            )
            .map(|(_, p)| p)
    };
    best(&db.providers[..db.own_count]).or_else(|| best(&db.providers[db.own_count..]))
}

/// The shared-hosting provider whose certificates carry `name` (a DNS name from a
/// certificate, possibly a wildcard such as `*.sakura.ne.jp`), when the own table knows the
/// hoster's certificate names. A wildcard name matches a pattern with the same parent; a
/// plain name matches a pattern it falls under.
pub fn hosting_for_cert_name(name: &str) -> Option<&'static ProviderInfo> {
    let name = normalize(name);
    if name.is_empty() {
        return None;
    }
    let db = db();
    db.cert_patterns
        .iter()
        .find(|(pattern, _)| cert_name_matches(&name, pattern))
        .map(|(_, index)| &db.providers[*index])
}

/// The text of a provider note in `lang`, e.g. `note("softbank-mms-only", Lang::Ja)`.
pub fn note(id: &str, lang: Lang) -> Option<&'static str> {
    db().notes.get(&(id.to_string(), lang)).map(String::as_str)
}

/// Every host name documented by a provider (own table and ISPDB, servers and retired hosts),
/// lowercase, sorted and without duplicates. Templates (`mail.%EMAILDOMAIN%`) and retired
/// name patterns (`*.mail.plala.or.jp`) are left out. Meant for typo detection
/// (`imap.gmial.com`).
pub fn known_hosts() -> Vec<&'static str> {
    let mut hosts: BTreeSet<&'static str> = BTreeSet::new();
    for p in all() {
        for s in &p.servers {
            if let Some(h) = s.host.as_deref().filter(|h| !h.contains('%')) {
                hosts.insert(h);
            }
        }
        hosts.extend(retired_names(p));
    }
    hosts.into_iter().collect()
}

/// The retired host names of a provider that are names, not `*.` patterns.
pub fn retired_names(p: &ProviderInfo) -> impl Iterator<Item = &str> {
    p.retired
        .iter()
        .filter_map(|r| r.host.as_deref())
        .filter(|h| !h.starts_with("*."))
}

/// The host to connect to for `server` and `address`: ISPDB host templates
/// (`%EMAILDOMAIN%`, ...) are filled in. `None` when the host depends on the customer's
/// contract (hosting companies) — the provider's notes say where to find it.
pub fn host_for(server: &ProviderServer, address: &str) -> Option<String> {
    server
        .host
        .as_deref()
        .map(|h| expand(h, address).to_ascii_lowercase())
}

/// The user name `server` expects for `address`, or `None` when it is not derived from the
/// address (`UsernameRule::Other` naming something like a d-account ID).
pub fn username_for(server: &ProviderServer, address: &str) -> Option<String> {
    match &server.username {
        UsernameRule::Address => Some(address.to_string()),
        UsernameRule::LocalPart => Some(split_address(address).0.to_string()),
        UsernameRule::Other(t) if t.contains("%EMAIL") => Some(expand(t, address)),
        UsernameRule::Other(_) => None,
    }
}

/// The own-table entries' source pages (all of them, first = [`ProviderSource::Table`] url),
/// by provider id. For documentation and reports.
pub fn table_urls(id: &str) -> Option<&'static [String]> {
    db().urls.get(id).map(Vec::as_slice)
}

/// The certificate patterns the own table lists for provider `id`.
pub fn cert_patterns(id: &str) -> Vec<&'static str> {
    let db = db();
    db.cert_patterns
        .iter()
        .filter(|(_, i)| db.providers[*i].id == id)
        .map(|(p, _)| p.as_str())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Matching helpers

fn normalize(s: &str) -> String {
    s.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `name` is a subdomain of `parent` (not equal to it).
fn is_strict_subdomain(name: &str, parent: &str) -> bool {
    name.len() > parent.len() + 1
        && name.ends_with(parent)
        && name.as_bytes()[name.len() - parent.len() - 1] == b'.'
}

fn cert_name_matches(name: &str, pattern: &str) -> bool {
    match (name.strip_prefix("*."), pattern.strip_prefix("*.")) {
        (Some(n), Some(p)) => n == p,
        (None, Some(p)) => {
            is_strict_subdomain(name, p) && !name[..name.len() - p.len() - 1].contains('.')
        }
        (_, None) => name == pattern,
    }
}

fn split_address(address: &str) -> (&str, &str) {
    match address.rsplit_once('@') {
        Some((local, domain)) => (local, domain),
        None => (address, ""),
    }
}

/// Fills the ISPDB placeholders. Two ISPDB files spell `%EMAILADDRESS` without the closing
/// `%`; that form is accepted too.
fn expand(template: &str, address: &str) -> String {
    let (local, domain) = split_address(address);
    template
        .replace("%EMAILADDRESS%", address)
        .replace("%EMAILADDRESS", address)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
}

// ---------------------------------------------------------------------------------------------
// Loading

struct Db {
    providers: Vec<ProviderInfo>,
    /// How many of `providers` come from the own table (they come first).
    own_count: usize,
    notes: BTreeMap<(String, Lang), String>,
    urls: BTreeMap<String, Vec<String>>,
    /// (pattern, index into `providers`), own-table order.
    cert_patterns: Vec<(String, usize)>,
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| {
        // The tests rule out failures; a broken file must never take the program down.
        let own = parse_table(TABLE).unwrap_or_default();
        let mut providers: Vec<ProviderInfo> = Vec::new();
        let mut urls = BTreeMap::new();
        let mut cert_patterns = Vec::new();
        for raw in own.provider {
            let index = providers.len();
            let patterns: Vec<String> = raw.cert_patterns.iter().map(|p| normalize(p)).collect();
            let raw_urls = raw.urls.clone();
            if let Ok(info) = raw.into_info() {
                urls.insert(info.id.clone(), raw_urls);
                cert_patterns.extend(patterns.into_iter().map(|p| (p, index)));
                providers.push(info);
            }
        }
        let own_count = providers.len();
        providers.extend(
            ISPDB_FILES
                .iter()
                .filter_map(|(file, xml)| parse_ispdb(file, xml).ok()),
        );
        let mut notes = BTreeMap::new();
        for (id, texts) in own.note {
            notes.insert((id.clone(), Lang::Ja), texts.ja.trim().to_string());
            notes.insert((id, Lang::En), texts.en.trim().to_string());
        }
        Db {
            providers,
            own_count,
            notes,
            urls,
            cert_patterns,
        }
    })
}

// ---- own table -----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    provider: Vec<RawProvider>,
    #[serde(default)]
    note: BTreeMap<String, RawNote>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNote {
    ja: String,
    en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    id: String,
    name: String,
    urls: Vec<String>,
    domains: Vec<String>,
    #[serde(default)]
    mx_suffixes: Vec<String>,
    #[serde(default)]
    cert_patterns: Vec<String>,
    #[serde(default)]
    retired: Vec<RawRetired>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    not_for_mail_apps: bool,
    #[serde(default)]
    server: Vec<RawServer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    protocol: Protocol,
    host: Option<String>,
    port: u16,
    security: Security,
    username: RawUsername,
    username_other: Option<String>,
    grade: Grade,
    username_grade: Option<Grade>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetired {
    host: Option<String>,
    protocol: Option<Protocol>,
    port: Option<u16>,
    security: Option<Security>,
    since: String,
    grade: Grade,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawUsername {
    Address,
    LocalPart,
    Other,
}

fn parse_table(text: &str) -> Result<RawTable, String> {
    toml::from_str(text).map_err(|e| format!("data/providers.toml: {e}"))
}

impl RawProvider {
    fn into_info(self) -> Result<ProviderInfo, String> {
        let id = self.id;
        let url = self
            .urls
            .first()
            .cloned()
            .ok_or_else(|| format!("{id}: no url"))?;
        let servers = self
            .server
            .into_iter()
            .map(|s| {
                let username = match (s.username, s.username_other) {
                    (RawUsername::Address, None) => UsernameRule::Address,
                    (RawUsername::LocalPart, None) => UsernameRule::LocalPart,
                    (RawUsername::Other, Some(name)) => UsernameRule::Other(name),
                    (RawUsername::Other, None) => {
                        return Err(format!("{id}: username = \"other\" needs username_other"));
                    }
                    (_, Some(_)) => {
                        return Err(format!("{id}: username_other without username = \"other\""));
                    }
                };
                Ok(ProviderServer {
                    protocol: s.protocol,
                    host: s.host.map(|h| normalize(&h)),
                    port: s.port,
                    security: s.security,
                    username,
                    grade: s.grade,
                    username_grade: s.username_grade.unwrap_or(s.grade),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let retired = self
            .retired
            .into_iter()
            .map(|r| {
                if r.host.is_none() && r.port.is_none() && r.security.is_none() {
                    return Err(format!(
                        "{id}: a retired setting names no host, port or security"
                    ));
                }
                if r.since.trim().is_empty() {
                    return Err(format!("{id}: a retired setting without `since`"));
                }
                Ok(RetiredSetting {
                    host: r.host.map(|h| normalize(&h)),
                    protocol: r.protocol,
                    port: r.port,
                    security: r.security,
                    since: r.since.trim().to_string(),
                    grade: r.grade,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(ProviderInfo {
            name: self.name,
            source: ProviderSource::Table { url },
            domains: self.domains.iter().map(|d| normalize(d)).collect(),
            mx_suffixes: self.mx_suffixes.iter().map(|d| normalize(d)).collect(),
            servers,
            retired,
            notes: self.notes,
            not_for_mail_apps: self.not_for_mail_apps,
            id,
        })
    }
}

// ---- ISPDB ---------------------------------------------------------------------------------

/// One server element of an ISPDB file, as read.
#[derive(Debug, Default)]
struct XmlServer {
    kind: String,
    hostname: Option<String>,
    port: Option<String>,
    socket_type: Option<String>,
    username: Option<String>,
}

/// Where the reader is: the element names from the root down.
fn path_is(stack: &[String], path: &[&str]) -> bool {
    stack.len() == path.len() && stack.iter().zip(path).all(|(a, b)| a == b)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    let found = e.try_get_attribute(name).map_err(|err| err.to_string())?;
    found
        .map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .map_err(|err| err.to_string())
        })
        .transpose()
}

/// Reads one ISPDB file. The id is the file name without `.xml` (unique, unlike the
/// `emailProvider id` attribute, which six Zoho files share).
fn parse_ispdb(file: &str, xml: &str) -> Result<ProviderInfo, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut display_name = None;
    let mut domains: Vec<String> = Vec::new();
    let mut mx_domains: Vec<String> = Vec::new();
    // The domains right after a comment that mentions MX, up to the next comment or other
    // element, are MX domains.
    let mut in_mx_group = false;
    let mut servers: Vec<(bool, XmlServer)> = Vec::new(); // (incoming, server)
    let mut current: Option<(bool, XmlServer)> = None;
    let mut provider_seen = false;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{file}: {e} at byte {}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if path_is(&stack, &["clientConfig", "emailProvider"]) {
                    if name != "domain" {
                        in_mx_group = false;
                    }
                    if name == "incomingServer" || name == "outgoingServer" {
                        let kind = attr(&e, "type")?.unwrap_or_default();
                        current = Some((
                            name == "incomingServer",
                            XmlServer {
                                kind,
                                ..XmlServer::default()
                            },
                        ));
                    }
                }
                if stack.len() == 1 && name == "emailProvider" {
                    provider_seen = true;
                }
                stack.push(name);
                text.clear();
            }
            Event::Empty(_) if path_is(&stack, &["clientConfig", "emailProvider"]) => {
                in_mx_group = false;
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| format!("{file}: {e}"))? {
                    text.push(c);
                } else {
                    let name = r.into_inner();
                    let value = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("{file}: unknown entity &{name};"))?;
                    text.push_str(value);
                }
            }
            Event::Comment(c) if path_is(&stack, &["clientConfig", "emailProvider"]) => {
                in_mx_group = mentions_mx(&c.xml10_content());
            }
            Event::End(_) => {
                let value = text.trim().to_string();
                let depth = stack.len();
                let name = stack.pop().unwrap_or_default();
                match (depth, name.as_str()) {
                    (3, "domain") => {
                        let d = normalize(&value);
                        if !d.is_empty() {
                            if in_mx_group && !mx_domains.contains(&d) {
                                mx_domains.push(d.clone());
                            }
                            if !domains.contains(&d) {
                                domains.push(d);
                            }
                        }
                    }
                    (3, "displayName") => display_name = Some(value),
                    (3, "incomingServer" | "outgoingServer") => {
                        if let Some(s) = current.take() {
                            servers.push(s);
                        }
                    }
                    (4, field) => {
                        if let Some((_, s)) = current.as_mut() {
                            match field {
                                "hostname" => s.hostname = Some(value),
                                "port" => s.port = Some(value),
                                "socketType" => s.socket_type = Some(value),
                                "username" => s.username = Some(value),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !provider_seen {
        return Err(format!("{file}: no emailProvider"));
    }
    let id = file.strip_suffix(".xml").unwrap_or(file).to_string();
    // A server without a user name takes the rule of the first incoming server.
    let default_username = servers
        .iter()
        .find(|(incoming, s)| *incoming && s.username.is_some())
        .and_then(|(_, s)| s.username.clone())
        .unwrap_or_else(|| "%EMAILADDRESS%".to_string());
    let servers = servers
        .iter()
        .filter_map(|(_, s)| convert_server(s, &default_username))
        .collect();
    Ok(ProviderInfo {
        name: display_name.unwrap_or_else(|| id.clone()),
        source: ProviderSource::Ispdb {
            file: file.to_string(),
        },
        domains,
        mx_suffixes: mx_domains,
        servers,
        retired: Vec::new(),
        notes: Vec::new(),
        not_for_mail_apps: false,
        id,
    })
}

/// Whether an ISPDB comment marks the domains after it as MX domains ("MX", "MX domain",
/// "Hosting customers, MX servers"); "MX" must stand as a word.
fn mentions_mx(comment: &str) -> bool {
    comment
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "MX")
}

fn convert_server(s: &XmlServer, default_username: &str) -> Option<ProviderServer> {
    let protocol = match s.kind.as_str() {
        "imap" => Protocol::Imap,
        "pop3" => Protocol::Pop3,
        "smtp" => Protocol::Smtp,
        _ => return None, // exchange, ews, owa, graph
    };
    let security = match s.socket_type.as_deref()? {
        "SSL" => Security::Tls,
        "STARTTLS" => Security::Starttls,
        "plain" => Security::Plain,
        _ => return None,
    };
    let port = s.port.as_deref()?.trim().parse().ok()?;
    // Templates (`mail.%EMAILDOMAIN%`) keep their case so that `host_for` can fill them in.
    let host = s
        .hostname
        .as_deref()
        .map(|h| {
            if h.contains('%') {
                h.trim().to_string()
            } else {
                normalize(h)
            }
        })
        .filter(|h| !h.is_empty())?;
    let template = s.username.as_deref().unwrap_or(default_username);
    let username = match template {
        "%EMAILADDRESS%" | "%EMAILADDRESS" => UsernameRule::Address,
        "%EMAILLOCALPART%" => UsernameRule::LocalPart,
        other => UsernameRule::Other(other.to_string()),
    };
    // An open-source client's table: grade B by definition.
    Some(ProviderServer {
        protocol,
        host: Some(host),
        port,
        security,
        username,
        grade: Grade::B,
        username_grade: Grade::B,
    })
}

/// The content of `docs/providers.md`: maildoc's own table with its sources, and a summary of
/// the embedded ISPDB.
pub fn providers_markdown() -> String {
    let db = db();
    let mut md = String::new();
    md.push_str("# Provider knowledge\n\n");
    md.push_str(
        "<!-- Generated from crates/maildoc-kb/data/providers.toml and data/ispdb by \
         maildoc-kb. Do not edit by hand: edit the data and run \
         `MAILDOC_BLESS=1 cargo test -p maildoc-kb`. -->\n\n",
    );
    md.push_str(
        "maildoc knows mail providers from two embedded sources, with no network: its own \
         table, written from the providers' public pages, and the Thunderbird ISPDB snapshot \
         (MPL-2.0, see `crates/maildoc-kb/data/ispdb/SOURCE.md`). The own table wins over the \
         ISPDB for the same domain or MX. Where a fact could not be found in a source it is \
         left out, and the entry's notes say where to look.\n\n\
         Every server carries a grade for its host, port and security, and one for its user \
         name (shown after a slash when it differs): **A** the provider's own page, **B** an \
         open-source mail client's provider table (every ISPDB value is B), **C** a \
         third-party page, **D** real configurations in public code. `maildoc discover` shows \
         C and D values as seen working but not confirmed by the provider. Retired settings \
         feed the settings lint (`host-retired`, `setting-retired`), with the date the \
         sources give.\n\n",
    );
    md.push_str("## Own table\n\n");
    md.push_str("| id | name | domains | MX suffixes | servers | retired | notes | sources |\n");
    md.push_str("|---|---|---|---|---|---|---|---|\n");
    for p in &db.providers[..db.own_count] {
        let servers: Vec<String> = p
            .servers
            .iter()
            .map(|s| {
                let user = match &s.username {
                    UsernameRule::Address => "address".to_string(),
                    UsernameRule::LocalPart => "local part".to_string(),
                    UsernameRule::Other(o) => o.clone(),
                };
                let grade = if s.username_grade == s.grade {
                    s.grade.as_str().to_string()
                } else {
                    format!("{}/{}", s.grade.as_str(), s.username_grade.as_str())
                };
                format!(
                    "{} {}:{} {} ({}) {grade}",
                    s.protocol.label(),
                    s.host.as_deref().unwrap_or("(per contract)"),
                    s.port,
                    s.security.as_str(),
                    user
                )
            })
            .collect();
        let retired: Vec<String> = p
            .retired
            .iter()
            .map(|r| {
                let what = [
                    r.protocol.map(|p| p.label().to_string()),
                    r.host.clone(),
                    r.port.map(|p| format!("port {p}")),
                    r.security.map(|s| s.as_str().to_string()),
                ];
                let what: Vec<String> = what.into_iter().flatten().collect();
                format!(
                    "{} (since {}) {}",
                    what.join(" "),
                    r.since,
                    r.grade.as_str()
                )
            })
            .collect();
        let mut domains = p.domains.join(", ");
        if p.not_for_mail_apps {
            domains.push_str(" (not for mail apps)");
        }
        let urls: Vec<String> = db
            .urls
            .get(&p.id)
            .map(|u| u.iter().map(|u| format!("<{u}>")).collect())
            .unwrap_or_default();
        md.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            p.id,
            p.name.replace('|', "\\|"),
            domains,
            p.mx_suffixes.join(", "),
            servers.join("<br>"),
            retired.join("<br>"),
            p.notes
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" "),
            urls.join("<br>"),
        ));
    }
    md.push_str("\n## Notes\n\n");
    let ids: BTreeSet<&String> = db.providers[..db.own_count]
        .iter()
        .flat_map(|p| &p.notes)
        .collect();
    for id in ids {
        md.push_str(&format!("### `{id}`\n\n"));
        for (lang, label) in [(Lang::En, "English"), (Lang::Ja, "日本語")] {
            md.push_str(&format!(
                "- {label}: {}\n",
                note(id, lang).unwrap_or("(missing)")
            ));
        }
        md.push('\n');
    }
    let ispdb = &db.providers[db.own_count..];
    md.push_str("## ISPDB snapshot\n\n");
    md.push_str(&format!(
        "{} files, {} provider domains, {} servers (IMAP, POP3, SMTP), {} MX domains.\n",
        ispdb.len(),
        ispdb.iter().map(|p| p.domains.len()).sum::<usize>(),
        ispdb.iter().map(|p| p.servers.len()).sum::<usize>(),
        ispdb.iter().map(|p| p.mx_suffixes.len()).sum::<usize>(),
    ));
    md
}

#[cfg(test)]
mod tests;
