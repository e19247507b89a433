//! Port 25 of each MX host, as a sending server would meet it.

use crate::Env;
use futures_util::future::join_all;
use maildoc_model::domain::MxHost;
use maildoc_probe::clock::RunClock;

/// Each MX host on port 25 with maildoc-probe's SMTP session at
/// [`ProbeDepth::Transport`](maildoc_model::ProbeDepth::Transport): greeting, EHLO,
/// STARTTLS, TLS, QUIT; no login and no envelope (the server is another party's). All at
/// once, each under the run's deadline.
pub(super) async fn mx_smtp(
    hosts: &[MxHost],
    domain: &str,
    env: &Env,
    clock: &RunClock,
) -> Vec<maildoc_model::ServerEvidence> {
    use maildoc_model::{Endpoint, Origin, ProbeDepth, Protocol, Security};
    use maildoc_probe::context::{Account, ProbeContext};
    use maildoc_probe::server::{ServerPlan, probe};
    let ctx = ProbeContext {
        account: Account {
            address: format!("postmaster@{domain}"),
            local_part: "postmaster".to_string(),
            username: String::new(),
            password: None,
            login: false,
            smtp_auth: false,
            allow_plaintext_login: false,
            suspect_host: false,
        },
        dns: env.dns.clone(),
        trust: env.trust.clone(),
        clock: *clock,
        now_unix: env.clock.now().unix_timestamp(),
        steps: None,
        delivery: None,
        search: None,
    };
    let mut names: Vec<&str> = Vec::new();
    for h in hosts {
        if h.exchange != "." && !names.contains(&h.exchange.as_str()) {
            names.push(&h.exchange);
        }
    }
    join_all(names.iter().enumerate().map(|(i, host)| {
        probe(
            ServerPlan {
                id: format!("mx{}", i + 1),
                endpoint: Endpoint::new(Protocol::Smtp, *host, 25, Security::Starttls),
                origin: Origin::Flag,
                depth: ProbeDepth::Transport,
            },
            &ctx,
        )
    }))
    .await
}
