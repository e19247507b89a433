//! `maildoc_engine::check` as a library call against in-process servers: the progress it
//! tells while it runs, and what the Env decides.

use maildoc_engine::{CheckOptions, Clock, Env, Event, Password, check};
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Protocol, StepKind};
use maildoc_testkit::hostile::{Behaviour, Echo, Hostile};
use std::time::Duration;

const PASSWORD: &str = "Live-Steps-pw-7";

fn options(servers: Vec<ServerSetting>) -> CheckOptions {
    CheckOptions {
        settings: AccountSettings {
            address: "taro@example.jp".into(),
            username: None,
            servers,
        },
        password: Some(Password::new(PASSWORD.into())),
        login: true,
        smtp_auth: true,
        allow_plaintext_login: true,
        timeout: Duration::from_secs(8),
    }
}

/// Every step of every server is told as it is recorded, before that server's end, in the
/// order the report holds them; and a server that echoes the password is told redacted.
#[tokio::test]
async fn each_step_is_told_as_it_happens_and_never_with_the_password() {
    let imap = Hostile::start(Behaviour::Echo(Echo::ImapLogin));
    let smtp = Hostile::start(Behaviour::Echo(Echo::SmtpPlain));
    let servers = vec![
        ServerSetting::parse(Protocol::Imap, &imap.spec("plain")).unwrap(),
        ServerSetting::parse(Protocol::Smtp, &smtp.spec("plain")).unwrap(),
    ];
    let env = Env::new(None, None).unwrap();
    let mut told = Vec::new();
    let report = check(&env, options(servers), |e| told.push(e))
        .await
        .unwrap();

    let Some(Event::Planned { servers: planned }) = told.first() else {
        panic!("the plan comes first: {told:?}");
    };
    let ids: Vec<&str> = planned.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["imap", "smtp"]);
    for server in &report.servers {
        let steps: Vec<_> = told
            .iter()
            .filter_map(|e| match e {
                Event::Step { server: s, step } if *s == server.id => Some(step.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(steps, server.steps, "{} told as recorded", server.id);
        let done = told
            .iter()
            .position(
                |e| matches!(e, Event::ServerDone { evidence, .. } if evidence.id == server.id),
            )
            .unwrap();
        // The dot judged on the server alone is the report's here (no rule compares them).
        let Event::ServerDone { status, .. } = &told[done] else {
            unreachable!()
        };
        assert_eq!(*status, report.server_status(&server.id), "{}", server.id);
        let last_step = told
            .iter()
            .rposition(|e| matches!(e, Event::Step { server: s, .. } if *s == server.id))
            .unwrap();
        assert!(last_step < done, "{}: steps before the end", server.id);
        assert!(
            server
                .steps
                .iter()
                .any(|s| matches!(s.kind, StepKind::Login { .. })),
            "{} tried the login the server echoes",
            server.id
        );
    }
    let json = serde_json::to_string(&told).unwrap();
    assert!(!json.contains(PASSWORD), "the events carry the password");
    assert!(json.contains("\"event\":\"step\""), "{json}");
}

/// The report is dated by the Env's clock, and dropping the future stops the run: the
/// server sees its connection closed.
#[tokio::test]
async fn the_env_dates_the_report_and_dropping_the_call_stops_it() {
    let silent = Hostile::start(Behaviour::Silent);
    let servers = vec![ServerSetting::parse(Protocol::Imap, &silent.spec("plain")).unwrap()];
    let env = Env::new(None, None)
        .unwrap()
        .with_clock(Clock::Fixed(1_700_000_000));
    let mut opts = options(servers);
    opts.timeout = Duration::from_secs(1);
    let report = check(&env, opts, |_| {}).await.unwrap();
    assert_eq!(report.started_at_unix, 1_700_000_000);
    assert_eq!(report.started_at, "2023-11-14T22:13:20Z");

    // A server that accepts, says nothing, and watches for the client to go.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("{}/plain", listener.local_addr().unwrap());
    let watcher = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let started = std::time::Instant::now();
        let closed = matches!(std::io::Read::read(&mut conn, &mut [0u8; 64]), Ok(0));
        (closed, started.elapsed())
    });
    let servers = vec![ServerSetting::parse(Protocol::Imap, &spec).unwrap()];
    let cut = tokio::time::timeout(
        Duration::from_millis(300),
        check(&env, options(servers), |_| {}),
    )
    .await;
    assert!(cut.is_err(), "a silent server holds the check");
    let (closed, after) = watcher.join().unwrap();
    assert!(closed, "the connection is closed once the call is dropped");
    assert!(
        after < Duration::from_secs(3),
        "closed at once, not at the deadline: {after:?}"
    );
}
