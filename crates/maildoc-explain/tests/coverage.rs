//! Coverage of the mail apps' own messages: every listed Outlook code and every client
//! message family has a catalogue entry, in both languages, that `explain` finds from the
//! Japanese and the English wording.

#![allow(clippy::panic, clippy::unwrap_used)]

use maildoc_explain::explain;
use maildoc_kb::Client;
use maildoc_kb::catalogue::{self, Entry};

const OUTLOOK_CODES: &[&str] = &[
    "0x800CCC0E",
    "0x800CCC0F",
    "0x800CCC13",
    "0x800CCC1A",
    "0x800CCC67",
    "0x800CCC78",
    "0x800CCC79",
    "0x800CCC7D",
    "0x800CCC80",
    "0x800CCC90",
    "0x800CCC91",
    "0x800CCC92",
    "0x80042108",
    "0x80042109",
    "0x8004210A",
    "0x8004210B",
    "0x800408FC",
    "0x80040600",
    "0x80040119",
];

fn bilingual(e: &Entry) {
    for b in [&e.title, &e.meaning] {
        assert!(
            !b.ja.trim().is_empty() && !b.en.trim().is_empty(),
            "{}",
            e.id
        );
    }
    assert!(!e.causes.is_empty() || e.note.is_some(), "{}", e.id);
}

#[test]
fn every_listed_outlook_code_has_an_entry() {
    for code in OUTLOOK_CODES {
        let x = explain(code);
        let top = x
            .matches
            .first()
            .unwrap_or_else(|| panic!("{code}: no entry"));
        let entry = catalogue::entry(&top.id).unwrap();
        assert!(entry.codes.iter().any(|c| c == code), "{code}: {}", top.id);
        assert!(entry.clients.contains(&Client::Outlook), "{code}");
        bilingual(entry);
        assert!(!x.candidates.is_empty(), "{code}: no candidate cause");
    }
}

/// (client, message family, Japanese wording, English wording).
const FAMILIES: &[(Client, &str, &str, &str)] = &[
    (
        Client::Iphone,
        "cannot get mail",
        "メールを取得できません",
        "Cannot Get Mail",
    ),
    (
        Client::Iphone,
        "connection failed",
        "サーバへの接続に失敗しました。",
        "The connection to the server failed.",
    ),
    (
        Client::Iphone,
        "outgoing server failed",
        "送信サーバ“smtp.example.jp”への接続に失敗しました。",
        "The connection to the outgoing server “smtp.example.jp” failed.",
    ),
    (
        Client::Iphone,
        "password incorrect",
        "“imap.example.jp”のユーザ名またはパスワードが正しくありません。",
        "The user name or password for “imap.example.jp” is incorrect.",
    ),
    (
        Client::Iphone,
        "cannot verify identity",
        "サーバの識別情報を検証できません",
        "Cannot Verify Server Identity",
    ),
    (
        Client::Iphone,
        "mailbox full",
        "メールボックスがいっぱいです",
        "The mailbox is full.",
    ),
    (
        Client::Iphone,
        "account error",
        "アカウントエラー",
        "Account Error",
    ),
    (
        Client::Iphone,
        "cannot send",
        "メールを送信できません",
        "Cannot Send Mail",
    ),
    (
        Client::MacosMail,
        "cannot get mail",
        "メールを取得できません",
        "Cannot Get Mail",
    ),
    (
        Client::MacosMail,
        "cannot verify identity",
        "サーバの識別情報を検証できません",
        "Cannot Verify Server Identity",
    ),
    (
        Client::AndroidGmail,
        "password incorrect",
        "ログインできませんでした",
        "Couldn't sign in",
    ),
    (
        Client::AndroidGmail,
        "connection failed",
        "サーバーに接続できません",
        "Can't connect to server",
    ),
    (
        Client::AndroidGmail,
        "cannot verify identity",
        "証明書が無効です",
        "Certificate not valid",
    ),
    (
        Client::AndroidGmail,
        "cannot send",
        "送信できませんでした",
        "Couldn't send",
    ),
    (
        Client::Outlook,
        "outgoing server failed",
        "送信メール サーバー (SMTP) に接続できません",
        "Outlook cannot connect to your outgoing (SMTP) e-mail server.",
    ),
    (
        Client::Outlook,
        "cannot verify identity",
        "確認できないセキュリティ証明書を使用しています",
        "is using a security certificate that cannot be verified",
    ),
    (
        Client::Outlook,
        "account error",
        "アカウントにサインインできませんでした",
        "We couldn't sign you in",
    ),
    (
        Client::Outlook,
        "send/receive error",
        "送受信エラー",
        "Task 'x - Receiving' reported error",
    ),
    (
        Client::WindowsMail,
        "account error",
        "アカウントの設定が最新ではありません",
        "Your account settings are out of date",
    ),
    (
        Client::WindowsMail,
        "settings not found",
        "の設定が見つかりませんでした",
        "We couldn't find settings for example.jp",
    ),
    (
        Client::Thunderbird,
        "password incorrect",
        "設定を検証できませんでした",
        "Configuration could not be verified",
    ),
    (
        Client::Thunderbird,
        "login failed",
        "サーバー imap.example.jp へのログインに失敗しました",
        "Login to server imap.example.jp failed",
    ),
    (
        Client::Thunderbird,
        "cannot send",
        "メッセージの送信に失敗しました",
        "Sending of the message failed",
    ),
    (
        Client::Thunderbird,
        "cannot verify identity",
        "セキュリティ例外の追加",
        "Add Security Exception",
    ),
    (
        Client::Thunderbird,
        "connection failed",
        "接続が拒否されました",
        "the connection was refused",
    ),
];

#[test]
fn every_client_message_family_has_an_entry_in_both_languages() {
    let mut failures = Vec::new();
    for (client, family, ja, en) in FAMILIES {
        for text in [ja, en] {
            let x = explain(text);
            let hit = x
                .matches
                .iter()
                .find_map(|m| catalogue::entry(&m.id).filter(|e| e.clients.contains(client)));
            match hit {
                Some(e) => bilingual(e),
                None => failures.push(format!(
                    "{} / {family}: `{text}` finds no entry of that app ({:?})",
                    client.key(),
                    x.matches.iter().map(|m| &m.id).collect::<Vec<_>>()
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_smtp_families_are_covered() {
    for (text, id) in [
        (
            "534-5.7.9 Application-specific password required",
            "smtp-app-password-required",
        ),
        (
            "534-5.7.14 Please log in via your web browser",
            "smtp-web-login-required",
        ),
        ("554 5.7.1 Relay access denied", "smtp-relay-access-denied"),
        (
            "553 5.7.1 Sender address rejected: not owned by user",
            "smtp-sender-address-rejected",
        ),
        (
            "552 5.3.4 Message size exceeds fixed limit",
            "smtp-message-too-large",
        ),
        ("552 5.2.2 Mailbox full", "smtp-mailbox-full"),
        (
            "550 5.7.26 unauthenticated email, DMARC policy",
            "smtp-dmarc-reject",
        ),
        ("550 5.7.23 SPF check failed", "smtp-spf-fail"),
        ("550 5.7.25 no PTR record", "smtp-ptr-reject"),
    ] {
        let x = explain(text);
        assert_eq!(x.matches.first().map(|m| m.id.as_str()), Some(id), "{text}");
    }
}
