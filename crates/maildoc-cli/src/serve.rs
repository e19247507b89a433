//! `maildoc serve`: the web app (`maildoc_web`) on this computer. The first line on standard
//! output names its address; it runs until interrupted.

use crate::EXIT_CANNOT_RUN;
use crate::args::{self, NetArgs};
use clap::Args;
use maildoc_report::{Lang, ui};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

/// The port `serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8587;

/// `maildoc serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, value_name = "ADDR:PORT", default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    pub listen: SocketAddr,
    #[arg(long)]
    pub open: bool,
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub jobs: usize,
    #[command(flatten)]
    pub net: NetArgs,
    /// The watches this server runs while it is up.
    #[command(flatten)]
    pub round: crate::watch::RoundArgs,
}

/// How often the server looks for due watches.
const WATCH_TICK: std::time::Duration = std::time::Duration::from_secs(30);

const HELP: &[(&str, &str)] = &[
    ("listen", "help-serve-listen"),
    ("open", "help-serve-open"),
    ("token", "help-serve-token"),
    ("jobs", "help-serve-jobs"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("serve", |sub| {
        let sub = sub
            .about(ui::text("help-serve", lang))
            .after_help(ui::text("help-serve-after", lang));
        let sub = args::localize_args(sub, HELP, lang);
        args::localize_args(sub, crate::watch::ROUND_HELP, lang)
    })
}

pub fn run(
    args: ServeArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = args::language(lang_flag);
    let token = args.token.filter(|t| !t.is_empty());
    if !args.listen.ip().is_loopback() && token.is_none() {
        return crate::usage(ui::text("error-serve-token", lang));
    }
    if !(1..=64).contains(&args.jobs) {
        return crate::usage(&ui::fill(
            "error-serve-jobs",
            lang,
            &[("detail", &args.jobs.to_string())],
        ));
    }
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let watch_opts = match args.round.options(net.timeout, lang) {
        Ok(o) => o,
        Err(words) => return crate::usage(&words),
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async {
        let clock = net.env.clock();
        let kept = history.open_for_serve(clock, lang).await;
        if let Some(kept) = kept.clone() {
            let (env, round) = (net.env.clone(), args.round.clone());
            let timeout = net.timeout;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(WATCH_TICK);
                loop {
                    tick.tick().await;
                    watch_round(&env, &kept, &watch_opts, &round, timeout, lang).await;
                }
            });
        }
        let config = maildoc_web::Config {
            env: net.env,
            lang,
            timeout: net.timeout,
            token: token.clone(),
            max_jobs: args.jobs,
            history: kept,
        };
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                let detail = format!("{}: {e}", args.listen);
                eprintln!(
                    "maildoc: {}",
                    ui::fill("error-serve-bind", lang, &[("detail", &detail)])
                );
                return ExitCode::from(EXIT_CANNOT_RUN);
            }
        };
        let url = match listener.local_addr() {
            Ok(a) => format!("http://{a}/"),
            Err(_) => format!("http://{}/", args.listen),
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "maildoc: listening on {url}");
        if let Some(t) = &token {
            let _ = writeln!(out, "maildoc: {url}?token={t}");
        }
        let _ = out.flush();
        if args.open {
            open(&url, token.as_deref());
        }
        match maildoc_web::serve(listener, config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("maildoc: {e}");
                ExitCode::from(EXIT_CANNOT_RUN)
            }
        }
    })
}

/// One round of the watches that are due: each alert on standard error and to the webhook.
async fn watch_round(
    env: &maildoc_engine::Env,
    history: &maildoc_engine::history::History,
    opts: &maildoc_engine::watch::WatchOptions,
    round: &crate::watch::RoundArgs,
    timeout: std::time::Duration,
    lang: Lang,
) {
    match maildoc_engine::watch::run_round(env, history, opts, |_| {}).await {
        Ok(done) => {
            eprint!(
                "{}",
                maildoc_report::history::passwords_unread(&done.unread, lang)
            );
            for alert in &done.alerts {
                eprintln!(
                    "maildoc: {}",
                    maildoc_report::history::alert_line(alert, lang)
                );
            }
            round.deliver(env, opts, &done.alerts, timeout, lang).await;
            if let Err(e) = history.prune(env.clock()).await {
                eprintln!(
                    "maildoc: {}",
                    maildoc_report::history::store_error(&e, lang)
                );
            }
        }
        Err(e) => eprintln!(
            "maildoc: {}",
            maildoc_report::history::store_error(&e, lang)
        ),
    }
}

/// Opens `url` in the default browser; when that fails the address is on screen already.
fn open(url: &str, token: Option<&str>) {
    let url = match token {
        Some(t) => format!("{url}?token={t}"),
        None => url.to_string(),
    };
    let opener = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(target_os = "windows") {
        ("cmd", vec!["/c".into(), "start".into(), String::new(), url])
    } else {
        ("xdg-open", vec![url])
    };
    let _ = std::process::Command::new(opener.0)
        .args(opener.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in HELP {
                assert_ne!(ui::text(key, lang), *key, "{key}");
            }
            for key in [
                "help-serve",
                "help-serve-after",
                "error-serve-token",
                "error-serve-jobs",
                "error-serve-bind",
            ] {
                assert_ne!(ui::text(key, lang), key, "{key}");
            }
        }
    }
}
