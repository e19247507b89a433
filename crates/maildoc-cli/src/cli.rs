//! The whole command line: every subcommand with its help texts from the bilingual UI table,
//! in the language chosen by `--lang` or `LANG`, so `--help` teaches in Japanese or English.
//!
//! Arguments are read as the bytes the system gives: a file name is a path whatever its
//! encoding, and a value that must be text but is not UTF-8 is a usage error naming the
//! argument and the first byte that is not ([`Failure::NotText`]), never a panic.

use clap::builder::ValueParser;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use maildoc_report::{Lang, ui};
use std::any::TypeId;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "maildoc", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[arg(long, global = true, value_name = "ja|en")]
    pub lang: Option<String>,
    #[command(flatten)]
    pub history: crate::history::HistoryFlags,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Check(crate::check::CheckArgs),
    Discover(crate::discover::DiscoverArgs),
    Karte(crate::karte::KarteArgs),
    Triage(crate::triage::TriageArgs),
    Explain(crate::explain::ExplainArgs),
    Domain(crate::domain::DomainArgs),
    Serve(crate::serve::ServeArgs),
    History(crate::history::HistoryArgs),
    Watch(crate::watch::WatchArgs),
    Message(crate::message::MessageArgs),
    Roundtrip(crate::roundtrip::RoundtripArgs),
    Status(crate::status::StatusArgs),
}

/// Why the command line cannot be used.
#[derive(Debug)]
pub enum Failure {
    /// clap's own error or help text, printed by clap.
    Clap(clap::Error),
    /// An argument that must be text is not UTF-8: the message, in the run's language.
    NotText(String),
}

/// Parses the command line with help texts and messages in `lang`.
pub fn parse(lang: Lang) -> Result<Cli, Failure> {
    parse_from(command(lang), std::env::args_os().collect(), lang)
}

/// Parses `argv` (the program name first) with `cmd`. A value that must be text but is not
/// UTF-8 is a [`Failure::NotText`]; file names are paths and take any bytes.
fn parse_from(cmd: clap::Command, argv: Vec<OsString>, lang: Lang) -> Result<Cli, Failure> {
    if let Some(message) = not_text(&cmd, &argv, lang) {
        return Err(Failure::NotText(message));
    }
    let matches = cmd.try_get_matches_from(argv).map_err(Failure::Clap)?;
    Cli::from_arg_matches(&matches).map_err(Failure::Clap)
}

/// The whole command line, with help texts in `lang`.
fn command(lang: Lang) -> clap::Command {
    let mut cmd = Cli::command()
        .about(ui::text("help-about", lang))
        .after_help(ui::text("help-after", lang))
        .mut_arg("lang", |a| a.help(ui::text("help-lang", lang)));
    cmd = crate::check::localize_help(cmd, lang);
    cmd = crate::discover::localize_help(cmd, lang);
    cmd = crate::karte::localize_help(cmd, lang);
    cmd = crate::triage::localize_help(cmd, lang);
    cmd = crate::explain::localize_help(cmd, lang);
    cmd = crate::domain::localize_help(cmd, lang);
    cmd = crate::serve::localize_help(cmd, lang);
    cmd = crate::history::localize_help(cmd, lang);
    cmd = crate::message::localize_help(cmd, lang);
    cmd = crate::roundtrip::localize_help(cmd, lang);
    cmd = crate::status::localize_help(cmd, lang);
    crate::watch::localize_help(cmd, lang)
}

/// The message for the first value in `argv` that must be text but is not UTF-8; `None` when
/// there is none. Only when some argument is not UTF-8, the command line is read a second
/// time with every value taken as bytes, to find whose value it is.
fn not_text(cmd: &clap::Command, argv: &[OsString], lang: Lang) -> Option<String> {
    if argv.iter().all(|a| a.to_str().is_some()) {
        return None;
    }
    let matches = as_bytes(cmd.clone())
        .ignore_errors(true)
        .try_get_matches_from(argv)
        .ok()?;
    first_not_text(cmd, &matches, lang)
}

/// `cmd` with every value, of every subcommand, read as bytes.
fn as_bytes(mut cmd: clap::Command) -> clap::Command {
    let ids: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .map(|a| a.get_id().clone())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |a| a.value_parser(ValueParser::os_string()));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, as_bytes);
    }
    cmd
}

/// Whether an argument's value must be text: everything but a path.
fn must_be_text(arg: &clap::Arg) -> bool {
    let ty = arg.get_value_parser().type_id();
    arg.get_action().takes_values()
        && ty != TypeId::of::<PathBuf>()
        && ty != TypeId::of::<OsString>()
}

/// The message for the first value of a text argument of `cmd` (then of the subcommand
/// that ran) that is not UTF-8: it names the argument, the first byte that is not UTF-8 and
/// its position in the value (from 0).
fn first_not_text(cmd: &clap::Command, matches: &clap::ArgMatches, lang: Lang) -> Option<String> {
    for arg in cmd.get_arguments().filter(|a| must_be_text(a)) {
        let Ok(Some(values)) = matches.try_get_raw(arg.get_id().as_str()) else {
            continue;
        };
        for value in values {
            let bytes = value.as_encoded_bytes();
            if let Err(e) = std::str::from_utf8(bytes) {
                let at = e.valid_up_to();
                let name = match arg.get_long() {
                    Some(long) => format!("--{long}"),
                    None => ui::text(&format!("arg-{}", arg.get_id()), lang).to_string(),
                };
                return Some(ui::fill(
                    "error-not-text",
                    lang,
                    &[
                        ("arg", &name),
                        ("byte", &format!("{:02X}", bytes[at])),
                        ("position", &at.to_string()),
                    ],
                ));
            }
        }
    }
    let (name, sub) = matches.subcommand()?;
    first_not_text(cmd.find_subcommand(name)?, sub, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every command, given a value that is not UTF-8: a path takes it,
    /// anything else is refused with a message that names the argument and the byte.
    #[test]
    fn every_argument_reads_bytes() {
        use std::os::unix::ffi::OsStringExt;
        fn walk(cmd: &clap::Command, path: &[String], seen: &mut usize) {
            for arg in cmd.get_arguments() {
                if !arg.get_action().takes_values() {
                    continue;
                }
                let mut argv: Vec<OsString> = std::iter::once("maildoc".to_string())
                    .chain(path.iter().cloned())
                    .map(OsString::from)
                    .collect();
                let name = match arg.get_long() {
                    Some(long) => {
                        argv.push(format!("--{long}").into());
                        format!("--{long}")
                    }
                    // The only positional argument of its command.
                    None => ui::text(&format!("arg-{}", arg.get_id()), Lang::En).to_string(),
                };
                argv.push(OsString::from_vec(b"a\xFFb".to_vec()));
                *seen += 1;
                let what = format!("{path:?} {name}");
                for lang in [Lang::Ja, Lang::En] {
                    let parsed = parse_from(command(lang), argv.clone(), lang);
                    match parsed {
                        Err(Failure::NotText(m)) if must_be_text(arg) => {
                            let arg_name = match arg.get_long() {
                                Some(_) => name.clone(),
                                None => ui::text(&format!("arg-{}", arg.get_id()), lang).into(),
                            };
                            assert!(!arg_name.contains('?'), "{what}: no word for it");
                            assert!(m.contains(&arg_name), "{what}: {m}");
                            assert!(m.contains("0xFF") && m.contains(" 1"), "{what}: {m}");
                        }
                        Err(Failure::NotText(m)) => panic!("{what} is a path: {m}"),
                        other if must_be_text(arg) => panic!("{what}: {other:?}"),
                        _ => {}
                    }
                }
            }
            for sub in cmd.get_subcommands() {
                let mut path = path.to_vec();
                path.push(sub.get_name().to_string());
                walk(sub, &path, seen);
            }
        }
        let mut seen = 0;
        walk(&command(Lang::En), &[], &mut seen);
        assert!(seen > 60, "{seen}");
        // Only the values are checked: a flag after the bad value still counts.
        let argv: Vec<OsString> = vec![
            "maildoc".into(),
            "check".into(),
            OsString::from_vec(b"taro\xC3@example.jp".to_vec()),
            "--no-login".into(),
        ];
        match parse_from(command(Lang::En), argv, Lang::En) {
            Err(Failure::NotText(m)) => assert_eq!(
                m,
                "the address is not valid text (byte 0xC3 at position 4); give it in UTF-8."
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn help_has_text_for_every_argument_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for id in crate::check::HELP_ARGS {
                let key = format!("help-{}", id.replace('_', "-"));
                assert_ne!(ui::text(&key, lang), "?", "{key}");
            }
            for (_, key) in crate::discover::DISCOVER_HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in [
                "help-about",
                "help-after",
                "help-check",
                "help-check-after",
                "help-discover",
                "help-discover-after",
                "help-lang",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
        Cli::command().debug_assert();
    }
}
