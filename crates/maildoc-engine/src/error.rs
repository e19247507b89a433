//! The one error type of every job: input that cannot be used. A remote failure is never an
//! error (it is evidence in the report), and maildoc needs nothing local that can fail but
//! the certificates it is given.

use maildoc_model::input::InputError;
use maildoc_probe::tls::TrustError;

/// The longest user name maildoc takes, in bytes: a little more than the longest mail
/// address (254). No protocol sets a limit, but nothing longer is a user name anybody has.
pub const MAX_USERNAME: usize = 256;

/// Why a job cannot start. Each door puts it in words ([`std::fmt::Display`] is English
/// for logs; the report crate says it in the user's language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The mail address as typed cannot be used.
    Address { typed: String, error: InputError },
    /// The user name is empty once invisible characters are removed.
    UsernameEmpty,
    /// The user name is longer than [`MAX_USERNAME`] bytes.
    UsernameTooLong { length: usize },
    /// The text is not a domain name (`detail` says why).
    Domain { typed: String, detail: String },
    /// The certificates to trust besides the public roots cannot be used.
    CaFile(TrustError),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Address { typed, error } => write!(f, "{error}: `{typed}`"),
            Error::UsernameEmpty => f.write_str("the user name is empty"),
            Error::UsernameTooLong { length } => write!(
                f,
                "the user name is {length} bytes long; at most {MAX_USERNAME} are allowed"
            ),
            Error::Domain { detail, .. } => f.write_str(detail),
            Error::CaFile(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

/// Checks a user name as typed: longer than [`MAX_USERNAME`] bytes, or nothing left once
/// invisible characters and spaces are removed, it cannot be used.
pub fn check_username(username: &str) -> Result<(), Error> {
    if username.len() > MAX_USERNAME {
        return Err(Error::UsernameTooLong {
            length: username.len(),
        });
    }
    if maildoc_model::input::normalize_text("username", username)
        .0
        .is_empty()
    {
        return Err(Error::UsernameEmpty);
    }
    Ok(())
}
