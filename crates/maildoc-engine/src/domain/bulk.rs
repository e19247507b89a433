//! Many domains at once: a stream of inputs in, a stream of reports out, each as soon as it
//! is done.

use super::{DomainName, Options, check};
use crate::{Env, Error};
use futures_util::{Stream, StreamExt};
use maildoc_model::domain::DomainReport;

/// Checks the domain of each input's text as [`check`] does, at most `concurrency` at once
/// (each under its own deadline of `opts.timeout`), all through `env`'s resolver and its
/// query-rate cap. Yields each input's key (what the caller knows it by: a line number, a
/// row) with its report, or with why its text is not a domain name, in the order they
/// finish. Inputs are taken only as slots free up, so a long input costs no memory; dropping
/// the stream stops the checks in flight.
pub fn check_many<'a, K: 'a>(
    env: &'a Env,
    inputs: impl Stream<Item = (K, String)> + 'a,
    opts: &'a Options,
    concurrency: usize,
) -> impl Stream<Item = (K, Result<DomainReport, Error>)> + 'a {
    inputs
        .map(move |(key, text)| async move {
            let outcome = match DomainName::parse(&text) {
                Ok(domain) => Ok(check(env, &domain, opts, |_| {}).await),
                Err(e) => Err(e),
            };
            (key, outcome)
        })
        .buffer_unordered(concurrency.max(1))
}
