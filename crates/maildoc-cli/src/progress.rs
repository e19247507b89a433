//! The spinner a check or a discovery shows on standard error while it runs: only for the
//! human format on a terminal, hidden otherwise.

use maildoc_engine::Event;
use maildoc_report::{Format, Lang, ui};
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug)]
pub struct Progress {
    bar: indicatif::ProgressBar,
    lang: Lang,
}

impl Progress {
    /// A check's spinner: servers done of those planned.
    pub fn new(format: Format, lang: Lang) -> Progress {
        Progress::with_template(format, lang, "{spinner} {msg} [{pos}/{len}]")
    }

    /// A discovery's spinner: what it last heard from.
    pub fn discovering(format: Format, lang: Lang) -> Progress {
        Progress::with_template(format, lang, "{spinner} {msg}")
    }

    fn with_template(format: Format, lang: Lang, template: &str) -> Progress {
        let bar = indicatif::ProgressBar::hidden();
        if format == Format::Human && std::io::stderr().is_terminal() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        Progress { bar, lang }
    }

    /// Shows what the engine reports.
    pub fn event(&self, e: &Event) {
        let lang = self.lang;
        match e {
            Event::Discovering { .. } => {
                self.bar.set_message(ui::text("progress-discovering", lang));
            }
            Event::Planned { servers } => {
                self.bar.set_length(servers.len() as u64);
                self.bar.set_message(ui::fill(
                    "progress-checking",
                    lang,
                    &[("count", &servers.len().to_string())],
                ));
            }
            Event::Alternatives { servers, .. } => {
                self.bar.inc_length(servers.len() as u64);
            }
            Event::ServerDone { evidence, .. } => {
                self.bar.inc(1);
                self.done(&evidence.endpoint.describe());
            }
            Event::DiscoverySource { target, .. } => self.done(target),
            Event::DiscoveryGuess { endpoint, .. } => self.done(&endpoint.describe()),
            Event::Step { .. } | Event::DomainPart { .. } => {}
        }
    }

    /// Says that `server` (or a source asked) is done.
    fn done(&self, server: &str) {
        self.bar
            .set_message(ui::fill("progress-done", self.lang, &[("server", server)]));
    }

    /// Clears the spinner before the result is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
