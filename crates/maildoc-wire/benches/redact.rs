//! What redacting server text costs: every line a server sends passes through the
//! connection's `Redactor` before anyone reads it. Prints, for short reply lines and for
//! lines at the 16 KiB bound, the time per line and the throughput of the line framer
//! alone and with a redactor for a 16-character password (about 20 forms), and of a line
//! that holds an echo to replace.
//!
//! Run: `cargo bench -p maildoc-wire --bench redact`

use maildoc_wire::line::LineBuffer;
use maildoc_wire::secret::Redactor;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const PASSWORD: &str = "Tr0ub4dor&3-horse";
const USERS: [&str; 2] = ["taro@example.jp", "taro"];

/// Lines framed per second through `buf`, and nanoseconds per line.
fn frame(buf: LineBuffer, line: &[u8], lines: usize) -> (f64, f64) {
    let mut buf = buf;
    let mut chunk = line.to_vec();
    chunk.extend_from_slice(b"\r\n");
    let started = Instant::now();
    for _ in 0..lines {
        buf.push(&chunk);
        while let Ok(Some(l)) = buf.next_line() {
            black_box(l);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    (
        (chunk.len() * lines) as f64 / secs / 1e6,
        secs * 1e9 / lines as f64,
    )
}

fn main() {
    let redactor = Arc::new(Redactor::new(PASSWORD, &USERS));
    let short =
        b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE] ready".to_vec();
    let long: Vec<u8> = b"250-X-KEYWORD-ABCDEFGH "
        .iter()
        .copied()
        .cycle()
        .take(16 * 1024 - 2)
        .collect();
    let echo = format!("a1 NO [AUTHENTICATIONFAILED] {PASSWORD} is not the password").into_bytes();
    println!("{:<34} {:>12} {:>12}", "line", "MB/s", "ns/line");
    for (name, line, lines) in [
        ("short reply (73 B)", &short, 400_000),
        ("line at the bound (16 KiB)", &long, 4_000),
        ("short reply with the echo", &echo, 400_000),
    ] {
        let (plain_mbs, plain_ns) = frame(LineBuffer::new(16 * 1024), line, lines);
        let (red_mbs, red_ns) = frame(
            LineBuffer::new(16 * 1024).with_redactor(Arc::clone(&redactor)),
            line,
            lines,
        );
        println!(
            "{:<34} {plain_mbs:>12.1} {plain_ns:>12.0}   framer alone",
            name
        );
        println!(
            "{:<34} {red_mbs:>12.1} {red_ns:>12.0}   with the redactor",
            ""
        );
    }
}
