//! `maildoc discover ADDRESS`: the settings for a mail app, shown as the fields of iPhone,
//! Outlook and Thunderbird, then every source consulted (`maildoc_report::discover`).

use crate::args::{self, DiscoverArgs};
use maildoc_engine::discover::DiscoverOptions;
use maildoc_report::Format;
use std::process::ExitCode;

pub fn run(args: DiscoverArgs, lang_flag: Option<&str>) -> ExitCode {
    let lang = args::language(lang_flag);
    if let Some(problem) = crate::address::problem(&args.address, None, lang) {
        return crate::usage(&problem);
    }
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let opts = DiscoverOptions {
        timeout: net.timeout,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let found = match runtime.block_on(maildoc_engine::discover(&net.env, &args.address, &opts)) {
        Ok(d) => d,
        Err(e) => return crate::job_error(&e, lang),
    };
    let format = Format::from(args.format);
    let text = maildoc_report::discover::render(&found, format, lang);
    crate::write_result(&text, !found.found())
}
