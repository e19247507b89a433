//! Where the password comes from: `--password-stdin`, `--password-file`, `MAILDOC_PASSWORD`,
//! or a prompt without echo on a terminal. It is never printed.

use crate::args::CheckArgs;
use maildoc_engine::Password;
use maildoc_report::{Lang, ui};
use std::io::{BufRead, IsTerminal};

/// A usage error: (UI key, detail).
pub type Problem = (&'static str, String);

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
            .map_err(|e| ("error-password-stdin", e.to_string()))?;
        first_line(&line)
    } else if let Some(path) = args.file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ("error-password-file", format!("{}: {e}", path.display())))?;
        first_line(&text)
    } else if let Some(p) = std::env::var_os("MAILDOC_PASSWORD") {
        p.into_string()
            .map_err(|_| ("error-password-env", String::new()))?
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password(ui::fill(
            "password-prompt",
            lang,
            &[("username", args.prompt_name)],
        ))
        .map_err(|e| ("error-password-stdin", e.to_string()))?
    } else {
        return Err(("error-no-password", String::new()));
    };
    if password.is_empty() {
        return Err(("error-password-empty", String::new()));
    }
    Ok(Some(Password::new(password)))
}

/// A usage error in words.
pub fn message(key: &str, lang: Lang, detail: &str) -> String {
    ui::fill(key, lang, &[("detail", detail)])
}
