//! `maildoc message [FILE|-]`: a received message's headers read as evidence: its route and
//! delays, what its receivers reported of the sender, spam verdicts, encodings
//! (`maildoc_engine::message`, shown by `maildoc_report::message`). Offline.

use crate::args::{self, FormatArg, NetArgs};
use clap::Args;
use maildoc_engine::Clock;
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_engine::message::MAX_INPUT;
use maildoc_report::{Format, Lang, ui};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `maildoc message`.
#[derive(Debug, Args)]
pub struct MessageArgs {
    #[arg(default_value = "-", value_name = "FILE|-")]
    pub file: PathBuf,
    /// Every message of an mbox, or every file of a directory: JSON Lines.
    #[arg(long, value_name = "DIR|MBOX")]
    pub from: Option<PathBuf>,
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub net: NetArgs,
    #[arg(
        long,
        value_enum,
        default_value = "human",
        value_name = "human|json|markdown"
    )]
    pub format: FormatArg,
}

const MESSAGE_HELP: &[(&str, &str)] = &[
    ("file", "help-message-file"),
    ("offline", "help-message-offline"),
    ("from", "help-message-from"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-history-format"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("message", |sub| {
        let sub = sub
            .about(ui::text("help-message", lang))
            .after_help(ui::text("help-message-after", lang));
        args::localize_args(sub, MESSAGE_HELP, lang)
    })
}

/// Why a message could not be read.
enum Unread {
    /// The file or standard input failed (the path and the system's words).
    Failed(String),
    /// It is larger than the limit (bytes).
    TooLarge(u64),
}

/// The message's bytes, at most [`MAX_INPUT`]: from the file, or standard input for `-`.
fn read(path: &Path) -> Result<Vec<u8>, Unread> {
    let limit = u64::try_from(MAX_INPUT).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| Unread::Failed(format!("{}: {e}", path.display())))?;
    if bytes.len() > MAX_INPUT {
        return Err(Unread::TooLarge(limit));
    }
    Ok(bytes)
}

/// One message's report as a JSON line, with where it came from.
fn json_line(input: &str, report: &maildoc_model::message::MessageReport) -> String {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("input".to_owned(), serde_json::Value::from(input));
    }
    value.to_string()
}

/// `--from DIR|MBOX`: each message in turn (an mbox is read one message at a time, so memory
/// stays that of one message), a JSON line each (`{"input","error"}` for one that cannot be
/// read); exit code 3 when the path or a message cannot be read, else 1 when one has a warning
/// or an error.
fn bulk(
    path: &Path,
    offline: bool,
    net: Option<&args::NetOptions>,
    history: &crate::history::HistoryFlags,
    lang: Lang,
) -> ExitCode {
    use std::io::Write;
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let out = std::cell::RefCell::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let mut problems = false;
    let mut unreadable = false;
    let mut keep = crate::history::Keeper::new(history, lang);
    let mut one = |input: &str, bytes: &[u8]| -> bool {
        let report = match (offline, net) {
            (false, Some(net)) => {
                runtime.block_on(maildoc_engine::message::check(&net.env, bytes, net.timeout))
            }
            _ => maildoc_engine::message::analyze(bytes),
        };
        problems |= report.has_problems();
        let written = writeln!(out.borrow_mut(), "{}", json_line(input, &report)).is_ok();
        keep.add(Some(
            Snapshot::Message(Box::new(report)).to_run(Clock::System, Origin::Cli),
        ));
        written
    };
    // What cannot be read is a line of its own, and the run goes on.
    let error_line = |input: &str, detail: &str| {
        let line = serde_json::json!({ "input": input, "error": detail });
        let _ = writeln!(out.borrow_mut(), "{line}");
    };
    let failed = |e: std::io::Error| {
        crate::usage_error(
            lang,
            "error-message-read",
            &format!("{}: {e}", path.display()),
        )
    };
    if path.is_dir() {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(d) => d
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect(),
            Err(e) => return failed(e),
        };
        files.sort();
        for file in files {
            let input = file.display().to_string();
            match read(&file) {
                Ok(bytes) => {
                    if !one(&input, &bytes) {
                        break;
                    }
                }
                Err(unread) => {
                    unreadable = true;
                    let detail = match unread {
                        Unread::Failed(detail) => detail,
                        Unread::TooLarge(l) => format!("larger than {l} bytes"),
                    };
                    error_line(&input, &detail);
                }
            }
        }
    } else {
        let reader = match std::fs::File::open(path) {
            Ok(f) => std::io::BufReader::new(f),
            Err(e) => return failed(e),
        };
        for (n, message) in messages_of(reader).enumerate() {
            let input = format!("{}#{}", path.display(), n + 1);
            match message {
                Ok(bytes) => {
                    if !one(&input, &bytes) {
                        break;
                    }
                }
                Err(e) => {
                    unreadable = true;
                    error_line(&input, &e.to_string());
                    break;
                }
            }
        }
    }
    let _ = out.borrow_mut().flush();
    keep.finish();
    if unreadable {
        ExitCode::from(crate::EXIT_USAGE)
    } else if problems {
        ExitCode::from(crate::EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// The messages of an mbox, each at most [`MAX_INPUT`].
fn messages_of<R: std::io::BufRead>(reader: R) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    maildoc_engine::message::mbox(reader, MAX_INPUT)
}

/// Exit code 0 nothing wrong, 1 a warning or an error found, 2 maildoc could not run, 3 the
/// message cannot be read.
pub fn run(
    args: MessageArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = args::language(lang_flag);
    if let Some(from) = &args.from {
        if args.offline {
            return bulk(from, true, None, history, lang);
        }
        return match args.net.checked(lang) {
            Ok(net) => bulk(from, false, Some(&net), history, lang),
            Err(code) => code,
        };
    }
    let bytes = match read(&args.file) {
        Ok(b) => b,
        Err(Unread::TooLarge(limit)) => {
            return crate::usage(&ui::fill(
                "error-message-too-large",
                lang,
                &[
                    ("size", &format!("> {limit}")),
                    ("limit", &limit.to_string()),
                ],
            ));
        }
        Err(Unread::Failed(detail)) => {
            return crate::usage_error(lang, "error-message-read", &detail);
        }
    };
    let report = if args.offline {
        maildoc_engine::message::analyze(&bytes)
    } else {
        let net = match args.net.checked(lang) {
            Ok(n) => n,
            Err(code) => return code,
        };
        let runtime = match crate::runtime() {
            Ok(r) => r,
            Err(code) => return code,
        };
        runtime.block_on(maildoc_engine::message::check(
            &net.env,
            &bytes,
            net.timeout,
        ))
    };
    let text = maildoc_report::message::render(&report, Format::from(args.format), lang);
    let problems = report.has_problems();
    history.keep_blocking(
        Clock::System,
        &[Snapshot::Message(Box::new(report))],
        Origin::Cli,
        lang,
    );
    crate::write_result(&text, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in MESSAGE_HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
