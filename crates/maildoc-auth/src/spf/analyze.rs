//! Record-level analysis of a domain's SPF for `maildoc domain`: the record tree walked as an
//! evaluation that matches nothing would walk it, with the counts RFC 7208 §4.6.4 limits.

use super::eval::valid_domain;
use super::parse::{self, Mechanism, Modifier, ParseError, Qualifier, Term, is_spf1};
use super::{
    Answer, CheckOptions, DnsStatus, MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfDns, SpfOutcome, SpfResult,
    check_host,
};
use maildoc_model::{Code, Finding};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// A syntax error in one record of the tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpfSyntaxError {
    /// The domain whose record it is (the one asked about or an include/redirect target).
    pub domain: String,
    pub record: String,
    pub error: ParseError,
}

/// What `maildoc domain` learns about a domain's SPF.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpfReport {
    pub domain: String,
    /// The outcome of the TXT query of the domain.
    pub txt_status: DnsStatus,
    /// The `v=spf1` records at the domain (0, 1 or several).
    pub records: Vec<String>,
    /// Syntax errors anywhere in the tree.
    pub syntax_errors: Vec<SpfSyntaxError>,
    /// DNS-querying terms in the whole tree that an evaluation matching nothing would reach
    /// (include, a, mx, ptr, exists, redirect), counted as RFC 7208 counts them. Past 10 the
    /// record is a permerror for every receiver.
    pub lookups: u32,
    /// Lookups in the tree that return NXDOMAIN or no records (limit 2).
    pub void_lookups: u32,
    /// The names whose lookups were void, with the term that asked.
    pub void_names: Vec<String>,
    /// When the tree needs more than 10 lookups: the domains from the one asked about to the
    /// record whose term makes the 11th.
    pub include_chain_over_limit: Option<Vec<String>>,
    /// The term that makes the 11th lookup.
    pub term_over_limit: Option<String>,
    /// Include or redirect targets without a usable record (each a permerror), with why.
    pub broken_targets: Vec<(String, String)>,
    /// `+all` or `?all` (too permissive): (domain, term).
    pub permissive_all: Vec<(String, String)>,
    /// `ptr` terms (deprecated, RFC 7208 §5.5): (domain, term).
    pub ptr_terms: Vec<(String, String)>,
    /// `redirect=` modifiers: (domain, target).
    pub redirects: Vec<(String, String)>,
    /// Terms with macros, which depend on the sender or the IP and cannot be followed without
    /// them: (domain, term).
    pub macro_terms: Vec<(String, String)>,
    /// Every record in the tree: (domain, record), in the order walked.
    pub tree: Vec<(String, String)>,
    /// With an IP: the evaluation for mail from that IP.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub check: Option<SpfOutcome>,
    /// The IP evaluated, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ip: Option<IpAddr>,
    pub findings: Vec<Finding>,
}

/// Analyses the SPF of `domain` without an IP.
pub async fn analyze(domain: &str, dns: &dyn SpfDns) -> SpfReport {
    let domain = domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    let mut w = Walker {
        dns,
        lookups: 0,
        voids: 0,
        void_names: Vec::new(),
        chain_over: None,
        term_over: None,
        errors: Vec::new(),
        broken: Vec::new(),
        permissive: Vec::new(),
        ptr: Vec::new(),
        redirects: Vec::new(),
        macros: Vec::new(),
        tree: Vec::new(),
        visited: 0,
    };
    let (status, records) = w.top(&domain).await;
    let mut report = SpfReport {
        domain: domain.clone(),
        txt_status: status,
        records,
        syntax_errors: w.errors,
        lookups: w.lookups,
        void_lookups: w.voids,
        void_names: w.void_names,
        include_chain_over_limit: w.chain_over,
        term_over_limit: w.term_over,
        broken_targets: w.broken,
        permissive_all: w.permissive,
        ptr_terms: w.ptr,
        redirects: w.redirects,
        macro_terms: w.macros,
        tree: w.tree,
        check: None,
        ip: None,
        findings: Vec::new(),
    };
    report.findings = findings(&report);
    report
}

/// [`analyze`], then evaluates mail from `ip` with MAIL FROM `sender` (or
/// `postmaster@domain` when `None`) and adds `spf-ip-not-authorized` unless it passes.
pub async fn analyze_with_ip(
    domain: &str,
    dns: &dyn SpfDns,
    ip: IpAddr,
    sender: Option<&str>,
    options: &CheckOptions,
) -> SpfReport {
    let mut report = analyze(domain, dns).await;
    let sender = sender
        .map(str::to_string)
        .unwrap_or_else(|| format!("postmaster@{}", report.domain));
    let outcome = check_host(dns, ip, &report.domain, &sender, &report.domain, options).await;
    if report.records.len() == 1 && outcome.result != SpfResult::Pass {
        let deciding = outcome
            .trace
            .iter()
            .rev()
            .find_map(|s| match s {
                super::TraceStep::Term {
                    term,
                    matched: true,
                    ..
                } => Some(term.clone()),
                _ => None,
            })
            .unwrap_or_default();
        report.findings.push(
            Finding::new(Code::SpfIpNotAuthorized)
                .param("domain", &report.domain)
                .param("ip", ip)
                .param("result", outcome.result)
                .param("term", deciding)
                .param("reason", &outcome.reason),
        );
    }
    report.ip = Some(ip);
    report.check = Some(outcome);
    report
}

fn findings(r: &SpfReport) -> Vec<Finding> {
    let mut out = Vec::new();
    let d = r.domain.as_str();
    match r.records.len() {
        0 => {
            // A failed TXT query says nothing about the record: the caller reports the DNS
            // failure (`txt_status`), not a missing record.
            if !matches!(r.txt_status, DnsStatus::Timeout | DnsStatus::ServFail) {
                out.push(Finding::new(Code::SpfMissing).param("domain", d));
            }
            return out;
        }
        1 => {}
        n => {
            out.push(
                Finding::new(Code::SpfMultipleRecords)
                    .param("domain", d)
                    .param("count", n)
                    .param("records", r.records.join(" | ")),
            );
            return out;
        }
    }
    for e in &r.syntax_errors {
        out.push(
            Finding::new(Code::SpfSyntaxError)
                .param("domain", d)
                .param("record_domain", &e.domain)
                .param("record", &e.record)
                .param("offset", e.error.offset)
                .param("term", &e.error.term)
                .param("message", &e.error.message),
        );
    }
    for (target, why) in &r.broken_targets {
        out.push(
            Finding::new(Code::SpfSyntaxError)
                .param("domain", d)
                .param("record_domain", target)
                .param("record", "")
                .param("offset", 0)
                .param("term", target)
                .param("message", why),
        );
    }
    if r.lookups > MAX_LOOKUPS {
        out.push(
            Finding::new(Code::SpfTooManyLookups)
                .param("domain", d)
                .param("lookups", r.lookups)
                .param(
                    "chain",
                    r.include_chain_over_limit
                        .as_deref()
                        .unwrap_or_default()
                        .join(" > "),
                )
                .param("term", r.term_over_limit.as_deref().unwrap_or_default()),
        );
    }
    if r.void_lookups > MAX_VOID_LOOKUPS {
        out.push(
            Finding::new(Code::SpfVoidLookups)
                .param("domain", d)
                .param("void_lookups", r.void_lookups)
                .param("names", r.void_names.join(", ")),
        );
    }
    if let Some((rd, term)) = r.permissive_all.first() {
        out.push(
            Finding::new(Code::SpfTooPermissive)
                .param("domain", d)
                .param("record_domain", rd)
                .param("term", term),
        );
    }
    if !r.ptr_terms.is_empty() {
        let terms: Vec<String> = r
            .ptr_terms
            .iter()
            .map(|(rd, t)| format!("{t} ({rd})"))
            .collect();
        out.push(
            Finding::new(Code::SpfPtrDeprecated)
                .param("domain", d)
                .param("terms", terms.join(", ")),
        );
    }
    out
}

type BoxFut<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Bounds on the walk, whatever the records say.
const MAX_RECORDS: u32 = 50;

struct Walker<'a> {
    dns: &'a dyn SpfDns,
    lookups: u32,
    voids: u32,
    void_names: Vec<String>,
    chain_over: Option<Vec<String>>,
    term_over: Option<String>,
    errors: Vec<SpfSyntaxError>,
    broken: Vec<(String, String)>,
    permissive: Vec<(String, String)>,
    ptr: Vec<(String, String)>,
    redirects: Vec<(String, String)>,
    macros: Vec<(String, String)>,
    tree: Vec<(String, String)>,
    visited: u32,
}

impl Walker<'_> {
    async fn top(&mut self, domain: &str) -> (DnsStatus, Vec<String>) {
        if !valid_domain(domain) {
            return (DnsStatus::NxDomain, Vec::new());
        }
        let txt = self.dns.txt(domain).await;
        let status = txt.status();
        let Answer::Records(recs) = txt else {
            return (status, Vec::new());
        };
        let spf: Vec<Vec<u8>> = recs.into_iter().filter(|r| is_spf1(r)).collect();
        let texts = spf
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        if let [one] = spf.as_slice() {
            self.record(domain.to_string(), one.clone(), vec![domain.to_string()])
                .await;
        }
        (status, texts)
    }

    fn count(&mut self, chain: &[String], term: &str) {
        self.lookups += 1;
        if self.lookups == MAX_LOOKUPS + 1 {
            self.chain_over = Some(chain.to_vec());
            self.term_over = Some(term.to_string());
        }
    }

    fn follow<'s>(&'s mut self, target: String, chain: Vec<String>, via: String) -> BoxFut<'s> {
        Box::pin(async move {
            if chain[..chain.len() - 1].contains(&target) {
                self.broken.push((
                    target,
                    format!("`{via}` loops back to a record already included"),
                ));
                return;
            }
            if !valid_domain(&target) {
                self.broken
                    .push((target, format!("`{via}` names an invalid domain")));
                return;
            }
            let txt = self.dns.txt(&target).await;
            let recs = match txt {
                Answer::Records(r) => r,
                Answer::Timeout | Answer::ServFail => {
                    self.broken
                        .push((target, format!("the TXT lookup for `{via}` failed")));
                    return;
                }
                _ => {
                    self.voids += 1;
                    self.void_names.push(format!("{target} ({via})"));
                    self.broken.push((
                        target,
                        format!("`{via}` names a domain with no TXT records"),
                    ));
                    return;
                }
            };
            let spf: Vec<Vec<u8>> = recs.into_iter().filter(|r| is_spf1(r)).collect();
            match spf.as_slice() {
                [] => self.broken.push((
                    target,
                    format!("`{via}` names a domain without an SPF record"),
                )),
                [one] => self.record(target, one.clone(), chain).await,
                many => {
                    let n = many.len();
                    self.broken.push((
                        target,
                        format!("`{via}` names a domain with {n} SPF records"),
                    ));
                }
            }
        })
    }

    fn record<'s>(&'s mut self, domain: String, raw: Vec<u8>, chain: Vec<String>) -> BoxFut<'s> {
        Box::pin(async move {
            self.visited += 1;
            if self.visited > MAX_RECORDS {
                return;
            }
            let text = String::from_utf8_lossy(&raw).into_owned();
            self.tree.push((domain.clone(), text.clone()));
            let record = match parse::parse(&raw) {
                Ok(r) => r,
                Err(error) => {
                    self.errors.push(SpfSyntaxError {
                        domain,
                        record: text,
                        error,
                    });
                    return;
                }
            };
            let mut has_all = false;
            for (_, term, t) in &record.terms {
                match t {
                    Term::Directive(d) => {
                        if has_all {
                            continue;
                        }
                        if d.mechanism.counts_lookup() {
                            self.count(&chain, term);
                        }
                        let spec = match &d.mechanism {
                            Mechanism::A { domain: s, .. }
                            | Mechanism::Mx { domain: s, .. }
                            | Mechanism::Ptr { domain: s } => s.as_ref(),
                            Mechanism::Include { domain: s } | Mechanism::Exists { domain: s } => {
                                Some(s)
                            }
                            _ => None,
                        };
                        let has_macro = spec.is_some_and(|s| s.has_macros());
                        if has_macro {
                            self.macros.push((domain.clone(), term.clone()));
                        }
                        let target = spec.map_or_else(|| domain.clone(), |s| s.text.clone());
                        let target = target.strip_suffix('.').unwrap_or(&target).to_string();
                        let void = match &d.mechanism {
                            Mechanism::All => {
                                has_all = true;
                                if matches!(d.qualifier, Qualifier::Pass | Qualifier::Neutral) {
                                    self.permissive.push((domain.clone(), term.clone()));
                                }
                                false
                            }
                            Mechanism::Ptr { .. } => {
                                self.ptr.push((domain.clone(), term.clone()));
                                false
                            }
                            Mechanism::Include { .. } if !has_macro => {
                                let mut next = chain.clone();
                                next.push(target.clone());
                                self.follow(target.clone(), next, term.clone()).await;
                                false
                            }
                            Mechanism::A { .. } if !has_macro => {
                                let a = self.dns.a(&target).await;
                                let aaaa = self.dns.aaaa(&target).await;
                                a.is_void() && aaaa.is_void()
                            }
                            Mechanism::Mx { .. } if !has_macro => {
                                self.dns.mx(&target).await.is_void()
                            }
                            Mechanism::Exists { .. } if !has_macro => {
                                self.dns.a(&target).await.is_void()
                            }
                            _ => false,
                        };
                        if void {
                            self.void(&target, term);
                        }
                    }
                    Term::Modifier(Modifier::Redirect { domain: spec }) => {
                        self.redirects.push((domain.clone(), spec.text.clone()));
                    }
                    Term::Modifier(Modifier::Exp { domain: spec }) => {
                        if spec.has_macros() {
                            self.macros.push((domain.clone(), term.clone()));
                        }
                    }
                    Term::Modifier(Modifier::Unknown { .. }) => {}
                }
            }
            // redirect= is used only when no mechanism matched, and never with `all`.
            if !has_all && let Some((term, spec)) = record.redirect() {
                self.count(&chain, term);
                if spec.has_macros() {
                    self.macros.push((domain.clone(), term.to_string()));
                } else {
                    let target = spec
                        .text
                        .strip_suffix('.')
                        .unwrap_or(&spec.text)
                        .to_string();
                    let mut next = chain.clone();
                    next.push(target.clone());
                    self.follow(target, next, term.to_string()).await;
                }
            }
        })
    }

    fn void(&mut self, name: &str, term: &str) {
        self.voids += 1;
        self.void_names.push(format!("{name} ({term})"));
    }
}
