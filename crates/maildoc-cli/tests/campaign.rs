//! A hostile campaign: servers that never end an answer, trickle, flood, send bytes that are
//! no text, hang up on the login, refuse everything or answer nonsense, and DNS servers that
//! loop, truncate or time out. Against each, `maildoc check` logs in (over plaintext, so the
//! password is really sent) and must end by its deadline, not panic, stay under the memory
//! bound, show no password, and name a fitting finding.
//!
//! Peak memory is read with GNU time (`/usr/bin/time -f %M`, installed with the lab).

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_model::Code;
use maildoc_testkit::hostile::{Behaviour, DnsBehaviour, Endless, Hostile, Script, dns};
use maildoc_testkit::lab::{Run, leaks, run_with_input};
use maildoc_testkit::scratch::Scratch;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");
const PASSWORD: &str = "Cmp4ign-Pw!xq81-hostile";
const ADDRESS: &str = "taro@hostile.test";
const USERNAMES: &[&str] = &["taro@hostile.test", "taro"];
/// The deadline of every run.
const TIMEOUT: u64 = 8;
/// The most a check may grow past the binary's own footprint (`maildoc --version`),
/// whatever the server does: a bound on what a hostile server can make it hold, not on how
/// large the binary is. A check's own code and TLS state come to about 16 MiB of it in a
/// debug build; what a hostile server could add (answers of up to 4 MiB, endless sessions)
/// would cross it.
const MAX_GROWTH_KB: u64 = 24 * 1024;

enum Target {
    /// A server on 127.0.0.1, named by this flag.
    Server(&'static str, Behaviour),
    /// A host name asked of this DNS server.
    Dns(DnsBehaviour),
    /// `check` without server flags (so discovery asks the DNS server everything).
    Discover(DnsBehaviour),
    /// `maildoc domain` asking this DNS server.
    Domain(DnsBehaviour),
    /// `openssl s_server` demanding a client certificate, at this TLS version flag.
    ClientCert(&'static str),
}

struct Case {
    name: &'static str,
    target: Target,
    /// One of these codes must be found.
    fitting: &'static [Code],
}

fn imap_script(capabilities: &str) -> Script {
    Script::imap(capabilities)
}

fn pop3_script() -> Script {
    Script {
        greeting: vec!["+OK ready".into()],
        rules: vec![
            ("CAPA".into(), vec!["+OK".into(), "USER".into(), ".".into()]),
            ("PASS".into(), vec!["-ERR [AUTH] invalid login".into()]),
            ("QUIT".into(), vec!["+OK bye".into()]),
        ],
        default: vec!["+OK".into()],
        close_after: vec!["QUIT".into()],
    }
}

/// An SMTP server that greets, then gives `reply` to every command.
fn smtp_answering_all(reply: &str) -> Behaviour {
    Behaviour::Script(
        Duration::ZERO,
        Script {
            greeting: vec!["220 ready ESMTP".into()],
            rules: Vec::new(),
            default: vec![reply.into()],
            close_after: Vec::new(),
        },
    )
}

fn cases() -> Vec<Case> {
    let keywords: Vec<String> = (0..10_000).map(|i| format!("X-KEYWORD-{i}")).collect();
    let keywords: Vec<&str> = keywords.iter().map(String::as_str).collect();
    let atoms: Vec<String> = (0..10_000).map(|i| format!("X-ATOM-{i}")).collect();
    let mut capa = vec!["+OK".to_string()];
    capa.extend((0..10_000).map(|i| format!("X-CAPA-{i}")));
    capa.push(".".into());
    let mut flood_pop3 = pop3_script();
    flood_pop3.rules.insert(0, ("CAPA".into(), capa));
    vec![
        Case {
            name: "IMAP untagged data that never ends",
            target: Target::Server("--imap", Behaviour::Endless(Endless::ImapUntagged)),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "POP3 CAPA that never ends",
            target: Target::Server("--pop3", Behaviour::Endless(Endless::Pop3Capa)),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "SMTP EHLO that never ends",
            target: Target::Server("--smtp", Behaviour::Endless(Endless::SmtpEhlo)),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "a line that never ends",
            target: Target::Server("--imap", Behaviour::EndlessLine),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "a greeting at a byte a second",
            target: Target::Server(
                "--pop3",
                Behaviour::Trickle(b"+OK ready for you\r\n".to_vec(), Duration::from_secs(1)),
            ),
            fitting: &[Code::ServerSlow],
        },
        Case {
            name: "10,000 EHLO keywords",
            target: Target::Server(
                "--smtp",
                Behaviour::Script(Duration::ZERO, Script::smtp("220 flood ESMTP", &keywords)),
            ),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "10,000 IMAP capabilities",
            target: Target::Server(
                "--imap",
                Behaviour::Script(Duration::ZERO, imap_script(&atoms.join(" "))),
            ),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "10,000 CAPA lines",
            target: Target::Server("--pop3", Behaviour::Script(Duration::ZERO, flood_pop3)),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "NUL bytes",
            target: Target::Server("--pop3", Behaviour::Garbage(b"\0\0\0\0\r\n".to_vec())),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "a POP3 greeting in invalid UTF-8",
            target: Target::Server(
                "--pop3",
                Behaviour::RawGreeting(b"+OK \xff\xfe\xc0 ready\r\n".to_vec(), pop3_script()),
            ),
            fitting: &[Code::AuthFailed],
        },
        Case {
            name: "a POP3 greeting in Shift_JIS",
            target: Target::Server(
                "--pop3",
                // "+OK ようこそ"
                Behaviour::RawGreeting(
                    b"+OK \x82\xe6\x82\xa4\x82\xb1\x82\xbb\r\n".to_vec(),
                    pop3_script(),
                ),
            ),
            fitting: &[Code::AuthFailed],
        },
        Case {
            name: "an SMTP greeting in ISO-2022-JP",
            target: Target::Server(
                "--smtp",
                Behaviour::RawGreeting(
                    b"220 \x1b$B$h$&$3$=\x1b(B ESMTP\r\n".to_vec(),
                    Script::smtp("", &["AUTH PLAIN"]).on("AUTH", &["535 5.7.8 no"]),
                ),
            ),
            fitting: &[Code::AuthFailed],
        },
        Case {
            name: "* BYE in answer to the login",
            target: Target::Server(
                "--imap",
                Behaviour::Script(
                    Duration::ZERO,
                    Script {
                        close_after: vec!["* LOGIN".into()],
                        ..imap_script("IMAP4rev1").on("* LOGIN", &["* BYE go away"])
                    },
                ),
            ),
            fitting: &[Code::ConnectionDropped],
        },
        Case {
            name: "421 to every command",
            target: Target::Server(
                "--smtp",
                smtp_answering_all("421 4.3.2 Service shutting down"),
            ),
            fitting: &[Code::ServerUnavailable],
        },
        Case {
            name: "reply code 999",
            target: Target::Server("--smtp", smtp_answering_all("999 what")),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "IMAP: a continuation to every line",
            target: Target::Server(
                "--imap",
                Behaviour::Script(Duration::ZERO, {
                    let mut s = imap_script("IMAP4rev1 AUTH=PLAIN");
                    s.default = vec!["+ more".into()];
                    s
                }),
            ),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "IMAP: a literal of 100 GB",
            target: Target::Server(
                "--imap",
                Behaviour::Script(
                    Duration::ZERO,
                    imap_script("IMAP4rev1")
                        .on("* CAPABILITY", &["* CAPABILITY {99999999999}", "{tag} OK"]),
                ),
            ),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "SMTP: 334 to everything after AUTH",
            target: Target::Server(
                "--smtp",
                Behaviour::Script(Duration::ZERO, {
                    let mut s = Script::smtp("220 ready ESMTP", &["AUTH LOGIN"]);
                    s.default = vec!["334 UGFzc3dvcmQ6".into()];
                    s
                }),
            ),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "SMTP: a greeting of 100,000 lines",
            target: Target::Server(
                "--smtp",
                Behaviour::Script(
                    Duration::ZERO,
                    Script {
                        greeting: (0..100_000).map(|i| format!("220-line {i}")).collect(),
                        ..Script::smtp("", &[])
                    },
                ),
            ),
            fitting: &[Code::GarbledResponse],
        },
        Case {
            name: "discovery: a DNS server that never answers",
            target: Target::Discover(DnsBehaviour::Silent),
            fitting: &[Code::DnsTimeout, Code::SettingsNotFound],
        },
        Case {
            name: "discovery: every name a CNAME to itself",
            target: Target::Discover(DnsBehaviour::CnameLoop),
            fitting: &[
                Code::DnsNoAddress,
                Code::DnsResolverFailure,
                Code::SettingsNotFound,
            ],
        },
        Case {
            name: "domain: every name a CNAME to itself",
            target: Target::Domain(DnsBehaviour::CnameLoop),
            fitting: &[Code::DomainLookupFailed],
        },
        Case {
            name: "domain: truncated, and TCP never answers",
            target: Target::Domain(DnsBehaviour::Truncated),
            fitting: &[Code::DomainLookupFailed],
        },
        Case {
            name: "TLS 1.3: a client certificate demanded",
            target: Target::ClientCert("-tls1_3"),
            fitting: &[Code::ClientCertRequired],
        },
        Case {
            name: "TLS 1.2: a client certificate demanded",
            target: Target::ClientCert("-tls1_2"),
            fitting: &[Code::ClientCertRequired],
        },
        Case {
            name: "DNS: a CNAME to itself",
            target: Target::Dns(DnsBehaviour::CnameLoop),
            fitting: &[Code::DnsResolverFailure],
        },
        Case {
            name: "DNS: truncated, and TCP never answers",
            target: Target::Dns(DnsBehaviour::Truncated),
            fitting: &[Code::DnsTimeout],
        },
        Case {
            name: "DNS: answers for another question",
            target: Target::Dns(DnsBehaviour::Forged),
            fitting: &[Code::DnsTimeout, Code::DnsResolverFailure],
        },
    ]
}

/// The codes of the findings in the JSON of a check or a domain report.
fn found_codes(run: &Run) -> Vec<Code> {
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    report["findings"]
        .as_array()
        .map(|findings| {
            findings
                .iter()
                .filter_map(|f| Code::parse(f["code"].as_str()?))
                .collect()
        })
        .unwrap_or_default()
}

/// The peak memory in KiB of `maildoc --version`: the binary's own footprint.
fn footprint() -> u64 {
    let args = ["-f", "maxrss_kb=%M", BIN, "--version"].map(String::from);
    let run = run_with_input("/usr/bin/time", &args, b"");
    run.stderr
        .trim_end()
        .rsplit('\n')
        .next()
        .and_then(|l| l.strip_prefix("maxrss_kb="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure from GNU time in:\n{}", run.stderr))
}

/// `maildoc check` (or `domain`) under GNU time; the peak memory in KiB from time's last line.
fn check(target: &Target) -> (Run, u64) {
    let mut args: Vec<String> = ["-f", "maxrss_kb=%M", BIN, "check", ADDRESS]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // The run's server, kept until the run ends.
    let (mut hostile, mut openssl) = (None, None);
    match target {
        Target::Server(flag, behaviour) => {
            let s = Hostile::start(behaviour.clone());
            args.extend([flag.to_string(), s.spec("plain")]);
            hostile = Some(s);
        }
        Target::Dns(behaviour) => {
            args.extend(["--imap".into(), "imap.hostile.test:993/ssl".into()]);
            args.extend(["--dns-server".into(), dns(*behaviour).to_string()]);
        }
        Target::Discover(behaviour) => {
            args.extend(["--dns-server".into(), dns(*behaviour).to_string()]);
        }
        Target::Domain(behaviour) => {
            args.truncate(3);
            args.extend(["domain".into(), "hostile.test".into()]);
            args.extend(["--dns-server".into(), dns(*behaviour).to_string()]);
        }
        Target::ClientCert(version) => {
            let s = DemandsClientCert::start(version);
            args.extend(["--imap".into(), format!("127.0.0.1:{}/ssl", s.port)]);
            args.extend(["--ca-file".into(), s.ca.to_string_lossy().into_owned()]);
            openssl = Some(s);
        }
    };
    if !matches!(target, Target::Domain(_)) {
        args.extend(["--allow-plaintext-login".into(), "--password-stdin".into()]);
    }
    args.extend(
        ["--format", "json", "--timeout", &TIMEOUT.to_string()]
            .iter()
            .map(|s| s.to_string()),
    );
    let mut run = run_with_input("/usr/bin/time", &args, format!("{PASSWORD}\n").as_bytes());
    let (rest, last) = run
        .stderr
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", run.stderr.trim_end()));
    let rss = last
        .strip_prefix("maxrss_kb=")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure from GNU time in:\n{}", run.stderr));
    run.stderr = rest.to_string();
    drop((hostile, openssl));
    (run, rss)
}

#[test]
fn no_hostile_server_makes_maildoc_panic_hang_grow_or_leak() {
    let cases = cases();
    let most = footprint() + MAX_GROWTH_KB;
    // The runs wait on the network: all at once.
    let runs: Vec<(&Case, Run, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                scope.spawn(move || {
                    let (run, rss) = check(&case.target);
                    (case, run, rss)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    for (case, run, rss) in &runs {
        let name = case.name;
        if run.code == 101 || run.stderr.contains("panicked") || run.code > 3 {
            problems.push(format!("{name}: exit {}\n{}", run.code, run.stderr));
            continue;
        }
        if run.elapsed > Duration::from_secs(TIMEOUT + 2) {
            problems.push(format!("{name}: took {:?}", run.elapsed));
        }
        if *rss > most {
            problems.push(format!("{name}: peak memory {rss} KiB (at most {most})"));
        }
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            for leak in leaks(text, PASSWORD, USERNAMES) {
                problems.push(format!("{name}: {stream} gives the password away: {leak}"));
            }
        }
        let found = found_codes(run);
        if !case.fitting.iter().any(|c| found.contains(c)) {
            problems.push(format!(
                "{name}: found {found:?}, wanted one of {:?}",
                case.fitting
            ));
        }
    }
    for (case, run, rss) in &runs {
        eprintln!(
            "{:<45} {:>6.1} s {:>6} KiB exit {} {:?}",
            case.name,
            run.elapsed.as_secs_f64(),
            rss,
            run.code,
            found_codes(run)
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// `openssl s_server` on 127.0.0.1 with a self-signed certificate made for the test,
/// requiring a client certificate (`-Verify 1`), at `version` (`-tls1_2` or `-tls1_3`).
/// Killed on drop.
struct DemandsClientCert {
    child: std::process::Child,
    port: u16,
    ca: std::path::PathBuf,
    _dir: Scratch,
}

impl DemandsClientCert {
    fn start(version: &str) -> DemandsClientCert {
        use std::process::{Command, Stdio};
        let dir = Scratch::new(&format!("clientcert{version}"));
        let (cert, key) = (dir.path("cert.pem"), dir.path("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl req");
        assert!(made.success());
        // A free port: the system's choice, released for s_server to take.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args([
                "s_server", "-quiet", "-naccept", "4", "-Verify", "1", version,
            ])
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < until, "s_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        DemandsClientCert {
            child,
            port,
            ca: cert,
            _dir: dir,
        }
    }
}

impl Drop for DemandsClientCert {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_demanded_client_certificate_explains_the_drop() {
    for version in ["-tls1_3", "-tls1_2"] {
        let (run, _) = check(&Target::ClientCert(version));
        let found = found_codes(&run);
        // The certificate is self-signed (it says so too); the drop is explained.
        assert!(
            found.contains(&Code::ClientCertRequired)
                && !found.iter().any(|c| matches!(
                    c,
                    Code::ConnectionDropped | Code::TlsHandshakeFailed | Code::TlsLegacyOnly
                )),
            "{version}: {found:?}\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}
