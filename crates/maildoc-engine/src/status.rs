//! `maildoc status PROVIDER|ADDRESS` as a library call: the provider's own status feed read
//! now (Apple's system status, Google Workspace's incidents, an RSS or Atom feed such as
//! Microsoft 365's status or docomo's network notices, an Atlassian Statuspage's summary), its
//! incidents for mail folded out of it, and "unknown" whenever the feed cannot be read or
//! understood: a fetch that failed says nothing about the provider.

use crate::{Env, Error};
use maildoc_kb::status::StatusSource;
use maildoc_model::status::{FeedState, Incident, STATUS_SCHEMA_VERSION, StatusReport};
use maildoc_probe::clock::RunClock;
use maildoc_probe::http::FetchOutcome;
use std::time::Duration;

/// The largest feed read.
const MAX_FEED: usize = 4 << 20;

/// The most incidents or notices kept.
const MAX_INCIDENTS: usize = 10;

/// The provider a text names: a provider id, a mail domain or an address at one.
pub fn source_for(text: &str) -> Option<(&'static StatusSource, String)> {
    let t = text.trim().to_ascii_lowercase();
    let named = |id: &str| {
        maildoc_kb::status::for_provider(id).map(|s| {
            let name = maildoc_kb::providers::all()
                .iter()
                .find(|p| p.id == s.provider)
                .map_or_else(|| s.provider.clone(), |p| p.name.clone());
            (s, name)
        })
    };
    if let Some(found) = named(&t) {
        return Some(found);
    }
    let domain = t.rsplit('@').next().unwrap_or(&t);
    let provider = maildoc_kb::providers::for_domain(domain)?;
    named(&provider.id)
}

/// Where to read a provider's status instead of its own feed: a URL, and the feed's format
/// (else the provider's).
#[derive(Clone, Copy, Debug, Default)]
pub struct FeedOverride<'a> {
    pub url: Option<&'a str>,
    pub format: Option<&'a str>,
}

/// The feed formats maildoc reads.
pub const FORMATS: [&str; 4] = ["apple", "google", "rss", "statuspage"];

/// The status of the provider `text` names; `feed` overrides where and how its feed is read
/// (a hoster's own Statuspage, tests).
pub async fn status(
    env: &Env,
    text: &str,
    feed: FeedOverride<'_>,
    timeout: Duration,
) -> Result<StatusReport, Error> {
    let known = source_for(text);
    // A provider without a status page of its own in maildoc's table is read from the feed
    // given for it (a hoster's Statuspage), its page being that feed.
    let (provider, name, page, own_feed, own_format, services) = match (&known, feed.url) {
        (Some((source, name)), _) => (
            source.provider.clone(),
            name.clone(),
            source.page.clone(),
            source.feed.clone(),
            source.format.as_deref(),
            source.services.as_slice(),
        ),
        (None, Some(url)) => {
            let id = text.trim().to_ascii_lowercase();
            let name = maildoc_kb::providers::all()
                .iter()
                .find(|p| p.id == id)
                .map_or_else(|| id.clone(), |p| p.name.clone());
            (id, name, url.to_owned(), None, None, &[][..])
        }
        (None, None) => {
            return Err(Error::Domain {
                typed: text.to_owned(),
                detail: format!("maildoc knows no status page for {text}"),
            });
        }
    };
    let mut report = StatusReport {
        schema_version: STATUS_SCHEMA_VERSION,
        maildoc_version: env!("CARGO_PKG_VERSION").to_owned(),
        provider,
        name,
        page,
        feed: feed.url.map(str::to_owned).or(own_feed),
        state: FeedState::NoFeed,
        incidents: Vec::new(),
        detail: None,
    };
    let format = feed.format.or(own_format);
    let (Some(url), Some(format)) = (report.feed.clone(), format) else {
        return Ok(report);
    };
    let clock = RunClock::new(timeout);
    let fetched =
        maildoc_probe::http::get_https(&url, &env.dns, &env.trust, &clock, MAX_FEED).await;
    if fetched.outcome != FetchOutcome::Fetched {
        report.state = FeedState::Unknown;
        report.detail = Some(fetched.detail);
        return Ok(report);
    }
    let body = String::from_utf8_lossy(&fetched.body);
    match parse(format, &body, services) {
        Ok((state, mut incidents)) => {
            incidents.truncate(MAX_INCIDENTS);
            report.state = state;
            report.incidents = incidents;
        }
        Err(detail) => {
            report.state = FeedState::Unknown;
            report.detail = Some(detail);
        }
    }
    Ok(report)
}

/// A feed's text as a state and its incidents for `services`.
pub fn parse(
    format: &str,
    body: &str,
    services: &[String],
) -> Result<(FeedState, Vec<Incident>), String> {
    match format {
        "apple" => apple(body, services),
        "google" => google(body, services),
        "rss" => rss(body, services),
        "statuspage" => statuspage(body, services),
        other => Err(format!("unknown feed format {other}")),
    }
}

fn state_of(incidents: &[Incident]) -> FeedState {
    if incidents.iter().any(|i| i.ongoing) {
        FeedState::Incidents
    } else {
        FeedState::Normal
    }
}

/// Apple's system status: `jsonCallback({"services":[{"serviceName", "events":[...]}]});`.
fn apple(body: &str, services: &[String]) -> Result<(FeedState, Vec<Incident>), String> {
    let start = body.find('{').ok_or("no JSON object in the feed")?;
    let end = body.rfind('}').ok_or("no JSON object in the feed")?;
    let json: serde_json::Value = serde_json::from_str(body.get(start..=end).unwrap_or(""))
        .map_err(|e| format!("not JSON: {e}"))?;
    let list = json["services"]
        .as_array()
        .ok_or("no services in the feed")?;
    let mut incidents = Vec::new();
    for service in list {
        let name = service["serviceName"].as_str().unwrap_or_default();
        if !services.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            continue;
        }
        for event in service["events"].as_array().into_iter().flatten() {
            let status = event["eventStatus"].as_str().unwrap_or_default().to_owned();
            let ongoing = !status.eq_ignore_ascii_case("resolved")
                && !status.eq_ignore_ascii_case("completed");
            let since = event["epochStartDate"]
                .as_i64()
                .map(crate::history::rfc3339);
            incidents.push(Incident {
                title: event["message"]
                    .as_str()
                    .or(event["statusType"].as_str())
                    .unwrap_or(name)
                    .to_owned(),
                status: Some(status),
                since,
                ongoing,
                link: None,
            });
        }
    }
    incidents.sort_by_key(|i| std::cmp::Reverse(i.ongoing));
    Ok((state_of(&incidents), incidents))
}

/// Google Workspace's incidents: a JSON array; an incident with no `end` is ongoing.
fn google(body: &str, services: &[String]) -> Result<(FeedState, Vec<Incident>), String> {
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let list = json
        .as_array()
        .ok_or("the feed is not a list of incidents")?;
    let mut incidents = Vec::new();
    for item in list {
        let affects = item["affected_products"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| {
                p["title"]
                    .as_str()
                    .is_some_and(|t| services.iter().any(|s| s.eq_ignore_ascii_case(t)))
            });
        if !affects {
            continue;
        }
        let ongoing = item["end"].is_null();
        incidents.push(Incident {
            title: item["external_desc"]
                .as_str()
                .or(item["most_recent_update"]["text"].as_str())
                .unwrap_or("?")
                .lines()
                .next()
                .unwrap_or("?")
                .to_owned(),
            status: item["status_impact"].as_str().map(str::to_owned),
            since: item["begin"].as_str().map(str::to_owned),
            ongoing,
            link: item["uri"]
                .as_str()
                .map(|u| format!("https://www.google.com/appsstatus/dashboard/{u}")),
        });
    }
    incidents.sort_by_key(|i| std::cmp::Reverse(i.ongoing));
    Ok((state_of(&incidents), incidents))
}

/// What a feed item's own status says when the service is working again, or works.
const CALM: &[&str] = &[
    "available",
    "operational",
    "normal",
    "resolved",
    "restored",
    "service restored",
    "false positive",
    "post-incident report published",
    "completed",
];

/// An RSS feed (2.0, or 1.0 as RDF) or an Atom feed: its items, newest first. An item with a
/// status of its own (Microsoft's) is an incident while that status is not a calm one, and
/// left out when it is; an item without one (docomo's notices) is a notice, never called
/// ongoing. With `services`, only the items whose title names one of them.
fn rss(body: &str, services: &[String]) -> Result<(FeedState, Vec<Incident>), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    let mut items = Vec::new();
    let mut in_item = false;
    let mut field = String::new();
    let blank = Incident {
        title: String::new(),
        status: None,
        since: None,
        ongoing: false,
        link: None,
    };
    let mut current = blank.clone();
    let mut feed_seen = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name().as_ref().to_string();
                match name.as_str() {
                    "item" | "entry" => {
                        in_item = true;
                        current = blank.clone();
                    }
                    "channel" | "RDF" | "rss" | "feed" => feed_seen = true,
                    _ => {}
                }
                field = name;
            }
            // Atom's link is an empty element with its address in `href`.
            Ok(Event::Empty(e)) if in_item && e.local_name().as_ref() == "link" => {
                if let Ok(Some(href)) = e.try_get_attribute("href") {
                    current.link = Some(href.value.to_string());
                }
            }
            Ok(Event::Text(t)) if in_item => {
                let text = t.xml10_content().into_owned();
                let text = text.trim();
                match field.as_str() {
                    "title" => current.title.push_str(text),
                    "link" => current.link = Some(text.to_owned()),
                    "date" | "pubDate" | "updated" | "published" => {
                        current.since = Some(text.to_owned());
                    }
                    "status" => current.status = Some(text.to_owned()),
                    _ => {}
                }
            }
            Ok(Event::End(e)) => {
                if matches!(e.local_name().as_ref(), "item" | "entry") {
                    in_item = false;
                    if !current.title.is_empty() {
                        items.push(std::mem::replace(&mut current, blank.clone()));
                    }
                }
                field.clear();
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("not XML: {e}")),
            _ => {}
        }
        if items.len() > 1000 {
            break;
        }
    }
    if !feed_seen {
        return Err("not an RSS or Atom feed".to_owned());
    }
    let names = |title: &str| {
        services.is_empty()
            || services
                .iter()
                .any(|s| title.to_lowercase().contains(&s.to_lowercase()))
    };
    let mut incidents: Vec<Incident> = items
        .into_iter()
        .filter(|i| names(&i.title))
        .filter_map(|mut i| match &i.status {
            Some(status) if CALM.contains(&status.trim().to_lowercase().as_str()) => None,
            Some(_) => {
                i.ongoing = true;
                Some(i)
            }
            None => Some(i),
        })
        .collect();
    incidents.sort_by(|a, b| b.ongoing.cmp(&a.ongoing).then(b.since.cmp(&a.since)));
    let state = if incidents.iter().any(|i| i.ongoing) {
        FeedState::Incidents
    } else if incidents.is_empty() {
        FeedState::Normal
    } else {
        FeedState::Notices
    };
    Ok((state, incidents))
}

/// An Atlassian Statuspage's summary (`/api/v2/summary.json`): its unresolved incidents, and
/// its components that are not operational; with `services`, only those that name one.
fn statuspage(body: &str, services: &[String]) -> Result<(FeedState, Vec<Incident>), String> {
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let (Some(components), Some(list)) =
        (json["components"].as_array(), json["incidents"].as_array())
    else {
        return Err("not a Statuspage summary".to_owned());
    };
    let names = |name: &str| {
        services.is_empty()
            || services
                .iter()
                .any(|s| name.to_lowercase().contains(&s.to_lowercase()))
    };
    let page = json["page"]["url"].as_str().map(str::to_owned);
    let mut incidents = Vec::new();
    for item in list {
        let status = item["status"].as_str().unwrap_or_default();
        let affected: Vec<&str> = item["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        let title = item["name"].as_str().unwrap_or("?");
        if !(names(title) || affected.iter().any(|c| names(c))) {
            continue;
        }
        incidents.push(Incident {
            title: title.to_owned(),
            status: Some(status.to_owned()),
            since: item["created_at"].as_str().map(str::to_owned),
            ongoing: !matches!(status, "resolved" | "postmortem" | "completed"),
            link: item["shortlink"].as_str().map(str::to_owned),
        });
    }
    for c in components {
        let status = c["status"].as_str().unwrap_or_default();
        let name = c["name"].as_str().unwrap_or("?");
        if matches!(status, "operational" | "") || !names(name) {
            continue;
        }
        incidents.push(Incident {
            title: name.to_owned(),
            status: Some(status.to_owned()),
            since: c["updated_at"].as_str().map(str::to_owned),
            // Planned work is announced, not an outage.
            ongoing: status != "under_maintenance",
            link: page.clone(),
        });
    }
    incidents.sort_by_key(|i| std::cmp::Reverse(i.ongoing));
    let state = if incidents.iter().any(|i| i.ongoing) {
        FeedState::Incidents
    } else if incidents.is_empty() {
        FeedState::Normal
    } else {
        FeedState::Notices
    };
    Ok((state, incidents))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(s: &str) -> Vec<String> {
        vec![s.to_owned()]
    }

    #[test]
    fn apples_jsonp_gives_the_ongoing_mail_events() {
        let body = r#"jsonCallback({"services":[{"serviceName":"iCloud Mail","events":[{"eventStatus":"ongoing","statusType":"Issue","epochStartDate":1796612400000,"message":"Some users are unable to receive mail."},{"eventStatus":"resolved","message":"Earlier issue"}]},{"serviceName":"Maps","events":[{"eventStatus":"ongoing","message":"not mail"}]}]});"#;
        let (state, incidents) =
            parse("apple", body, &services("iCloud Mail")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, FeedState::Incidents);
        assert_eq!(incidents.len(), 2);
        assert!(incidents[0].ongoing);
        assert_eq!(incidents[0].since.as_deref(), Some("2026-12-07T03:00:00Z"));
        let calm = r#"jsonCallback({"services":[{"serviceName":"iCloud Mail","events":[]}]});"#;
        assert_eq!(
            parse("apple", calm, &services("iCloud Mail")).map(|r| r.0),
            Ok(FeedState::Normal)
        );
        assert!(
            parse(
                "apple",
                "<html>maintenance</html>",
                &services("iCloud Mail")
            )
            .is_err()
        );
    }

    #[test]
    fn googles_incidents_for_gmail_only() {
        let body = r#"[{"begin":"2026-12-07T02:00:00+00:00","end":null,"external_desc":"Gmail delivery delays\nmore","status_impact":"SERVICE_DISRUPTION","uri":"incidents/abc","affected_products":[{"title":"Gmail","id":"x"}]},{"begin":"2026-12-01T00:00:00+00:00","end":"2026-12-01T01:00:00+00:00","external_desc":"Old","affected_products":[{"title":"Gmail"}]},{"end":null,"external_desc":"Drive","affected_products":[{"title":"Google Drive"}]}]"#;
        let (state, incidents) =
            parse("google", body, &services("Gmail")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, FeedState::Incidents);
        assert_eq!(incidents.len(), 2);
        assert_eq!(incidents[0].title, "Gmail delivery delays");
        assert_eq!(incidents[0].status.as_deref(), Some("SERVICE_DISRUPTION"));
        assert!(parse("google", "{}", &services("Gmail")).is_err());
    }

    #[test]
    fn an_rdf_feed_lists_notices_newest_first() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://www.docomo.ne.jp/"><title>通信障害</title></channel>
<item rdf:about="https://www.docomo.ne.jp/info/notice/a.html"><title>一部地域でドコモメールが利用しづらい状況について</title><link>https://www.docomo.ne.jp/info/notice/a.html</link><dc:date>2026-12-07T10:00:00+09:00</dc:date></item>
<item rdf:about="https://www.docomo.ne.jp/info/notice/b.html"><title>以前のお知らせ</title><link>https://www.docomo.ne.jp/info/notice/b.html</link><dc:date>2026-11-30T10:00:00+09:00</dc:date></item>
</rdf:RDF>"#;
        let (state, incidents) = parse("rss", body, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, FeedState::Notices);
        assert_eq!(
            incidents[0].title,
            "一部地域でドコモメールが利用しづらい状況について"
        );
        assert!(!incidents[0].ongoing);
        assert!(parse("rss", "not xml <", &[]).is_err());
    }

    #[test]
    fn an_rss_item_with_a_status_is_an_incident_until_it_is_calm() {
        let body = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title>
<item><title>Microsoft 365 suite</title><status>Available</status><pubDate>Mon, 07 Dec 2026 03:00:00 GMT</pubDate></item>
<item><title>Exchange Online</title><status>Service degradation</status><link>https://status.example/ex</link><pubDate>Mon, 07 Dec 2026 02:00:00 GMT</pubDate></item>
<item><title>Teams</title><status>Investigating</status></item>
</channel></rss>"#;
        let (state, incidents) = parse("rss", body, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, FeedState::Incidents);
        assert_eq!(incidents.len(), 2, "the calm item is left out");
        assert!(incidents.iter().all(|i| i.ongoing));
        let (_, exchange) =
            parse("rss", body, &services("Exchange")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(exchange.len(), 1);
        assert_eq!(
            exchange[0].link.as_deref(),
            Some("https://status.example/ex")
        );
        let calm = r#"<rss><channel><item><title>Exchange Online</title><status>Available</status></item></channel></rss>"#;
        assert_eq!(parse("rss", calm, &[]).map(|r| r.0), Ok(FeedState::Normal));
        // Atom: entries with their link in href.
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>Mail delays</title><link href="https://status.example/1"/><updated>2026-12-07T03:00:00Z</updated></entry></feed>"#;
        let (state, notices) = parse("rss", atom, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, FeedState::Notices);
        assert_eq!(notices[0].link.as_deref(), Some("https://status.example/1"));
        assert!(parse("rss", r#"{"json": true}"#, &[]).is_err());
    }

    #[test]
    fn a_statuspage_summary_gives_its_incidents_and_broken_components() {
        let body = r#"{"page":{"url":"https://status.example.jp"},"status":{"indicator":"minor"},
"components":[{"name":"Mail (IMAP/POP)","status":"partial_outage","updated_at":"2026-12-07T03:00:00Z"},
{"name":"Web","status":"operational"},{"name":"Mail (SMTP)","status":"under_maintenance"}],
"incidents":[{"name":"Delays receiving mail","status":"investigating","created_at":"2026-12-07T02:50:00Z","shortlink":"https://stspg.io/x","components":[{"name":"Mail (IMAP/POP)"}]},
{"name":"Control panel slow","status":"monitoring","components":[{"name":"Web"}]}]}"#;
        let (state, incidents) =
            parse("statuspage", body, &services("mail")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, FeedState::Incidents);
        let titles: Vec<&str> = incidents.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Delays receiving mail", "Mail (IMAP/POP)", "Mail (SMTP)"]
        );
        assert!(
            !incidents[2].ongoing,
            "maintenance is announced, not an outage"
        );
        let calm = r#"{"components":[{"name":"Mail","status":"operational"}],"incidents":[]}"#;
        assert_eq!(
            parse("statuspage", calm, &[]).map(|r| r.0),
            Ok(FeedState::Normal)
        );
        assert!(parse("statuspage", "[]", &[]).is_err());
    }

    #[test]
    fn providers_are_found_by_id_domain_or_address() {
        assert_eq!(
            source_for("docomo").map(|s| s.0.provider.as_str()),
            Some("docomo")
        );
        assert_eq!(
            source_for("taro@docomo.ne.jp").map(|s| s.0.provider.as_str()),
            Some("docomo")
        );
        assert_eq!(
            source_for("gmail.com").map(|s| s.0.provider.as_str()),
            Some("gmail")
        );
        assert!(source_for("example.invalid").is_none());
    }
}
