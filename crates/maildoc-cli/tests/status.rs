//! `maildoc status` as a person runs it. The feeds are served by the lab's HTTPS server (a
//! fixture written into its document root): an incident now, a feed that cannot be read
//! (unknown, never "down"), a provider with no feed, one maildoc does not know.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::lab::{Lab, Run, run_with_env};
use std::ffi::OsStr;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn status(lab: &Lab, args: &[&str]) -> Run {
    let (dns, ca) = (lab.dns(), lab.ca());
    let mut all = vec!["status"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--dns-server", &dns, "--ca-file", &ca, "--timeout", "8"]);
    run_with_env(BIN, &all, b"", &[("LANG", OsStr::new("C"))])
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn the_providers_own_feed_is_read_and_a_failed_fetch_says_unknown() {
    let lab = Lab::get();
    let host = "autoconfig.auto.lab.example";
    let root = std::path::Path::new(&lab.var("MAILDOC_LAB_DIR"))
        .join("autoconfig")
        .join(host)
        .join("status-test");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("incidents.json"),
        r#"[{"begin":"2026-12-07T02:00:00+00:00","end":null,"external_desc":"Gmail delivery delays","status_impact":"SERVICE_DISRUPTION","affected_products":[{"title":"Gmail"}]}]"#,
    )
    .unwrap();
    let feed = format!("https://{host}/status-test/incidents.json");
    let busy = status(&lab, &["taro@gmail.com", "--feed", &feed]);
    assert_eq!(busy.code, 1, "{}\n{}", busy.stdout, busy.stderr);
    assert!(
        busy.stdout.contains("shows a mail incident now"),
        "{}",
        busy.stdout
    );
    assert!(
        busy.stdout.contains("Gmail delivery delays"),
        "{}",
        busy.stdout
    );

    let missing = format!("https://{host}/status-test/none.json");
    let unknown = status(&lab, &["gmail", "--feed", &missing, "--format", "json"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    let report: serde_json::Value = serde_json::from_str(&unknown.stdout).unwrap();
    assert_eq!(report["state"], "unknown");

    let no_feed = status(&lab, &["au", "--lang", "ja"]);
    assert_eq!(no_feed.code, 0, "{}", no_feed.stderr);
    assert!(
        no_feed.stdout.contains("https://www.au.com/information/"),
        "{}",
        no_feed.stdout
    );
    assert_eq!(status(&lab, &["example.invalid"]).code, 3);

    // Microsoft's feed: an item per service with its own status.
    std::fs::write(
        root.join("mac.xml"),
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title><item><title>Microsoft 365 suite</title><status>Available</status></item><item><title>Outlook.com</title><status>Service degradation</status></item></channel></rss>"#,
    )
    .unwrap();
    let feed = format!("https://{host}/status-test/mac.xml");
    let outlook = status(
        &lab,
        &["taro@outlook.jp", "--feed", &feed, "--format", "json"],
    );
    assert_eq!(outlook.code, 1, "{}\n{}", outlook.stdout, outlook.stderr);
    let report: serde_json::Value = serde_json::from_str(&outlook.stdout).unwrap();
    assert_eq!(report["incidents"][0]["title"], "Outlook.com");

    // A hoster's own Statuspage, for a provider without a feed in maildoc's table.
    std::fs::write(
        root.join("summary.json"),
        r#"{"page":{"url":"https://status.example.jp"},"components":[{"name":"Mail","status":"operational"}],"incidents":[]}"#,
    )
    .unwrap();
    let feed = format!("https://{host}/status-test/summary.json");
    let hoster = status(
        &lab,
        &["xserver", "--feed", &feed, "--feed-format", "statuspage"],
    );
    assert_eq!(hoster.code, 0, "{}\n{}", hoster.stdout, hoster.stderr);
    assert!(
        hoster
            .stdout
            .contains("(XServer): its own status feed shows no mail incident"),
        "{}",
        hoster.stdout
    );
    assert_eq!(
        status(&lab, &["xserver", "--feed", &feed, "--feed-format", "csv"]).code,
        3,
        "an unknown format is a usage error"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
