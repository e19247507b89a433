//! Parsers of the DNS and policy records `maildoc domain` reads: DMARC (RFC 7489), DKIM keys
//! (RFC 6376 §3.6.1), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460). Errors are short English
//! details that go into a finding's `detail` param.

use std::collections::BTreeMap;

/// `tag=value; ...` lists (DMARC, DKIM, MTA-STS, TLS-RPT). Tags are lower-cased; a repeated
/// tag is an error.
pub fn tag_list(record: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in record.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((tag, value)) = part.split_once('=') else {
            return Err(format!("\"{part}\" is not tag=value"));
        };
        let tag = tag.trim().to_ascii_lowercase();
        if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("bad tag name \"{tag}\""));
        }
        if out.iter().any(|(t, _)| *t == tag) {
            return Err(format!("tag {tag}= appears twice"));
        }
        out.push((tag, value.trim().to_string()));
    }
    Ok(out)
}

/// Whether a TXT record is a DMARC record (RFC 7489 §6.6.3: it starts with `v=DMARC1`).
pub fn is_dmarc(txt: &str) -> bool {
    let first = txt.split(';').next().unwrap_or_default();
    first
        .split_once('=')
        .is_some_and(|(tag, value)| tag.trim() == "v" && value.trim() == "DMARC1")
}

/// A parsed DMARC record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dmarc {
    pub p: String,
    pub sp: Option<String>,
    pub np: Option<String>,
    pub pct: u8,
    pub adkim: char,
    pub aspf: char,
    /// The `mailto:` addresses of rua and ruf.
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
}

pub fn parse_dmarc(txt: &str) -> Result<Dmarc, String> {
    let tags = tag_list(txt)?;
    let map: BTreeMap<&str, &str> = tags.iter().map(|(t, v)| (t.as_str(), v.as_str())).collect();
    match tags.first() {
        Some((t, v)) if t == "v" && v == "DMARC1" => {}
        _ => return Err("the record must start with v=DMARC1".into()),
    }
    let policy = |tag: &str| -> Result<Option<String>, String> {
        match map.get(tag) {
            None => Ok(None),
            Some(v) => {
                let v = v.to_ascii_lowercase();
                if ["none", "quarantine", "reject"].contains(&v.as_str()) {
                    Ok(Some(v))
                } else {
                    Err(format!("{tag}={v} is not none, quarantine or reject"))
                }
            }
        }
    };
    let Some(p) = policy("p")? else {
        return Err("the p= tag (policy) is missing".into());
    };
    let sp = policy("sp")?;
    let np = policy("np")?;
    let pct = match map.get("pct") {
        None => 100,
        Some(v) => match v.parse::<u8>() {
            Ok(n) if n <= 100 => n,
            _ => return Err(format!("pct={v} is not a number from 0 to 100")),
        },
    };
    let mode = |tag: &str| -> Result<char, String> {
        match map.get(tag).map(|v| v.to_ascii_lowercase()) {
            None => Ok('r'),
            Some(v) if v == "r" || v == "s" => Ok(v.chars().next().unwrap_or('r')),
            Some(v) => Err(format!("{tag}={v} is not r or s")),
        }
    };
    let adkim = mode("adkim")?;
    let aspf = mode("aspf")?;
    let uris = |tag: &str| -> Result<Vec<String>, String> {
        let Some(v) = map.get(tag) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for uri in v.split(',') {
            let uri = uri.trim();
            // An optional size limit follows a `!` (RFC 7489 §6.2).
            let uri = uri.split('!').next().unwrap_or_default();
            let Some(addr) = uri
                .get(..7)
                .filter(|s| s.eq_ignore_ascii_case("mailto:"))
                .map(|_| &uri[7..])
            else {
                return Err(format!("{tag}= \"{uri}\" is not a mailto: address"));
            };
            if !addr.contains('@') || addr.ends_with('@') {
                return Err(format!("{tag}= \"{uri}\" has no domain"));
            }
            out.push(addr.to_string());
        }
        Ok(out)
    };
    Ok(Dmarc {
        p,
        sp,
        np,
        pct,
        adkim,
        aspf,
        rua: uris("rua")?,
        ruf: uris("ruf")?,
    })
}

/// What a DKIM key record says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DkimKey {
    /// `p=` is empty: the key is revoked.
    Revoked {
        testing: bool,
    },
    Rsa {
        bits: u32,
        testing: bool,
    },
    Ed25519 {
        testing: bool,
    },
    /// Another key type or a key that does not parse.
    Unusable {
        detail: String,
        testing: bool,
    },
}

impl DkimKey {
    pub fn testing(&self) -> bool {
        match self {
            DkimKey::Revoked { testing }
            | DkimKey::Rsa { testing, .. }
            | DkimKey::Ed25519 { testing }
            | DkimKey::Unusable { testing, .. } => *testing,
        }
    }
}

/// Whether a TXT record at `<selector>._domainkey` looks like a DKIM key record (it has a p=
/// tag, or starts with v=DKIM1).
pub fn is_dkim_key(txt: &str) -> bool {
    tag_list(txt).is_ok_and(|tags| {
        tags.iter()
            .any(|(t, v)| t == "p" || (t == "v" && v == "DKIM1"))
    })
}

pub fn parse_dkim_key(txt: &str) -> DkimKey {
    let tags = match tag_list(txt) {
        Ok(t) => t,
        Err(detail) => {
            return DkimKey::Unusable {
                detail,
                testing: false,
            };
        }
    };
    let get = |tag: &str| tags.iter().find(|(t, _)| t == tag).map(|(_, v)| v.as_str());
    let testing = get("t").is_some_and(|flags| flags.split(':').any(|f| f.trim() == "y"));
    let Some(p) = get("p") else {
        return DkimKey::Unusable {
            detail: "no p= tag".into(),
            testing,
        };
    };
    let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    if p.is_empty() {
        return DkimKey::Revoked { testing };
    }
    let Some(der) = base64_decode(&p) else {
        return DkimKey::Unusable {
            detail: "p= is not base64".into(),
            testing,
        };
    };
    match get("k").unwrap_or("rsa").to_ascii_lowercase().as_str() {
        "rsa" => match rsa_modulus_bits(&der) {
            Some(bits) => DkimKey::Rsa { bits, testing },
            None => DkimKey::Unusable {
                detail: "p= is not an RSA public key".into(),
                testing,
            },
        },
        "ed25519" if der.len() == 32 => DkimKey::Ed25519 { testing },
        "ed25519" => DkimKey::Unusable {
            detail: format!("an ed25519 key has 32 bytes, not {}", der.len()),
            testing,
        },
        other => DkimKey::Unusable {
            detail: format!("unknown key type k={other}"),
            testing,
        },
    }
}

/// Standard base64 with optional padding.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// One DER element: (tag, content, rest).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (usize::from(len0), rest)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The modulus length of an RSA key given as SubjectPublicKeyInfo (what DKIM publishes) or
/// as a bare RSAPublicKey (which some signers publish too).
fn rsa_modulus_bits(key: &[u8]) -> Option<u32> {
    let (tag, seq, _) = der(key)?;
    if tag != 0x30 {
        return None;
    }
    let (first_tag, first, after) = der(seq)?;
    let rsa_key = match first_tag {
        0x02 => seq, // RSAPublicKey: the modulus comes first
        0x30 => {
            // AlgorithmIdentifier, then the BIT STRING holding RSAPublicKey.
            let (oid_tag, oid, _) = der(first)?;
            const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
            if oid_tag != 0x06 || oid != RSA_OID {
                return None;
            }
            let (bs_tag, bits, _) = der(after)?;
            if bs_tag != 0x03 || bits.first() != Some(&0) {
                return None;
            }
            let (t, inner, _) = der(&bits[1..])?;
            if t != 0x30 {
                return None;
            }
            inner
        }
        _ => return None,
    };
    let (t, modulus, _) = der(rsa_key)?;
    if t != 0x02 {
        return None;
    }
    let m: Vec<u8> = modulus.iter().copied().skip_while(|&b| b == 0).collect();
    let first = *m.first()?;
    Some((m.len() as u32 - 1) * 8 + (8 - first.leading_zeros()))
}

/// Whether a TXT record at `<selector>._bimi` is a BIMI record (starts with `v=BIMI1`).
pub fn is_bimi(txt: &str) -> bool {
    let first = txt.split(';').next().unwrap_or_default();
    first
        .split_once('=')
        .is_some_and(|(tag, value)| tag.trim() == "v" && value.trim().eq_ignore_ascii_case("BIMI1"))
}

/// A BIMI assertion record: where the logo is (`l=`) and where the mark certificate is
/// (`a=`); both empty means the domain declines to show a logo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BimiRecord {
    pub logo: String,
    pub certificate: String,
}

/// Parses a BIMI record (the BIMI group's draft, section 4.2): `v=BIMI1`, then `l=` and
/// `a=`, each empty or one `https://` URL.
pub fn parse_bimi(txt: &str) -> Result<BimiRecord, String> {
    let tags = tag_list(txt)?;
    match tags.first() {
        Some((t, v)) if t == "v" && v.eq_ignore_ascii_case("BIMI1") => {}
        _ => return Err("the record must start with v=BIMI1".into()),
    }
    let url = |tag: &str| -> Result<String, String> {
        let value = tags
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        let https = value
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
        if value.is_empty() || (https && value.len() > 8 && !value.contains([',', ' '])) {
            Ok(value)
        } else {
            Err(format!("{tag}={value} is not one https:// URL"))
        }
    };
    Ok(BimiRecord {
        logo: url("l")?,
        certificate: url("a")?,
    })
}

/// Whether a TXT record at `_mta-sts` is an MTA-STS record (starts with `v=STSv1`).
pub fn is_mta_sts(txt: &str) -> bool {
    txt.trim_start().starts_with("v=STSv1")
}

/// Checks an MTA-STS TXT record (RFC 8461 §3.1): `v=STSv1; id=<1-32 alphanumerics>;`.
pub fn check_mta_sts_txt(txt: &str) -> Result<String, String> {
    let tags = tag_list(txt)?;
    match tags.first() {
        Some((t, v)) if t == "v" && v == "STSv1" => {}
        _ => return Err("the record must start with v=STSv1".into()),
    }
    let Some((_, id)) = tags.iter().find(|(t, _)| t == "id") else {
        return Err("the id= tag is missing".into());
    };
    if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("id={id} is not 1 to 32 letters and digits"));
    }
    Ok(id.clone())
}

/// An MTA-STS policy file (RFC 8461 §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsPolicy {
    pub mode: String,
    pub max_age: u64,
    pub mx: Vec<String>,
}

pub fn parse_sts_policy(body: &str) -> Result<StsPolicy, String> {
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    for line in body.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("line \"{line}\" is not key: value"));
        };
        let value = value.trim();
        match key.trim() {
            "version" => version = Some(value.to_string()),
            "mode" => mode = Some(value.to_string()),
            "max_age" => {
                max_age = Some(
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n <= 31_557_600)
                        .ok_or_else(|| format!("max_age: {value} is not 0 to 31557600"))?,
                )
            }
            "mx" => mx.push(value.to_ascii_lowercase()),
            _ => {} // unknown keys are ignored (RFC 8461 §3.2)
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err("the policy has no \"version: STSv1\" line".into());
    }
    let mode = mode.ok_or("the policy has no mode: line")?;
    if !["enforce", "testing", "none"].contains(&mode.as_str()) {
        return Err(format!("mode: {mode} is not enforce, testing or none"));
    }
    let max_age = max_age.ok_or("the policy has no max_age: line")?;
    if mx.is_empty() && mode != "none" {
        return Err("the policy lists no mx: line".into());
    }
    Ok(StsPolicy { mode, max_age, mx })
}

/// Whether an MX host matches an MTA-STS `mx:` pattern (a leading `*.` matches one label).
pub fn sts_mx_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(label, parent)| !label.is_empty() && parent == rest),
        None => pattern == host,
    }
}

/// Whether a TXT record is a TLS-RPT record as a sender selects them (RFC 8460 §3: it begins
/// with `v=TLSRPTv1`, then `;`, spaces or nothing). Only these count when a sender looks for
/// exactly one record.
pub fn is_tlsrpt(txt: &str) -> bool {
    txt.strip_prefix("v=TLSRPTv1").is_some_and(|rest| {
        rest.trim_start_matches([' ', '\t'])
            .chars()
            .next()
            .is_none_or(|c| c == ';')
    })
}

/// Whether a TXT record was meant as a TLS-RPT record but does not begin the way senders
/// look for: another version, another case, spaces before it or around `=`.
pub fn looks_like_tlsrpt(txt: &str) -> bool {
    let first = txt.split(';').next().unwrap_or_default();
    first.split_once('=').is_some_and(|(tag, value)| {
        tag.trim().eq_ignore_ascii_case("v")
            && value
                .trim()
                .get(..6)
                .is_some_and(|v| v.eq_ignore_ascii_case("TLSRPT"))
    })
}

/// Checks a TLS-RPT record (RFC 8460 §3): `v=TLSRPTv1` first, then `tag=value` fields
/// separated by `;` (spaces allowed around `;`, none around `=`), a `rua=` tag holding a
/// comma-separated list of `mailto:` and `https:` URIs. Unknown tags are allowed. Returns the
/// rua URIs.
pub fn parse_tlsrpt(txt: &str) -> Result<Vec<String>, String> {
    let Some(rest) = txt.strip_prefix("v=TLSRPTv1").filter(|_| is_tlsrpt(txt)) else {
        let first = txt.split(';').next().unwrap_or_default();
        return Err(format!(
            "the record must begin with v=TLSRPTv1, not \"{first}\""
        ));
    };
    let mut rua: Option<&str> = None;
    let mut tags: Vec<&str> = Vec::new();
    for field in rest.split(';').skip(1) {
        let field = field.trim_matches([' ', '\t']);
        if field.is_empty() {
            continue;
        }
        let Some((tag, value)) = field.split_once('=') else {
            return Err(format!("\"{field}\" is not tag=value"));
        };
        if tag != tag.trim() || value != value.trim_start() {
            return Err(format!("\"{field}\" has a space around ="));
        }
        let tag_ok = tag.len() <= 32
            && tag
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !tag_ok {
            return Err(format!("bad tag name \"{tag}\""));
        }
        if tags.contains(&tag) {
            return Err(format!("tag {tag}= appears twice"));
        }
        tags.push(tag);
        if tag == "rua" {
            rua = Some(value);
        } else if value.is_empty() || !value.chars().all(|c| c.is_ascii_graphic() && c != '=') {
            return Err(format!("{tag}= \"{value}\" is not a valid value"));
        }
    }
    let Some(rua) = rua else {
        return Err(match tags.iter().find(|t| t.eq_ignore_ascii_case("rua")) {
            Some(t) => {
                format!("the rua= tag is missing (tag names are case-sensitive: {t}= is not rua=)")
            }
            None => "the rua= tag (where to send the reports) is missing".into(),
        });
    };
    let mut out = Vec::new();
    for uri in rua.split(',') {
        let uri = uri.trim_matches([' ', '\t']);
        if uri.is_empty() {
            return Err(format!("rua={rua} has an empty entry"));
        }
        if uri.contains(char::is_whitespace) {
            return Err(format!(
                "rua= value \"{uri}\" contains a space (separate URIs with commas)"
            ));
        }
        let scheme = |s: &str| {
            uri.get(..s.len())
                .filter(|p| p.eq_ignore_ascii_case(s))
                .map(|_| &uri[s.len()..])
        };
        if let Some(addr) = scheme("mailto:") {
            let ok = addr
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
            if !ok {
                return Err(format!(
                    "rua= value \"{uri}\" is not a mailto: URI with an address user@domain"
                ));
            }
        } else if let Some(rest) = scheme("https://") {
            if rest.split(['/', '?', '#']).next().is_none_or(str::is_empty) {
                return Err(format!(
                    "rua= value \"{uri}\" is an https: URI without a host"
                ));
            }
        } else {
            return Err(format!(
                "rua= value \"{uri}\" is not a mailto: or https: URI"
            ));
        }
        out.push(uri.to_string());
    }
    Ok(out)
}

/// Checks the shape of one TLSA record given as `usage selector matching hexdata`, for SMTP
/// (RFC 7672 §3.1: usages 2 and 3 only; SHA-256/512 data of the right length).
pub fn check_tlsa(record: &str) -> Result<(), String> {
    let parts: Vec<&str> = record.split_whitespace().collect();
    let [usage, selector, matching, data] = parts.as_slice() else {
        return Err(format!("\"{record}\" is not usage selector matching data"));
    };
    let num = |s: &str| {
        s.parse::<u8>()
            .map_err(|_| format!("\"{s}\" is not a number"))
    };
    let (usage, selector, matching) = (num(usage)?, num(selector)?, num(matching)?);
    if usage > 3 || selector > 1 || matching > 2 {
        return Err(format!(
            "{usage} {selector} {matching} is not a defined TLSA type"
        ));
    }
    if usage < 2 {
        return Err(format!(
            "usage {usage} (PKIX) is not used for SMTP; RFC 7672 uses 3 (DANE-EE) or 2 (DANE-TA)"
        ));
    }
    let want = match matching {
        1 => Some(64),
        2 => Some(128),
        _ => None,
    };
    if let Some(want) = want
        && data.len() != want
    {
        return Err(format!(
            "matching type {matching} needs {} bytes of data, the record has {}",
            want / 2,
            data.len() / 2
        ));
    }
    Ok(())
}

/// One TLSA record (RFC 6698 §2.1) as `usage selector matching hexdata`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching: u8,
    /// The association data, lower-case hex.
    pub data: String,
}

/// Parses a TLSA record in presentation form; `None` when it is not four fields with three
/// numbers.
pub fn parse_tlsa(record: &str) -> Option<Tlsa> {
    let parts: Vec<&str> = record.split_whitespace().collect();
    let [usage, selector, matching, data] = parts.as_slice() else {
        return None;
    };
    Some(Tlsa {
        usage: usage.parse().ok()?,
        selector: selector.parse().ok()?,
        matching: matching.parse().ok()?,
        data: data.to_ascii_lowercase(),
    })
}

/// Whether a TLSA record matches the certificate chain a server presented (leaf first), as
/// an SMTP client using DANE would check it (RFC 7672 §3.1): usage 3 (DANE-EE) against the
/// leaf, usage 2 (DANE-TA) against the other certificates of the chain (a server relying on
/// DANE-TA must send the trust anchor, RFC 7672 §3.1.2); selector 0 the certificate, 1 its
/// public key; matching 0 the whole data, 1 SHA-256, 2 SHA-512. A record unusable for SMTP
/// never matches. `None` when a digest needed is not in the evidence (older reports).
pub fn tlsa_matches(record: &str, chain: &[maildoc_model::CertInfo]) -> Option<bool> {
    if check_tlsa(record).is_err() {
        return Some(false);
    }
    let t = parse_tlsa(record)?;
    let candidates = match t.usage {
        3 => chain.get(..1).unwrap_or_default(),
        _ => chain.get(1..).unwrap_or_default(),
    };
    // Matching type 0 holds the DER itself: its SHA-256 is compared with the recorded one.
    let (matching, data) = if t.matching == 0 {
        let Some(bytes) = hex_decode(&t.data) else {
            return Some(false);
        };
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        (
            1,
            digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        )
    } else {
        (t.matching, t.data)
    };
    let mut unknown = false;
    for cert in candidates {
        let recorded = match (t.selector, matching) {
            (0, 1) => &cert.sha256,
            (0, _) => &cert.sha512,
            (_, 1) => &cert.spki_sha256,
            _ => &cert.spki_sha512,
        };
        if recorded.is_empty() {
            unknown = true;
        } else if recorded.eq_ignore_ascii_case(&data) {
            return Some(true);
        }
    }
    if unknown { None } else { Some(false) }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}
