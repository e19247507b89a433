//! The screens of `maildoc explain`: what an error text means, the likely causes ranked, how
//! to confirm each, and the fix; with `--check`, each cause marked confirmed or not seen. The
//! words are the knowledge base's and `data/ui-explain.toml`.

use crate::{Client, Format, Lang, ui};
use maildoc_engine::explain::CheckOutcome;
use maildoc_explain::{Explanation, SmtpStatus};
use maildoc_kb::catalogue;
use maildoc_model::Code;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Shows at most this many causes on screen (JSON has all).
const MAX_SHOWN: usize = 6;

/// What is explained: the text as given, its explanation, and the check when one ran.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub text: &'a str,
    pub explanation: &'a Explanation,
    pub check: Option<&'a CheckOutcome>,
}

/// `input` in `format`; `client` limits the per-app steps to one mail app.
pub fn render(input: Input<'_>, format: Format, lang: Lang, client: Option<Client>) -> String {
    match format {
        Format::Json => json(input.explanation, input.check),
        Format::Markdown => markdown(input, lang, client),
        Format::Human => human(input, lang, client),
    }
}

/// The JSON form: the explanation, then the check when one ran.
#[derive(Serialize)]
struct JsonOut<'a> {
    #[serde(flatten)]
    explanation: &'a Explanation,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'a CheckOutcome>,
}

/// The JSON form (versioned by `schema_version`): candidates in rank order with likelihoods.
pub fn json(explanation: &Explanation, check: Option<&CheckOutcome>) -> String {
    serde_json::to_string_pretty(&JsonOut { explanation, check })
        .unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
}

/// One block of the output, built once and written as text or Markdown.
struct Doc {
    title: String,
    sections: Vec<(String, Vec<Item>)>,
}

enum Item {
    Para(String),
    /// A numbered cause: heading line and its indented lines.
    Cause(String, Vec<(String, String)>),
    Bullet(String),
}

/// The first line of the input, shortened for the title.
fn short_input(text: &str) -> String {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut s: String = first.chars().take(60).collect();
    if first.chars().count() > 60 || text.trim().lines().count() > 1 {
        s.push('…');
    }
    s
}

/// Fills a finding text: with the check's params when the check found the code, else with
/// generic words.
fn fill_finding(template: &str, code: Code, check: Option<&CheckOutcome>, lang: Lang) -> String {
    let mut params: BTreeMap<String, String> = maildoc_kb::placeholders(code)
        .into_iter()
        .map(|p| {
            (
                p.to_string(),
                ui::text(&format!("explain-param-{p}"), lang).to_string(),
            )
        })
        .collect();
    if let Some(found) = check.and_then(|c| c.finding_params(code)) {
        for (k, v) in found {
            params.insert(k.clone(), v.clone());
        }
    }
    maildoc_kb::fill(template, &params)
}

/// An SMTP status as a label line, then what its reply class and enhanced code mean.
fn status_lines(s: &SmtpStatus, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let label = match (&s.reply, &s.enhanced) {
        (Some(r), Some(e)) => format!("{r} {e}"),
        (Some(r), None) => r.to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => return out,
    };
    out.push(label);
    if let Some(r) = s.reply {
        let key = format!("explain-reply-{}", r / 100);
        out.push(ui::fill(
            "explain-reply-class",
            lang,
            &[("reply", &r.to_string()), ("meaning", ui::text(&key, lang))],
        ));
    }
    if let Some((class, subject, detail)) = s.enhanced_parts() {
        if let Some(c) = catalogue::status_class(class) {
            out.push(format!(
                "{}: {}",
                ui::text("explain-status-class", lang),
                c.get(lang)
            ));
        }
        if let Some(sub) = catalogue::status_subject(subject) {
            out.push(format!(
                "{}: {}",
                ui::text("explain-status-subject", lang),
                sub.get(lang)
            ));
        }
        let d = catalogue::status_detail(subject, detail)
            .map(|d| d.get(lang).to_string())
            .unwrap_or_else(|| ui::text("explain-status-unknown-detail", lang).to_string());
        out.push(format!("{}: {d}", ui::text("explain-status-detail", lang)));
    }
    out
}

/// The document of an explanation.
fn build(input: Input<'_>, lang: Lang, client: Option<Client>) -> Doc {
    let Input {
        text,
        explanation: e,
        check,
    } = input;
    let title = ui::fill("explain-title", lang, &[("input", &short_input(text))]);
    if e.unknown || e.matches.is_empty() && e.statuses.is_empty() && e.candidates.is_empty() {
        let mut sections = vec![(String::new(), unknown_items(e, lang))];
        if !e.parts.is_empty() {
            sections.push((
                ui::text("explain-heading-parts", lang).to_string(),
                part_items(e, lang),
            ));
        }
        if !e.candidates.is_empty() {
            // Guesses from the words the text speaks of: said to be guesses.
            let mut items = vec![Item::Para(ui::text("explain-guess-lead", lang).to_string())];
            items.extend(cause_items(e, check, lang, client, Vec::new()));
            items.push(Item::Para(ui::text("explain-check-hint", lang).to_string()));
            sections.push((ui::text("explain-heading-guesses", lang).to_string(), items));
        }
        return Doc { title, sections };
    }
    let mut doc = Doc {
        title,
        sections: Vec::new(),
    };
    let meaning = meaning(e, lang, client);
    let mut notes = meaning.notes;
    if !meaning.items.is_empty() {
        doc.sections.push((
            ui::text("explain-heading-meaning", lang).to_string(),
            meaning.items,
        ));
    }
    if !e.statuses.is_empty() {
        doc.sections.push((
            ui::text("explain-heading-status", lang).to_string(),
            status_items(e, lang),
        ));
    }
    if !e.parts.is_empty() {
        doc.sections.push((
            ui::text("explain-heading-parts", lang).to_string(),
            part_items(e, lang),
        ));
    }
    doc.sections.push((
        ui::text("explain-heading-causes", lang).to_string(),
        cause_items(e, check, lang, client, meaning.app_fixes),
    ));
    match check {
        Some(ch) => doc.sections.push((
            ui::fill("explain-heading-check", lang, &[("address", &ch.address)]),
            check_items(e, ch, lang),
        )),
        None if !e.candidates.is_empty() => {
            notes.push(Item::Para(ui::text("explain-check-hint", lang).to_string()));
        }
        None => {}
    }
    if !e.future_codes.is_empty() {
        notes.push(Item::Para(ui::fill(
            "explain-future",
            lang,
            &[("codes", &e.future_codes.join(", "))],
        )));
    }
    if text.trim().lines().count() > 1 && !e.key_lines.is_empty() {
        doc.sections.push((
            ui::text("explain-heading-lines", lang).to_string(),
            e.key_lines
                .iter()
                .take(8)
                .map(|l| Item::Bullet(crate::shorten(l, 160)))
                .collect(),
        ));
    }
    if !notes.is_empty() {
        doc.sections
            .push((ui::text("explain-note", lang).to_string(), notes));
    }
    doc
}

/// What was recognised in the text, each with its meaning: `[AUTHENTICATIONFAILED]: ...`.
fn part_items(e: &Explanation, lang: Lang) -> Vec<Item> {
    e.parts
        .iter()
        .map(|p| {
            let meaning = match (p.kind.table(), &p.key) {
                (Some(table), Some(key)) => catalogue::part_meaning(table, key)
                    .map(|m| m.get(lang).to_string())
                    .unwrap_or_default(),
                _ => ui::text(&format!("explain-part-{}", p.kind.as_str()), lang).to_string(),
            };
            Item::Bullet(format!("{}: {meaning}", p.value))
        })
        .collect()
}

/// Nothing matched: say so, and name the closest entries.
fn unknown_items(e: &Explanation, lang: Lang) -> Vec<Item> {
    let mut items = vec![
        Item::Para(ui::text("explain-unknown", lang).to_string()),
        Item::Para(ui::text("explain-unknown-hint", lang).to_string()),
    ];
    if !e.suggestions.is_empty() {
        items.push(Item::Para(format!(
            "{}:",
            ui::text("explain-suggestions", lang)
        )));
        for s in &e.suggestions {
            if let Some(entry) = catalogue::entry(&s.id) {
                items.push(Item::Bullet(format!(
                    "{} ({})",
                    entry.title.get(lang),
                    s.id
                )));
            }
        }
    }
    items
}

/// What the best matched entries mean, with their notes and per-app fixes.
struct Meaning {
    items: Vec<Item>,
    notes: Vec<Item>,
    app_fixes: Vec<(Client, String)>,
}

fn meaning(e: &Explanation, lang: Lang, client: Option<Client>) -> Meaning {
    let mut out = Meaning {
        items: Vec::new(),
        notes: Vec::new(),
        app_fixes: Vec::new(),
    };
    for m in e.matches.iter().take(3) {
        let Some(entry) = catalogue::entry(&m.id) else {
            continue;
        };
        out.items.push(Item::Cause(
            entry.title.get(lang).to_string(),
            vec![
                (String::new(), entry.meaning.get(lang).to_string()),
                (
                    String::new(),
                    ui::fill(
                        "explain-matched",
                        lang,
                        &[("line", &crate::shorten(&m.line, 100))],
                    ),
                ),
            ],
        ));
        if let Some(n) = &entry.note {
            out.notes.push(Item::Para(n.get(lang).to_string()));
        }
        for (c, fix) in &entry.fix {
            if client.is_none_or(|want| want == *c) {
                out.app_fixes.push((*c, fix.get(lang).to_string()));
            }
        }
    }
    out
}

fn status_items(e: &Explanation, lang: Lang) -> Vec<Item> {
    let mut items = Vec::new();
    for s in e.statuses.iter().take(3) {
        let mut lines = status_lines(s, lang);
        if lines.is_empty() {
            continue;
        }
        let head = lines.remove(0);
        items.push(Item::Cause(
            head,
            lines.into_iter().map(|l| (String::new(), l)).collect(),
        ));
    }
    items
}

/// The candidate causes, most likely first, then the matched entries' per-app fixes.
fn cause_items(
    e: &Explanation,
    check: Option<&CheckOutcome>,
    lang: Lang,
    client: Option<Client>,
    app_fixes: Vec<(Client, String)>,
) -> Vec<Item> {
    let mut causes = Vec::new();
    if e.candidates.is_empty() {
        causes.push(Item::Para(ui::text("explain-no-causes", lang).to_string()));
    }
    for c in e.candidates.iter().take(MAX_SHOWN) {
        let t = maildoc_kb::finding_text(c.code, lang);
        let mut head = format!(
            "{} ({}, {})",
            fill_finding(&t.title, c.code, check, lang),
            c.code,
            ui::fill(
                "explain-likelihood",
                lang,
                &[("percent", &c.likelihood.to_string())]
            )
        );
        if let Some(ch) = check {
            let mark = if ch.confirmed.contains(&c.code) {
                ui::text("explain-confirmed", lang)
            } else {
                ui::text("explain-not-seen", lang)
            };
            let _ = write!(head, " — {mark}");
        }
        // A cause read from the text's structure alone has no check of its own.
        let mut lines: Vec<(String, String)> = Vec::new();
        if !c.check.get(lang).is_empty() {
            lines.push((
                ui::text("explain-how-to-confirm", lang).to_string(),
                c.check.get(lang).to_string(),
            ));
        }
        lines.push((
            ui::text("explain-fix", lang).to_string(),
            fill_finding(&t.fix, c.code, check, lang),
        ));
        if let Some(want) = client
            && let Some((_, steps)) = t.clients.iter().find(|(cl, _)| *cl == want)
        {
            lines.push((
                ui::fill("explain-steps", lang, &[("client", want.label(lang))]),
                fill_finding(steps, c.code, check, lang),
            ));
        }
        causes.push(Item::Cause(head, lines));
    }
    for (c, fix) in app_fixes {
        causes.push(Item::Para(format!(
            "{}: {fix}",
            ui::fill("explain-app-fix", lang, &[("client", c.label(lang))])
        )));
    }
    causes
}

/// How many causes the check confirmed, and what else it found.
fn check_items(e: &Explanation, ch: &CheckOutcome, lang: Lang) -> Vec<Item> {
    let mut items = vec![Item::Para(ui::fill(
        "explain-check-summary",
        lang,
        &[
            ("confirmed", &ch.confirmed.len().to_string()),
            ("total", &e.candidates.len().to_string()),
        ],
    ))];
    if !ch.other.is_empty() {
        let list: Vec<&str> = ch.other.iter().map(|c| c.as_str()).collect();
        items.push(Item::Para(ui::fill(
            "explain-check-other",
            lang,
            &[("codes", &list.join(", "))],
        )));
    }
    items
}

/// The screen form.
pub fn human(input: Input<'_>, lang: Lang, client: Option<Client>) -> String {
    let doc = build(input, lang, client);
    let mut out = format!("{}\n", doc.title);
    for (heading, items) in &doc.sections {
        out.push('\n');
        if !heading.is_empty() {
            let _ = writeln!(out, "{heading}");
        }
        let mut n = 0;
        for item in items {
            match item {
                Item::Para(p) => {
                    let _ = writeln!(out, "  {p}");
                }
                Item::Bullet(b) => {
                    let _ = writeln!(out, "  - {b}");
                }
                Item::Cause(head, lines) => {
                    n += 1;
                    let _ = writeln!(out, "  {n}. {head}");
                    for (label, body) in lines {
                        if label.is_empty() {
                            let _ = writeln!(out, "     {body}");
                        } else {
                            let _ = writeln!(out, "     {label}: {body}");
                        }
                    }
                }
            }
        }
    }
    out
}

/// The Markdown form.
pub fn markdown(input: Input<'_>, lang: Lang, client: Option<Client>) -> String {
    let doc = build(input, lang, client);
    let mut out = format!("# {}\n", doc.title);
    for (heading, items) in &doc.sections {
        out.push('\n');
        if !heading.is_empty() {
            let _ = writeln!(out, "## {heading}\n");
        }
        let mut n = 0;
        for item in items {
            match item {
                Item::Para(p) => {
                    let _ = writeln!(out, "{p}\n");
                }
                Item::Bullet(b) => {
                    let _ = writeln!(out, "- {}", b.replace('`', "'"));
                }
                Item::Cause(head, lines) => {
                    n += 1;
                    let _ = writeln!(out, "{n}. **{head}**");
                    for (label, body) in lines {
                        if label.is_empty() {
                            let _ = writeln!(out, "   - {body}");
                        } else {
                            let _ = writeln!(out, "   - {label}: {body}");
                        }
                    }
                }
            }
        }
    }
    out
}

/// The HTML form, a part of a page (the web app's result): the same content as [`markdown`],
/// every text escaped.
pub fn html(input: Input<'_>, lang: Lang, client: Option<Client>) -> String {
    use crate::html::escape as e;
    let doc = build(input, lang, client);
    let mut out = format!("<h2>{}</h2>\n", e(&doc.title));
    for (heading, items) in &doc.sections {
        if !heading.is_empty() {
            let _ = writeln!(out, "<h3>{}</h3>", e(heading));
        }
        let mut list: Option<&str> = None;
        for item in items {
            let wanted = match item {
                Item::Para(_) => None,
                Item::Bullet(_) => Some("ul"),
                Item::Cause(..) => Some("ol"),
            };
            if list != wanted {
                if let Some(tag) = list {
                    let _ = writeln!(out, "</{tag}>");
                }
                if let Some(tag) = wanted {
                    let _ = writeln!(out, "<{tag} class=\"explain\">");
                }
                list = wanted;
            }
            match item {
                Item::Para(p) => {
                    let _ = writeln!(out, "<p>{}</p>", e(p));
                }
                Item::Bullet(b) => {
                    let _ = writeln!(out, "<li>{}</li>", e(b));
                }
                Item::Cause(head, lines) => {
                    let _ = writeln!(out, "<li><strong>{}</strong>\n<ul>", e(head));
                    for (label, body) in lines {
                        if label.is_empty() {
                            let _ = writeln!(out, "<li>{}</li>", e(body));
                        } else {
                            let _ = writeln!(out, "<li>{}: {}</li>", e(label), e(body));
                        }
                    }
                    let _ = writeln!(out, "</ul></li>");
                }
            }
        }
        if let Some(tag) = list {
            let _ = writeln!(out, "</{tag}>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_has_a_generic_word() {
        for &code in Code::ALL {
            for p in maildoc_kb::placeholders(code) {
                for &lang in Lang::ALL {
                    assert_ne!(
                        ui::text(&format!("explain-param-{p}"), lang),
                        "?",
                        "explain-param-{p}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_reply_class_has_words() {
        for class in 2..=5 {
            for &lang in Lang::ALL {
                assert_ne!(ui::text(&format!("explain-reply-{class}"), lang), "?");
            }
        }
    }
}
