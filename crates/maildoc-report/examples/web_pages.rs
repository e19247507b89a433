//! The two pages a web app serves, written against the library alone: a sending domain's
//! posture (`maildoc_engine::domain::check`) and a karte's check (`maildoc_engine::karte::check`),
//! each rendered as a self-contained HTML page by `maildoc_report`: the domain's page, the
//! check's page and the karte's sheet with the check in its history.
//!
//! `cargo run -p maildoc-report --example web_pages -- example.jp imap.example.jp` writes
//! `domain.html`, `check.html` and `karte.html` into the current directory.

use maildoc_engine::domain::{self, DomainName, Options};
use maildoc_engine::karte::{self, KarteCheckOptions};
use maildoc_engine::{Env, Error};
use maildoc_model::karte::{IncomingServer, Karte};
use maildoc_model::{Protocol, Security};
use maildoc_report::Lang;
use maildoc_report::karte::SheetFormat;
use std::net::SocketAddr;
use std::time::Duration;

/// An IMAP server as a karte records it.
fn imap_server(host: &str, port: u16, security: Security) -> IncomingServer {
    IncomingServer {
        protocol: Protocol::Imap,
        host: host.into(),
        port: Some(port),
        security: Some(security),
        username: None,
        leave_on_server: None,
        leave_on_server_days: None,
    }
}

/// The page of `domain`, the page of a karte's check with `imap`, and the karte's sheet
/// after it, in `lang`; `dns_server: None` asks the system's resolver.
async fn pages(
    domain: &str,
    dns_server: Option<SocketAddr>,
    imap: IncomingServer,
    lang: Lang,
) -> Result<[String; 3], Error> {
    let timeout = Duration::from_secs(10);
    // Built once and shared by every job, as a web app would keep it for all its pages.
    let env = Env::new(dns_server, None)?;
    let name = DomainName::parse(domain)?;
    let domain_opts = Options {
        timeout,
        ..Options::default()
    };
    let posture = domain::check(&env, &name, &domain_opts, |_| {}).await;
    let mut sheet = Karte::new(format!("info@{}", name.as_str()));
    // What a user typed into a form (here, markup) reaches the page as text.
    sheet.account.notes = Some("<b>IT</b> & \"helpdesk\"".into());
    sheet.incoming.push(imap);
    let opts = KarteCheckOptions {
        password: None,
        login: false,
        allow_plaintext_login: false,
        timeout,
    };
    // A web app would forward each progress event to the browser.
    let checked = karte::check(&env, &mut sheet, opts, |_| {}).await?;
    let risks = karte::risks(&sheet);
    Ok([
        maildoc_report::domain::html(&posture, lang),
        maildoc_report::check::html(&checked.report, lang, None),
        maildoc_report::karte::render(&sheet, &risks, lang, SheetFormat::Html),
    ])
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [domain, imap] = args.as_slice() else {
        return Err("usage: web_pages DOMAIN IMAP_HOST".into());
    };
    let imap = imap_server(imap, 993, Security::Tls);
    let pages = pages(domain, None, imap, Lang::En)
        .await
        .map_err(|e| maildoc_report::error::words(&e, Lang::En))?;
    for (file, page) in ["domain.html", "check.html", "karte.html"]
        .iter()
        .zip(pages)
    {
        std::fs::write(file, page).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use maildoc_testkit::hostile::{Behaviour, DnsBehaviour, Hostile, Script, dns};

    /// A DNS server that fails every query and an IMAP server without TLS, on 127.0.0.1.
    #[tokio::test]
    async fn both_pages_from_loopback_servers() {
        let server = Hostile::start(Behaviour::Script(
            Duration::ZERO,
            Script::imap("IMAP4rev1 AUTH=PLAIN"),
        ));
        let dns_server = dns(DnsBehaviour::ServFail);
        for lang in [Lang::Ja, Lang::En] {
            let imap = imap_server("127.0.0.1", server.addr.port(), Security::Plain);
            let [domain_page, check_page, karte_page] =
                pages("posture.test", Some(dns_server), imap, lang)
                    .await
                    .unwrap();
            for page in [&domain_page, &check_page, &karte_page] {
                assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
                assert!(page.trim_end().ends_with("</html>"), "{page}");
            }
            // The domain's findings, and the check's codes and the karte's risks on the sheet.
            assert!(
                domain_page.contains("domain-lookup-failed"),
                "{domain_page}"
            );
            assert!(karte_page.contains("plaintext-only-server"), "{karte_page}");
            // The check's page: the finding with its cause and fix.
            let finding = maildoc_report::html::escape(
                &maildoc_kb::finding_text(maildoc_model::Code::PlaintextOnlyServer, lang).fix,
            );
            assert!(check_page.contains("plaintext-only-server"), "{check_page}");
            let start: String = finding.chars().take(12).collect();
            assert!(check_page.contains(&start), "{check_page}");
            assert!(
                karte_page.contains("karte-imap-quota-unchecked"),
                "{karte_page}"
            );
            assert!(karte_page.contains("&lt;b&gt;IT&lt;/b&gt; &amp; &quot;helpdesk&quot;"));
            assert!(!karte_page.contains("<b>IT"));
        }
    }
}
