#![allow(clippy::panic, clippy::unwrap_used)]

use super::*;

fn top(input: &str) -> Vec<Code> {
    explain(input).codes()
}

fn among_first_three(e: &Explanation, code: Code) {
    assert!(
        e.codes().iter().take(3).any(|c| *c == code),
        "{code}: {:?}",
        e.candidates
    );
}

#[test]
fn squash_is_tolerant_of_width_case_quotes_and_long_vowels() {
    assert_eq!(squash("ＣＡＮＮＯＴ　Ｇｅｔ Mail"), "cannotgetmail");
    assert_eq!(squash("サーバーへの接続"), squash("サーバへの接続"));
    assert_eq!(squash("ｻｰﾊﾞ"), squash("サーバ"));
    assert_eq!(squash("“imap.example.com”"), "imapexamplecom");
}

#[test]
fn hex_words_need_boundaries_and_take_optional_0x() {
    assert!(has_hex_word("error 0x800ccc0e.", "0x800CCC0E"));
    assert!(has_hex_word("(800ccc0e)", "0x800CCC0E"));
    assert!(!has_hex_word("0x800ccc0e1", "0x800CCC0E"));
    assert!(!has_hex_word("a800ccc0e", "0x800CCC0E"));
}

#[test]
fn statuses_are_parsed_from_bounce_lines() {
    let s = statuses_in(
        "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n\
         Diagnostic-Code: smtp; 550 5.1.1 <a@b.example>: Recipient address rejected\n\
         Received: from 192.168.1.1 (port 587 ) at 10.2.3.4\n",
    );
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].reply, Some(550));
    assert_eq!(s[0].enhanced.as_deref(), Some("5.1.1"));
    let s = statuses_in("534-5.7.9 Application-specific password required.");
    assert_eq!(s[0].reply, Some(534));
    assert_eq!(s[0].enhanced_parts(), Some((5, 7, 9)));
    let s = statuses_in("Remote server said: 421 Service not available");
    assert_eq!(s[0].reply, Some(421));
    assert!(statuses_in("version 10.0.1 on port 587 and 2025").is_empty());
    assert_eq!(
        statuses_in("Error: permanent error (535)")[0].reply,
        Some(535)
    );
    assert!(statuses_in("listening (on 2525)").is_empty());
    assert_eq!(
        statuses_in("550 5.7.26 Unauthenticated")[0]
            .enhanced
            .as_deref(),
        Some("5.7.26")
    );
    // Python's smtplib shows a reply as a tuple; a number before a comma elsewhere is none.
    let s = statuses_in("SMTPRecipientsRefused: {'a@b.example': (501, '5.1.5 Recipient')}");
    assert_eq!(s[0].reply, Some(501));
    assert_eq!(s[0].enhanced.as_deref(), Some("5.1.5"));
    let s = statuses_in("SMTPAuthenticationError: (535, b'5.7.8 Username and Password')");
    assert_eq!(
        (s[0].reply, s[0].enhanced.as_deref()),
        (Some(535), Some("5.7.8"))
    );
    assert!(statuses_in("ports: 465, 587").is_empty());
    // A number after `got` or `code` is a reply; one after other words is not.
    let s = statuses_in("Error: Expected smtp code 250, got 552");
    assert_eq!(s.iter().map(|s| s.reply).collect::<Vec<_>>(), [Some(552)]);
    assert!(statuses_in("listening on 587 and 465").is_empty());
}

#[test]
fn words_inside_a_longer_phrase_matched_belong_to_it() {
    let e = explain(
        "smtp: DATA error {\"reason\":\"multiple matching DNS records\",\"smtp_code\":550,\
         \"smtp_msg\":\"SPF authentication failed with a permanent error\"}",
    );
    assert!(
        e.matches
            .iter()
            .all(|m| m.pattern != "authentication failed"),
        "{:?}",
        e.matches
    );
    assert_ne!(e.candidates[0].code, Code::AuthFailed, "{:?}", e.candidates);
}

#[test]
fn a_short_word_in_a_phrase_list_counts_only_as_a_word() {
    assert!(has_word("rejected: see spf record", "spf"));
    assert!(has_word("x-spam: spf_pass", "spf"));
    assert!(!has_word("openspf", "spf"));
    // `error: DNS` squashed holds `rdns`; reverse DNS is not what it says.
    let e = explain("421 SPF Temporary Error: DNS: no working nameservers found");
    assert!(
        e.matches.iter().all(|m| m.id != "smtp-ptr-reject"),
        "{:?}",
        e.matches
    );
}

#[test]
fn outlook_numbers_rank_their_causes() {
    assert_eq!(top("0x800CCC0E")[0], Code::ConnectTimeout);
    assert_eq!(top("エラー番号: 0x800ccc92")[0], Code::AuthFailed);
    assert_eq!(top("８００ＣＣＣ１Ａ")[0], Code::SslOnPlaintextPort);
}

#[test]
fn phrases_with_host_names_match() {
    let e = explain("The user name or password for “imap.example.co.jp” is incorrect.");
    assert_eq!(e.matches[0].id, "apple-password-incorrect");
    assert_eq!(e.codes()[0], Code::AuthFailed);
    let e = explain("「imap.example.jp」のユーザ名またはパスワードが正しくありません。");
    assert_eq!(e.matches[0].id, "apple-password-incorrect");
}

#[test]
fn candidates_are_merged_and_ranked() {
    let e = explain("535 5.7.8 Error: authentication failed: authentication failure");
    assert_eq!(e.codes()[0], Code::AuthFailed);
    let sum: u32 = e.candidates.iter().map(|c| u32::from(c.likelihood)).sum();
    assert!((90..=110).contains(&sum), "{sum}");
    for w in e.candidates.windows(2) {
        assert!(w[0].likelihood >= w[1].likelihood);
    }
    assert!(!e.unknown);
}

#[test]
fn unknown_text_gets_suggestions() {
    let e = explain("the frobnicator exploded");
    assert!(e.unknown);
    assert!(e.candidates.is_empty());
    let e = explain("cannot get mal");
    assert!(e.unknown);
    assert_eq!(
        e.suggestions.first().map(|s| s.id.as_str()),
        Some("apple-cannot-get-mail")
    );
}

#[test]
fn a_status_alone_is_not_unknown() {
    let e = explain("Status: 5.6.1");
    assert!(!e.unknown);
    assert!(e.matches.is_empty());
    assert_eq!(e.statuses.len(), 1);
}

#[test]
fn json_round_trips_with_a_schema_version() {
    let e = explain("0x800CCC0F");
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"schema_version\":1"));
    let back: Explanation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
}

#[test]
fn huge_and_odd_inputs_do_not_panic() {
    let big = "550 5.7.1 relay access denied ".repeat(10_000);
    let _ = explain(&big);
    for s in [
        "",
        "*",
        "5.",
        "5.7.",
        "550-",
        "0x",
        "\u{0}",
        "ー",
        "5.7.1234567",
    ] {
        let _ = explain(s);
    }
}

#[test]
fn partial_pastes_still_match() {
    let e = explain("The user name or password for “imap.exa");
    assert_eq!(
        e.matches.first().map(|m| m.id.as_str()),
        Some("apple-password-incorrect")
    );
    assert_eq!(e.codes()[0], Code::AuthFailed);
    let e = explain("サーバの識別情報を検証");
    assert_eq!(
        e.matches.first().map(|m| m.id.as_str()),
        Some("apple-cannot-verify-identity")
    );
    let e = explain("ion to the server was interrupted");
    assert_eq!(
        e.matches.first().map(|m| m.id.as_str()),
        Some("outlook-0x800ccc0f")
    );
    // A cut-off number is not guessed at, only suggested.
    let e = explain("0x800CCC0");
    assert!(e.unknown);
    assert!(e.suggestions.iter().any(|s| s.id == "outlook-0x800ccc0e"));
}

#[test]
fn words_alone_give_guesses_and_the_text_stays_unknown() {
    let e = explain("My mail program keeps saying the login was denied");
    assert!(e.unknown, "no entry knows this text: {:?}", e.matches);
    assert_eq!(e.candidates.first().map(|c| c.code), Some(Code::AuthFailed));
    assert!(
        e.candidates
            .iter()
            .all(|c| f64::from(c.likelihood) <= TOPIC_SHARE * 100.0)
    );
    let topic = e.parts.iter().find(|p| p.kind == PartKind::Topic);
    assert_eq!(
        topic.and_then(|p| p.key.as_deref()),
        Some("login-refused"),
        "{:?}",
        e.parts
    );
    // A topic of more groups says more: the way of authenticating, not a wrong password.
    let e = explain("サーバーはこの認証方式をサポートしていないようです");
    assert_eq!(
        e.candidates.first().map(|c| c.code),
        Some(Code::AuthMechanismUnsupported),
        "{:?}",
        e.candidates
    );
    // Known text is explained by its entry: no topic is read.
    let e = explain("0x800CCC0E");
    assert!(!e.unknown);
    assert!(e.parts.iter().all(|p| p.kind != PartKind::Topic));
    // Words that speak of nothing known stay without a guess.
    let e = explain("the frobnicator exploded");
    assert!(e.unknown && e.candidates.is_empty());
}

#[test]
fn words_close_to_an_entrys_phrase_give_its_causes_as_guesses() {
    // No phrase is in the text, but its words are those of the full-mailbox entries.
    let e = explain("the mailbox for this user is full right now");
    assert!(e.matches.is_empty(), "{:?}", e.matches);
    assert!(e.unknown);
    assert_eq!(
        e.candidates.first().map(|c| c.code),
        Some(Code::MailboxOverQuota)
    );
    // They are guesses, at most TOPIC_SHARE sure, and the entries they come from are the
    // closest ones shown.
    assert!(
        e.candidates
            .iter()
            .all(|c| f64::from(c.likelihood) <= TOPIC_SHARE * 100.0)
    );
    let first = e.suggestions.first().expect("a closest entry");
    assert!(
        e.candidates[0].entries.contains(&first.id),
        "{:?} {:?}",
        e.suggestions,
        e.candidates
    );
}

#[test]
fn a_text_that_starts_with_a_phrases_last_word_is_no_cut_off_paste() {
    // "connection" ends several phrases; a text that merely starts with it is not one of them.
    let e = explain("Connection to smtp.example.jp:25 timed out.");
    assert!(e.matches.is_empty(), "{:?}", e.matches);
    assert_eq!(
        e.candidates.first().map(|c| c.code),
        Some(Code::ConnectTimeout)
    );
    // A Japanese piece says more per character: ten of them still count.
    assert!(enough("接続がタイムアウトしまし".chars().count(), false));
    assert!(!enough("connection".len(), true));
    assert!(enough("the connection was refus".len(), true));
}

#[test]
fn a_message_that_only_says_it_failed_yields_to_what_the_words_name() {
    // Beside an entry that names the problem, the generic message steps back.
    let e = explain(
        "An error occurred while sending mail (Net::ReadTimeout with #<TCPSocket:(closed)>)",
    );
    assert_eq!(e.matches[0].id, "lib-no-greeting", "{:?}", e.matches);
    // Beside nothing more precise, the topics the other words speak of come first, and
    // are shown among the parts.
    let e =
        explain("メッセージの送信に失敗しました。1 日に送信できるメッセージの上限を超えました。");
    assert_eq!(
        e.matches[0].id, "thunderbird-sending-failed",
        "{:?}",
        e.matches
    );
    assert_eq!(
        e.codes()[0],
        Code::AccountLockedOrThrottled,
        "{:?}",
        e.candidates
    );
    assert!(e.parts.iter().any(|p| p.kind == PartKind::Topic));
    // The generic message alone keeps its own causes.
    let alone = explain("メッセージの送信に失敗しました。");
    assert!(alone.parts.iter().all(|p| p.kind != PartKind::Topic));
    assert_ne!(alone.codes()[0], Code::AccountLockedOrThrottled);
}

#[test]
fn a_topic_that_names_a_cause_outweighs_one_that_names_an_area() {
    // "connection ... cannot" names an area (broad), "bad certificate" a cause.
    let e = explain("cannot upgrade connection: remote error: tls: bad certificate");
    assert!(e.unknown);
    assert_eq!(e.codes()[0], Code::CertUnknownIssuer, "{:?}", e.candidates);
    let topics: Vec<&str> = e
        .parts
        .iter()
        .filter(|p| p.kind == PartKind::Topic)
        .filter_map(|p| p.key.as_deref())
        .collect();
    assert_eq!(topics, ["cert-untrusted", "connect-failed"]);
}

#[test]
fn beside_a_bare_status_the_words_count_too() {
    let e = explain("response: '550 5.2.0 Your mail was refused: it contains spam'");
    assert!(e.matches.is_empty(), "{:?}", e.matches);
    among_first_three(&e, Code::MessageMarkedSpam);
    assert!(e.parts.iter().any(|p| p.key.as_deref() == Some("spam")));
    // A broad topic (a user, something invalid) adds nothing beside a status.
    let e = explain("550 5.1.0 someuser: invalid");
    assert!(
        e.parts.iter().all(|p| p.kind != PartKind::Topic),
        "{:?}",
        e.parts
    );
}

#[test]
fn a_bare_reply_code_gives_a_guess_after_the_words() {
    // Words nothing knows: what the reply code usually means.
    let e = explain("553 qwerty zxcvb");
    assert!(e.matches.is_empty() && !e.unknown, "{:?}", e.matches);
    assert_eq!(
        e.codes(),
        [Code::SmtpSenderRejected, Code::SmtpRelayDenied],
        "{:?}",
        e.candidates
    );
    assert!(e.candidates[0].likelihood <= 50, "{:?}", e.candidates);
    // Words that speak of a cause lead; the reply code's causes only follow.
    let e = explain("550 Message rejected due to sender IP reputation ([192.0.2.86])");
    among_first_three(&e, Code::DnsblListed);
    let last = e
        .candidates
        .iter()
        .position(|c| c.code == Code::SmtpSendRecipientRefused);
    let first = e
        .candidates
        .iter()
        .position(|c| c.code == Code::DnsblListed);
    assert!(first < last, "{:?}", e.candidates);
    // An enhanced code that means something speaks instead of the reply code.
    let e = explain("553 5.3.5 qwerty zxcvb");
    assert_eq!(e.codes(), [Code::ServerUnavailable], "{:?}", e.candidates);
}

#[test]
fn a_blocklist_named_counts_beside_the_words() {
    let e = explain(
        "554 5.7.1 Recipient address rejected: refused because the sender IP is listed, see \
         https://servicecentral.trendmicro.com/en-US/ers/",
    );
    assert!(!e.matches.is_empty());
    among_first_three(&e, Code::DnsblListed);
}

#[test]
fn beside_entries_matched_by_a_reply_code_alone_the_words_count_too() {
    let e =
        explain("550 5.7.1 Our system has detected an unusual amount of email from your address");
    assert!(!e.matches.is_empty());
    among_first_three(&e, Code::AccountLockedOrThrottled);
}

#[test]
fn the_step_a_server_refused_at_counts() {
    // After the message text: its content or its authentication, not relaying.
    let e = explain("said: 554 5.7.1 Rejected (in reply to end of DATA command)");
    among_first_three(&e, Code::SmtpSendRefused);
    assert!(
        e.parts
            .iter()
            .any(|p| p.key.as_deref() == Some("refused-after-data"))
    );
    // At MAIL FROM: the sender.
    let e = explain("host mx.example.com said: 550 Rejected (in reply to MAIL FROM command)");
    assert_eq!(e.codes()[0], Code::SmtpSenderRejected, "{:?}", e.candidates);
}

#[test]
fn a_library_error_named_outweighs_the_words_of_a_traceback() {
    // `email.sender` and `Refused` in the frames speak of a sender; the exception is about
    // the recipients.
    let e = explain(
        "smtpserver.sess.sendmail(email.sender, recipient.recipient, encode(message))\n\
         SMTPRecipientsRefused: {'a@b.example': (501, '5.1.5 Recipient address reserved')}",
    );
    assert_eq!(
        e.candidates[0].code,
        Code::SmtpRecipientRejected,
        "{:?}",
        e.candidates
    );
    // Beside a message that only says a network error happened, too.
    let codes = top(
        r#"{"name":"Internal Server Error","message":"timed out waiting for
        connection: network error: invalid certificate: UnknownIssuer"}"#,
    );
    assert!(codes[..3].contains(&Code::CertUnknownIssuer), "{codes:?}");
}

#[test]
fn what_is_known_of_a_provider_named_counts_beside_the_message() {
    let top3 = |t: &str| top(t).into_iter().take(3).collect::<Vec<_>>();
    let microsoft = "Login to server outlook.office365.com with username taro@example.com failed.";
    assert!(
        top3(microsoft).contains(&Code::OauthRequired),
        "{:?}",
        top(microsoft)
    );
    let other = "Login to server mail.example.jp with username taro@example.jp failed.";
    assert!(
        !top3(other).contains(&Code::OauthRequired),
        "{:?}",
        top(other)
    );
    // An address at a provider is no login to its servers.
    let bounce = "to=<taro@gmail.com>, status=deferred (SASL authentication failed; \
                  cannot authenticate to server smtp.example.com: no mechanism available)";
    assert_eq!(top(bounce), top(&bounce.replace("gmail.com", "example.jp")));
    // Gmail's own server is.
    let gmail = bounce.replace("smtp.example.com", "smtp.gmail.com");
    assert_ne!(top(&gmail), top(bounce));
}

#[test]
fn a_port_and_an_encryption_that_do_not_go_together_count_beside_the_message() {
    let client = |url: &str| {
        format!("Connected to {url}\nERROR: The SMTP server has unexpectedly disconnected.")
    };
    // PHP's `ssl://` speaks TLS from the first byte: on 587 the server waits for EHLO.
    let php = |port: u16| {
        format!("Failed to connect with fsockopen host=ssl://smtp.example.jp port={port}")
    };
    // PHP's imap_open mailbox: `/ssl` asks for TLS from the first byte, its absence for none.
    let mailbox = |spec: &str| format!("imap_open(): Couldn't open stream {{{spec}}}");
    for (text, code, named) in [
        (
            client("smtp://smtp.example.jp:465/?starttls=always"),
            Code::PlaintextOnSslPort,
            true,
        ),
        (
            client("smtp://smtp.example.jp:587/?starttls=always"),
            Code::PlaintextOnSslPort,
            false,
        ),
        (php(587), Code::SslOnPlaintextPort, true),
        (php(465), Code::SslOnPlaintextPort, false),
        (
            mailbox("imap.example.jp:993/imap"),
            Code::PlaintextOnSslPort,
            true,
        ),
        (
            mailbox("imap.example.jp:993/imap/ssl"),
            Code::PlaintextOnSslPort,
            false,
        ),
    ] {
        let got = top(&text);
        assert_eq!(
            got.iter().take(3).any(|c| *c == code),
            named,
            "{text}: {got:?}"
        );
    }
}

#[test]
fn the_words_of_an_address_name_no_problem() {
    assert_eq!(
        without_local_parts("<no-such-user@example.jp> said"),
        "<@example.jp> said"
    );
    // Not an address: no dot after `@`, nothing after it, or no local part before it.
    for kept in [
        "a@b",
        "x@",
        "@example.jp",
        "@@",
        "ユーザー@example.jp",
        "a@.jp",
    ] {
        assert_eq!(without_local_parts(kept), kept);
    }
    assert_eq!(without_local_parts("a.b@c.jp, d@e.jp"), "@c.jp, @e.jp");
    let bounce = "Remote host is not responding.\n\
                  <this-local-part-does-not-exist@ezweb.ne.jp>";
    let e = explain(bounce);
    assert!(
        e.matches.iter().all(|m| m.id != "smtp-user-unknown"),
        "{:?}",
        e.matches
    );
    assert_eq!(
        e.codes().first(),
        Some(&Code::ConnectTimeout),
        "{:?}",
        e.candidates
    );
    // The line shown is the text as given.
    let e = explain("550 5.1.1 <taro@example.jp>: Recipient address rejected");
    assert!(
        e.matches[0].line.contains("taro@example.jp"),
        "{:?}",
        e.matches
    );
}

#[test]
fn a_bounces_own_spf_header_that_reports_no_failure_is_no_refusal() {
    let header = "Received-SPF: none (domain of mx.example.jp does not designate permitted \
                  sender hosts)";
    assert!(
        explain(header).matches.is_empty(),
        "{:?}",
        explain(header).matches
    );
    let fail = header.replace("none", "fail");
    assert!(!explain(&fail).matches.is_empty());
}

#[test]
fn a_capability_list_without_auth_says_the_server_offers_no_login() {
    let ehlo = |auth: &str| {
        top(&format!(
            "220 smtp.example.jp ESMTP\nEHLO pc\n250-smtp.example.jp\n250-PIPELINING\n\
             250-SIZE 10240000\n{auth}250-STARTTLS\n250 8BITMIME\n\
             SMTP Error: Could not authenticate."
        ))
    };
    let without = ehlo("");
    assert!(
        without[..3].contains(&Code::SmtpAuthNotOffered),
        "{without:?}"
    );
    let with = ehlo("250-AUTH PLAIN LOGIN\n");
    assert!(!with[..3].contains(&Code::SmtpAuthNotOffered), "{with:?}");
}

#[test]
fn words_inside_a_generic_messages_longer_phrase_belong_to_it() {
    // Thunderbird's TLS error reads "<host> への接続中にエラーが発生しました"; a webmail's
    // "SMTP サーバーへの接続中に…" holds those words and says only that connecting failed.
    let e = explain("メッセージを送信できません: SMTPサーバーへの接続中にエラーが発生しました。");
    assert!(
        e.matches
            .iter()
            .all(|m| m.id != "thunderbird-tls-connection-error"),
        "{:?}",
        e.matches
    );
    among_first_three(&e, Code::ConnectTimeout);
}

#[test]
fn a_server_name_with_spaces_around_it_counts_beside_the_lookup_failure() {
    let spaced = top("dial tcp: lookup  smtp.example.com : no such host");
    assert_eq!(
        spaced[..2],
        [Code::InvisibleCharacters, Code::DnsHostNotFound],
        "{spaced:?}"
    );
    let plain = top("dial tcp: lookup smtp.example.com: no such host");
    assert!(!plain.contains(&Code::InvisibleCharacters), "{plain:?}");
}

#[test]
fn an_address_where_the_server_belongs_says_the_server_field_holds_an_address() {
    for text in [
        "unable to establish SMTP connection to (user@smtp.example.com/) port 465",
        "Error: getaddrinfo ENOTFOUND user@example.com",
    ] {
        let e = explain(text);
        among_first_three(&e, Code::HostLooksLikeAddress);
    }
    // An address that is the sender or a recipient is no server.
    for text in [
        "Failed to send to user@example.com: connection refused",
        "550 5.1.6 recipient no longer on server: user@example.com",
    ] {
        let e = explain(text);
        assert!(
            !e.codes().contains(&Code::HostLooksLikeAddress),
            "{text}: {:?}",
            e.candidates
        );
    }
}

#[test]
fn the_words_of_other_languages_give_guesses_too() {
    for (text, code) in [
        (
            "SMTP-Fehler: Authentifizierung fehlgeschlagen.",
            Code::AuthFailed,
        ),
        (
            "impossible de se connecter à pop.example.fr, port 995 : Connexion refusée",
            Code::ConnectRefused,
        ),
        ("Die Absenderadresse war ungültig", Code::SmtpSenderRejected),
        (
            "Ошибка SMTP: не удается подключиться к SMTP-серверу.",
            Code::ConnectTimeout,
        ),
        (
            "msmtp: 无法定位主机 smtp.example.cn：未知的名称或服务",
            Code::DnsHostNotFound,
        ),
    ] {
        let got = top(text);
        assert_eq!(got.first(), Some(&code), "{text}: {got:?}");
    }
}
