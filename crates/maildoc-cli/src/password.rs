//! Where the password comes from: `--password-stdin`, `--password-file`, `MAILDOC_PASSWORD`,
//! or a prompt without echo on a terminal. It is never printed.

use crate::check::CheckArgs;
use maildoc_engine::Password;
use maildoc_report::{Lang, ui};
use std::io::{BufRead, IsTerminal};

/// Why no password could be had.
#[derive(Debug)]
pub enum Problem {
    /// Standard input (or the terminal's prompt) could not be read.
    Stdin(std::io::Error),
    /// `--password-file` could not be read.
    File(std::path::PathBuf, std::io::Error),
    /// `MAILDOC_PASSWORD` is not valid text.
    EnvNotText,
    /// No source was given and there is no terminal to ask on.
    NoSource,
    /// The source held an empty line.
    Empty,
}

impl Problem {
    /// The problem in words, in `lang`.
    pub fn words(&self, lang: Lang) -> String {
        let (key, detail) = match self {
            Problem::Stdin(e) => ("error-password-stdin", e.to_string()),
            Problem::File(path, e) => ("error-password-file", format!("{}: {e}", path.display())),
            Problem::EnvNotText => ("error-password-env", String::new()),
            Problem::NoSource => ("error-no-password", String::new()),
            Problem::Empty => ("error-password-empty", String::new()),
        };
        ui::fill(key, lang, &[("detail", &detail)])
    }
}

/// The first line, without its line end.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

/// Where a command may take the password from.
#[derive(Clone, Copy, Debug)]
pub struct Sources<'a> {
    /// `--password-stdin`.
    pub stdin: bool,
    /// `--password-file`.
    pub file: Option<&'a std::path::Path>,
    /// The user name the prompt names.
    pub prompt_name: &'a str,
}

pub fn obtain(args: &CheckArgs, lang: Lang) -> Result<Option<Password>, Problem> {
    obtain_from(
        Sources {
            stdin: args.login.password_stdin,
            file: args.login.password_file.as_deref(),
            prompt_name: args.servers.username.as_deref().unwrap_or(&args.address),
        },
        lang,
    )
}

/// The password from the first source given: `--password-stdin`, `--password-file`,
/// `MAILDOC_PASSWORD`, then a prompt on a terminal.
pub fn obtain_from(args: Sources<'_>, lang: Lang) -> Result<Option<Password>, Problem> {
    let password = if args.stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(Problem::Stdin)?;
        first_line(&line)
    } else if let Some(path) = args.file {
        let text =
            std::fs::read_to_string(path).map_err(|e| Problem::File(path.to_path_buf(), e))?;
        first_line(&text)
    } else if let Some(p) = std::env::var_os("MAILDOC_PASSWORD") {
        p.into_string().map_err(|_| Problem::EnvNotText)?
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password(ui::fill(
            "password-prompt",
            lang,
            &[("username", args.prompt_name)],
        ))
        .map_err(Problem::Stdin)?
    } else {
        return Err(Problem::NoSource);
    };
    if password.is_empty() {
        return Err(Problem::Empty);
    }
    Ok(Some(Password::new(password)))
}
