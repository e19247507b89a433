//! Record-level analysis of a domain's SPF for `maildoc domain`: the record tree walked as an
//! evaluation that matches nothing would walk it, with the counts RFC 7208 §4.6.4 limits.
//! The evidence only: `maildoc_diagnose::domain::spf` judges it.

use super::eval::valid_domain;
use super::parse::{self, Mechanism, Modifier, Qualifier, Term, is_spf1};
use super::{
    Answer, CheckOptions, DnsStatus, MAX_LOOKUPS, SpfDns, SpfEvidence, SpfSyntaxError, check_host,
};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// Analyses the SPF of `domain` without an IP.
pub async fn analyze(domain: &str, dns: &dyn SpfDns) -> SpfEvidence {
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
    SpfEvidence {
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
    }
}

/// [`analyze`], then evaluates mail from `ip` with MAIL FROM `sender` (or
/// `postmaster@domain` when `None`).
pub async fn analyze_with_ip(
    domain: &str,
    dns: &dyn SpfDns,
    ip: IpAddr,
    sender: Option<&str>,
    options: &CheckOptions,
) -> SpfEvidence {
    let mut evidence = analyze(domain, dns).await;
    let sender = sender
        .map(str::to_string)
        .unwrap_or_else(|| format!("postmaster@{}", evidence.domain));
    let outcome = check_host(
        dns,
        ip,
        &evidence.domain,
        &sender,
        &evidence.domain,
        options,
    )
    .await;
    evidence.ip = Some(ip);
    evidence.check = Some(outcome);
    evidence
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
