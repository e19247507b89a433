//! A received message read as evidence (`maildoc message`): where it came from hop by hop,
//! what its receivers reported of its authentication, what spam filters said, and how its
//! headers are encoded. Its JSON form is versioned.

use crate::Severity;
use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped whenever the JSON shape changes incompatibly.
pub const MESSAGE_SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageReport {
    pub schema_version: u32,
    pub maildoc_version: String,
    pub source: MessageSource,
    pub summary: MessageSummary,
    /// Each Received header as a hop, oldest first.
    pub hops: Vec<Hop>,
    /// The newest dated hop's time minus the oldest's, in seconds (a made-up route below the
    /// receiver's hops is left out); none when the clocks make it negative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_delay_s: Option<i64>,
    /// The oldest hop the receiver's own provider added (its number): the hops and reports
    /// below it were written by servers the receiver does not run, and could be forged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_from_hop: Option<usize>,
    /// The receiver's organisational domain, as its newest hops name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    pub auth: MessageAuth,
    pub spam: Vec<SpamSignal>,
    pub encoding: Vec<EncodingNote>,
    pub findings: Vec<Finding>,
}

impl MessageReport {
    /// True when some finding needs attention (an error or a warning).
    pub fn has_problems(&self) -> bool {
        self.findings.iter().any(|f| f.severity != Severity::Info)
    }
}

/// What was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageSource {
    /// A whole message (headers and body).
    Message,
    /// The first message of an mbox file.
    Mbox,
    /// Only a header block (a paste of "show original" without the body).
    Headers,
}

/// The headers a person recognises the message by, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The domain of the From address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The Date header as written, and as a time (RFC 3339, UTC) when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_unix: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The envelope sender the receiver recorded (`Return-Path`), without the brackets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_path: Option<String>,
}

/// One Received header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// 1 for the oldest hop.
    pub number: usize,
    /// The name the sending host gave (HELO/EHLO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The sending host's name as the receiving host found it (reverse DNS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_rdns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The protocol (`SMTP`, `ESMTPS`, `LMTP`, `HTTP`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    pub tls: HopTls,
    /// What the header says of the encryption (`TLSv1.3 ...`), when it says anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_detail: Option<String>,
    /// The hop stayed inside one host or one provider (loopback, LMTP, a local hand-off):
    /// it never crossed the internet.
    pub local: bool,
    /// The time as written, and read (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_unix: Option<i64>,
    /// Seconds since the previous dated hop (negative: this hop's clock is behind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_s: Option<i64>,
    /// The hop's time is more than 2 s before the previous hop's: a clock is off, and the
    /// difference is not counted as delay.
    pub clock_skew: bool,
    /// The header, unfolded (printable characters only).
    pub raw: String,
    /// Where the header stands among the message's header fields (0 = topmost).
    #[serde(skip)]
    pub header_index: usize,
}

/// Whether a hop was encrypted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopTls {
    /// The header says TLS was used (`ESMTPS`, `using TLS`, `version=TLS1_3`).
    Tls,
    /// The header names a protocol without TLS (`SMTP`, `ESMTP`, `ESMTPA`).
    None,
    /// The header does not say.
    #[default]
    Unknown,
}

/// What the receivers reported of the message's authentication, and what maildoc verified
/// itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageAuth {
    pub reported: Vec<ReportedAuth>,
    /// Whether maildoc verified the signatures itself (false: `--offline`).
    #[serde(default)]
    pub verified_online: bool,
    /// Each DKIM signature, verified over the message's bytes with the key from DNS.
    #[serde(default)]
    pub verified: Vec<VerifiedSignature>,
    /// SPF evaluated again by maildoc for the address that handed the message to the
    /// receiver, with the envelope sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf: Option<VerifiedSpf>,
    /// DMARC evaluated again by maildoc: the From domain's policy, and whether SPF or DKIM
    /// passed for a domain aligned with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<VerifiedDmarc>,
}

/// SPF as maildoc evaluated it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedSpf {
    /// The address that handed the message to the receiver (its entry hop).
    pub ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// The envelope sender (Return-Path); empty for a bounce.
    pub mail_from: String,
    /// The domain whose record was evaluated.
    pub domain: String,
    /// `pass`, `fail`, `softfail`, `neutral`, `none`, `permerror`, `temperror`.
    pub result: String,
    pub reason: String,
}

/// DMARC as maildoc evaluated it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedDmarc {
    pub from_domain: String,
    /// Where the record was found (the From domain, or its organisational domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_domain: Option<String>,
    /// `none`, `quarantine`, `reject` (the subdomain policy where it applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// `pass`, `fail`, `none` (no record), `temperror` (the record could not be fetched),
    /// `permerror` (the record cannot be read), `unknown` (neither SPF nor a signature could be
    /// judged: a paste without a body, a submission).
    pub result: String,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
}

/// A DKIM signature as maildoc verified it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedSignature {
    /// `d=`: the signing domain.
    pub domain: String,
    /// `s=`: the selector; the key is at `SELECTOR._domainkey.DOMAIN`.
    pub selector: String,
    /// `a=` (`rsa-sha256`, `ed25519-sha256`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub algorithm: String,
    pub result: DkimVerdict,
    /// What the verifier or the DNS said, in its words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What verifying a DKIM signature gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DkimVerdict {
    Pass,
    /// The signature over the headers does not verify with the key.
    Fail,
    /// The body was changed after it was signed (its hash differs from `bh=`).
    BodyModified,
    /// The signature's `x=` time has passed.
    Expired,
    /// The key in DNS is revoked (empty `p=`).
    Revoked,
    /// No key at `SELECTOR._domainkey.DOMAIN` (NXDOMAIN or no TXT): unverifiable.
    KeyMissing,
    /// The key could not be fetched (timeout, SERVFAIL, refused): unverifiable.
    KeyUnavailable,
    /// Only the headers were given: the body hash cannot be checked, so nothing is verified.
    NoBody,
    /// The signature cannot be read, or uses what maildoc does not verify.
    Unsupported,
}

/// One Authentication-Results, ARC-Authentication-Results or Received-SPF header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedAuth {
    /// The header's name.
    pub header: String,
    /// Who wrote it (the authserv-id; for Received-SPF the host named in it, if any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authserv_id: Option<String>,
    /// Written by the receiver's own provider (the newest header's authserv-id): the others
    /// may come from anybody.
    pub trusted: bool,
    /// The ARC instance (`i=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    pub results: Vec<AuthResult>,
    /// Where the header stands among the message's header fields (0 = topmost).
    #[serde(skip)]
    pub header_index: usize,
}

/// One method's result (`spf=pass smtp.mailfrom=example.jp`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResult {
    /// `spf`, `dkim`, `dmarc`, `arc`, `auth`, ...
    pub method: String,
    /// `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`, `permerror`, `policy`, ...
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The properties (`smtp.mailfrom`, `header.d`, `header.from`, `policy.dmarc`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub props: BTreeMap<String, String>,
}

/// What a spam filter's header says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpamSignal {
    pub header: String,
    /// The header's value, cut to 200 characters.
    pub value: String,
    pub verdict: SpamVerdict,
    /// The score as written (`7.3`, `100.00%`, `SCL 5`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// Written by the receiver's own provider (above the trusted line).
    pub trusted: bool,
    /// Where the header stands among the message's header fields (0 = topmost).
    #[serde(skip)]
    pub header_index: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpamVerdict {
    Spam,
    NotSpam,
    /// A score or a report without a verdict.
    Info,
}

/// How a header's text is encoded, where it is worth knowing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodingNote {
    pub header: String,
    /// The charsets of its encoded words (`UTF-8`, `ISO-2022-JP`, `Shift_JIS`, ...).
    pub charsets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<EncodingProblem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingProblem {
    /// Bytes above 0x7F in a header that declares no charset (raw Shift_JIS, EUC-JP or
    /// UTF-8): each app guesses, and some guess wrong.
    Undeclared8bit,
    /// An encoded word names a charset maildoc does not know.
    UnknownCharset,
    /// An encoded word that cannot be decoded (bad base64, a broken escape sequence).
    BadEncodedWord,
}

/// Bumped whenever the round trip's JSON shape changes incompatibly.
pub const ROUNDTRIP_SCHEMA_VERSION: u32 = 1;

/// A test message sent through the account's own outgoing server and looked for in its
/// mailbox (`maildoc roundtrip`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundtripReport {
    pub schema_version: u32,
    pub maildoc_version: String,
    /// The sending and the receiving account.
    pub from: String,
    pub to: String,
    /// The Message-ID given to the test message (without the angle brackets).
    pub message_id: String,
    /// Seconds from the start of the send to the end of the search (or, when the message was
    /// not taken, the time there was to wait).
    pub waited_at_most_s: u64,
    /// The outgoing server's session: how the message was sent.
    pub sent: crate::report::Report,
    /// The server's reply to the end of the message, when it took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    /// The IMAP session that looked for it, when the message was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watched: Option<crate::report::Report>,
    /// Where and when it arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<Arrival>,
    /// The headers of the copy that arrived, read as `maildoc message` reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<MessageReport>,
    pub findings: Vec<Finding>,
}

impl RoundtripReport {
    /// True when the message did not arrive, or some finding needs attention.
    pub fn has_problems(&self) -> bool {
        self.arrival.is_none() || self.findings.iter().any(|f| f.severity != Severity::Info)
    }
}

/// Where the test message was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// The folder, readable (`INBOX`, `迷惑メール`, `[Gmail]/Spam`).
    pub folder: String,
    /// The folder is where the provider files spam (its special use, or its name).
    pub junk: bool,
    /// The IMAP INTERNALDATE: when the mailbox took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internaldate: Option<String>,
    /// Seconds from the send to the INTERNALDATE (none when a clock cannot be trusted for
    /// it: the INTERNALDATE was unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i64>,
    /// What became of maildoc's copy: `kept`, `expunged`, `marked-deleted`, `failed`.
    pub removed: String,
}
