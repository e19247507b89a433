//! Sending one message through an account's own outgoing server, logged in as a mail app
//! would: the only job that delivers mail, and only when a door asks for it (a watch's alerts
//! by mail). The server is found as a check finds it, linted before the password goes out,
//! and the session is the check's own evidence: every step timed, the message shown in the
//! transcript by its size only.

use crate::{CheckOptions, Env, Error, Event, Password};
use maildoc_model::settings::AccountSettings;
use maildoc_model::{CommandKind, ReplyOutcome, Report, StepKind};
use maildoc_probe::context::Delivery;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// What to send, through which account.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// The sending account (the address is the sender), and its outgoing server when it is
    /// given; none: found as a check finds it.
    pub settings: AccountSettings,
    pub password: Password,
    /// Logging in over an unencrypted connection, when the user allowed it.
    pub allow_plaintext_login: bool,
    pub recipients: Vec<String>,
    pub subject: String,
    /// The text, in UTF-8; any line ends.
    pub text: String,
    /// The Message-ID (without angle brackets) to give the message; none: a new one.
    pub message_id: Option<String>,
    /// The whole run's deadline.
    pub timeout: Duration,
}

/// What happened.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The outgoing server's evidence and findings (one server: the one the message went to).
    pub report: Report,
    /// The message's `Message-ID`, without the angle brackets.
    pub message_id: String,
    /// The server's reply to the end of the message, when it took it.
    pub accepted: Option<String>,
}

/// Sends the message. Remote failures are evidence in [`Sent::report`]; only input that
/// cannot be used (the sender's or a recipient's address) is an error.
pub async fn send(
    env: &Env,
    opts: SendOptions,
    progress: impl FnMut(Event),
) -> Result<Sent, Error> {
    let sender = ascii_address(&opts.settings.address)?;
    let mut recipients = Vec::with_capacity(opts.recipients.len());
    for to in &opts.recipients {
        recipients.push(ascii_address(to)?.full());
    }
    let now = env.clock.now();
    let message_id = opts.message_id.clone().unwrap_or_else(|| {
        format!(
            "maildoc.{}.{}@{}",
            now.unix_timestamp(),
            token(),
            sender.domain
        )
    });
    let from = sender.full();
    let message = maildoc_wire::compose::compose(&maildoc_wire::compose::Outgoing {
        from: &from,
        to: &recipients,
        subject: &opts.subject,
        text: &opts.text,
        message_id: &message_id,
        date: now,
        auto_submitted: true,
    });
    let check = CheckOptions {
        settings: opts.settings,
        password: Some(opts.password),
        login: true,
        smtp_auth: true,
        allow_plaintext_login: opts.allow_plaintext_login,
        timeout: opts.timeout,
    };
    let delivery = Arc::new(Delivery {
        recipients,
        message,
    });
    let report = crate::run(env, check, crate::Mode::Deliver(delivery), progress).await?;
    let accepted = accepted(&report);
    Ok(Sent {
        report,
        message_id,
        accepted,
    })
}

/// 16 hex digits no other message has: the process's random hasher keys, mixed with the
/// time.
pub fn token() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", h.finish())
}

/// An address that can go into MAIL FROM, RCPT TO and a header as it is: the domain in
/// A-labels, the local part in ASCII (maildoc does not ask for SMTPUTF8).
fn ascii_address(typed: &str) -> Result<maildoc_model::input::Address, Error> {
    let address = crate::check_input(typed, None)?;
    if !address.local.is_ascii() {
        return Err(Error::Address {
            typed: typed.to_owned(),
            error: maildoc_model::input::InputError::BadLocalPart(
                "it has letters outside ASCII, which maildoc does not send".to_owned(),
            ),
        });
    }
    Ok(address)
}

/// The server's reply to the end of the message, when it took the message.
fn accepted(report: &Report) -> Option<String> {
    report
        .servers
        .iter()
        .flat_map(|s| &s.steps)
        .find_map(|step| match &step.kind {
            StepKind::Command {
                command: CommandKind::EndOfData,
                outcome: ReplyOutcome::Ok,
                reply,
                ..
            } => Some(reply.clone()),
            _ => None,
        })
}
