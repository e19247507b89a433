//! Triage: guided isolation of a mail problem. It starts from the symptom, asks only the
//! questions whose answers still change the picture, and keeps a table of likely and unlikely
//! causes that the user can see after every answer. Causes name finding codes where the
//! registry has them, so an account check can confirm or rule them out; causes outside the
//! registry (the sender's SPF/DMARC, a carrier's spoofing filter, ...) are named ids with their
//! own words.
//!
//! Everything is data (`data/triage.toml`): symptoms with the starting weight of each cause,
//! causes with their words and codes, questions with the shift each answer gives. The state
//! machine here is pure: no I/O, no clock.
//!
//! ```
//! use maildoc_triage::{Likelihood, Triage};
//! let mut t = Triage::new("receive").unwrap_or_else(|e| panic!("{e}"));
//! assert_eq!(t.next_question().map(|q| q.id.as_str()), Some("internet"));
//! t.answer("internet", "no").unwrap_or_else(|e| panic!("{e}"));
//! assert_eq!(t.causes()[0].0.id, "no-internet");
//! assert_eq!(t.causes()[0].1, Likelihood::Likely);
//! assert!(t.next_question().is_none());
//! ```

use maildoc_model::Code;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

pub use maildoc_kb::Lang;
pub use outcome::{CheckNote, Outcome, SenderCheckNote};

mod outcome;

/// One way mail fails, as the user would say it.
#[derive(Debug, Deserialize)]
pub struct Symptom {
    pub id: String,
    ja: String,
    en: String,
    prior: BTreeMap<String, f64>,
}

/// Which part of the account an account check looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// Not something an account check sees.
    #[default]
    None,
    /// Either incoming or outgoing: any server checked.
    Any,
    Incoming,
    Outgoing,
    /// A login was tried.
    Login,
}

/// A possible cause.
#[derive(Debug, PartialEq, Deserialize)]
pub struct Cause {
    pub id: String,
    ja: String,
    en: String,
    #[serde(default)]
    ask_ja: String,
    #[serde(default)]
    ask_en: String,
    /// Finding codes that confirm this cause.
    #[serde(default)]
    pub codes: Vec<Code>,
    /// What an account check must have looked at to rule this cause out.
    #[serde(default)]
    pub area: Area,
}

/// Whether a question offers answers or takes free text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Choice,
    Text,
}

/// One answer to a choice question.
#[derive(Debug, Deserialize)]
pub struct Answer {
    pub value: String,
    ja: String,
    en: String,
    #[serde(default)]
    shift: BTreeMap<String, f64>,
    #[serde(default)]
    add: BTreeMap<String, f64>,
    /// The cause is clear: no more questions.
    #[serde(default)]
    pub end: bool,
}

/// A question.
#[derive(Debug, Deserialize)]
pub struct Question {
    pub id: String,
    #[serde(default)]
    pub kind: Kind,
    symptoms: Vec<String>,
    /// Asked only when one of these holds (`symptom = ...` or `question = answer`).
    #[serde(default)]
    when: BTreeMap<String, String>,
    ja: String,
    en: String,
    #[serde(default)]
    pub answers: Vec<Answer>,
}

#[derive(Debug, Deserialize)]
struct Data {
    symptom: Vec<Symptom>,
    cause: Vec<Cause>,
    question: Vec<Question>,
}

fn pick<'a>(lang: Lang, ja: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

impl Symptom {
    pub fn text(&self, lang: Lang) -> &str {
        pick(lang, &self.ja, &self.en)
    }
}

impl Cause {
    pub fn text(&self, lang: Lang) -> &str {
        pick(lang, &self.ja, &self.en)
    }

    /// What to ask the provider about this cause; empty when the provider cannot help.
    pub fn ask(&self, lang: Lang) -> &str {
        pick(lang, &self.ask_ja, &self.ask_en)
    }
}

impl Answer {
    pub fn text(&self, lang: Lang) -> &str {
        pick(lang, &self.ja, &self.en)
    }
}

impl Question {
    pub fn text(&self, lang: Lang) -> &str {
        pick(lang, &self.ja, &self.en)
    }

    /// The answer with this value.
    pub fn answer(&self, value: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.value == value)
    }

    /// Whether this question may be asked for `symptom` at all.
    pub fn applies_to(&self, symptom: &str) -> bool {
        self.symptoms.iter().any(|s| s == symptom)
    }
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        toml::from_str(include_str!("../data/triage.toml")).unwrap_or_else(|_| Data {
            symptom: Vec::new(),
            cause: Vec::new(),
            question: Vec::new(),
        })
    })
}

/// Every symptom, in the order they are offered.
pub fn symptoms() -> &'static [Symptom] {
    &data().symptom
}

/// Every cause.
pub fn all_causes() -> &'static [Cause] {
    &data().cause
}

/// Every question, in the order they are asked.
pub fn questions() -> &'static [Question] {
    &data().question
}

/// A question by id.
pub fn question(id: &str) -> Option<&'static Question> {
    questions().iter().find(|q| q.id == id)
}

/// A cause by id.
pub fn cause(id: &str) -> Option<&'static Cause> {
    all_causes().iter().find(|c| c.id == id)
}

/// How likely a cause is now, most likely first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Likelihood {
    /// An account check found it.
    Confirmed,
    Likely,
    Possible,
    Unlikely,
    /// An answer rules it out.
    RuledOut,
}

impl Likelihood {
    pub fn key(self) -> &'static str {
        match self {
            Likelihood::Confirmed => "confirmed",
            Likelihood::Likely => "likely",
            Likelihood::Possible => "possible",
            Likelihood::Unlikely => "unlikely",
            Likelihood::RuledOut => "ruled-out",
        }
    }

    fn of(score: f64) -> Likelihood {
        if score >= 2.0 {
            Likelihood::Likely
        } else if score >= 0.6 {
            Likelihood::Possible
        } else if score > 0.0 {
            Likelihood::Unlikely
        } else {
            Likelihood::RuledOut
        }
    }
}

/// What went wrong while answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriageError {
    UnknownSymptom(String),
    UnknownQuestion(String),
    /// The question is not one for this symptom.
    NotForSymptom(String),
    /// (question, value): the value is not one of the question's answers.
    UnknownAnswer(String, String),
}

impl std::fmt::Display for TriageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TriageError::UnknownSymptom(s) => {
                let ids: Vec<&str> = symptoms().iter().map(|s| s.id.as_str()).collect();
                write!(f, "unknown symptom `{s}` (one of {})", ids.join(", "))
            }
            TriageError::UnknownQuestion(q) => {
                let ids: Vec<&str> = questions().iter().map(|q| q.id.as_str()).collect();
                write!(f, "unknown question `{q}` (one of {})", ids.join(", "))
            }
            TriageError::NotForSymptom(q) => write!(f, "question `{q}` is not for this symptom"),
            TriageError::UnknownAnswer(q, v) => {
                let values: Vec<&str> = question(q)
                    .map(|q| q.answers.iter().map(|a| a.value.as_str()).collect())
                    .unwrap_or_default();
                write!(
                    f,
                    "`{v}` is not an answer to `{q}` (one of {})",
                    values.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for TriageError {}

/// An automated check triage can run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// `maildoc check ADDRESS`: the account's servers, with the login when a password is there.
    Account {
        address: String,
        status: CheckStatus,
    },
    /// `maildoc domain DOMAIN`: the sender's domain (SPF, DKIM, DMARC, MX).
    SenderDomain { domain: String, status: CheckStatus },
}

/// Where a check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    /// It has what it needs and can run now.
    Ready,
    /// It ran; its results are in the causes.
    Done,
}

/// Whether a finding code of the domain check speaks of the sender's authentication (SPF,
/// DKIM, DMARC, the large senders' requirements): such a code confirms `sender-auth`.
pub fn is_sender_auth_code(code: Code) -> bool {
    use maildoc_model::code::Area as CodeArea;
    matches!(
        code.area(),
        CodeArea::Spf | CodeArea::Dkim | CodeArea::Dmarc
    ) || code == Code::SenderRequirementsUnmet
}

/// What the sender's domain check found, as triage needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SenderCheckOutcome {
    /// Every finding code of the domain report.
    pub codes: Vec<Code>,
    /// SPF and DMARC got definite answers (found or absent), so a clean result rules the
    /// sender's authentication out.
    pub conclusive: bool,
}

/// What an account check found, as triage needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Every finding code of the report.
    pub codes: Vec<Code>,
    /// What was looked at: incoming, outgoing, login (a login was tried).
    pub areas: Vec<Area>,
}

/// Mobile carriers' mail domains: their spam and spoofing filters are a cause of their own.
const CARRIER_DOMAINS: &[&str] = &[
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "ymobile.ne.jp",
    "rakumail.jp",
];

/// Whether `address` is at a Japanese mobile carrier.
pub fn is_carrier_address(address: &str) -> bool {
    let domain = address
        .rsplit_once('@')
        .map_or(address, |(_, d)| d)
        .trim()
        .to_ascii_lowercase();
    CARRIER_DOMAINS
        .iter()
        .any(|c| domain == *c || domain.ends_with(&format!(".{c}")))
}

/// The triage of one problem.
#[derive(Clone, Debug)]
pub struct Triage {
    symptom: &'static Symptom,
    /// Answers in the order they were given (one per question).
    answers: Vec<(&'static Question, String)>,
    explanation: Vec<(Code, f64)>,
    check: Option<CheckOutcome>,
    sender_check: Option<SenderCheckOutcome>,
    scores: BTreeMap<&'static str, f64>,
    confirmed: BTreeSet<&'static str>,
    ended: bool,
}

impl Triage {
    /// Starts from a symptom id (`receive`, `send`, `both`, `signin`, `one-sender`,
    /// `one-recipient`, `notify-late`).
    pub fn new(symptom: &str) -> Result<Triage, TriageError> {
        let symptom = symptoms()
            .iter()
            .find(|s| s.id == symptom)
            .ok_or_else(|| TriageError::UnknownSymptom(symptom.to_string()))?;
        let mut t = Triage {
            symptom,
            answers: Vec::new(),
            explanation: Vec::new(),
            check: None,
            sender_check: None,
            scores: BTreeMap::new(),
            confirmed: BTreeSet::new(),
            ended: false,
        };
        t.recompute();
        Ok(t)
    }

    pub fn symptom(&self) -> &'static Symptom {
        self.symptom
    }

    /// The answers given, in question order.
    pub fn answers(&self) -> Vec<(&'static Question, &str)> {
        let mut out: Vec<(&'static Question, &str)> =
            self.answers.iter().map(|(q, v)| (*q, v.as_str())).collect();
        out.sort_by_key(|(q, _)| question_index(&q.id));
        out
    }

    /// The answer given to question `id`.
    pub fn answer_of(&self, id: &str) -> Option<&str> {
        self.answers
            .iter()
            .find(|(q, _)| q.id == id)
            .map(|(_, v)| v.as_str())
    }

    /// The mail address given, if any.
    pub fn address(&self) -> Option<&str> {
        self.answer_of("address").filter(|a| !a.trim().is_empty())
    }

    /// Whether an answer made the cause clear (no more questions).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Records an answer (a choice's value, or free text for a text question; an empty text
    /// means "not known"). Answering a question again replaces the earlier answer.
    pub fn answer(&mut self, id: &str, value: &str) -> Result<(), TriageError> {
        let q = question(id).ok_or_else(|| TriageError::UnknownQuestion(id.to_string()))?;
        if !q.applies_to(&self.symptom.id) {
            return Err(TriageError::NotForSymptom(id.to_string()));
        }
        let value = value.trim();
        if q.kind == Kind::Choice && q.answer(value).is_none() {
            return Err(TriageError::UnknownAnswer(
                id.to_string(),
                value.to_string(),
            ));
        }
        self.answers.retain(|(a, _)| a.id != id);
        self.answers.push((q, value.to_string()));
        self.recompute();
        Ok(())
    }

    /// Feeds what `explain` made of the error text: candidate finding codes with their
    /// likelihoods (0..=1). Causes naming a candidate code become more likely.
    pub fn apply_explanation(&mut self, candidates: &[(Code, f64)]) {
        self.explanation = candidates.to_vec();
        self.recompute();
    }

    /// Feeds the outcome of the account check: causes whose codes it found are confirmed,
    /// causes whose area it looked at without finding them become unlikely.
    pub fn record_check(&mut self, outcome: CheckOutcome) {
        self.check = Some(outcome);
        self.recompute();
    }

    /// Feeds the outcome of the sender's domain check: an SPF, DKIM, DMARC or
    /// sender-requirements finding confirms `sender-auth`; a conclusive clean check makes it
    /// unlikely.
    pub fn record_sender_check(&mut self, outcome: SenderCheckOutcome) {
        self.sender_check = Some(outcome);
        self.recompute();
    }

    /// Whether question `q` is still to be asked: for this symptom, its `when` holds, not
    /// answered, and one of its answers would still change a cause.
    fn wants(&self, q: &Question) -> bool {
        if !q.applies_to(&self.symptom.id) || self.answer_of(&q.id).is_some() {
            return false;
        }
        if !q.when.is_empty()
            && !q.when.iter().any(|(k, v)| {
                if k == "symptom" {
                    self.symptom.id == *v
                } else {
                    self.answer_of(k) == Some(v.as_str())
                }
            })
        {
            return false;
        }
        if q.kind == Kind::Text {
            return true;
        }
        q.answers.iter().any(|a| {
            a.end
                || a.shift.iter().any(|(c, f)| {
                    self.scores.get(c.as_str()).is_some_and(|s| *s > 0.0) && (*f - 1.0).abs() > 1e-9
                })
                || a.add
                    .iter()
                    .any(|(c, v)| self.scores.get(c.as_str()).is_none_or(|s| s < v))
        })
    }

    /// The next question worth asking, or `None` when nothing left would narrow the causes.
    pub fn next_question(&self) -> Option<&'static Question> {
        if self.ended {
            return None;
        }
        questions().iter().find(|q| self.wants(q))
    }

    /// The questions that would still narrow the causes and are not answered: what the
    /// support desk may want to ask next. Empty once an answer made the cause clear.
    pub fn open_questions(&self) -> Vec<&'static Question> {
        if self.ended {
            return Vec::new();
        }
        questions().iter().filter(|q| self.wants(q)).collect()
    }

    /// The questions for this symptom that were not answered (skipped or not reached).
    pub fn unanswered(&self) -> Vec<&'static Question> {
        questions()
            .iter()
            .filter(|q| q.applies_to(&self.symptom.id) && self.answer_of(&q.id).is_none())
            .collect()
    }

    fn recompute(&mut self) {
        let mut scores: BTreeMap<&'static str, f64> = BTreeMap::new();
        for c in all_causes() {
            if let Some(p) = self.symptom.prior.get(&c.id) {
                scores.insert(c.id.as_str(), *p);
            }
        }
        let mut ended = false;
        let mut answers = self.answers.clone();
        answers.sort_by_key(|(q, _)| question_index(&q.id));
        for (q, value) in &answers {
            if q.id == "address" {
                let carrier = is_carrier_address(value);
                if let Some(s) = scores.get_mut("carrier-filter") {
                    *s *= if carrier { 2.5 } else { 0.1 };
                }
                continue;
            }
            let Some(a) = q.answer(value) else { continue };
            for (c, v) in &a.add {
                if let Some(id) = cause(c).map(|c| c.id.as_str()) {
                    let s = scores.entry(id).or_insert(0.0);
                    *s = s.max(*v);
                }
            }
            for (c, f) in &a.shift {
                if let Some(s) = scores.get_mut(c.as_str()) {
                    *s *= f;
                }
            }
            ended |= a.end;
        }
        for c in all_causes() {
            let hit = self
                .explanation
                .iter()
                .filter(|(code, _)| c.codes.contains(code))
                .map(|(_, l)| l.clamp(0.0, 1.0))
                .fold(0.0_f64, f64::max);
            if hit > 0.0
                && let Some(s) = scores.get_mut(c.id.as_str())
                && *s > 0.0
            {
                *s *= 1.0 + 2.0 * hit;
            }
        }
        let mut confirmed = BTreeSet::new();
        if let Some(check) = &self.check {
            for c in all_causes() {
                if c.codes.is_empty() {
                    continue;
                }
                if c.codes.iter().any(|code| check.codes.contains(code)) {
                    confirmed.insert(c.id.as_str());
                    scores.entry(c.id.as_str()).or_insert(1.0);
                    continue;
                }
                let looked = match c.area {
                    Area::None => false,
                    Area::Any => check
                        .areas
                        .iter()
                        .any(|a| matches!(a, Area::Incoming | Area::Outgoing)),
                    area => check.areas.contains(&area),
                };
                if looked && let Some(s) = scores.get_mut(c.id.as_str()) {
                    *s *= 0.25;
                }
            }
        }
        if let Some(sender) = &self.sender_check
            && let Some(c) = cause("sender-auth")
        {
            let id = c.id.as_str();
            if sender.codes.iter().any(|code| is_sender_auth_code(*code)) {
                confirmed.insert(id);
                scores.entry(id).or_insert(1.0);
            } else if sender.conclusive
                && let Some(s) = scores.get_mut(id)
            {
                // Unlikely, whatever the answers made of it.
                *s = (*s * 0.1).min(0.3);
            }
        }
        self.scores = scores;
        self.confirmed = confirmed;
        self.ended = ended;
    }

    /// Every cause this symptom can have, most likely first (ties in data order), with how
    /// likely it is now. Ruled-out causes stay in the table, at the end.
    pub fn causes(&self) -> Vec<(&'static Cause, Likelihood)> {
        let mut out: Vec<(usize, &'static Cause, Likelihood, f64)> = all_causes()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let score = *self.scores.get(c.id.as_str())?;
                let l = if self.confirmed.contains(c.id.as_str()) {
                    Likelihood::Confirmed
                } else {
                    Likelihood::of(score)
                };
                Some((i, c, l, score))
            })
            .collect();
        out.sort_by(|a, b| a.2.cmp(&b.2).then(b.3.total_cmp(&a.3)).then(a.0.cmp(&b.0)));
        out.into_iter().map(|(_, c, l, _)| (c, l)).collect()
    }

    /// The automated checks that apply: the account check once an address is known, the
    /// sender's domain check once a sender is known.
    pub fn checks_to_run(&self) -> Vec<Check> {
        let mut out = Vec::new();
        if let Some(address) = self.address() {
            out.push(Check::Account {
                address: address.to_string(),
                status: if self.check.is_some() {
                    CheckStatus::Done
                } else {
                    CheckStatus::Ready
                },
            });
        }
        if let Some(sender) = self.answer_of("sender").filter(|s| !s.is_empty()) {
            let domain = sender.rsplit_once('@').map_or(sender, |(_, d)| d);
            out.push(Check::SenderDomain {
                domain: domain.trim().to_ascii_lowercase(),
                status: if self.sender_check.is_some() {
                    CheckStatus::Done
                } else {
                    CheckStatus::Ready
                },
            });
        }
        out
    }
}

fn question_index(id: &str) -> usize {
    questions()
        .iter()
        .position(|q| q.id == id)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests;
