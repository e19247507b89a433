//! `check_host()` (RFC 7208 §4) with a trace of every term and query.

use super::macros::{self, MacroContext, MacroString, expand, parse_macro_string};
use super::parse::{self, DomainSpec, Mechanism, Term, is_spf1};
use super::{
    Answer, MAX_LOOKUPS, MAX_VOID_LOOKUPS, ParseError, QueryType, SpfDns, SpfOutcome, SpfResult,
    TraceStep,
};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// What the receiver contributes to an evaluation.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// `%{r}` in explanations: the receiving host's name (default `unknown`).
    pub receiver: Option<String>,
    /// `%{t}` in explanations: seconds since the epoch.
    pub timestamp: u64,
    /// The explanation given for a `fail` when the record has no usable `exp=`.
    pub default_explanation: Option<String>,
}

/// RFC 7208 `check_host(ip, domain, sender)`. `sender` is the MAIL FROM address (or
/// `postmaster@` + the HELO name when MAIL FROM is empty); a sender without a local part gets
/// `postmaster`. `helo` feeds `%{h}`. An IPv4-mapped IPv6 address is evaluated as IPv4.
pub async fn check_host(
    dns: &dyn SpfDns,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
    options: &CheckOptions,
) -> SpfOutcome {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (local, sender_domain) = match sender.rfind('@') {
        Some(i) => (&sender[..i], &sender[i + 1..]),
        None => ("", sender),
    };
    let local = if local.is_empty() {
        "postmaster"
    } else {
        local
    };
    let mut ev = Eval {
        dns,
        ip,
        sender_local: local.to_string(),
        sender_domain: sender_domain.to_string(),
        helo: helo.to_string(),
        options,
        trace: Vec::new(),
        lookups: 0,
        voids: 0,
        chain_over: None,
        term_over: None,
        syntax_error: None,
    };
    let domain = domain.strip_suffix('.').unwrap_or(domain).to_string();
    let (result, explanation, reason) = ev.check(domain.clone(), 0, vec![domain], true).await;
    SpfOutcome {
        result,
        explanation,
        reason,
        trace: ev.trace,
        lookups: ev.lookups,
        void_lookups: ev.voids,
        include_chain_over_limit: ev.chain_over,
        term_over_limit: ev.term_over,
        syntax_error: ev.syntax_error,
    }
}

/// Whether `domain` can be looked up at all (RFC 7208 §4.3): at least two labels, each 1-63
/// octets, 253 in all.
pub(crate) fn valid_domain(domain: &str) -> bool {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| !l.is_empty() && l.len() <= 63)
        && !d.starts_with('[')
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

enum Stop {
    Perm(String),
    Temp(String),
}

struct Eval<'a> {
    dns: &'a dyn SpfDns,
    ip: IpAddr,
    sender_local: String,
    sender_domain: String,
    helo: String,
    options: &'a CheckOptions,
    trace: Vec<TraceStep>,
    lookups: u32,
    voids: u32,
    chain_over: Option<Vec<String>>,
    term_over: Option<String>,
    syntax_error: Option<(String, ParseError)>,
}

impl<'a> Eval<'a> {
    fn check<'s>(
        &'s mut self,
        domain: String,
        depth: u32,
        chain: Vec<String>,
        want_exp: bool,
    ) -> BoxFut<'s, (SpfResult, Option<String>, String)> {
        Box::pin(async move {
            let (result, exp, reason) =
                match self.check_inner(&domain, depth, &chain, want_exp).await {
                    Ok(r) => r,
                    Err(Stop::Perm(r)) => (SpfResult::PermError, None, r),
                    Err(Stop::Temp(r)) => (SpfResult::TempError, None, r),
                };
            self.trace.push(TraceStep::Result {
                depth,
                domain,
                result,
                reason: reason.clone(),
            });
            (result, exp, reason)
        })
    }

    async fn check_inner(
        &mut self,
        domain: &str,
        depth: u32,
        chain: &[String],
        want_exp: bool,
    ) -> Result<(SpfResult, Option<String>, String), Stop> {
        if !valid_domain(domain) {
            return Ok((
                SpfResult::None,
                None,
                format!("`{domain}` is not a valid domain name"),
            ));
        }
        let txt = self.dns.txt(domain).await;
        self.record_query(depth, domain, QueryType::Txt, &txt, false, txt_texts);
        let records = match txt {
            Answer::Records(r) => r,
            Answer::NxDomain | Answer::NoData => {
                return Ok((
                    SpfResult::None,
                    None,
                    format!("`{domain}` has no TXT records"),
                ));
            }
            Answer::Timeout | Answer::ServFail => {
                return Err(Stop::Temp(format!("the TXT lookup of `{domain}` failed")));
            }
        };
        let spf: Vec<&Vec<u8>> = records.iter().filter(|r| is_spf1(r)).collect();
        let raw = match spf.as_slice() {
            [] => {
                return Ok((
                    SpfResult::None,
                    None,
                    format!("`{domain}` has no v=spf1 record"),
                ));
            }
            [one] => *one,
            _ => {
                return Err(Stop::Perm(format!(
                    "`{domain}` has {} v=spf1 records",
                    spf.len()
                )));
            }
        };
        self.trace.push(TraceStep::Record {
            depth,
            domain: domain.to_string(),
            record: String::from_utf8_lossy(raw).into_owned(),
        });
        let record = match parse::parse(raw) {
            Ok(r) => r,
            Err(e) => {
                let reason = format!("syntax error in the record of `{domain}`: {e}");
                self.syntax_error.get_or_insert((domain.to_string(), e));
                return Err(Stop::Perm(reason));
            }
        };

        for (_, text, term) in &record.terms {
            let Term::Directive(d) = term else { continue };
            if d.mechanism.counts_lookup() {
                self.count_lookup(chain, text)?;
            }
            let (matched, target, note) =
                self.mechanism(&d.mechanism, domain, depth, chain).await?;
            self.trace.push(TraceStep::Term {
                depth,
                domain: domain.to_string(),
                term: text.clone(),
                target,
                matched,
                lookups: self.lookups,
                note,
            });
            if matched {
                let result = d.qualifier.result();
                let exp = if result == SpfResult::Fail && want_exp {
                    self.explanation(record.exp(), domain, depth).await
                } else {
                    None
                };
                return Ok((result, exp, format!("`{text}` matched in `{domain}`")));
            }
        }

        if let Some((text, spec)) = record.redirect() {
            self.count_lookup(chain, text)?;
            let target = self.expand_domain(spec, domain).await;
            self.trace.push(TraceStep::Term {
                depth,
                domain: domain.to_string(),
                term: text.to_string(),
                target: Some(target.clone()),
                matched: false,
                lookups: self.lookups,
                note: "no mechanism matched: the result is the redirect target's".into(),
            });
            let mut next = chain.to_vec();
            next.push(target.clone());
            let (result, exp, reason) = self.check(target.clone(), depth + 1, next, want_exp).await;
            return match result {
                SpfResult::None => Err(Stop::Perm(format!(
                    "the redirect target `{target}` has no SPF record"
                ))),
                SpfResult::PermError => Err(Stop::Perm(reason)),
                SpfResult::TempError => Err(Stop::Temp(reason)),
                r => Ok((r, exp, reason)),
            };
        }
        Ok((
            SpfResult::Neutral,
            None,
            format!("no mechanism matched in `{domain}`"),
        ))
    }

    fn count_lookup(&mut self, chain: &[String], term: &str) -> Result<(), Stop> {
        self.lookups += 1;
        if self.lookups > MAX_LOOKUPS {
            if self.chain_over.is_none() {
                self.chain_over = Some(chain.to_vec());
                self.term_over = Some(term.to_string());
            }
            return Err(Stop::Perm(format!(
                "more than {MAX_LOOKUPS} DNS lookups: `{term}` in {} made lookup {}",
                chain.join(" > "),
                self.lookups
            )));
        }
        Ok(())
    }

    fn count_void(&mut self) -> Result<u32, Stop> {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            return Err(Stop::Perm(format!(
                "more than {MAX_VOID_LOOKUPS} lookups returned no records"
            )));
        }
        Ok(self.voids)
    }

    fn record_query<T>(
        &mut self,
        depth: u32,
        name: &str,
        qtype: QueryType,
        answer: &Answer<T>,
        counted: bool,
        show: fn(&T) -> Vec<String>,
    ) {
        let answers = match answer {
            Answer::Records(r) => show(r),
            _ => Vec::new(),
        };
        self.trace.push(TraceStep::Query {
            depth,
            name: name.to_string(),
            qtype,
            status: answer.status(),
            answers,
            counted,
            void_count: None,
        });
    }

    /// Records a void lookup on the last traced query and checks the limit.
    fn void(&mut self) -> Result<(), Stop> {
        let n = self.voids + 1;
        if let Some(TraceStep::Query { void_count, .. }) = self.trace.last_mut() {
            *void_count = Some(n);
        }
        self.count_void().map(|_| ())
    }

    async fn expand_domain(&mut self, spec: &DomainSpec, domain: &str) -> String {
        let validated = if spec.macros.uses_p() {
            Some(self.validated_name(domain).await)
        } else {
            None
        };
        let cx = self.context(domain, validated.as_deref());
        let mut out = expand(&spec.macros, &cx);
        if out.ends_with('.') {
            out.pop();
        }
        while out.len() > 253 {
            match out.find('.') {
                Some(i) => out.drain(..=i),
                None => break,
            };
        }
        out
    }

    fn context<'c>(&'c self, domain: &'c str, validated: Option<&'c str>) -> MacroContext<'c> {
        MacroContext {
            sender_local: &self.sender_local,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: &self.helo,
            validated,
            receiver: self.options.receiver.as_deref().unwrap_or("unknown"),
            timestamp: self.options.timestamp,
        }
    }

    /// `%{p}`: a validated name of the client address, preferring `domain` or one of its
    /// subdomains; `unknown` if none.
    async fn validated_name(&mut self, domain: &str) -> String {
        let names = self.validated_names(0, false).await.unwrap_or_default();
        let d = domain.to_ascii_lowercase();
        names
            .iter()
            .find(|n| is_same_or_sub(n, &d))
            .or(names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".into())
    }

    /// The PTR names of the client address whose A/AAAA records include it (at most 10
    /// names are tried).
    async fn validated_names(&mut self, depth: u32, counted: bool) -> Result<Vec<String>, Stop> {
        let ptr = self.dns.ptr(self.ip).await;
        let name = ptr_name(self.ip);
        self.record_query(depth, &name, QueryType::Ptr, &ptr, counted, |v| v.clone());
        let names = match ptr {
            Answer::Records(n) => n,
            a => {
                if counted && a.is_void() {
                    self.void()?;
                }
                return Ok(Vec::new());
            }
        };
        let mut ok = Vec::new();
        for n in names.iter().take(10) {
            let n = n.strip_suffix('.').unwrap_or(n).to_ascii_lowercase();
            if let Ok(true) = self.host_has_ip(&n, depth, None).await {
                ok.push(n);
            }
        }
        Ok(ok)
    }

    /// Whether `name`'s A or AAAA records (per the client's family) contain the client address
    /// within `prefix` (full length when `None`). Err(()) on a DNS error.
    async fn host_has_ip(
        &mut self,
        name: &str,
        depth: u32,
        prefix: Option<(Option<u8>, Option<u8>)>,
    ) -> Result<bool, Answer<()>> {
        let (c4, c6) = prefix.unwrap_or((None, None));
        match self.ip {
            IpAddr::V4(ip) => {
                let a = self.dns.a(name).await;
                self.record_query(depth, name, QueryType::A, &a, false, |v| {
                    v.iter().map(|x| x.to_string()).collect()
                });
                match a {
                    Answer::Records(addrs) => {
                        Ok(addrs.iter().any(|x| v4_in(ip, *x, c4.unwrap_or(32))))
                    }
                    Answer::NxDomain => Err(Answer::NxDomain),
                    Answer::NoData => Err(Answer::NoData),
                    Answer::Timeout => Err(Answer::Timeout),
                    Answer::ServFail => Err(Answer::ServFail),
                }
            }
            IpAddr::V6(ip) => {
                let a = self.dns.aaaa(name).await;
                self.record_query(depth, name, QueryType::Aaaa, &a, false, |v| {
                    v.iter().map(|x| x.to_string()).collect()
                });
                match a {
                    Answer::Records(addrs) => {
                        Ok(addrs.iter().any(|x| v6_in(ip, *x, c6.unwrap_or(128))))
                    }
                    Answer::NxDomain => Err(Answer::NxDomain),
                    Answer::NoData => Err(Answer::NoData),
                    Answer::Timeout => Err(Answer::Timeout),
                    Answer::ServFail => Err(Answer::ServFail),
                }
            }
        }
    }

    async fn mechanism(
        &mut self,
        m: &Mechanism,
        domain: &str,
        depth: u32,
        chain: &[String],
    ) -> Result<(bool, Option<String>, String), Stop> {
        match m {
            Mechanism::All => Ok((true, None, "`all` always matches".into())),
            Mechanism::Ip4 { addr, prefix } => Ok((
                matches!(self.ip, IpAddr::V4(ip) if v4_in(ip, *addr, *prefix)),
                None,
                String::new(),
            )),
            Mechanism::Ip6 { addr, prefix } => Ok((
                matches!(self.ip, IpAddr::V6(ip) if v6_in(ip, *addr, *prefix)),
                None,
                String::new(),
            )),
            Mechanism::A {
                domain: spec,
                cidr4,
                cidr6,
            } => {
                let target = self.target(spec.as_ref(), domain).await;
                let counted_at = self.trace.len();
                let r = self
                    .host_has_ip(&target, depth, Some((*cidr4, *cidr6)))
                    .await;
                self.mark_counted(counted_at);
                match r {
                    Ok(m) => Ok((m, Some(target), String::new())),
                    Err(a) if a.is_void() => {
                        self.void()?;
                        Ok((false, Some(target), "no address records".into()))
                    }
                    Err(_) => Err(Stop::Temp(format!(
                        "the address lookup of `{target}` failed"
                    ))),
                }
            }
            Mechanism::Mx {
                domain: spec,
                cidr4,
                cidr6,
            } => {
                let target = self.target(spec.as_ref(), domain).await;
                let mx = self.dns.mx(&target).await;
                self.record_query(depth, &target, QueryType::Mx, &mx, true, |v| {
                    v.iter().map(|(p, h)| format!("{p} {h}")).collect()
                });
                let hosts = match mx {
                    Answer::Records(h) => h,
                    a if a.is_void() => {
                        self.void()?;
                        return Ok((false, Some(target), "no MX records".into()));
                    }
                    _ => {
                        return Err(Stop::Temp(format!("the MX lookup of `{target}` failed")));
                    }
                };
                if hosts.len() > 10 {
                    return Err(Stop::Perm(format!(
                        "`{target}` has {} MX records, more than the 10 SPF allows",
                        hosts.len()
                    )));
                }
                for (_, host) in &hosts {
                    let host = host.strip_suffix('.').unwrap_or(host).to_string();
                    match self.host_has_ip(&host, depth, Some((*cidr4, *cidr6))).await {
                        Ok(true) => {
                            return Ok((true, Some(target), format!("MX host `{host}`")));
                        }
                        Ok(false) => {}
                        Err(a) if a.is_void() => {}
                        Err(_) => {
                            return Err(Stop::Temp(format!(
                                "the address lookup of MX host `{host}` failed"
                            )));
                        }
                    }
                }
                Ok((false, Some(target), String::new()))
            }
            Mechanism::Ptr { domain: spec } => {
                let target = self
                    .target(spec.as_ref(), domain)
                    .await
                    .to_ascii_lowercase();
                let names = self.validated_names(depth, true).await?;
                let hit = names.iter().find(|n| is_same_or_sub(n, &target));
                Ok((
                    hit.is_some(),
                    Some(target),
                    match hit {
                        Some(h) => format!("validated name `{h}`"),
                        None => format!("validated names: {}", names.join(", ")),
                    },
                ))
            }
            Mechanism::Exists { domain: spec } => {
                let target = self.expand_domain(spec, domain).await;
                let a = self.dns.a(&target).await;
                self.record_query(depth, &target, QueryType::A, &a, true, |v| {
                    v.iter().map(|x| x.to_string()).collect()
                });
                match a {
                    Answer::Records(_) => Ok((true, Some(target), String::new())),
                    a if a.is_void() => {
                        self.void()?;
                        Ok((false, Some(target), String::new()))
                    }
                    _ => Err(Stop::Temp(format!("the A lookup of `{target}` failed"))),
                }
            }
            Mechanism::Include { domain: spec } => {
                let target = self.expand_domain(spec, domain).await;
                let mut next = chain.to_vec();
                next.push(target.clone());
                let (result, _, reason) = self.check(target.clone(), depth + 1, next, false).await;
                match result {
                    SpfResult::Pass => Ok((true, Some(target), "the include passed".into())),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                        Ok((false, Some(target), format!("the include gave {result}")))
                    }
                    SpfResult::TempError => Err(Stop::Temp(reason)),
                    SpfResult::None => Err(Stop::Perm(format!(
                        "the include target `{target}` has no SPF record"
                    ))),
                    SpfResult::PermError => Err(Stop::Perm(reason)),
                }
            }
        }
    }

    fn mark_counted(&mut self, at: usize) {
        if let Some(TraceStep::Query { counted, .. }) = self.trace.get_mut(at) {
            *counted = true;
        }
    }

    async fn target(&mut self, spec: Option<&DomainSpec>, domain: &str) -> String {
        match spec {
            Some(s) => self.expand_domain(s, domain).await,
            None => domain.to_string(),
        }
    }

    async fn explanation(
        &mut self,
        spec: Option<&DomainSpec>,
        domain: &str,
        depth: u32,
    ) -> Option<String> {
        let default = self.options.default_explanation.clone();
        let Some(spec) = spec else { return default };
        let target = self.expand_domain(spec, domain).await;
        if !valid_domain(&target) {
            return default;
        }
        let txt = self.dns.txt(&target).await;
        self.record_query(depth, &target, QueryType::Txt, &txt, false, txt_texts);
        let Answer::Records(recs) = txt else {
            return default;
        };
        let [one] = recs.as_slice() else {
            return default;
        };
        let Ok(text) = std::str::from_utf8(one) else {
            return default;
        };
        let Ok(ms) = parse_macro_string(text, true) else {
            return default;
        };
        let ms: MacroString = ms;
        let validated = if ms.uses_p() {
            Some(self.validated_name(domain).await)
        } else {
            None
        };
        let cx = self.context(domain, validated.as_deref());
        Some(expand(&ms, &cx))
    }
}

// `&Vec` because it is passed as `fn(&T)` with `T = Vec<Vec<u8>>`.
#[allow(clippy::ptr_arg)]
fn txt_texts(v: &Vec<Vec<u8>>) -> Vec<String> {
    v.iter()
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect()
}

fn is_same_or_sub(name: &str, domain: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    name == domain || name.ends_with(&format!(".{domain}"))
}

fn v4_in(ip: std::net::Ipv4Addr, net: std::net::Ipv4Addr, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u32::MAX << (32 - u32::from(prefix.min(32)));
    u32::from(ip) & mask == u32::from(net) & mask
}

fn v6_in(ip: std::net::Ipv6Addr, net: std::net::Ipv6Addr, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(prefix.min(128)));
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The reverse-lookup name of an address.
pub fn ptr_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut n = macros::nibbles(&v6.octets());
            n.reverse();
            format!("{}.ip6.arpa", n.join("."))
        }
    }
}
