//! The DNS of `maildoc_auth`'s SPF evaluator through the run's resolver: [`SpfResolver`]
//! implements `maildoc_auth::spf::SpfDns` with [`Dns`] under the run's clock, so the SPF
//! crate stays without sockets. NXDOMAIN, NODATA, SERVFAIL and timeouts stay apart.

use crate::clock::RunClock;
use crate::dns::{Dns, reverse_name};
use hickory_resolver::proto::rr::{RData, RecordType};
use maildoc_auth::spf::{Answer, DnsFuture, SpfDns};
use maildoc_model::ResolveOutcome;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// [`Dns`] and the run's clock, as the SPF evaluator's DNS.
#[derive(Clone, Copy, Debug)]
pub struct SpfResolver<'a> {
    pub dns: &'a Dns,
    pub clock: &'a RunClock,
}

impl<'a> SpfResolver<'a> {
    pub fn new(dns: &'a Dns, clock: &'a RunClock) -> Self {
        SpfResolver { dns, clock }
    }

    async fn answer<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Answer<Vec<T>> {
        let (outcome, data, _, _) = self.dns.records(name, rtype, self.clock).await;
        let records: Vec<T> = data.iter().filter_map(pick).collect();
        to_answer(outcome, records)
    }
}

fn to_answer<T>(outcome: ResolveOutcome, records: Vec<T>) -> Answer<Vec<T>> {
    match outcome {
        ResolveOutcome::Found if !records.is_empty() => Answer::Records(records),
        ResolveOutcome::Found | ResolveOutcome::NoAddress => Answer::NoData,
        ResolveOutcome::NotFound => Answer::NxDomain,
        ResolveOutcome::Timeout => Answer::Timeout,
        ResolveOutcome::ServerFailure | ResolveOutcome::ResolverError => Answer::ServFail,
    }
}

fn host(name: &hickory_resolver::proto::rr::Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

impl SpfDns for SpfResolver<'_> {
    fn txt<'b>(&'b self, name: &'b str) -> DnsFuture<'b, Vec<Vec<u8>>> {
        Box::pin(self.answer(name, RecordType::TXT, |d| match d {
            RData::TXT(t) => Some(t.txt_data.iter().flat_map(|p| p.iter().copied()).collect()),
            _ => None,
        }))
    }

    fn a<'b>(&'b self, name: &'b str) -> DnsFuture<'b, Vec<Ipv4Addr>> {
        Box::pin(self.answer(name, RecordType::A, |d| match d {
            RData::A(a) => Some(a.0),
            _ => None,
        }))
    }

    fn aaaa<'b>(&'b self, name: &'b str) -> DnsFuture<'b, Vec<Ipv6Addr>> {
        Box::pin(self.answer(name, RecordType::AAAA, |d| match d {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        }))
    }

    fn mx<'b>(&'b self, name: &'b str) -> DnsFuture<'b, Vec<(u16, String)>> {
        Box::pin(self.answer(name, RecordType::MX, |d| match d {
            RData::MX(m) => Some((m.preference, host(&m.exchange))),
            _ => None,
        }))
    }

    fn ptr<'b>(&'b self, ip: IpAddr) -> DnsFuture<'b, Vec<String>> {
        Box::pin(async move {
            self.answer(&reverse_name(ip), RecordType::PTR, |d| match d {
                RData::PTR(p) => Some(host(&p.0)),
                _ => None,
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_map_to_spf_answers() {
        assert_eq!(
            to_answer(ResolveOutcome::Found, vec![1]),
            Answer::Records(vec![1])
        );
        assert_eq!(
            to_answer::<u8>(ResolveOutcome::Found, vec![]),
            Answer::NoData
        );
        assert_eq!(
            to_answer::<u8>(ResolveOutcome::NoAddress, vec![]),
            Answer::NoData
        );
        assert_eq!(
            to_answer::<u8>(ResolveOutcome::NotFound, vec![]),
            Answer::NxDomain
        );
        assert_eq!(
            to_answer::<u8>(ResolveOutcome::Timeout, vec![]),
            Answer::Timeout
        );
        assert_eq!(
            to_answer::<u8>(ResolveOutcome::ServerFailure, vec![]),
            Answer::ServFail
        );
    }
}
