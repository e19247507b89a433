//! What every probe of a run shares: the account, the resolver, the trust anchors, the clock.

use crate::clock::RunClock;
use crate::dns::Dns;
use crate::tls::Trust;
use maildoc_model::{LoginSkipReason, UsernameForm};
use maildoc_wire::secret::Redactor;
use std::sync::Arc;

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
    /// The settings lint found this server's name to be a typo or look-alike of a known one:
    /// no password is sent to it, whatever else holds.
    pub suspect_host: bool,
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

    /// What finds the password in server text, in every form it is sent in under every
    /// user name this account may log in with.
    pub fn redactor(&self) -> Arc<Redactor> {
        match &self.password {
            Some(p) => Arc::new(Redactor::new(
                p.expose(),
                &[&self.username, &self.address, &self.local_part],
            )),
            None => Arc::default(),
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
        if self.suspect_host {
            return Err(LoginSkipReason::SuspectHost);
        }
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
    /// Where each server's steps go as they are recorded, when somebody watches.
    pub steps: Option<crate::record::StepSink>,
    /// A message to send through the SMTP server after logging in, instead of the dry-run
    /// envelope.
    pub delivery: Option<Arc<Delivery>>,
    /// A message to look for in every IMAP folder after logging in, instead of the quota and
    /// mailbox status.
    pub search: Option<Arc<MailboxSearch>>,
}

/// A message to find by its Message-ID, in every folder, until the run's deadline.
#[derive(Debug)]
pub struct MailboxSearch {
    /// With the angle brackets: `<token@domain>`.
    pub message_id: String,
    /// Delete the message once it is found (UID EXPUNGE where the server has UIDPLUS).
    pub delete: bool,
    /// How long to wait between two searches of every folder.
    pub every: std::time::Duration,
    /// What was found, when it was.
    pub found: std::sync::Mutex<Option<FoundMessage>>,
}

impl MailboxSearch {
    /// Whether a message (or its header) has exactly this Message-ID: a server's search
    /// matches a substring, and a quote of the ID in another header is not the message.
    pub fn is_ours(&self, message: &str) -> bool {
        let head = message.split("\r\n\r\n").next().unwrap_or(message);
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("message-id") && value.trim() == self.message_id
            })
        })
    }
}

/// The message found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundMessage {
    /// The folder's name as the server sends it, and readable.
    pub folder_raw: String,
    pub folder: String,
    /// The folder's special use (`\Junk`, `\Inbox`...), upper-cased, when the server says.
    pub special_use: Vec<String>,
    pub uid: u64,
    /// `07-Dec-2026 03:00:00 +0000`: when the server took the message into the folder.
    pub internaldate: Option<String>,
    /// The copy in the mailbox: the whole message, or its header when it is too large to read.
    pub message: String,
    /// Whether maildoc's copy was removed afterwards.
    pub removed: Removed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    /// Not asked to (`--keep`).
    Kept,
    /// Marked deleted and expunged by its UID.
    Expunged,
    /// Marked deleted; the server has no UIDPLUS, so it was not expunged (an EXPUNGE would
    /// remove every message marked deleted in that folder, not only maildoc's).
    MarkedDeleted,
    /// The server refused.
    Failed,
}

/// A message to send, and to whom.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub recipients: Vec<String>,
    /// The whole message (headers and body), not yet framed for DATA.
    pub message: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(suspect_host: bool) -> Account {
        Account {
            address: "taro@gmail.com".into(),
            local_part: "taro".into(),
            username: "taro@gmail.com".into(),
            password: Some(Password::new("secret".to_string())),
            login: true,
            smtp_auth: true,
            allow_plaintext_login: false,
            suspect_host,
        }
    }

    #[test]
    fn no_password_for_a_suspect_host_even_over_verified_tls() {
        assert!(account(false).may_send_password(true, true).is_ok());
        assert_eq!(
            account(true).may_send_password(true, true).err(),
            Some(LoginSkipReason::SuspectHost)
        );
        // Not asked to log in at all: that reason stays the one shown.
        let mut a = account(true);
        a.login = false;
        assert_eq!(
            a.may_send_password(true, true).err(),
            Some(LoginSkipReason::NotRequested)
        );
    }

    #[test]
    fn only_a_copy_with_exactly_this_message_id_is_ours() {
        let search = MailboxSearch {
            message_id: "<maildoc.roundtrip.1a2b@lab.example>".into(),
            delete: false,
            every: std::time::Duration::from_secs(1),
            found: std::sync::Mutex::new(None),
        };
        assert!(search.is_ours(
            "Subject: x\r\nMessage-ID:\r\n <maildoc.roundtrip.1a2b@lab.example>\r\n\r\nbody"
        ));
        assert!(!search.is_ours("Message-ID: <maildoc.roundtrip.1a2b@lab.example.other>\r\n\r\n"));
        assert!(!search.is_ours("Subject: <maildoc.roundtrip.1a2b@lab.example>\r\n\r\n"));
    }
}
