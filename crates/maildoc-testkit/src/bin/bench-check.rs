//! `bench-check`: how much a whole `maildoc check` costs against servers 50 ms away, compared
//! with the slowest single server's own sequential steps.
//!
//! It starts delaying proxies (see `maildoc_testkit::proxy`) on 127.0.3.10 (IMAP, POP3, SMTP
//! ports, to the lab's healthy host 127.0.2.10) and 127.0.3.53:53 (DNS, UDP and TCP, to the
//! lab's NSD), then runs the real `maildoc` binary against the lab names
//! `imap.slow.lab.example`, `pop.slow.lab.example` and `smtp.slow.lab.example`, which resolve
//! to the proxy and are in the healthy certificate: (a) IMAP alone, (b) POP3 alone, (c) SMTP
//! alone, (d) all three together, N rounds each (interleaved, so background load spreads
//! evenly). The critical path is the slowest median of (a)-(c); the goal is
//! (d) <= critical path x 1.20.
//!
//! Usage: bench-check [--maildoc PATH] [--runs N] [--one-way-ms MS] [--goal RATIO]
//!                    [--budget-secs S]
//! The lab must be running (`lab/lab.sh start`; `MAILDOC_LAB_DIR` as for the tests).
//! Exit code: 0 goal met, 1 goal missed, 2 the bench could not run.
//! Loopback only; the proxies stop when the bench ends, and after `--budget-secs` + 30 s at
//! the latest.

use maildoc_testkit::lab::{self, Lab};
use maildoc_testkit::proxy::{DelayProxy, DelayUdpRelay, Limits, ProxyStats};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Where the bench's proxies listen: the "far away" healthy host and its DNS server.
const PROXY_HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 3, 10));
const PROXY_DNS: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 3, 53)), 53);
/// The lab's healthy host (lab/lab.sh FULL_HOSTS).
const LAB_HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 2, 10));
/// Every port of the healthy host a check may use.
const PORTS: [u16; 6] = [143, 993, 110, 995, 587, 465];
const ACCOUNT: &str = "taro@lab.example";
const IMAP: &str = "imap.slow.lab.example:993/ssl";
const POP3: &str = "pop.slow.lab.example:995/ssl";
const SMTP: &str = "smtp.slow.lab.example:587/starttls";

#[derive(Debug)]
struct Options {
    maildoc: PathBuf,
    runs: usize,
    one_way: Duration,
    goal: f64,
    budget: Duration,
}

fn usage() -> String {
    "usage: bench-check [--maildoc PATH] [--runs N] [--one-way-ms MS] [--goal RATIO] [--budget-secs S]".into()
}

fn parse_options() -> Result<Options, String> {
    let mut opts = Options {
        maildoc: std::env::current_exe()
            .map_err(|e| format!("cannot find this program's path: {e}"))?
            .with_file_name("maildoc"),
        runs: 7,
        one_way: Duration::from_millis(25),
        goal: 1.20,
        budget: Duration::from_secs(100),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(usage());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--maildoc" => opts.maildoc = PathBuf::from(&value),
            "--runs" => opts.runs = value.parse().map_err(|e| bad(&e))?,
            "--one-way-ms" => {
                opts.one_way = Duration::from_millis(value.parse().map_err(|e| bad(&e))?);
            }
            "--goal" => opts.goal = value.parse().map_err(|e| bad(&e))?,
            "--budget-secs" => {
                opts.budget = Duration::from_secs(value.parse().map_err(|e| bad(&e))?);
            }
            _ => return Err(format!("unknown option {flag}\n{}", usage())),
        }
    }
    if !(1..=50).contains(&opts.runs) {
        return Err("--runs must be 1..50".into());
    }
    if opts.one_way > Duration::from_secs(1) {
        return Err("--one-way-ms must be at most 1000".into());
    }
    if !opts.maildoc.is_file() {
        return Err(format!(
            "no maildoc binary at {} (build it with `cargo build --release -p maildoc-cli`, or pass --maildoc)",
            opts.maildoc.display()
        ));
    }
    Ok(opts)
}

/// One configuration of `maildoc check`.
#[derive(Debug)]
struct Case {
    label: &'static str,
    flags: Vec<&'static str>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            label: "(a) IMAP alone",
            flags: vec!["--imap", IMAP],
        },
        Case {
            label: "(b) POP3 alone",
            flags: vec!["--pop3", POP3],
        },
        Case {
            label: "(c) SMTP alone",
            flags: vec!["--smtp", SMTP],
        },
        Case {
            label: "(d) all three",
            flags: vec!["--imap", IMAP, "--pop3", POP3, "--smtp", SMTP],
        },
    ]
}

/// One step of one server, from the JSON report.
#[derive(Clone, Debug)]
struct StepTime {
    kind: String,
    at_ms: u64,
    elapsed_ms: u64,
}

/// One server of one run.
#[derive(Clone, Debug)]
struct ServerTime {
    steps: Vec<StepTime>,
}

impl ServerTime {
    fn step_sum(&self) -> u64 {
        self.steps.iter().map(|s| s.elapsed_ms).sum()
    }

    /// The time covered by its steps, overlaps counted once (an IMAP `quota` or `mailbox`
    /// step covers the same round trip as the command step before it).
    fn busy(&self) -> u64 {
        let mut spans: Vec<(u64, u64)> = self
            .steps
            .iter()
            .map(|s| (s.at_ms, s.at_ms + s.elapsed_ms))
            .collect();
        spans.sort_unstable();
        let mut total = 0;
        let mut covered_to = 0;
        for (start, end) in spans {
            let start = start.max(covered_to);
            if end > start {
                total += end - start;
                covered_to = end;
            }
        }
        total
    }

    /// When the last step ended (ms since the run started).
    fn done_at(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| s.at_ms + s.elapsed_ms)
            .max()
            .unwrap_or(0)
    }

    fn line(&self) -> String {
        self.steps
            .iter()
            .map(|s| format!("{} {}", s.kind, s.elapsed_ms))
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

/// One run of the binary.
#[derive(Clone, Debug)]
struct Sample {
    wall_ms: f64,
    report_ms: u64,
    servers: BTreeMap<String, ServerTime>,
}

fn run_case(opts: &Options, lab: &Lab, case: &Case) -> Result<Sample, String> {
    let mut args: Vec<String> = [
        "check",
        ACCOUNT,
        "--dns-server",
        &PROXY_DNS.to_string(),
        "--ca-file",
        &lab.ca(),
        "--format",
        "json",
        "--timeout",
        "15",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(case.flags.iter().map(|s| s.to_string()));
    let password = lab.password("taro");
    let bin = opts.maildoc.to_string_lossy().into_owned();
    let run = lab::run(&bin, &args, Some(&password));
    let report: Value = serde_json::from_str(&run.stdout).map_err(|e| {
        format!(
            "{}: not a JSON report ({e}); exit {}\nstderr: {}",
            case.label, run.code, run.stderr
        )
    })?;
    let mut servers = BTreeMap::new();
    for s in report["servers"].as_array().into_iter().flatten() {
        let id = s["id"].as_str().unwrap_or("?").to_string();
        let steps = s["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|st| StepTime {
                kind: st["step"].as_str().unwrap_or("?").to_string(),
                at_ms: st["at_ms"].as_u64().unwrap_or(0),
                elapsed_ms: st["elapsed_ms"].as_u64().unwrap_or(0),
            })
            .collect();
        servers.insert(id, ServerTime { steps });
    }
    if run.code != 0 {
        let findings: Vec<String> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                format!(
                    "{}@{}",
                    f["code"].as_str().unwrap_or("?"),
                    f["server"].as_str().unwrap_or("-")
                )
            })
            .collect();
        return Err(format!(
            "{}: maildoc exited {} (expected 0, a healthy account): {}\n\
             If the names do not resolve or the certificate does not match, restart the lab \
             (`lab/lab.sh start`) so it serves the *.slow.lab.example names.",
            case.label,
            run.code,
            findings.join(", ")
        ));
    }
    Ok(Sample {
        wall_ms: run.elapsed.as_secs_f64() * 1000.0,
        report_ms: report["elapsed_ms"].as_u64().unwrap_or(0),
        servers,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

/// The sample whose wall time is the (lower) median.
fn median_sample(samples: &[Sample]) -> Option<&Sample> {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
    sorted.get(sorted.len().saturating_sub(1) / 2).copied()
}

/// Every proxy of the bench; dropping it stops them all.
#[derive(Debug)]
struct Proxies {
    tcp: Vec<DelayProxy>,
    udp: DelayUdpRelay,
}

impl Proxies {
    async fn start(lab_dns: SocketAddr, one_way: Duration, limits: Limits) -> Result<Self, String> {
        let mut tcp = Vec::new();
        for port in PORTS {
            let listen = SocketAddr::new(PROXY_HOST, port);
            let target = SocketAddr::new(LAB_HOST, port);
            tcp.push(
                DelayProxy::start(listen, target, one_way, limits)
                    .await
                    .map_err(|e| format!("proxy {listen} -> {target}: {e}"))?,
            );
        }
        tcp.push(
            DelayProxy::start(PROXY_DNS, lab_dns, one_way, limits)
                .await
                .map_err(|e| format!("DNS proxy (TCP) {PROXY_DNS} -> {lab_dns}: {e}"))?,
        );
        let udp = DelayUdpRelay::start(PROXY_DNS, lab_dns, one_way, limits)
            .await
            .map_err(|e| format!("DNS relay (UDP) {PROXY_DNS} -> {lab_dns}: {e}"))?;
        Ok(Proxies { tcp, udp })
    }

    fn report(&self) -> Vec<(String, ProxyStats)> {
        let mut v: Vec<(String, ProxyStats)> = self
            .tcp
            .iter()
            .map(|p| {
                (
                    format!("tcp {} -> {}", p.local_addr(), p.target()),
                    p.stats(),
                )
            })
            .collect();
        v.push((
            format!("udp {} -> {}", self.udp.local_addr(), self.udp.target()),
            self.udp.stats(),
        ));
        v
    }
}

fn main() -> ExitCode {
    match bench() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("bench-check: {e}");
            ExitCode::from(2)
        }
    }
}

fn bench() -> Result<bool, String> {
    let opts = parse_options()?;
    let dir = std::env::var("MAILDOC_LAB_DIR").unwrap_or_else(|_| "/tmp/maildoc-lab".into());
    if !PathBuf::from(&dir).join("lab.env").is_file() {
        return Err(format!(
            "the lab is not running (no {dir}/lab.env): run `lab/lab.sh start`"
        ));
    }
    let lab = Lab::get();
    let lab_dns: SocketAddr = lab
        .dns()
        .parse()
        .map_err(|e| format!("MAILDOC_LAB_DNS {}: {e}", lab.dns()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let limits = Limits {
        max_connections: 10_000,
        max_lifetime: opts.budget + Duration::from_secs(30),
    };
    let proxies = runtime.block_on(Proxies::start(lab_dns, opts.one_way, limits))?;
    let result = measure(&opts, &lab);
    let stats = proxies.report();
    drop(proxies);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let (samples, rounds) = result?;
    Ok(print_results(&opts, &samples, rounds, &stats))
}

type Samples = Vec<(Case, Vec<Sample>)>;

fn measure(opts: &Options, lab: &Lab) -> Result<(Samples, usize), String> {
    let started = Instant::now();
    let mut samples: Samples = cases().into_iter().map(|c| (c, Vec::new())).collect();
    // One unmeasured run of everything: first logins, caches, page cache.
    if let Some((all, _)) = samples.last() {
        run_case(opts, lab, all)?;
    }
    let mut rounds = 0;
    for round in 0..opts.runs {
        if started.elapsed() > opts.budget {
            eprintln!(
                "bench-check: time budget of {} s spent after {round} rounds; reporting those",
                opts.budget.as_secs()
            );
            break;
        }
        // Interleaved, starting at a different case each round.
        let n = samples.len();
        for k in 0..n {
            let i = (round + k) % n;
            if let Some((case, got)) = samples.get_mut(i) {
                got.push(run_case(opts, lab, case)?);
            }
        }
        rounds += 1;
        eprint!(".");
    }
    eprintln!();
    Ok((samples, rounds))
}

fn print_results(
    opts: &Options,
    samples: &Samples,
    rounds: usize,
    stats: &[(String, ProxyStats)],
) -> bool {
    let rtt = opts.one_way.as_millis() * 2;
    println!(
        "maildoc check against the lab with {} ms each way ({rtt} ms RTT) through delaying proxies \
         on {PROXY_HOST} and {PROXY_DNS}",
        opts.one_way.as_millis()
    );
    println!(
        "account {ACCOUNT}; {rounds} measured runs per case (after one warm-up run), interleaved"
    );
    println!();
    println!(
        "{:<18} {:>10} {:>8} {:>8}   {:>13}",
        "case", "wall ms", "min", "max", "in-report ms"
    );
    println!(
        "{:<18} {:>10} {:>8} {:>8}   {:>13}",
        "", "median", "", "", "median"
    );
    let mut medians = Vec::new();
    for (case, got) in samples {
        let wall: Vec<f64> = got.iter().map(|s| s.wall_ms).collect();
        let (min, max) = min_max(&wall);
        let wall_median = median(wall);
        let report_median = median(got.iter().map(|s| s.report_ms as f64).collect());
        medians.push((case.label, wall_median, report_median));
        println!(
            "{:<18} {:>10.0} {:>8.0} {:>8.0}   {:>13.0}",
            case.label, wall_median, min, max, report_median
        );
    }
    let singles = medians.get(..3).unwrap_or_default();
    let (critical_label, critical, critical_report) = singles
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(("?", f64::NAN, f64::NAN));
    let (_, total, total_report) = medians.get(3).copied().unwrap_or(("?", f64::NAN, f64::NAN));
    let ratio = total / critical;
    let pass = ratio <= opts.goal;
    println!();
    println!(
        "critical path (slowest single server, median wall): {critical_label} = {critical:.0} ms"
    );
    println!("whole check (d), median wall:                       {total:.0} ms");
    println!(
        "ratio (d) / critical path:                          {ratio:.3}   goal <= {:.2}   {}",
        opts.goal,
        if pass { "PASS" } else { "FAIL" }
    );
    let one_by_one: f64 = singles.iter().map(|m| m.1).sum();
    println!(
        "(for scale: (a)+(b)+(c) one after another = {one_by_one:.0} ms, ratio {:.2})",
        one_by_one / critical
    );
    println!(
        "(same ratio on the reports' own elapsed_ms:         {:.3})",
        total_report / critical_report
    );

    println!();
    println!("where the time goes, per server (medians, ms):");
    println!("  sum  = sum of its steps' elapsed_ms (can exceed the wall time: an IMAP quota or");
    println!("         mailbox step covers the same round trip as the command step before it)");
    println!("  busy = time covered by its steps, overlaps counted once");
    println!("  done = when its last step ended, since the run started (LOGOUT/QUIT come after)");
    println!(
        "{:<8} {:>11} {:>6} {:>6}   {:>14} {:>6} {:>6}",
        "server", "alone: sum", "busy", "done", "together: sum", "busy", "done"
    );
    let together = samples
        .get(3)
        .map(|(_, s)| s.as_slice())
        .unwrap_or_default();
    for (i, id) in ["imap", "pop3", "smtp"].iter().enumerate() {
        let alone = samples
            .get(i)
            .map(|(_, s)| s.as_slice())
            .unwrap_or_default();
        let pick = |set: &[Sample], f: fn(&ServerTime) -> u64| {
            median(
                set.iter()
                    .filter_map(|s| s.servers.get(*id))
                    .map(|t| f(t) as f64)
                    .collect(),
            )
        };
        println!(
            "{:<8} {:>11.0} {:>6.0} {:>6.0}   {:>14.0} {:>6.0} {:>6.0}",
            id,
            pick(alone, ServerTime::step_sum),
            pick(alone, ServerTime::busy),
            pick(alone, ServerTime::done_at),
            pick(together, ServerTime::step_sum),
            pick(together, ServerTime::busy),
            pick(together, ServerTime::done_at),
        );
    }

    println!();
    println!("steps of the median run of each case (step elapsed_ms):");
    for (case, got) in samples {
        let Some(sample) = median_sample(got) else {
            continue;
        };
        println!(
            "{} — wall {:.0} ms, report {} ms",
            case.label, sample.wall_ms, sample.report_ms
        );
        for (id, server) in &sample.servers {
            println!(
                "  {:<5} sum {:>4}, busy {:>4}, done at {:>4}: {}",
                id,
                server.step_sum(),
                server.busy(),
                server.done_at(),
                server.line()
            );
        }
    }

    println!();
    println!("traffic through the proxies (connections, bytes in/out):");
    for (name, s) in stats {
        if s.connections > 0 {
            println!(
                "  {name:<36} {:>5} {:>9} {:>9}",
                s.connections, s.bytes_in, s.bytes_out
            );
        }
    }
    println!(
        "note: the TCP handshake is completed by the kernel at once (not delayed); every other \
         round trip, DNS included, carries the full {rtt} ms."
    );
    pass
}
