//! The registry of finding codes: the public contract that scripts, docs and the knowledge
//! base key on. Every code is listed once, with its default severity.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How much a finding matters. Ordered most serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Mail does not work until this is fixed.
    Error,
    /// Works now, but is risky or about to break.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $sev:ident; )*) => {
        /// A finding code. Serialized as its kebab-case name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity a rule gives this code unless it has a reason to say otherwise.
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// Looks a code up by its kebab-case name.
            pub fn parse(name: &str) -> Option<Code> {
                match name { $($name => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    /// The host name does not exist in DNS (NXDOMAIN).
    DnsHostNotFound = "dns-host-not-found", Error;
    /// The resolver answered with an error (SERVFAIL, REFUSED, ...).
    DnsResolverFailure = "dns-resolver-failure", Error;
    /// The resolver did not answer in time.
    DnsTimeout = "dns-timeout", Error;
    /// The host exists but has no address record.
    DnsNoAddress = "dns-no-address", Error;
    /// The server actively refused the TCP connection.
    ConnectRefused = "connect-refused", Error;
    /// The TCP connection attempt got no answer (filtered port).
    ConnectTimeout = "connect-timeout", Error;
    /// The network reported the address unreachable.
    NetworkUnreachable = "network-unreachable", Error;
    /// Outbound port 25 is filtered while 587/465 answer (Outbound Port 25 Blocking).
    Port25Blocked = "port-25-blocked", Error;
    /// The host field holds a mail address or something that is not a host name.
    HostLooksLikeAddress = "host-looks-like-address", Error;
    /// SSL/TLS is set, but the port speaks plaintext first.
    SslOnPlaintextPort = "ssl-on-plaintext-port", Error;
    /// No SSL (or STARTTLS) is set, but the port expects TLS from the first byte.
    PlaintextOnSslPort = "plaintext-on-ssl-port", Error;
    /// A different protocol answers on this port.
    WrongProtocolOnPort = "wrong-protocol-on-port", Error;
    /// STARTTLS is set but the server does not offer it.
    StarttlsNotOffered = "starttls-not-offered", Error;
    /// The TLS handshake failed.
    TlsHandshakeFailed = "tls-handshake-failed", Error;
    /// The server only speaks TLS 1.0/1.1 or obsolete ciphers.
    TlsLegacyOnly = "tls-legacy-only", Error;
    /// The server asked for a client certificate and ended the connection without one.
    ClientCertRequired = "client-cert-required", Error;
    /// The server certificate has expired.
    CertExpired = "cert-expired", Error;
    /// The server certificate expires soon.
    CertExpiresSoon = "cert-expires-soon", Warning;
    /// The server certificate is not valid yet.
    CertNotYetValid = "cert-not-yet-valid", Error;
    /// The certificate does not name the host that was used.
    CertNameMismatch = "cert-name-mismatch", Error;
    /// The certificate is self-signed.
    CertSelfSigned = "cert-self-signed", Error;
    /// The certificate is issued by a CA that is not trusted.
    CertUnknownIssuer = "cert-unknown-issuer", Error;
    /// The server does not send its intermediate certificate.
    CertChainIncomplete = "cert-chain-incomplete", Warning;
    /// This computer's clock is wrong.
    ClockSkew = "clock-skew", Error;
    /// Security software or a proxy is intercepting TLS.
    TlsInterceptionSuspected = "tls-interception-suspected", Warning;
    /// The server rejected the user name or password.
    AuthFailed = "auth-failed", Error;
    /// Login works with the other user name form (full address vs local part).
    AuthUsernameForm = "auth-username-form", Error;
    /// The provider requires an app-specific password.
    AppPasswordRequired = "app-password-required", Error;
    /// The provider requires OAuth (modern authentication) sign-in.
    OauthRequired = "oauth-required", Error;
    /// The server refuses passwords over an unencrypted connection.
    PlaintextLoginDisabled = "plaintext-login-disabled", Error;
    /// The server offers no encryption at all.
    PlaintextOnlyServer = "plaintext-only-server", Warning;
    /// The settings turn encryption off although the server supports it.
    EncryptionOff = "encryption-off", Error;
    /// None of the server's login mechanisms can be used.
    AuthMechanismUnsupported = "auth-mechanism-unsupported", Error;
    /// The account is locked or logins are throttled.
    AccountLockedOrThrottled = "account-locked-or-throttled", Error;
    /// Too many connections from this account or address.
    TooManyConnections = "too-many-connections", Warning;
    /// The server says it is unavailable.
    ServerUnavailable = "server-unavailable", Error;
    /// The server answers slowly.
    ServerSlow = "server-slow", Warning;
    /// The server accepts the connection but never says anything.
    NoGreeting = "no-greeting", Error;
    /// The server sends something that is not the protocol.
    GarbledResponse = "garbled-response", Error;
    /// The server closes the connection unexpectedly.
    ConnectionDropped = "connection-dropped", Error;
    /// The protocol (IMAP or POP3) is disabled for this account.
    ProtocolDisabled = "protocol-disabled", Error;
    /// The mailbox is full.
    MailboxOverQuota = "mailbox-over-quota", Error;
    /// The mailbox is nearly full.
    MailboxNearQuota = "mailbox-near-quota", Warning;
    /// The outgoing server does not offer authentication.
    SmtpAuthNotOffered = "smtp-auth-not-offered", Error;
    /// The outgoing server refuses to relay to other domains.
    SmtpRelayDenied = "smtp-relay-denied", Error;
    /// The outgoing server rejects the sender address.
    SmtpSenderRejected = "smtp-sender-rejected", Error;
    /// The outgoing server has a small message size limit.
    SmtpSizeLimit = "smtp-size-limit", Warning;
    /// The own mailbox rejects mail (RCPT TO the account's own address failed).
    SmtpRecipientRejected = "smtp-recipient-rejected", Warning;
    /// maildoc rewrote what was typed (IDN, full-width characters, spaces).
    InputNormalized = "input-normalized", Info;
    /// The run's deadline ended this server's check before it was done.
    CheckIncomplete = "check-incomplete", Warning;
    // settings lint (maildoc-diagnose/src/lint.rs) and the shared-hosting certificate rule:
    /// The server name is one letter away from a known server name (`imap.gmial.com`).
    HostTypo = "host-typo", Error;
    /// The server name differs from a known one only by look-alike characters (`1`/`l`, `0`/`o`).
    HostLookAlike = "host-look-alike", Error;
    /// The user name differs from the expected one only by look-alike characters.
    UsernameLookAlike = "username-look-alike", Warning;
    /// A server name or user name contains full-width (zenkaku) characters.
    FullWidthCharacters = "full-width-characters", Warning;
    /// A server name or user name contains invisible characters or spaces at its ends.
    InvisibleCharacters = "invisible-characters", Error;
    /// The port belongs to another protocol (an IMAP port for POP3, an SMTP port for IMAP, ...).
    PortOfOtherProtocol = "port-of-other-protocol", Error;
    /// Outgoing server authentication (SMTP authentication) is turned off.
    SmtpAuthOff = "smtp-auth-off", Warning;
    /// The user name has another form than the provider documents (address, local part, ID).
    UsernameFormUnexpected = "username-form-unexpected", Warning;
    /// The server name is one the provider no longer documents.
    HostRetired = "host-retired", Warning;
    /// The certificate names the hosting company's server, not the host used (shared hosting).
    CertForHostingServer = "cert-for-hosting-server", Error;
    /// The address belongs to a service that mail apps cannot use (e.g. SoftBank's MMS).
    ProviderNotForMailApps = "provider-not-for-mail-apps", Error;
    /// Discovery found no settings for incoming or outgoing mail.
    SettingsNotFound = "settings-not-found", Warning;
    // ---- domain posture ----
    /// The domain has no MX record (mail to it falls back to its address record).
    MxMissing = "mx-missing", Warning;
    /// The domain publishes a null MX (RFC 7505): it accepts no mail, not even bounces.
    MxNull = "mx-null", Warning;
    /// An MX host name is an alias (CNAME), which RFC 2181 §10.3 forbids.
    MxCname = "mx-cname", Warning;
    /// An MX host name does not resolve to an address.
    MxHostUnresolvable = "mx-host-unresolvable", Error;
    /// A mail server address has no reverse DNS (PTR) name.
    PtrMissing = "ptr-missing", Warning;
    /// The reverse DNS name of an address does not lead back to it (not forward-confirmed).
    PtrMismatch = "ptr-mismatch", Warning;
    /// No DKIM key was found at the selectors given or tried.
    DkimKeyMissing = "dkim-key-missing", Warning;
    /// A DKIM key is shorter than 2048 bits.
    DkimKeyWeak = "dkim-key-weak", Warning;
    /// A DKIM key record cannot be used (unknown key type, key that does not parse).
    DkimKeyInvalid = "dkim-key-invalid", Error;
    /// A DKIM key record is revoked (empty p=).
    DkimKeyRevoked = "dkim-key-revoked", Warning;
    /// A DKIM key is in test mode (t=y).
    DkimTesting = "dkim-testing", Warning;
    /// The domain (and its organisational domain) has no DMARC record.
    DmarcMissing = "dmarc-missing", Error;
    /// The DMARC record has a syntax error.
    DmarcInvalid = "dmarc-invalid", Error;
    /// Several DMARC records: receivers apply none of them.
    DmarcMultipleRecords = "dmarc-multiple-records", Error;
    /// The DMARC policy is p=none (monitoring only).
    DmarcPolicyNone = "dmarc-policy-none", Warning;
    /// A DMARC report destination outside the domain has not authorised the reports.
    DmarcRuaUnauthorized = "dmarc-rua-unauthorized", Warning;
    /// A DMARC report destination's domain cannot take mail (no such domain, a null MX, or
    /// neither MX nor address): the reports are lost.
    DmarcReportUndeliverable = "dmarc-report-undeliverable", Warning;
    /// The DMARC record uses pct=, rf= or ri=, which RFC 9989 removed from DMARC.
    DmarcRemovedTag = "dmarc-removed-tag", Info;
    /// Other TXT records stand beside the DMARC record at `_dmarc` (an SPF record put there,
    /// say): receivers skip them, but they suggest a record at the wrong name.
    DmarcUnrelatedTxt = "dmarc-unrelated-txt", Info;
    /// The MTA-STS record or policy is invalid or cannot be fetched.
    MtaStsInvalid = "mta-sts-invalid", Warning;
    /// The MTA-STS policy does not list an MX host.
    MtaStsMismatch = "mta-sts-mismatch", Error;
    /// No TLS-RPT record: nobody hears about TLS failures of mail to the domain.
    TlsrptMissing = "tlsrpt-missing", Info;
    /// The TLS-RPT record is invalid (RFC 8460 §3): several records, another version, no
    /// `rua=`, or a report destination that is not a `mailto:` or `https:` URI.
    TlsrptInvalid = "tlsrpt-invalid", Warning;
    /// A TLSA record of an MX host is malformed or unusable for SMTP (RFC 7672), or (with
    /// `--smtp`) no TLSA record matches the certificates the host presents on port 25.
    TlsaMismatch = "tlsa-mismatch", Warning;
    /// The zone publishes DNSKEY records but its parent has no DS record: DNSSEC is not in
    /// force (validating resolvers treat the zone as unsigned).
    DnssecDsMissing = "dnssec-ds-missing", Warning;
    /// The parent's DS record promises DNSSEC that the zone's keys or signatures do not
    /// deliver: validating resolvers cannot look up the zone's names.
    DnssecBogus = "dnssec-bogus", Error;
    /// The BIMI record, its logo or its mark certificate would keep mailboxes from showing
    /// the brand logo.
    BimiInvalid = "bimi-invalid", Warning;
    /// An MX host is not among the mail servers given with `--approved-mx`.
    MxNotApproved = "mx-not-approved", Warning;
    /// A name server of the domain's zone is not among those given with `--approved-ns`.
    NsNotApproved = "ns-not-approved", Warning;
    /// A domain given as parked (`--parked`) does not say that it sends and receives no mail.
    ParkedDomainOpen = "parked-domain-open", Warning;
    /// The domain does not meet the Gmail/Yahoo and Japanese carriers' sender requirements.
    SenderRequirementsUnmet = "sender-requirements-unmet", Error;
    /// Some DNS lookups of the domain check got no definite answer (SERVFAIL, timeout).
    DomainLookupFailed = "domain-lookup-failed", Warning;
    // ---- domain posture: SPF ----
    /// The domain publishes no SPF record (no TXT record starting with `v=spf1`).
    SpfMissing = "spf-missing", Error;
    /// An SPF record in the domain's tree has a syntax error (a permerror for every receiver).
    SpfSyntaxError = "spf-syntax-error", Error;
    /// The domain publishes more than one `v=spf1` record (a permerror, RFC 7208 §4.5).
    SpfMultipleRecords = "spf-multiple-records", Error;
    /// The SPF tree needs more than 10 DNS lookups (a permerror, RFC 7208 §4.6.4).
    SpfTooManyLookups = "spf-too-many-lookups", Error;
    /// More than 2 lookups of the SPF tree return no records (a permerror, RFC 7208 §4.6.4).
    SpfVoidLookups = "spf-void-lookups", Error;
    /// The SPF record ends with `+all` or `?all`: anyone may send as the domain.
    SpfTooPermissive = "spf-too-permissive", Warning;
    /// The SPF record uses the deprecated `ptr` mechanism.
    SpfPtrDeprecated = "spf-ptr-deprecated", Warning;
    /// Mail from the given IP does not pass the domain's SPF.
    SpfIpNotAuthorized = "spf-ip-not-authorized", Error;
    // ---- domain posture: DNS blocklists ----
    /// A mail server address (an MX host's or `--ip`) is listed on a DNS blocklist.
    DnsblListed = "dnsbl-listed", Error;
    /// A DNS blocklist refused to answer this resolver (public or high-volume resolver).
    DnsblQueryRefused = "dnsbl-query-refused", Warning;
    // ---- domain posture: MX over SMTP, `--smtp` ----
    /// An MX host does not offer STARTTLS on port 25: mail to it travels unencrypted.
    MxStarttlsMissing = "mx-starttls-missing", Warning;
    /// The certificate an MX host shows after STARTTLS does not verify.
    MxCertInvalid = "mx-cert-invalid", Warning;
    /// An MX host could not be checked over SMTP from this network (blocked port 25, 421,
    /// silence): inconclusive, not a fault of the server.
    MxSmtpInconclusive = "mx-smtp-inconclusive", Info;
    // ---- domain posture: MX record sanity ----
    /// The same host is named by several MX records (with different preferences): the
    /// "backup" is the same server.
    MxDuplicateHost = "mx-duplicate-host", Warning;
    /// An MX record names an IP address instead of a host name (RFC 1035 §3.3.9, RFC 5321
    /// §5.1): many mail servers refuse to deliver to it.
    MxIpLiteral = "mx-ip-literal", Error;
    /// An MX host resolves to an address that cannot be reached from the internet (loopback,
    /// RFC 1918 private, link-local, shared, unique-local).
    MxPrivateAddress = "mx-private-address", Warning;
    /// A POP3 device removes mail from the server while other devices read it over IMAP.
    KartePop3RemovesImapMail = "karte-pop3-removes-imap-mail", Warning;
    /// A POP3 device removes the server's copy and no backup of that device is noted.
    KartePop3SingleCopy = "karte-pop3-single-copy", Warning;
    /// Several POP3 devices remove mail from the server: each gets only part of it.
    KartePop3SeveralDeleting = "karte-pop3-several-deleting", Warning;
    /// IMAP is used and no check in the karte's history read the mailbox quota.
    KarteImapQuotaUnchecked = "karte-imap-quota-unchecked", Warning;
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Code::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code `{name}`")))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_round_trip() {
        let mut seen = HashSet::new();
        for &code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "duplicate code {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert!(!name.starts_with('-') && !name.ends_with('-') && !name.contains("--"));
            assert_eq!(Code::parse(name), Some(code));
        }
        assert_eq!(Code::parse("no-such-code"), None);
    }

    #[test]
    fn serde_uses_the_kebab_case_name() {
        let json = serde_json::to_string(&Code::CertExpired).unwrap_or_default();
        assert_eq!(json, "\"cert-expired\"");
        let back: Result<Code, _> = serde_json::from_str("\"smtp-relay-denied\"");
        assert_eq!(back.ok(), Some(Code::SmtpRelayDenied));
        assert!(serde_json::from_str::<Code>("\"nope\"").is_err());
    }
}
