//! Where the password comes from: `--password-stdin`, `--password-file`, `MAILDOC_PASSWORD`,
//! or a prompt without echo on a terminal. It is never printed.

use crate::args::CheckArgs;
use maildoc_probe::context::Password;
use maildoc_report::{Lang, ui};
use std::io::{BufRead, IsTerminal};

/// A usage error: (UI key, detail).
pub type Problem = (&'static str, String);

/// The first line, without its line end.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

pub fn obtain(args: &CheckArgs, lang: Lang) -> Result<Option<Password>, Problem> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| ("error-password-stdin", e.to_string()))?;
        first_line(&line)
    } else if let Some(path) = &args.password_file {
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
            &[(
                "username",
                args.username.as_deref().unwrap_or(&args.address),
            )],
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
