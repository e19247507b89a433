//! Discovery without the network: the tables' answer, the ranking, when to stop waiting,
//! what a probe of a guessed server says, and the JSON form.

use super::*;
use maildoc_model::{
    CertInfo, CertVerification, ConnectOutcome, Endpoint, GreetingOutcome, Origin, ProbeDepth,
    Protocol, ResolveOutcome, Security, ServerEvidence, StarttlsOutcome, StepKind, TlsEvidence,
    TlsHandshake, TlsMode,
};

fn address(text: &str) -> Address {
    input::parse_address(text)
        .map(|(a, _)| a)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn hosts(r: &Option<Recommendation>) -> Option<(Protocol, &str, u16, Security)> {
    r.as_ref().map(|r| {
        (
            r.server.protocol,
            r.server.host.as_str(),
            r.server.port,
            r.server.security,
        )
    })
}

#[test]
fn well_known_providers_are_answered_by_the_tables() {
    let d = tables(&address("taro@gmail.com"), Vec::new());
    assert!(d.settled_by_tables());
    assert!(d.found());
    assert_eq!(
        hosts(&d.incoming),
        Some((Protocol::Imap, "imap.gmail.com", 993, Security::Tls))
    );
    assert_eq!(
        hosts(&d.outgoing),
        Some((Protocol::Smtp, "smtp.gmail.com", 465, Security::Tls))
    );
    assert_eq!(
        hosts(&d.alternative),
        Some((Protocol::Pop3, "pop.gmail.com", 995, Security::Tls))
    );
    assert_eq!(d.settings_source(), maildoc_model::SettingsSource::Provider);
    let p = d.provider.as_ref().unwrap_or_else(|| panic!("provider"));
    assert_eq!(p.found_by, FoundBy::Domain);
    assert!(!p.notes.is_empty(), "Gmail has notes");
    assert!(p.notes.iter().all(|n| !n.ja.is_empty() && !n.en.is_empty()));

    // iCloud: the local part for IMAP, the whole address for SMTP.
    let d = tables(&address("someone@icloud.com"), Vec::new());
    assert_eq!(
        d.incoming.as_ref().and_then(|r| r.server.username.clone()),
        Some("someone".to_string())
    );
    assert_eq!(
        d.outgoing.as_ref().and_then(|r| r.server.username.clone()),
        Some("someone@icloud.com".to_string())
    );
}

#[test]
fn a_user_name_not_derived_from_the_address_is_named_not_invented() {
    let d = tables(&address("taro@docomo.ne.jp"), Vec::new());
    assert!(d.found());
    let imap = &d.incoming.as_ref().unwrap_or_else(|| panic!("imap")).server;
    assert_eq!(imap.host, "imap.spmode.ne.jp");
    assert_eq!(imap.username, None);
    assert!(matches!(imap.username_rule, UsernameRule::Other(_)));
}

#[test]
fn softbank_mms_is_not_for_mail_apps() {
    let d = tables(&address("taro@softbank.ne.jp"), Vec::new());
    assert!(d.settled_by_tables(), "nothing to look for on the network");
    assert!(!d.found());
    assert!(d.incoming.is_none() && d.outgoing.is_none());
    let p = d.provider.as_ref().unwrap_or_else(|| panic!("provider"));
    assert!(p.not_for_mail_apps);
    assert!(
        p.notes
            .iter()
            .any(|n| n.ja.contains("MMS") && n.en.contains("MMS"))
    );
}

#[test]
fn unknown_domains_and_providers_without_servers_need_the_network() {
    let d = tables(&address("taro@example.jp"), Vec::new());
    assert!(!d.settled_by_tables());
    assert!(d.provider.is_none());
    assert_eq!(d.sources.len(), 1);
    assert_eq!(d.sources[0].outcome, SourceOutcome::NotListed);
    // A provider the tables know only by its notes (au one net: names per address).
    let d = tables(&address("taro@ab.auone-net.jp"), Vec::new());
    assert!(d.provider.is_some());
    assert!(!d.settled_by_tables());
}

#[test]
fn guesses_come_encrypted_first_host_by_host() {
    let g = guesses("example.jp");
    assert_eq!(g.len(), 20);
    assert_eq!(
        g[0],
        (
            Protocol::Imap,
            "imap.example.jp".to_string(),
            993,
            Security::Tls
        )
    );
    assert_eq!(
        g[1],
        (
            Protocol::Imap,
            "imap.example.jp".to_string(),
            143,
            Security::Starttls
        )
    );
    let pop3: Vec<&str> = g
        .iter()
        .filter(|x| x.0 == Protocol::Pop3 && x.3 == Security::Tls)
        .map(|x| x.1.as_str())
        .collect();
    assert_eq!(
        pop3,
        [
            "pop3.example.jp",
            "pop.example.jp",
            "mail.example.jp",
            "example.jp"
        ]
    );
    let smtp: Vec<(&str, u16)> = g
        .iter()
        .filter(|x| x.0 == Protocol::Smtp)
        .map(|x| (x.1.as_str(), x.2))
        .collect();
    assert_eq!(
        smtp,
        [
            ("smtp.example.jp", 465),
            ("smtp.example.jp", 587),
            ("mail.example.jp", 465),
            ("mail.example.jp", 587),
            ("example.jp", 465),
            ("example.jp", 587)
        ]
    );
    assert!(g.iter().all(|x| x.3 != Security::Plain));
    assert_eq!(
        autoconfig_urls("example.jp"),
        [
            "https://autoconfig.example.jp/mail/config-v1.1.xml",
            "https://example.jp/.well-known/autoconfig/mail/config-v1.1.xml"
        ]
    );
}

#[test]
fn autoconfig_user_name_templates() {
    let a = address("taro@example.jp");
    assert_eq!(
        username_template("%EMAILADDRESS%", &a),
        (UsernameRule::Address, Some("taro@example.jp".into()))
    );
    assert_eq!(
        username_template("%EMAILLOCALPART%", &a),
        (UsernameRule::LocalPart, Some("taro".into()))
    );
    assert_eq!(
        username_template("%EMAILLOCALPART%.%EMAILDOMAIN%", &a),
        (
            UsernameRule::Other("%EMAILLOCALPART%.%EMAILDOMAIN%".into()),
            Some("taro.example.jp".into())
        )
    );
}

// --- ranking and stopping ---------------------------------------------------------------------

fn candidate(
    protocol: Protocol,
    host: &str,
    security: Security,
    source: SourceKind,
    rank: u32,
    status: CandidateStatus,
) -> Candidate {
    Candidate {
        server: Server {
            protocol,
            host: host.into(),
            port: protocol.default_port(security),
            security,
            username: Some("taro@example.jp".into()),
            username_rule: UsernameRule::Address,
            authentication: None,
            grade: None,
            username_grade: None,
        },
        source,
        from: host.into(),
        srv: None,
        status,
        detail: String::new(),
        at_ms: None,
        elapsed_ms: None,
        evidence: None,
        rank: rank_of(security, rank, 0),
    }
}

fn empty() -> Discovery {
    let mut d = tables(&address("taro@example.jp"), Vec::new());
    d.sources
        .push(source(SourceKind::Guess, "example.jp".into(), 0));
    d
}

#[test]
fn recommendation_prefers_encryption_then_trusted_sources_and_imap() {
    let mut d = empty();
    use CandidateStatus::{Answered, NoEncryption, Published};
    use SourceKind::{Autoconfig, Guess, Srv};
    for c in [
        candidate(
            Protocol::Imap,
            "g.example.jp",
            Security::Tls,
            Guess,
            1000,
            Answered,
        ),
        candidate(
            Protocol::Imap,
            "plain.example.jp",
            Security::Plain,
            Autoconfig,
            100,
            Published,
        ),
        candidate(
            Protocol::Imap,
            "srv.example.jp",
            Security::Starttls,
            Srv,
            200,
            Published,
        ),
        candidate(
            Protocol::Pop3,
            "pop.example.jp",
            Security::Tls,
            Guess,
            1001,
            Answered,
        ),
        candidate(
            Protocol::Smtp,
            "bad.example.jp",
            Security::Tls,
            Guess,
            1002,
            NoEncryption,
        ),
    ] {
        d.add(1, c);
    }
    d.sort_candidates();
    d.recommend();
    // SRV (published, STARTTLS) beats the guess; the plain autoconfig entry comes last.
    assert_eq!(
        hosts(&d.incoming),
        Some((Protocol::Imap, "srv.example.jp", 143, Security::Starttls))
    );
    assert_eq!(hosts(&d.alternative).map(|h| h.1), Some("pop.example.jp"));
    // A guess that did not answer with encryption is never recommended.
    assert!(d.outgoing.is_none());
    assert!(!d.found());
    // Sorted: the sources' indexes follow their candidates.
    assert_eq!(d.candidates[0].server.host, "srv.example.jp");
    assert_eq!(
        d.candidates.last().map(|c| c.server.host.as_str()),
        Some("plain.example.jp")
    );
    let listed: Vec<&str> = d.sources[1]
        .candidates
        .iter()
        .map(|&i| d.candidates[i].server.host.as_str())
        .collect();
    assert_eq!(
        listed,
        [
            "g.example.jp",
            "plain.example.jp",
            "srv.example.jp",
            "pop.example.jp",
            "bad.example.jp"
        ]
    );
    assert_eq!(d.incoming.as_ref().map(|r| r.candidate), Some(0));

    // Only POP3: it is the incoming server, with no alternative.
    let mut d = empty();
    d.add(
        1,
        candidate(
            Protocol::Pop3,
            "pop.example.jp",
            Security::Tls,
            Guess,
            1000,
            Answered,
        ),
    );
    d.recommend();
    assert_eq!(hosts(&d.incoming).map(|h| h.0), Some(Protocol::Pop3));
    assert!(d.alternative.is_none());
}

fn contributor(rank: u32, protocols: &'static [Protocol], done: bool) -> Contributor {
    Contributor {
        rank,
        protocols,
        source: 0,
        candidate: None,
        done,
    }
}

#[test]
fn waiting_stops_once_nothing_pending_could_win() {
    let mut d = empty();
    let pending = vec![
        contributor(RANK_AUTOCONFIG, ALL, false),
        contributor(RANK_GUESS, IMAP, false),
        contributor(RANK_GUESS + 1, SMTP, false),
    ];
    assert!(!settled(&d, &pending, Need::Check));
    // A guess answered, but the autoconfig file could still win.
    d.add(
        1,
        candidate(
            Protocol::Imap,
            "imap.example.jp",
            Security::Tls,
            SourceKind::Guess,
            RANK_GUESS,
            CandidateStatus::Answered,
        ),
    );
    let mut c = pending;
    c[1].done = true;
    assert!(!settled(&d, &c, Need::Check));
    // The autoconfig file is gone; SMTP still waits for its guess.
    c[0].done = true;
    assert!(!settled(&d, &c, Need::Check));
    d.add(
        1,
        candidate(
            Protocol::Smtp,
            "smtp.example.jp",
            Security::Tls,
            SourceKind::Guess,
            RANK_GUESS + 1,
            CandidateStatus::Answered,
        ),
    );
    c[2].done = true;
    assert!(settled(&d, &c, Need::Check));

    // A published SMTP server ranks above every guess still running.
    let mut d = empty();
    d.add(
        1,
        candidate(
            Protocol::Smtp,
            "smtp.example.jp",
            Security::Tls,
            SourceKind::Srv,
            RANK_SRV,
            CandidateStatus::Published,
        ),
    );
    d.add(
        1,
        candidate(
            Protocol::Imap,
            "imap.example.jp",
            Security::Tls,
            SourceKind::Srv,
            RANK_SRV,
            CandidateStatus::Published,
        ),
    );
    let c = vec![
        contributor(RANK_GUESS, IMAP, false),
        contributor(RANK_GUESS + 10, POP3, false),
        contributor(RANK_GUESS + 20, SMTP, false),
    ];
    // `check` needs no POP3 beside IMAP; `discover` waits for the POP3 guess.
    assert!(settled(&d, &c, Need::Check));
    assert!(!settled(&d, &c, Need::All));
}

// --- judging a guessed server -----------------------------------------------------------------

fn evidence(steps: Vec<StepKind>) -> ServerEvidence {
    let mut ev = ServerEvidence::new(
        "guess-1",
        Endpoint::new(Protocol::Imap, "imap.example.jp", 993, Security::Tls),
        Origin::Guess,
        ProbeDepth::Full,
    );
    for s in steps {
        ev.push(0, 1, s);
    }
    ev
}

fn resolved() -> StepKind {
    StepKind::Resolve {
        host: "imap.example.jp".into(),
        outcome: ResolveOutcome::Found,
        addresses: vec![std::net::IpAddr::from([127, 0, 0, 1])],
        detail: String::new(),
    }
}

fn connected(outcome: ConnectOutcome) -> StepKind {
    StepKind::Connect {
        address: std::net::SocketAddr::from(([127, 0, 0, 1], 993)),
        outcome,
        detail: String::new(),
    }
}

fn tls(verification: CertVerification) -> StepKind {
    StepKind::Tls(Box::new(TlsEvidence {
        mode: TlsMode::Implicit,
        server_name: "imap.example.jp".into(),
        handshake: TlsHandshake::Established,
        failure: None,
        version: Some("TLS 1.3".into()),
        cipher: None,
        chain: Vec::<CertInfo>::new(),
        verification,
        verify_error: None,
        leaf_problems: Vec::new(),
        aia: None,
        public_root: false,
        client_cert_requested: false,
    }))
}

fn greeting(outcome: GreetingOutcome) -> StepKind {
    StepKind::Greeting {
        outcome,
        text: "* OK ready".into(),
        spoken: None,
        server_time: None,
    }
}

#[test]
fn a_guessed_server_counts_only_with_verified_encryption() {
    use CandidateStatus as S;
    let judge_of = |steps| judge(&evidence(steps)).0;
    assert_eq!(
        judge_of(vec![
            resolved(),
            connected(ConnectOutcome::Connected),
            tls(CertVerification::Valid),
            greeting(GreetingOutcome::Ready)
        ]),
        S::Answered
    );
    assert_eq!(
        judge_of(vec![
            resolved(),
            connected(ConnectOutcome::Connected),
            tls(CertVerification::Expired),
            greeting(GreetingOutcome::Ready)
        ]),
        S::CertificateNotTrusted
    );
    assert_eq!(
        judge_of(vec![
            resolved(),
            connected(ConnectOutcome::Connected),
            greeting(GreetingOutcome::Ready),
            StepKind::Starttls {
                outcome: StarttlsOutcome::NotOffered,
                reply: String::new()
            }
        ]),
        S::NoEncryption
    );
    assert_eq!(
        judge_of(vec![
            resolved(),
            connected(ConnectOutcome::Connected),
            tls(CertVerification::Valid),
            greeting(GreetingOutcome::OtherProtocol)
        ]),
        S::OtherProtocol
    );
    assert_eq!(
        judge_of(vec![resolved(), connected(ConnectOutcome::Refused)]),
        S::ConnectFailed
    );
    assert_eq!(
        judge_of(vec![StepKind::Resolve {
            host: "imap.example.jp".into(),
            outcome: ResolveOutcome::NotFound,
            addresses: Vec::new(),
            detail: "NXDOMAIN".into(),
        }]),
        S::Nxdomain
    );
    assert_eq!(
        judge_of(vec![
            resolved(),
            connected(ConnectOutcome::Connected),
            StepKind::Deadline {
                phase: maildoc_model::Phase::Greeting
            }
        ]),
        S::Deadline
    );
}

#[test]
fn json_round_trip() {
    let mut d = tables(&address("taro@gmail.com"), Vec::new());
    skip_network(&mut d, "gmail.com");
    let text = serde_json::to_string(&d).unwrap_or_else(|e| panic!("{e}"));
    let back: Discovery = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    // The ranks are not part of the JSON; everything else is.
    assert_eq!(back.incoming, d.incoming);
    assert_eq!(back.sources, d.sources);
    assert_eq!(back.provider, d.provider);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value["schema_version"], DISCOVERY_SCHEMA_VERSION);
    assert_eq!(value["incoming"]["host"], "imap.gmail.com");
    assert_eq!(value["incoming"]["security"], "tls");
    assert_eq!(value["incoming"]["source"], "provider");
    assert_eq!(value["sources"][1]["outcome"], "skipped");
    // The tables' grades are fields of the JSON; other sources have none.
    assert_eq!(value["incoming"]["grade"], "B");
    assert_eq!(value["incoming"]["username_grade"], "B");
    let mut guess = empty();
    guess.add(
        1,
        candidate(
            Protocol::Imap,
            "imap.example.jp",
            Security::Tls,
            SourceKind::Guess,
            1000,
            CandidateStatus::Answered,
        ),
    );
    let value = serde_json::to_value(&guess).unwrap_or_else(|e| panic!("{e}"));
    assert!(value["candidates"][0].get("grade").is_none());
}

// --- Japanese providers, through `discover` itself ----------------------------------------------

/// An environment whose DNS server (in this process) knows only the MX records `mx` and
/// answers NXDOMAIN to everything else: nothing leaves the machine.
fn env_with_mx(mx: &[(&str, &str)]) -> Env {
    Env::new(Some(maildoc_testkit::zone::mx_only(mx)), None).unwrap_or_else(|e| panic!("{e}"))
}

async fn run(env: &Env, address: &str) -> Discovery {
    let opts = DiscoverOptions {
        timeout: Duration::from_secs(10),
    };
    discover(env, address, &opts, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{address}: {e}"))
}

/// Host, port, security and the grades of a recommended server.
type Graded<'a> = (&'a str, u16, Security, Option<Grade>, Option<Grade>);

fn graded(r: &Option<Recommendation>) -> Option<Graded<'_>> {
    r.as_ref().map(|r| {
        (
            r.server.host.as_str(),
            r.server.port,
            r.server.security,
            r.server.grade,
            r.server.username_grade,
        )
    })
}

fn note_ids(d: &Discovery) -> Vec<&str> {
    d.provider
        .iter()
        .flat_map(|p| &p.notes)
        .map(|n| n.id.as_str())
        .collect()
}

#[tokio::test]
async fn japanese_providers_answer_with_their_values_and_grades() {
    use Grade::{B, C, D};
    let env = env_with_mx(&[]);
    // au, both domains: the ezweb hosts seen in real configurations (D), and a user name that
    // is an ID of au's, named and not invented. No network source is asked.
    for address in ["taro@au.com", "taro@ezweb.ne.jp"] {
        let d = run(&env, address).await;
        assert!(d.found(), "{address}");
        assert_eq!(
            graded(&d.incoming),
            Some(("imap.ezweb.ne.jp", 993, Security::Tls, Some(D), Some(D)))
        );
        assert_eq!(
            graded(&d.outgoing),
            Some(("smtp.ezweb.ne.jp", 465, Security::Tls, Some(D), Some(D)))
        );
        let imap = &d.incoming.as_ref().unwrap_or_else(|| panic!("imap")).server;
        assert!(imap.unconfirmed() && imap.username_unconfirmed());
        assert_eq!(imap.username, None);
        assert!(matches!(&imap.username_rule, UsernameRule::Other(what) if what.contains("au")));
        assert!(
            d.sources[1..]
                .iter()
                .all(|s| s.outcome == SourceOutcome::Skipped)
        );
        assert_eq!(note_ids(&d), ["au-settings-unconfirmed"]);
    }
    // So-net: IMAP from a third-party table (C) with POP3 beside it, sending from real
    // configurations (D); the user name, the whole address, from real configurations too.
    let d = run(&env, "taro@aa2.so-net.ne.jp").await;
    assert_eq!(
        graded(&d.incoming),
        Some(("imap.so-net.ne.jp", 993, Security::Tls, Some(C), Some(D)))
    );
    assert_eq!(
        graded(&d.alternative),
        Some(("pop.so-net.ne.jp", 995, Security::Tls, Some(C), Some(D)))
    );
    assert_eq!(
        graded(&d.outgoing),
        Some((
            "mail.so-net.ne.jp",
            587,
            Security::Starttls,
            Some(D),
            Some(D)
        ))
    );
    assert_eq!(
        d.outgoing
            .as_ref()
            .and_then(|r| r.server.username.as_deref()),
        Some("taro@aa2.so-net.ne.jp")
    );
    assert_eq!(note_ids(&d), ["so-net-subdomain", "so-net-imap-option"]);
    // @nifty: IMAP and SMTP over SSL/TLS from third parties (C), POP3 from the ISPDB's
    // pending update (B); the ISPDB's plain 587 is a candidate, never the recommendation.
    let d = run(&env, "taro@nifty.com").await;
    assert_eq!(
        graded(&d.incoming),
        Some(("imap.nifty.com", 993, Security::Tls, Some(C), Some(B)))
    );
    assert_eq!(
        graded(&d.alternative),
        Some(("pop.nifty.com", 995, Security::Tls, Some(B), Some(B)))
    );
    assert_eq!(
        graded(&d.outgoing),
        Some(("smtp.nifty.com", 465, Security::Tls, Some(C), Some(B)))
    );
    assert!(
        d.candidates
            .iter()
            .any(|c| c.server.port == 587 && c.server.security == Security::Plain)
    );
    // plala: only the outgoing server is known (D). The network is asked for the rest and,
    // finding nothing, discovery says so; the notes say what is known about incoming mail.
    let d = run(&env, "taro@violet.plala.or.jp").await;
    assert!(!d.settled_by_tables());
    assert_eq!(d.incoming, None);
    assert_eq!(
        graded(&d.outgoing),
        Some((
            "secure.plala.or.jp",
            587,
            Security::Starttls,
            Some(D),
            Some(D)
        ))
    );
    assert_eq!(
        d.outgoing.as_ref().map(|r| r.source),
        Some(SourceKind::Provider)
    );
    let p = d.provider.as_ref().unwrap_or_else(|| panic!("plala"));
    assert!(p.notes[0].ja.contains("受信サーバー名") && p.notes[0].en.contains("incoming"));
}

#[tokio::test]
async fn a_customer_domain_at_a_hosting_company_says_where_the_server_name_is() {
    use Grade::{C, D};
    // The customer's own domain, whose MX is the contract's initial domain at Sakura.
    let env = env_with_mx(&[("shop.example.jp", "www1234.sakura.ne.jp")]);
    let d = run(&env, "taro@shop.example.jp").await;
    let p = d.provider.as_ref().unwrap_or_else(|| panic!("no provider"));
    assert_eq!(p.id, "sakura");
    assert_eq!(
        p.found_by,
        FoundBy::Mx {
            exchange: "www1234.sakura.ne.jp".into()
        }
    );
    // No server name is guessed from the MX: the per-contract servers keep their ports,
    // security and grades, and the note says where the name is.
    assert!(p.per_contract.iter().all(|s| s.host.is_none()));
    let per_contract: Vec<(Protocol, u16, Security, Grade, Grade)> = p
        .per_contract
        .iter()
        .map(|s| (s.protocol, s.port, s.security, s.grade, s.username_grade))
        .collect();
    assert_eq!(
        per_contract,
        [
            (Protocol::Imap, 993, Security::Tls, C, D),
            (Protocol::Pop3, 995, Security::Tls, C, D),
            (Protocol::Smtp, 587, Security::Starttls, C, D),
        ]
    );
    assert!(
        d.candidates
            .iter()
            .all(|c| c.source != SourceKind::Mx && !c.server.host.ends_with("sakura.ne.jp"))
    );
    assert_eq!(note_ids(&d), ["sakura-server-name"]);
    let note = &p.notes[0];
    assert!(note.ja.contains("コントロールパネル") && note.ja.contains("初期ドメイン"));
    assert!(note.en.contains("control panel") && note.en.contains("initial domain"));
    // Nothing else answered: no settings are made up.
    assert!(!d.found());
    let mx = d.sources.iter().find(|s| s.kind == SourceKind::Mx);
    assert_eq!(mx.map(|s| s.outcome), Some(SourceOutcome::Found));
}

#[tokio::test]
async fn discovery_tells_each_source_and_guess_as_it_is_done() {
    let env = env_with_mx(&[("shop.example.jp", "mx.shop.example.jp")]);
    let opts = DiscoverOptions {
        timeout: Duration::from_secs(10),
    };
    let mut heard = Vec::new();
    let d = discover(&env, "taro@shop.example.jp", &opts, |e| heard.push(e))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        heard.first(),
        Some(&Event::Discovering {
            domain: "shop.example.jp".into()
        })
    );
    // Each source asked over the network is told as the report holds it.
    let told: Vec<(SourceKind, &str, SourceOutcome)> = heard
        .iter()
        .filter_map(|e| match e {
            Event::DiscoverySource {
                kind,
                target,
                outcome,
                ..
            } => Some((*kind, target.as_str(), *outcome)),
            _ => None,
        })
        .collect();
    let held: Vec<(SourceKind, &str, SourceOutcome)> = d
        .sources
        .iter()
        .filter(|s| !matches!(s.kind, SourceKind::Guess | SourceKind::Provider))
        .map(|s| (s.kind, s.target.as_str(), s.outcome))
        .collect();
    assert_eq!(told.len(), held.len(), "{told:?} / {held:?}");
    assert!(told.iter().all(|t| held.contains(t)), "{told:?} / {held:?}");
    assert!(told.iter().any(|(kind, _, _)| *kind == SourceKind::Mx));
    // The guessed servers were tried too, each told once.
    let guesses = heard
        .iter()
        .filter(|e| matches!(e, Event::DiscoveryGuess { .. }))
        .count();
    let tried = d
        .candidates
        .iter()
        .filter(|c| c.source == SourceKind::Guess)
        .filter(|c| {
            !matches!(
                c.status,
                CandidateStatus::NotNeeded | CandidateStatus::Deadline
            )
        })
        .count();
    assert!(guesses > 0);
    assert_eq!(guesses, tried, "{heard:#?}");
}
