//! What every probe of a run shares: the account, the resolver, the trust anchors, the clock.

use crate::clock::RunClock;
use crate::dns::Dns;
use crate::tls::Trust;
use maildoc_model::{LoginSkipReason, UsernameForm};

/// A password. Its Debug form never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn new(p: String) -> Self {
        Password(p)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The account being checked.
#[derive(Clone, Debug)]
pub struct Account {
    /// The whole address, domain in A-labels.
    pub address: String,
    pub local_part: String,
    /// The user name to log in with first.
    pub username: String,
    pub password: Option<Password>,
    /// --no-login not given.
    pub login: bool,
    /// --smtp-auth password (the default) rather than none.
    pub smtp_auth: bool,
    pub allow_plaintext_login: bool,
}

impl Account {
    /// The other user-name form to try once after a rejected login, if there is one.
    pub fn other_username(&self) -> Option<(String, UsernameForm)> {
        if self.username.eq_ignore_ascii_case(&self.address) {
            Some((self.local_part.clone(), UsernameForm::LocalPart))
        } else if self.username == self.local_part {
            Some((self.address.clone(), UsernameForm::FullAddress))
        } else {
            None
        }
    }

    /// Whether a password may be sent now, and why not.
    pub fn may_send_password(
        &self,
        encrypted: bool,
        cert_trusted: bool,
    ) -> Result<&Password, LoginSkipReason> {
        let password = match (&self.password, self.login) {
            (Some(p), true) => p,
            _ => return Err(LoginSkipReason::NotRequested),
        };
        if encrypted && !cert_trusted {
            return Err(LoginSkipReason::CertificateNotTrusted);
        }
        if !encrypted && !self.allow_plaintext_login {
            return Err(LoginSkipReason::Unencrypted);
        }
        Ok(password)
    }
}

/// Shared by all probes of one run.
#[derive(Clone, Debug)]
pub struct ProbeContext {
    pub account: Account,
    pub dns: Dns,
    pub trust: Trust,
    pub clock: RunClock,
    /// This computer's clock at the start (Unix seconds).
    pub now_unix: i64,
}
