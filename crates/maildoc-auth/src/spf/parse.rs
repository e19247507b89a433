//! The SPF record parser (RFC 7208 §4.6, §5, §6, §7.1). Every error names the byte offset in
//! the record and the term it is in.

use super::ParseError;
use super::macros::{MacroString, parse_macro_string};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};

/// `+`, `-`, `~` or `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    pub fn result(self) -> super::SpfResult {
        match self {
            Qualifier::Pass => super::SpfResult::Pass,
            Qualifier::Fail => super::SpfResult::Fail,
            Qualifier::SoftFail => super::SpfResult::SoftFail,
            Qualifier::Neutral => super::SpfResult::Neutral,
        }
    }
}

/// A domain-spec (a macro-string that must end like a domain name), as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainSpec {
    pub text: String,
    #[serde(skip)]
    pub(crate) macros: MacroString,
}

impl DomainSpec {
    /// Whether the spec contains a macro (`%{...}`, `%%`, `%_`, `%-`).
    pub fn has_macros(&self) -> bool {
        self.macros.has_macros()
    }
}

/// A mechanism (RFC 7208 §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "mechanism")]
pub enum Mechanism {
    All,
    Include {
        domain: DomainSpec,
    },
    A {
        domain: Option<DomainSpec>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    Mx {
        domain: Option<DomainSpec>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    Ptr {
        domain: Option<DomainSpec>,
    },
    Ip4 {
        addr: Ipv4Addr,
        prefix: u8,
    },
    Ip6 {
        addr: Ipv6Addr,
        prefix: u8,
    },
    Exists {
        domain: DomainSpec,
    },
}

impl Mechanism {
    /// Whether evaluating it counts against the 10-lookup limit.
    pub fn counts_lookup(&self) -> bool {
        matches!(
            self,
            Mechanism::Include { .. }
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr { .. }
                | Mechanism::Exists { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include { .. } => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr { .. } => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists { .. } => "exists",
        }
    }
}

/// A qualifier and a mechanism.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
}

/// A modifier (RFC 7208 §6); unknown ones are kept and ignored by the evaluator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "modifier")]
pub enum Modifier {
    Redirect { domain: DomainSpec },
    Exp { domain: DomainSpec },
    Unknown { name: String, value: String },
}

/// A term with its place in the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Term {
    Directive(Directive),
    Modifier(Modifier),
}

/// A parsed record: its terms in order, each with its byte offset and text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub terms: Vec<(usize, String, Term)>,
}

impl Record {
    pub fn directives(&self) -> impl Iterator<Item = (&str, &Directive)> {
        self.terms.iter().filter_map(|(_, text, t)| match t {
            Term::Directive(d) => Some((text.as_str(), d)),
            Term::Modifier(_) => None,
        })
    }

    pub fn redirect(&self) -> Option<(&str, &DomainSpec)> {
        self.terms.iter().find_map(|(_, text, t)| match t {
            Term::Modifier(Modifier::Redirect { domain }) => Some((text.as_str(), domain)),
            _ => None,
        })
    }

    pub fn exp(&self) -> Option<&DomainSpec> {
        self.terms.iter().find_map(|(_, _, t)| match t {
            Term::Modifier(Modifier::Exp { domain }) => Some(domain),
            _ => None,
        })
    }
}

/// Whether a TXT record is an SPF version 1 record: `v=spf1` alone or followed by a space.
pub fn is_spf1(txt: &[u8]) -> bool {
    txt.len() >= 6 && txt[..6].eq_ignore_ascii_case(b"v=spf1") && (txt.len() == 6 || txt[6] == b' ')
}

/// Parses a whole record (`v=spf1 ...`), given as the concatenated TXT strings.
pub fn parse(record: &[u8]) -> Result<Record, ParseError> {
    if !is_spf1(record) {
        return Err(ParseError {
            offset: 0,
            term: String::new(),
            message: "the record does not start with `v=spf1`".into(),
        });
    }
    let mut terms = Vec::new();
    let mut seen_redirect = false;
    let mut seen_exp = false;
    let mut pos = 6;
    while pos < record.len() {
        if record[pos] == b' ' {
            pos += 1;
            continue;
        }
        let end = record[pos..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(record.len(), |e| pos + e);
        let raw = &record[pos..end];
        let text = String::from_utf8_lossy(raw).into_owned();
        if let Some(i) = raw.iter().position(|b| !(0x21..0x7f).contains(b)) {
            return Err(err(
                pos + i,
                &text,
                "a character that is not printable ASCII",
            ));
        }
        let term = parse_term(&text, pos)?;
        if let Term::Modifier(m) = &term {
            let dup = match m {
                Modifier::Redirect { .. } => std::mem::replace(&mut seen_redirect, true),
                Modifier::Exp { .. } => std::mem::replace(&mut seen_exp, true),
                Modifier::Unknown { .. } => false,
            };
            if dup {
                return Err(err(
                    pos,
                    &text,
                    "`redirect=` and `exp=` may each appear only once",
                ));
            }
        }
        terms.push((pos, text, term));
        pos = end;
    }
    Ok(Record { terms })
}

fn err(offset: usize, term: &str, message: &str) -> ParseError {
    ParseError {
        offset,
        term: term.to_string(),
        message: message.to_string(),
    }
}

fn parse_term(text: &str, at: usize) -> Result<Term, ParseError> {
    let bytes = text.as_bytes();
    // A modifier: name "=" value, the name starting with a letter.
    let name_len = bytes
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
        .unwrap_or(bytes.len());
    if name_len < bytes.len() && bytes[name_len] == b'=' {
        let name = &text[..name_len];
        if name.is_empty() || !bytes[0].is_ascii_alphabetic() {
            return Err(err(at, text, "a modifier name must start with a letter"));
        }
        let value = &text[name_len + 1..];
        let vat = at + name_len + 1;
        let lower = name.to_ascii_lowercase();
        return Ok(Term::Modifier(match lower.as_str() {
            "redirect" => Modifier::Redirect {
                domain: domain_spec(value, vat, text)?,
            },
            "exp" => Modifier::Exp {
                domain: domain_spec(value, vat, text)?,
            },
            _ => {
                parse_macro_string(value, false).map_err(|(i, m)| err(vat + i, text, &m))?;
                Modifier::Unknown {
                    name: name.to_string(),
                    value: value.to_string(),
                }
            }
        }));
    }
    let (qualifier, rest, rat) = match bytes[0] {
        b'+' => (Qualifier::Pass, &text[1..], at + 1),
        b'-' => (Qualifier::Fail, &text[1..], at + 1),
        b'~' => (Qualifier::SoftFail, &text[1..], at + 1),
        b'?' => (Qualifier::Neutral, &text[1..], at + 1),
        _ => (Qualifier::Pass, text, at),
    };
    let name_end = rest.find([':', '/']).unwrap_or(rest.len());
    let name = rest[..name_end].to_ascii_lowercase();
    let arg = &rest[name_end..];
    let aat = rat + name_end;
    let mechanism = match name.as_str() {
        "all" => {
            if !arg.is_empty() {
                return Err(err(aat, text, "`all` takes no argument"));
            }
            Mechanism::All
        }
        "include" | "exists" => {
            let Some(spec) = arg.strip_prefix(':') else {
                return Err(err(aat, text, "a domain is required after `:`"));
            };
            let domain = domain_spec(spec, aat + 1, text)?;
            if name == "include" {
                Mechanism::Include { domain }
            } else {
                Mechanism::Exists { domain }
            }
        }
        "a" | "mx" => {
            let (domain, cidr) = split_domain_cidr(arg, aat, text)?;
            let (cidr4, cidr6) = dual_cidr(cidr, aat + arg.len() - cidr.len(), text)?;
            if name == "a" {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            }
        }
        "ptr" => {
            let (domain, cidr) = split_domain_cidr(arg, aat, text)?;
            if !cidr.is_empty() {
                return Err(err(
                    aat + arg.len() - cidr.len(),
                    text,
                    "`ptr` takes no prefix length",
                ));
            }
            Mechanism::Ptr { domain }
        }
        "ip4" | "ip6" => {
            let Some(net) = arg.strip_prefix(':') else {
                return Err(err(aat, text, "an address is required after `:`"));
            };
            let (addr, len) = match net.find('/') {
                Some(i) => (&net[..i], Some(&net[i + 1..])),
                None => (net, None),
            };
            let lat = aat + 1 + addr.len() + 1;
            if name == "ip4" {
                let addr: Ipv4Addr = addr
                    .parse()
                    .map_err(|_| err(aat + 1, text, "not an IPv4 address"))?;
                let prefix = len.map_or(Ok(32), |l| cidr_len(l, 32, lat, text))?;
                Mechanism::Ip4 { addr, prefix }
            } else {
                let addr: Ipv6Addr = addr
                    .parse()
                    .map_err(|_| err(aat + 1, text, "not an IPv6 address"))?;
                let prefix = len.map_or(Ok(128), |l| cidr_len(l, 128, lat, text))?;
                Mechanism::Ip6 { addr, prefix }
            }
        }
        _ => return Err(err(at, text, "unknown mechanism")),
    };
    Ok(Term::Directive(Directive {
        qualifier,
        mechanism,
    }))
}

/// Splits `:domain/cidr` (both optional) at the first `/` outside a macro.
fn split_domain_cidr<'a>(
    arg: &'a str,
    at: usize,
    term: &str,
) -> Result<(Option<DomainSpec>, &'a str), ParseError> {
    let Some(spec) = arg.strip_prefix(':') else {
        if arg.is_empty() || arg.starts_with('/') {
            return Ok((None, arg));
        }
        return Err(err(at, term, "unexpected text after the mechanism name"));
    };
    // The prefix lengths are taken from the end: a domain-spec may itself contain `/`
    // (`a:foo:bar/baz.example.com`).
    let cut = cidr_suffix_start(spec);
    let domain = domain_spec(&spec[..cut], at + 1, term)?;
    Ok((Some(domain), &spec[cut..]))
}

/// Where a trailing `/N`, `//N` or `/N//N` starts in `spec` (its length when there is none).
fn cidr_suffix_start(spec: &str) -> usize {
    fn digits_suffix(s: &str) -> usize {
        s.len() - s.bytes().rev().take_while(u8::is_ascii_digit).count()
    }
    let mut end = spec.len();
    let d = digits_suffix(&spec[..end]);
    if d < end && spec[..d].ends_with("//") {
        end = d - 2;
    }
    let d = digits_suffix(&spec[..end]);
    if d < end && spec[..d].ends_with('/') && !spec[..d].ends_with("//") {
        end = d - 1;
    }
    end
}

fn dual_cidr(cidr: &str, at: usize, term: &str) -> Result<(Option<u8>, Option<u8>), ParseError> {
    if cidr.is_empty() {
        return Ok((None, None));
    }
    if let Some(six) = cidr.strip_prefix("//") {
        return Ok((None, Some(cidr_len(six, 128, at + 2, term)?)));
    }
    let body = &cidr[1..];
    match body.find("//") {
        Some(i) => Ok((
            Some(cidr_len(&body[..i], 32, at + 1, term)?),
            Some(cidr_len(&body[i + 2..], 128, at + 3 + i, term)?),
        )),
        None => Ok((Some(cidr_len(body, 32, at + 1, term)?), None)),
    }
}

fn cidr_len(s: &str, max: u8, at: usize, term: &str) -> Result<u8, ParseError> {
    let ok = !s.is_empty()
        && s.len() <= 3
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    match s.parse::<u8>() {
        Ok(n) if ok && n <= max => Ok(n),
        _ => Err(err(
            at,
            term,
            &format!("the prefix length must be a number from 0 to {max}"),
        )),
    }
}

fn domain_spec(spec: &str, at: usize, term: &str) -> Result<DomainSpec, ParseError> {
    if spec.is_empty() {
        return Err(err(at, term, "a domain is required"));
    }
    let macros = parse_macro_string(spec, false).map_err(|(i, m)| err(at + i, term, &m))?;
    if !macros.ends_with_macro() {
        let trimmed = spec.strip_suffix('.').unwrap_or(spec);
        let ok = match trimmed.rfind('.') {
            Some(dot) => is_toplabel(&trimmed[dot + 1..]),
            None => false,
        };
        if !ok {
            return Err(err(
                at,
                term,
                "not a domain name: it must end with a dot and a top-level label such as `.com`",
            ));
        }
    }
    Ok(DomainSpec {
        text: spec.to_string(),
        macros,
    })
}

/// RFC 7208 toplabel: letters, digits and hyphens, not starting or ending with a hyphen, not
/// all digits.
pub(crate) fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && b.iter().any(|c| !c.is_ascii_digit())
}
