//! The run's deadline holds: a check whose every port is filtered (SYNs dropped by the lab's
//! firewall rule) ends within the timeout plus one second, and still reports.

use maildoc_model::Code;
use maildoc_testkit::lab::{Lab, codes, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn all_ports_filtered_ends_within_timeout_plus_one_second() {
    let lab = Lab::get();
    let filtered = lab.var("MAILDOC_LAB_FILTERED");
    let mut args = lab.base_args("taro@lab.example");
    let timeout = args.iter().position(|a| a == "--timeout").map(|i| i + 1);
    if let Some(i) = timeout {
        args[i] = "3".into();
    }
    for (flag, security) in [("--imap", "ssl"), ("--pop3", "ssl"), ("--smtp", "starttls")] {
        args.push(flag.into());
        args.push(format!("{filtered}/{security}"));
    }
    args.push("--no-login".into());
    let r = run(BIN, &args, None);
    assert!(r.elapsed < Duration::from_secs(4), "took {:?}", r.elapsed);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = r.report();
    for id in ["imap", "pop3"] {
        // The filtered port is 25, an SMTP port: the settings lint says so too, and keeps
        // saying it because the probe never reached the server to show otherwise.
        assert_eq!(
            codes(&report, Some(id)),
            vec![Code::ConnectTimeout, Code::PortOfOtherProtocol],
            "{id}"
        );
    }
    assert!(report.servers.len() >= 3);
}
