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

/// What the findings of a code are about; it decides which params they carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One server of the account: its findings carry [`SERVER_PARAMS`] besides their own.
    Server,
    /// The account as a whole (its address, the provider, what discovery found).
    Account,
    /// The domain mail is sent from (`maildoc domain`).
    Domain,
    /// The karte: its devices and their settings.
    Karte,
    /// A received message (`maildoc message`): its hops, what receivers reported, spam
    /// verdicts, encodings.
    Message,
}

/// Params every finding of a [`Scope::Server`] code may carry: the server it is about.
pub const SERVER_PARAMS: &[&str] = &["server", "protocol", "host", "port", "security"];

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $sev:ident, $scope:ident, [$($param:ident),*]; )*) => {
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

            /// What findings of this code are about.
            pub fn scope(self) -> Scope {
                match self { $(Code::$variant => Scope::$scope,)* }
            }

            /// The params specific to this code, besides [`SERVER_PARAMS`] for a
            /// [`Scope::Server`] code: the words its texts may fill in, and the only params
            /// its findings may carry.
            pub fn params(self) -> &'static [&'static str] {
                match self { $(Code::$variant => &[$(stringify!($param)),*],)* }
            }
        }
    };
}

codes! {
    /// The host name does not exist in DNS (NXDOMAIN).
    DnsHostNotFound = "dns-host-not-found", Error, Server, [detail];
    /// The resolver answered with an error (SERVFAIL, REFUSED, ...).
    DnsResolverFailure = "dns-resolver-failure", Error, Server, [detail];
    /// The resolver did not answer in time.
    DnsTimeout = "dns-timeout", Error, Server, [detail];
    /// The host exists but has no address record.
    DnsNoAddress = "dns-no-address", Error, Server, [detail];
    /// The server actively refused the TCP connection.
    ConnectRefused = "connect-refused", Error, Server, [address];
    /// The TCP connection attempt got no answer (filtered port).
    ConnectTimeout = "connect-timeout", Error, Server, [address];
    /// The network reported the address unreachable.
    NetworkUnreachable = "network-unreachable", Error, Server, [address];
    /// Outbound port 25 is filtered while 587/465 answer (Outbound Port 25 Blocking).
    Port25Blocked = "port-25-blocked", Error, Server, [open_ports];
    /// The host field holds a mail address or something that is not a host name.
    HostLooksLikeAddress = "host-looks-like-address", Error, Server, [reason];
    /// SSL/TLS is set, but the port speaks plaintext first.
    SslOnPlaintextPort = "ssl-on-plaintext-port", Error, Server, [tls_port, plain_port, received];
    /// No SSL (or STARTTLS) is set, but the port expects TLS from the first byte.
    PlaintextOnSslPort = "plaintext-on-ssl-port", Error, Server, [tls_port, plain_port];
    /// A different protocol answers on this port.
    WrongProtocolOnPort = "wrong-protocol-on-port", Error, Server, [spoken, expected, received, reply];
    /// STARTTLS is set but the server does not offer it.
    StarttlsNotOffered = "starttls-not-offered", Error, Server, [reply];
    /// The TLS handshake failed.
    TlsHandshakeFailed = "tls-handshake-failed", Error, Server, [detail];
    /// The server only speaks TLS 1.0/1.1 or obsolete ciphers.
    TlsLegacyOnly = "tls-legacy-only", Error, Server, [detail];
    /// The server asked for a client certificate and ended the connection without one.
    ClientCertRequired = "client-cert-required", Error, Server, [];
    /// The server certificate has expired.
    CertExpired = "cert-expired", Error, Server, [not_after, days];
    /// The server certificate expires soon.
    CertExpiresSoon = "cert-expires-soon", Warning, Server, [not_after, days];
    /// The server certificate is not valid yet.
    CertNotYetValid = "cert-not-yet-valid", Error, Server, [not_before, days];
    /// The certificate does not name the host that was used.
    CertNameMismatch = "cert-name-mismatch", Error, Server, [names, server_name];
    /// The certificate is self-signed.
    CertSelfSigned = "cert-self-signed", Error, Server, [subject];
    /// The certificate is issued by a CA that is not trusted.
    CertUnknownIssuer = "cert-unknown-issuer", Error, Server, [issuer];
    /// The server does not send its intermediate certificate.
    CertChainIncomplete = "cert-chain-incomplete", Warning, Server, [issuer, aia_url];
    /// This computer's clock is wrong.
    ClockSkew = "clock-skew", Error, Server, [local_time, reference_time, difference, reference, difference_seconds, direction, reference_kind, reference_protocol, reference_host, step, field];
    /// Security software or a proxy is intercepting TLS.
    TlsInterceptionSuspected = "tls-interception-suspected", Warning, Server, [issuer];
    /// The server rejected the user name or password.
    AuthFailed = "auth-failed", Error, Server, [username, reply, tried];
    /// Login works with the other user name form (full address vs local part).
    AuthUsernameForm = "auth-username-form", Error, Server, [username, working_username, reply];
    /// The provider requires an app-specific password.
    AppPasswordRequired = "app-password-required", Error, Server, [reply, username];
    /// The provider requires OAuth (modern authentication) sign-in.
    OauthRequired = "oauth-required", Error, Server, [reply, mechanisms];
    /// The server refuses passwords over an unencrypted connection.
    PlaintextLoginDisabled = "plaintext-login-disabled", Error, Server, [reply, username];
    /// The server offers no encryption at all.
    PlaintextOnlyServer = "plaintext-only-server", Warning, Server, [];
    /// The configured port failed, another standard port of the same server works encrypted.
    UseOtherPort = "use-other-port", Error, Server, [alt_port, alt_security];
    /// The settings turn encryption off although the server supports it.
    EncryptionOff = "encryption-off", Error, Server, [];
    /// None of the server's login mechanisms can be used.
    AuthMechanismUnsupported = "auth-mechanism-unsupported", Error, Server, [mechanisms];
    /// The account is locked or logins are throttled.
    AccountLockedOrThrottled = "account-locked-or-throttled", Error, Server, [reply, username];
    /// Too many connections from this account or address.
    TooManyConnections = "too-many-connections", Warning, Server, [reply];
    /// The server says it is unavailable.
    ServerUnavailable = "server-unavailable", Error, Server, [reply];
    /// The server answers slowly.
    ServerSlow = "server-slow", Warning, Server, [seconds, step];
    /// The server accepts the connection but never says anything.
    NoGreeting = "no-greeting", Error, Server, [];
    /// The server sends something that is not the protocol.
    GarbledResponse = "garbled-response", Error, Server, [detail, step];
    /// The server closes the connection unexpectedly.
    ConnectionDropped = "connection-dropped", Error, Server, [step, detail];
    /// The protocol (IMAP or POP3) is disabled for this account.
    ProtocolDisabled = "protocol-disabled", Error, Server, [reply, username];
    /// The mailbox is full.
    MailboxOverQuota = "mailbox-over-quota", Error, Server, [used, limit, percent, reply, resource];
    /// The mailbox is nearly full.
    MailboxNearQuota = "mailbox-near-quota", Warning, Server, [used, limit, percent, resource];
    /// The outgoing server does not offer authentication.
    SmtpAuthNotOffered = "smtp-auth-not-offered", Error, Server, [];
    /// The outgoing server refuses to relay to other domains.
    SmtpRelayDenied = "smtp-relay-denied", Error, Server, [reply];
    /// The outgoing server took mail for an outside address without a login: an open relay.
    SmtpOpenRelay = "smtp-open-relay", Error, Server, [reply, recipient];
    /// The outgoing server rejects the sender address.
    SmtpSenderRejected = "smtp-sender-rejected", Error, Server, [reply, address];
    /// The outgoing server has a small message size limit.
    SmtpSizeLimit = "smtp-size-limit", Warning, Server, [size, size_bytes];
    /// The own mailbox rejects mail (RCPT TO the account's own address failed).
    SmtpRecipientRejected = "smtp-recipient-rejected", Warning, Server, [reply, address];
    /// A message being sent: the outgoing server refused one of its recipients.
    SmtpSendRecipientRefused = "smtp-send-recipient-refused", Error, Server, [reply, address];
    /// A message being sent: the outgoing server refused it (at DATA or after it).
    SmtpSendRefused = "smtp-send-refused", Error, Server, [reply];
    /// maildoc rewrote what was typed (IDN, full-width characters, spaces).
    InputNormalized = "input-normalized", Info, Account, [field, original, normalized];
    /// The run's deadline ended this server's check before it was done.
    CheckIncomplete = "check-incomplete", Warning, Server, [step];
    // settings lint (maildoc-diagnose/src/lint.rs) and the shared-hosting certificate rule:
    /// The server name is one letter away from a known server name (`imap.gmial.com`).
    HostTypo = "host-typo", Error, Server, [suggestion];
    /// The server name differs from a known one only by look-alike characters (`1`/`l`, `0`/`o`).
    HostLookAlike = "host-look-alike", Error, Server, [suggestion];
    /// The user name differs from the expected one only by look-alike characters.
    UsernameLookAlike = "username-look-alike", Warning, Server, [username, suggestion];
    /// A server name or user name contains full-width (zenkaku) characters.
    FullWidthCharacters = "full-width-characters", Warning, Server, [field, value, corrected];
    /// A server name or user name contains invisible characters or spaces at its ends.
    InvisibleCharacters = "invisible-characters", Error, Server, [field, value, shown, characters, corrected];
    /// The port belongs to another protocol (an IMAP port for POP3, an SMTP port for IMAP, ...).
    PortOfOtherProtocol = "port-of-other-protocol", Error, Server, [port_protocol, suggested_port];
    /// Outgoing server authentication (SMTP authentication) is turned off.
    SmtpAuthOff = "smtp-auth-off", Warning, Server, [];
    /// The user name has another form than the provider documents (address, local part, ID).
    UsernameFormUnexpected = "username-form-unexpected", Warning, Server, [username, expected, provider];
    /// The server name is one the provider no longer documents.
    HostRetired = "host-retired", Warning, Server, [suggestion, suggested_port, suggested_security, since, provider];
    /// The provider no longer accepts this port and security (e.g. POP3 on 110 without SSL).
    SettingRetired = "setting-retired", Error, Server, [suggestion, suggested_port, suggested_security, since, provider];
    /// The certificate names the hosting company's server, not the host used (shared hosting).
    CertForHostingServer = "cert-for-hosting-server", Error, Server, [names, hosting_domain, suggestion, server_name];
    /// The address belongs to a service that mail apps cannot use (e.g. SoftBank's MMS).
    ProviderNotForMailApps = "provider-not-for-mail-apps", Error, Account, [provider, domain];
    /// Discovery found no settings for incoming or outgoing mail.
    SettingsNotFound = "settings-not-found", Warning, Account, [domain, missing];
    // ---- domain posture ----
    /// The domain has no MX record (mail to it falls back to its address record).
    MxMissing = "mx-missing", Warning, Domain, [domain];
    /// The domain publishes a null MX (RFC 7505): it accepts no mail, not even bounces.
    MxNull = "mx-null", Warning, Domain, [domain];
    /// An MX host name is an alias (CNAME), which RFC 2181 §10.3 forbids.
    MxCname = "mx-cname", Warning, Domain, [domain, mx_host, target];
    /// An MX host name does not resolve to an address.
    MxHostUnresolvable = "mx-host-unresolvable", Error, Domain, [domain, mx_host, detail];
    /// A mail server address has no reverse DNS (PTR) name.
    PtrMissing = "ptr-missing", Warning, Domain, [mx_host, address];
    /// The reverse DNS name of an address does not lead back to it (not forward-confirmed).
    PtrMismatch = "ptr-mismatch", Warning, Domain, [mx_host, address, ptr_names];
    /// No DKIM key was found at the selectors given or tried.
    DkimKeyMissing = "dkim-key-missing", Warning, Domain, [domain, selectors];
    /// A DKIM key is shorter than 2048 bits.
    DkimKeyWeak = "dkim-key-weak", Warning, Domain, [domain, selector, bits];
    /// A DKIM key record cannot be used (unknown key type, key that does not parse).
    DkimKeyInvalid = "dkim-key-invalid", Error, Domain, [domain, selector, detail];
    /// A DKIM key record is revoked (empty p=).
    DkimKeyRevoked = "dkim-key-revoked", Warning, Domain, [domain, selector];
    /// A DKIM key is in test mode (t=y).
    DkimTesting = "dkim-testing", Warning, Domain, [domain, selector];
    /// The domain (and its organisational domain) has no DMARC record.
    DmarcMissing = "dmarc-missing", Error, Domain, [domain, org_domain];
    /// The DMARC record has a syntax error.
    DmarcInvalid = "dmarc-invalid", Error, Domain, [record_domain, detail];
    /// Several DMARC records: receivers apply none of them.
    DmarcMultipleRecords = "dmarc-multiple-records", Error, Domain, [record_domain, count];
    /// The DMARC policy is p=none (monitoring only).
    DmarcPolicyNone = "dmarc-policy-none", Warning, Domain, [record_domain, tag];
    /// A DMARC report destination outside the domain has not authorised the reports.
    DmarcRuaUnauthorized = "dmarc-rua-unauthorized", Warning, Domain, [record_domain, destination, authorization_name];
    /// A DMARC report destination's domain cannot take mail (no such domain, a null MX, or
    /// neither MX nor address): the reports are lost.
    DmarcReportUndeliverable = "dmarc-report-undeliverable", Warning, Domain, [record_domain, destination, detail];
    /// The DMARC record uses pct=, rf= or ri=, which RFC 9989 removed from DMARC.
    DmarcRemovedTag = "dmarc-removed-tag", Info, Domain, [record_domain, tags];
    /// Other TXT records stand beside the DMARC record at `_dmarc` (an SPF record put there,
    /// say): receivers skip them, but they suggest a record at the wrong name.
    DmarcUnrelatedTxt = "dmarc-unrelated-txt", Info, Domain, [record_domain, records];
    /// The MTA-STS record or policy is invalid or cannot be fetched.
    MtaStsInvalid = "mta-sts-invalid", Warning, Domain, [domain, detail];
    /// The MTA-STS policy does not list an MX host.
    MtaStsMismatch = "mta-sts-mismatch", Error, Domain, [domain, mx_host, patterns];
    /// No TLS-RPT record: nobody hears about TLS failures of mail to the domain.
    TlsrptMissing = "tlsrpt-missing", Info, Domain, [domain];
    /// The TLS-RPT record is invalid (RFC 8460 §3): several records, another version, no
    /// `rua=`, or a report destination that is not a `mailto:` or `https:` URI.
    TlsrptInvalid = "tlsrpt-invalid", Warning, Domain, [domain, record, detail];
    /// A TLSA record of an MX host is malformed or unusable for SMTP (RFC 7672), or (with
    /// `--smtp`) no TLSA record matches the certificates the host presents on port 25.
    TlsaMismatch = "tlsa-mismatch", Warning, Domain, [mx_host, detail];
    /// The zone publishes DNSKEY records but its parent has no DS record: DNSSEC is not in
    /// force (validating resolvers treat the zone as unsigned).
    DnssecDsMissing = "dnssec-ds-missing", Warning, Domain, [dns_zone];
    /// The parent's DS record promises DNSSEC that the zone's keys or signatures do not
    /// deliver: validating resolvers cannot look up the zone's names.
    DnssecBogus = "dnssec-bogus", Error, Domain, [dns_zone, whose, detail];
    /// The BIMI record, its logo or its mark certificate would keep mailboxes from showing
    /// the brand logo.
    BimiInvalid = "bimi-invalid", Warning, Domain, [domain, detail];
    /// An MX host is not among the mail servers given with `--approved-mx`.
    MxNotApproved = "mx-not-approved", Warning, Domain, [domain, mx_host, approved];
    /// A name server of the domain's zone is not among those given with `--approved-ns`.
    NsNotApproved = "ns-not-approved", Warning, Domain, [domain, ns_host, approved];
    /// A domain given as parked (`--parked`) does not say that it sends and receives no mail.
    ParkedDomainOpen = "parked-domain-open", Warning, Domain, [domain, detail];
    /// The domain does not meet the Gmail/Yahoo and Japanese carriers' sender requirements.
    SenderRequirementsUnmet = "sender-requirements-unmet", Error, Domain, [domain, missing];
    /// Some DNS lookups of the domain check got no definite answer (SERVFAIL, timeout).
    DomainLookupFailed = "domain-lookup-failed", Warning, Domain, [domain, names, detail];
    // ---- domain posture: SPF ----
    /// The domain publishes no SPF record (no TXT record starting with `v=spf1`).
    SpfMissing = "spf-missing", Error, Domain, [domain];
    /// An SPF record in the domain's tree has a syntax error (a permerror for every receiver).
    SpfSyntaxError = "spf-syntax-error", Error, Domain, [domain, record_domain, record, offset, term, message];
    /// The domain publishes more than one `v=spf1` record (a permerror, RFC 7208 §4.5).
    SpfMultipleRecords = "spf-multiple-records", Error, Domain, [domain, count, records];
    /// The SPF tree needs more than 10 DNS lookups (a permerror, RFC 7208 §4.6.4).
    SpfTooManyLookups = "spf-too-many-lookups", Error, Domain, [domain, lookups, chain, term];
    /// More than 2 lookups of the SPF tree return no records (a permerror, RFC 7208 §4.6.4).
    SpfVoidLookups = "spf-void-lookups", Error, Domain, [domain, void_lookups, names];
    /// The SPF record ends with `+all` or `?all`: anyone may send as the domain.
    SpfTooPermissive = "spf-too-permissive", Warning, Domain, [domain, record_domain, term];
    /// The SPF record uses the deprecated `ptr` mechanism.
    SpfPtrDeprecated = "spf-ptr-deprecated", Warning, Domain, [domain, terms];
    /// Mail from the given IP does not pass the domain's SPF.
    SpfIpNotAuthorized = "spf-ip-not-authorized", Error, Domain, [domain, ip, result, term, reason];
    // ---- domain posture: DNS blocklists ----
    /// A mail server address (an MX host's or `--ip`) is listed on a DNS blocklist.
    DnsblListed = "dnsbl-listed", Error, Domain, [mx_host, address, zone, answer, reason];
    /// A DNS blocklist refused to answer this resolver (public or high-volume resolver).
    DnsblQueryRefused = "dnsbl-query-refused", Warning, Domain, [zone, answer, addresses];
    // ---- domain posture: MX over SMTP, `--smtp` ----
    /// An MX host does not offer STARTTLS on port 25: mail to it travels unencrypted.
    MxStarttlsMissing = "mx-starttls-missing", Warning, Domain, [mx_host, reply];
    /// The certificate an MX host shows after STARTTLS does not verify.
    MxCertInvalid = "mx-cert-invalid", Warning, Domain, [mx_host, verification, detail];
    /// An MX host could not be checked over SMTP from this network (blocked port 25, 421,
    /// silence): inconclusive, not a fault of the server.
    MxSmtpInconclusive = "mx-smtp-inconclusive", Info, Domain, [mx_host, detail];
    // ---- domain posture: MX record sanity ----
    /// The same host is named by several MX records (with different preferences): the
    /// "backup" is the same server.
    MxDuplicateHost = "mx-duplicate-host", Warning, Domain, [domain, mx_host, preferences];
    /// An MX record names an IP address instead of a host name (RFC 1035 §3.3.9, RFC 5321
    /// §5.1): many mail servers refuse to deliver to it.
    MxIpLiteral = "mx-ip-literal", Error, Domain, [domain, mx_host];
    /// An MX host resolves to an address that cannot be reached from the internet (loopback,
    /// RFC 1918 private, link-local, shared, unique-local).
    MxPrivateAddress = "mx-private-address", Warning, Domain, [domain, mx_host, addresses];
    /// A POP3 device removes mail from the server while other devices read it over IMAP.
    KartePop3RemovesImapMail = "karte-pop3-removes-imap-mail", Warning, Karte, [device, imap_devices];
    /// A POP3 device removes the server's copy and no backup of that device is noted.
    KartePop3SingleCopy = "karte-pop3-single-copy", Warning, Karte, [device];
    /// Several POP3 devices remove mail from the server: each gets only part of it.
    KartePop3SeveralDeleting = "karte-pop3-several-deleting", Warning, Karte, [devices];
    /// IMAP is used and no check in the karte's history read the mailbox quota.
    KarteImapQuotaUnchecked = "karte-imap-quota-unchecked", Warning, Karte, [checks];
    /// The message took long from its first hop to the last.
    MessageDelayed = "message-delayed", Warning, Message, [total, total_seconds, slowest_hop, slowest_by, slowest_delay, slowest_seconds];
    /// A hop's time is before the hop before it: a server's clock is off.
    MessageHopClockSkew = "message-hop-clock-skew", Info, Message, [hop, by, skew, skew_seconds];
    /// The message crossed the network between two servers without encryption.
    MessageUnencryptedHop = "message-unencrypted-hop", Warning, Message, [hop, from, by];
    /// No receiver of the message reported an authentication result.
    MessageNoAuth = "message-no-auth", Warning, Message, [];
    /// The receiver reported that SPF failed.
    MessageSpfFail = "message-spf-fail", Warning, Message, [result, domain, ip, receiver];
    /// The receiver reported that a DKIM signature failed.
    MessageDkimFail = "message-dkim-fail", Warning, Message, [result, domain, receiver];
    /// maildoc verified a DKIM signature: the body changed after it was signed.
    MessageDkimBodyModified = "message-dkim-body-modified", Warning, Message, [domain, selector];
    /// The receiver reported that DMARC failed.
    MessageDmarcFail = "message-dmarc-fail", Error, Message, [result, domain, policy, receiver];
    /// SPF or DKIM passed, but for a domain other than the one in From.
    MessageNotAligned = "message-not-aligned", Warning, Message, [from_domain, spf_domain, dkim_domain, receiver];
    /// The receiver's filter marked the message as spam.
    MessageMarkedSpam = "message-marked-spam", Warning, Message, [header, verdict];
    /// A header's text is not declared or cannot be decoded: it may show as garbage.
    MessageEncodingBroken = "message-encoding-broken", Warning, Message, [header, problem];
    /// The outgoing server took the test message, but it did not arrive in time.
    RoundtripNotDelivered = "roundtrip-not-delivered", Error, Message, [to, seconds];
    /// The test message arrived in the spam folder.
    RoundtripInJunk = "roundtrip-in-junk", Warning, Message, [to, folder];
    /// The test message took long to arrive.
    RoundtripSlow = "roundtrip-slow", Warning, Message, [to, took, took_seconds];
}

impl Code {
    /// Whether findings of this code may carry the param `key`.
    pub fn declares(self, key: &str) -> bool {
        (self.scope() == Scope::Server && SERVER_PARAMS.contains(&key))
            || self.params().contains(&key)
    }
}

/// The part of the mail setup a code judges. Every code belongs to one area; rules and
/// readers of findings group codes by it rather than by their names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Area {
    /// Name resolution of a server.
    Dns,
    /// The TCP connection and what happens to it once established.
    Connection,
    /// Encryption: TLS, STARTTLS, plaintext and ports that expect the other.
    Tls,
    /// The server certificate.
    Certificate,
    /// This computer's clock.
    Clock,
    /// Logging in.
    Auth,
    /// The mailbox and its quota.
    Mailbox,
    /// Sending through the outgoing server.
    Smtp,
    /// The settings as typed (input normalization and the settings lint).
    Settings,
    /// What discovery found for the account.
    Discovery,
    /// The domain's MX records and their hosts.
    Mx,
    /// Reverse DNS of mail server addresses.
    ReverseDns,
    /// SPF.
    Spf,
    /// DKIM keys.
    Dkim,
    /// DMARC.
    Dmarc,
    /// MTA-STS.
    MtaSts,
    /// TLS-RPT.
    TlsRpt,
    /// TLSA records of the MX hosts (DANE).
    Tlsa,
    /// DNSSEC of the domain's zone and its MX hosts' zones.
    Dnssec,
    /// BIMI.
    Bimi,
    /// DNS blocklists.
    Dnsbl,
    /// The MX hosts over SMTP on port 25 (`--smtp`).
    MxSmtp,
    /// The domain against what its owner declared (`--approved-mx`, `--approved-ns`,
    /// `--parked`).
    Policy,
    /// The large senders' requirements verdict.
    Requirements,
    /// Lookups of the domain check that got no definite answer.
    Lookup,
    /// A received message's headers.
    Message,
    /// The karte's devices.
    Karte,
}

impl Code {
    /// The area this code belongs to.
    pub fn area(self) -> Area {
        use Code::*;
        match self {
            DnsHostNotFound | DnsResolverFailure | DnsTimeout | DnsNoAddress => Area::Dns,
            ConnectRefused | ConnectTimeout | NetworkUnreachable | Port25Blocked
            | WrongProtocolOnPort | TooManyConnections | ServerUnavailable | ServerSlow
            | NoGreeting | GarbledResponse | ConnectionDropped | CheckIncomplete => {
                Area::Connection
            }
            SslOnPlaintextPort
            | PlaintextOnSslPort
            | StarttlsNotOffered
            | TlsHandshakeFailed
            | TlsLegacyOnly
            | ClientCertRequired
            | TlsInterceptionSuspected
            | PlaintextOnlyServer
            | UseOtherPort
            | EncryptionOff => Area::Tls,
            CertExpired | CertExpiresSoon | CertNotYetValid | CertNameMismatch | CertSelfSigned
            | CertUnknownIssuer | CertChainIncomplete | CertForHostingServer => Area::Certificate,
            ClockSkew => Area::Clock,
            AuthFailed
            | AuthUsernameForm
            | AppPasswordRequired
            | OauthRequired
            | PlaintextLoginDisabled
            | AuthMechanismUnsupported
            | AccountLockedOrThrottled
            | ProtocolDisabled => Area::Auth,
            MailboxOverQuota | MailboxNearQuota => Area::Mailbox,
            SmtpAuthNotOffered
            | SmtpRelayDenied
            | SmtpOpenRelay
            | SmtpSenderRejected
            | SmtpSizeLimit
            | SmtpRecipientRejected
            | SmtpSendRecipientRefused
            | SmtpSendRefused => Area::Smtp,
            HostLooksLikeAddress
            | InputNormalized
            | HostTypo
            | HostLookAlike
            | UsernameLookAlike
            | FullWidthCharacters
            | InvisibleCharacters
            | PortOfOtherProtocol
            | SmtpAuthOff
            | UsernameFormUnexpected
            | HostRetired
            | SettingRetired => Area::Settings,
            ProviderNotForMailApps | SettingsNotFound => Area::Discovery,
            MxMissing | MxNull | MxCname | MxHostUnresolvable | MxDuplicateHost | MxIpLiteral
            | MxPrivateAddress => Area::Mx,
            PtrMissing | PtrMismatch => Area::ReverseDns,
            SpfMissing | SpfSyntaxError | SpfMultipleRecords | SpfTooManyLookups
            | SpfVoidLookups | SpfTooPermissive | SpfPtrDeprecated | SpfIpNotAuthorized => {
                Area::Spf
            }
            DkimKeyMissing | DkimKeyWeak | DkimKeyInvalid | DkimKeyRevoked | DkimTesting => {
                Area::Dkim
            }
            DmarcMissing
            | DmarcInvalid
            | DmarcMultipleRecords
            | DmarcPolicyNone
            | DmarcRuaUnauthorized
            | DmarcReportUndeliverable
            | DmarcRemovedTag
            | DmarcUnrelatedTxt => Area::Dmarc,
            MtaStsInvalid | MtaStsMismatch => Area::MtaSts,
            TlsrptMissing | TlsrptInvalid => Area::TlsRpt,
            TlsaMismatch => Area::Tlsa,
            DnssecDsMissing | DnssecBogus => Area::Dnssec,
            BimiInvalid => Area::Bimi,
            DnsblListed | DnsblQueryRefused => Area::Dnsbl,
            MxStarttlsMissing | MxCertInvalid | MxSmtpInconclusive => Area::MxSmtp,
            MxNotApproved | NsNotApproved | ParkedDomainOpen => Area::Policy,
            SenderRequirementsUnmet => Area::Requirements,
            DomainLookupFailed => Area::Lookup,
            KartePop3RemovesImapMail
            | KartePop3SingleCopy
            | KartePop3SeveralDeleting
            | KarteImapQuotaUnchecked => Area::Karte,
            MessageDelayed
            | MessageHopClockSkew
            | MessageUnencryptedHop
            | MessageNoAuth
            | MessageSpfFail
            | MessageDkimFail
            | MessageDkimBodyModified
            | MessageDmarcFail
            | MessageNotAligned
            | MessageMarkedSpam
            | MessageEncodingBroken
            | RoundtripNotDelivered
            | RoundtripInJunk
            | RoundtripSlow => Area::Message,
        }
    }
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
    fn areas_agree_with_scopes() {
        let account = [
            Area::Dns,
            Area::Connection,
            Area::Tls,
            Area::Certificate,
            Area::Clock,
            Area::Auth,
            Area::Mailbox,
            Area::Smtp,
            Area::Settings,
            Area::Discovery,
        ];
        for &code in Code::ALL {
            let area = code.area();
            let agrees = match code.scope() {
                Scope::Server | Scope::Account => account.contains(&area),
                Scope::Domain => {
                    !account.contains(&area) && area != Area::Karte && area != Area::Message
                }
                Scope::Karte => area == Area::Karte,
                Scope::Message => area == Area::Message,
            };
            assert!(
                agrees,
                "{code} is in {area:?} but scoped {:?}",
                code.scope()
            );
        }
        assert_eq!(Code::SpfTooManyLookups.area(), Area::Spf);
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
