//! Autoconfig files as a domain's web server sends them, whatever they hold: a file written
//! from its servers reads back server by server (each used or left out with its reason);
//! any other bytes are refused or read without a panic.

use maildoc_engine::discover::autoconfig::{self, LeftOutReason};
use maildoc_model::{Protocol, Security};
use proptest::prelude::*;

/// One `<incomingServer>` or `<outgoingServer>` as written.
#[derive(Clone, Debug)]
struct Server {
    incoming: bool,
    kind: String,
    hostname: Option<String>,
    port: Option<String>,
    socket_type: Option<String>,
    username: Option<String>,
    authentication: Vec<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Server {
    fn xml(&self, comment: bool) -> String {
        let tag = if self.incoming {
            "incomingServer"
        } else {
            "outgoingServer"
        };
        let mut out = format!("<{tag} type=\"{}\">", escape(&self.kind));
        let element = |name: &str, v: &Option<String>| {
            v.as_ref()
                .map(|v| format!("\n  <{name}>{}</{name}>", escape(v)))
                .unwrap_or_default()
        };
        out.push_str(&element("hostname", &self.hostname));
        if comment {
            out.push_str("<!-- the port -->");
        }
        out.push_str(&element("port", &self.port));
        out.push_str(&element("socketType", &self.socket_type));
        out.push_str(&element("username", &self.username));
        for a in &self.authentication {
            out.push_str(&element("authentication", &Some(a.clone())));
        }
        if self.incoming && comment {
            out.push_str("<pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>");
        }
        out.push_str(&format!("</{tag}>"));
        out
    }

    /// What maildoc makes of it at `domain`: the server it uses, or why it leaves it out.
    fn expected(&self, domain: &str) -> Result<(Protocol, String, u16, Security), LeftOutReason> {
        let protocol = match (
            self.incoming,
            self.kind.trim().to_ascii_lowercase().as_str(),
        ) {
            (true, "imap") => Protocol::Imap,
            (true, "pop3") => Protocol::Pop3,
            (false, "smtp") => Protocol::Smtp,
            _ => return Err(LeftOutReason::UnknownType),
        };
        let host = self
            .hostname
            .as_deref()
            .map(|h| {
                h.replace("%EMAILDOMAIN%", domain)
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|h| !h.is_empty())
            .ok_or(LeftOutReason::NoHost)?;
        if host.contains('%') || host.contains(char::is_whitespace) {
            return Err(LeftOutReason::BadHost);
        }
        let port = match self.port.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(LeftOutReason::BadPort),
            },
        };
        let security = match self
            .socket_type
            .as_deref()
            .map(|s| s.trim().to_ascii_lowercase())
        {
            None => None,
            Some(s) => match s.as_str() {
                "" => None,
                "ssl" | "tls" => Some(Security::Tls),
                "starttls" => Some(Security::Starttls),
                "plain" => Some(Security::Plain),
                _ => return Err(LeftOutReason::BadSocketType),
            },
        };
        let (port, security) = match (port, security) {
            (Some(p), Some(s)) => (p, s),
            (None, Some(s)) => (protocol.default_port(s), s),
            (Some(p), None) if p == protocol.implicit_tls_port() => (p, Security::Tls),
            (Some(p), None) => (p, Security::Starttls),
            (None, None) => (protocol.implicit_tls_port(), Security::Tls),
        };
        Ok((protocol, host, port, security))
    }
}

fn server(incoming: bool) -> impl Strategy<Value = Server> {
    let kind = if incoming {
        prop::sample::select(vec!["imap", "pop3", "IMAP", " pop3 ", "exchange", "smtp"])
    } else {
        prop::sample::select(vec!["smtp", "SMTP", "ews", "imap"])
    };
    let host = prop_oneof![
        4 => "[a-z0-9]{1,8}\\.(example\\.jp|%EMAILDOMAIN%)",
        1 => Just("IMAP.%EMAILDOMAIN%".to_string()),
        1 => Just("  mail.example.jp\n ".to_string()),
        1 => prop::sample::select(vec!["", " ", "bad host", "%EMAILLOCALPART%.example.jp", "a&b.jp", "x<y"])
            .prop_map(str::to_string),
    ];
    let port = prop_oneof![
        4 => any::<u16>().prop_map(|p| p.to_string()),
        2 => prop::sample::select(vec!["993", "995", "465", "587", "143"]).prop_map(str::to_string),
        1 => prop::sample::select(vec!["0", "none", " 587 ", "70000", "-1", ""]).prop_map(str::to_string),
    ];
    let socket = prop::sample::select(vec![
        "SSL", "ssl", "TLS", "STARTTLS", "plain", "SSL/TLS", "",
    ]);
    (
        kind,
        prop::option::of(host),
        prop::option::of(port),
        prop::option::of(socket),
        prop::option::of(prop::sample::select(vec![
            "%EMAILADDRESS%",
            "%EMAILLOCALPART%",
            " taro ",
        ])),
        prop::collection::vec(
            prop::sample::select(vec![
                "password-cleartext",
                "OAuth2",
                " ",
                "password-encrypted",
            ]),
            0..3,
        ),
    )
        .prop_map(
            move |(kind, hostname, port, socket, username, auths)| Server {
                incoming,
                kind: kind.to_string(),
                hostname,
                port,
                socket_type: socket.map(str::to_string),
                username: username.map(str::to_string),
                authentication: auths.into_iter().map(str::to_string).collect(),
            },
        )
}

/// A file: its provider id and name, incoming servers, then outgoing ones.
fn config() -> impl Strategy<Value = (String, Option<String>, Vec<Server>, bool)> {
    (
        "[a-z0-9.]{1,12}",
        prop::option::of(
            prop::sample::select(vec!["Example %EMAILDOMAIN%", "  ", "メール"])
                .prop_map(str::to_string),
        ),
        prop::collection::vec(server(true), 0..4),
        prop::collection::vec(server(false), 0..3),
        any::<bool>(),
    )
        .prop_map(|(id, name, incoming, outgoing, comments)| {
            (
                id,
                name,
                incoming.into_iter().chain(outgoing).collect(),
                comments,
            )
        })
}

fn write(id: &str, name: &Option<String>, servers: &[Server], comments: bool) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n",
    );
    xml.push_str(&format!(
        "<emailProvider id=\"{}\">\n<domain>example.jp</domain>\n",
        escape(id)
    ));
    if let Some(n) = name {
        xml.push_str(&format!("<displayName>{}</displayName>\n", escape(n)));
    }
    for s in servers {
        xml.push_str(&s.xml(comments));
        xml.push('\n');
    }
    xml.push_str("<documentation url=\"https://example.jp/help\"><descr lang=\"ja\">設定</descr></documentation>\n");
    xml.push_str("</emailProvider>\n</clientConfig>\n");
    xml
}

/// A file as published, to be cut about.
const REAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.jp">
    <domain>example.jp</domain>
    <displayName>Example %EMAILDOMAIN%</displayName>
    <incomingServer type="imap">
      <hostname>IMAP.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.jp</hostname>
      <port>110</port>
      <socketType>STARTTLS</socketType>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.jp</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <documentation url="https://example.jp/help"><descr lang="ja">設定</descr></documentation>
  </emailProvider>
</clientConfig>"#;

fn cut_real() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => prop::sample::select(vec!['<', '>', '/', '"', '&', '=', '!', '?', ' ', '\n', '%', '0', 'x', '\0', 'é']),
        1 => any::<char>(),
    ];
    prop::collection::vec((any::<usize>(), 0u8..4, ch), 1..8).prop_map(|edits| {
        let mut text = REAL.to_string();
        for (at, how, c) in edits {
            let mut lines: Vec<&str> = text.lines().collect();
            if how == 3 {
                // A whole line dropped or doubled.
                let i = at % lines.len();
                if at % 2 == 0 {
                    lines.remove(i);
                } else {
                    lines.insert(i, lines[i]);
                }
                text = lines.join("\n");
                continue;
            }
            text = maildoc_testkit::mutate::edit_chars(&text, at, how, c);
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A file written from its servers reads back: each server used (host filled in and
    /// lower-cased, port and security completed) or left out with the reason, in the
    /// file's order.
    #[test]
    fn files_read_back_server_by_server((id, name, servers, comments) in config()) {
        let xml = write(&id, &name, &servers, comments);
        let config = match autoconfig::parse(&xml, "example.jp") {
            Ok(c) => c,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{xml}"))),
        };
        prop_assert_eq!(&config.id, &id);
        let want_name = name
            .map(|n| n.replace("%EMAILDOMAIN%", "example.jp").trim().to_string())
            .filter(|n| !n.is_empty());
        prop_assert_eq!(&config.name, &want_name);
        let (used, left): (Vec<_>, Vec<_>) = servers
            .iter()
            .map(|s| s.expected("example.jp"))
            .partition(Result::is_ok);
        let got: Vec<_> = config.servers.iter().map(|s| (s.protocol, s.host.clone(), s.port, s.security)).collect();
        let want: Vec<_> = used.into_iter().flatten().collect();
        prop_assert_eq!(got, want);
        let reasons: Vec<LeftOutReason> = config.left_out.iter().map(|l| l.reason).collect();
        let want: Vec<LeftOutReason> = left.into_iter().filter_map(Result::err).collect();
        prop_assert_eq!(reasons, want);
        for s in &config.servers {
            prop_assert!(!s.username.is_empty());
            prop_assert!(s.authentication.as_deref().is_none_or(|a| !a.trim().is_empty()));
        }
    }

    /// The published file cut about, and any bytes (read as UTF-8 with replacement): an
    /// error, or servers that can be probed as they are.
    #[test]
    fn any_file_is_refused_or_usable(
        text in prop_oneof![
            3 => cut_real(),
            1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            1 => "(<[a-zA-Z]{1,14}( [a-z]{1,4}=\"[ -~]{0,6}\")?/?>|</[a-zA-Z]{1,14}>|[ -~]{0,6}){0,16}",
        ],
        domain in prop_oneof![Just("example.jp".to_string()), "[ -~]{0,12}"],
    ) {
        if let Ok(c) = autoconfig::parse(&text, &domain) {
            for s in &c.servers {
                prop_assert!(!s.host.is_empty());
                prop_assert!(!s.host.contains('%') && !s.host.contains(char::is_whitespace), "{:?}", s.host);
                prop_assert_eq!(&s.host, &s.host.to_ascii_lowercase());
                prop_assert!(s.port > 0);
            }
        }
    }
}

/// Elements nested as deep as a 64 KiB file allows, where a server is expected or inside
/// one: read without exhausting the stack.
#[test]
fn deeply_nested_elements_are_read() {
    let depth = 64 * 1024 / 7;
    let nest = format!("{}{}", "<x>".repeat(depth), "</x>".repeat(depth));
    let inside = format!(
        "<clientConfig><emailProvider id=\"x\"><incomingServer type=\"imap\"><hostname>imap.x.jp</hostname>{nest}</incomingServer></emailProvider></clientConfig>"
    );
    assert_eq!(
        autoconfig::parse(&inside, "x.jp").map(|c| c.servers.len()),
        Ok(1)
    );
    let beside =
        format!("<clientConfig><emailProvider id=\"x\">{nest}</emailProvider></clientConfig>");
    assert_eq!(
        autoconfig::parse(&beside, "x.jp").map(|c| c.servers.len()),
        Ok(0)
    );
    let unclosed = format!("<clientConfig><emailProvider>{}", "<x>".repeat(depth));
    assert!(autoconfig::parse(&unclosed, "x.jp").is_err());
}
