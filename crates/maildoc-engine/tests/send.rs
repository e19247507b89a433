//! Every job's future can be spawned on a multi-threaded runtime (as a web server does with
//! each request's job) when its progress callback can be sent: a compile-time check, run as
//! a test so that it cannot be forgotten.

use maildoc_engine::karte::KarteCheckOptions;
use maildoc_engine::{CheckOptions, DiscoverOptions, Env, Event, domain};
use maildoc_karte::Karte;
use maildoc_model::settings::AccountSettings;
use std::time::Duration;

fn spawnable<T: Send + 'static>(_: &T) {}

#[test]
fn every_job_can_be_spawned() {
    let env = Env::new(None, None).unwrap();
    let progress = |_: Event| {};
    let opts = CheckOptions {
        settings: AccountSettings {
            address: "taro@example.jp".into(),
            username: None,
            servers: Vec::new(),
        },
        password: None,
        login: false,
        smtp_auth: true,
        allow_plaintext_login: false,
        timeout: Duration::from_secs(1),
    };
    let e = env.clone();
    let o = opts.clone();
    spawnable(&async move { maildoc_engine::check(&e, o, progress).await });
    let e = env.clone();
    spawnable(&async move {
        maildoc_engine::discover(
            &e,
            "taro@example.jp",
            &DiscoverOptions {
                timeout: Duration::from_secs(1),
            },
            |_| {},
        )
        .await
    });
    let e = env.clone();
    spawnable(&async move {
        let name = domain::DomainName::parse("example.jp").unwrap();
        domain::check(&e, &name, &domain::Options::default(), progress).await
    });
    let e = env.clone();
    spawnable(&async move {
        let mut karte = Karte::new("taro@example.jp");
        let opts = KarteCheckOptions {
            password: None,
            login: false,
            allow_plaintext_login: false,
            timeout: Duration::from_secs(1),
        };
        maildoc_engine::karte::check(&e, &mut karte, opts, progress).await
    });
    let e = env.clone();
    let o = opts.clone();
    spawnable(&async move {
        let explanation = maildoc_engine::explain::explain("535 5.7.8");
        maildoc_engine::explain::cross_check(&e, &explanation, o, progress).await
    });
    let e = env.clone();
    spawnable(&async move {
        let opts = maildoc_engine::send::SendOptions {
            settings: AccountSettings {
                address: "taro@example.jp".into(),
                username: None,
                servers: Vec::new(),
            },
            password: maildoc_engine::Password::new("pw".into()),
            allow_plaintext_login: false,
            recipients: vec!["hanako@example.jp".into()],
            subject: "s".into(),
            text: "t".into(),
            message_id: None,
            timeout: Duration::from_secs(1),
        };
        maildoc_engine::send::send(&e, opts, progress).await
    });
    spawnable(&async move {
        let mut outcome =
            maildoc_triage::Outcome::new(maildoc_triage::Triage::new("receive").unwrap());
        maildoc_engine::triage::check(&env, &mut outcome, opts, progress).await
    });
}
