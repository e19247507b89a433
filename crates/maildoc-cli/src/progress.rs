//! The spinner a check shows on standard error while it runs: only for the human format on
//! a terminal, hidden otherwise.

use maildoc_engine::Event;
use maildoc_report::{Format, Lang, ui};
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug)]
pub struct CheckProgress {
    bar: indicatif::ProgressBar,
    lang: Lang,
}

impl CheckProgress {
    pub fn new(format: Format, lang: Lang) -> CheckProgress {
        let bar = indicatif::ProgressBar::hidden();
        if format == Format::Human && std::io::stderr().is_terminal() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {msg} [{pos}/{len}]")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        CheckProgress { bar, lang }
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
                self.bar.set_message(ui::fill(
                    "progress-done",
                    lang,
                    &[("server", &evidence.endpoint.describe())],
                ));
            }
            Event::Step { .. } | Event::DomainPart { .. } => {}
        }
    }

    /// Clears the spinner before the result is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
