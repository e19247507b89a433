//! The mail address and user name as typed, checked before anything runs: every command that
//! takes one refuses input that cannot be used (exit code 3), in the run's language, before
//! any password prompt or probe.

use maildoc_report::{Lang, error};

/// The words of the usage error for the address `typed` (and the user name, when one was
/// given), in `lang`; `None` when they can be used.
pub fn problem(typed: &str, username: Option<&str>, lang: Lang) -> Option<String> {
    maildoc_engine::check_input(typed, username)
        .err()
        .map(|e| error::words(&e, lang))
}

/// The words of the usage error for a user name that cannot be used; `None` when there is
/// none or it can be used.
pub fn username_problem(typed: Option<&str>, lang: Lang) -> Option<String> {
    maildoc_engine::check_username(typed?)
        .err()
        .map(|e| error::words(&e, lang))
}
