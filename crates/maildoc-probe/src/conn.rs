//! An established connection: line I/O with deadlines, and the transcript. Passwords reach
//! the wire only through `maildoc_wire::secret::Secret`, whose shown form is redacted.

use crate::clock::RunClock;
use crate::context::ProbeContext;
use crate::tls::FirstBytes;
use maildoc_model::{Direction, TranscriptLine, Trouble};
use maildoc_wire::line::{LineBuffer, LineError};
use maildoc_wire::secret::Secret;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// The longest line maildoc accepts from a server.
pub const MAX_LINE: usize = 16 * 1024;
/// The most lines one reply may have (everything received between two commands: EHLO's
/// keywords, CAPA's lines, IMAP's untagged data). maildoc asks only for short answers;
/// real servers send a few dozen lines.
pub const MAX_REPLY_LINES: usize = 1_000;
/// The most bytes one reply may have.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;
/// The most bytes one connection may receive.
pub const MAX_SESSION_BYTES: usize = 4 * 1024 * 1024;
/// How long a command's answer may take.
pub const REPLY_CAP: Duration = Duration::from_secs(10);
/// How long a transcript line may be before it is cut.
const SHOWN_MAX: usize = 400;

#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<FirstBytes<TcpStream>>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A failure on an established connection, as evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub trouble: Trouble,
    pub detail: String,
}

impl Failure {
    fn new(trouble: Trouble, detail: impl Into<String>) -> Self {
        Failure {
            trouble,
            detail: detail.into(),
        }
    }
}

/// When an answer must have arrived.
#[derive(Clone, Copy, Debug)]
pub struct AnswerBy {
    until: tokio::time::Instant,
    allowed: Duration,
}

/// A connection with its read buffer and transcript.
///
/// Everything read passes through the buffer, which redacts the account's password in every
/// form it is sent in; and everything read counts against the bounds above, so that a server
/// that never stops talking costs a bounded amount of memory.
#[derive(Debug)]
pub struct Conn {
    stream: Stream,
    pub buf: LineBuffer,
    pub transcript: Vec<TranscriptLine>,
    clock: RunClock,
    /// Lines and bytes received since the last command was sent.
    reply_lines: usize,
    reply_bytes: usize,
    session_bytes: usize,
}

impl Conn {
    pub fn new(stream: Stream, ctx: &ProbeContext, transcript: Vec<TranscriptLine>) -> Self {
        Conn {
            stream,
            buf: LineBuffer::new(MAX_LINE).with_redactor(ctx.account.redactor()),
            transcript,
            clock: ctx.clock,
            reply_lines: 0,
            reply_bytes: 0,
            session_bytes: 0,
        }
    }

    pub fn clock(&self) -> &RunClock {
        &self.clock
    }

    /// The name to give in EHLO: this end's address as a literal, as mail apps do.
    pub fn ehlo_name(&self) -> String {
        let local = match &self.stream {
            Stream::Plain(s) => s.local_addr(),
            Stream::Tls(s) => s.get_ref().0.get_ref().local_addr(),
        };
        match local.map(|a| a.ip()) {
            Ok(std::net::IpAddr::V4(ip)) => format!("[{ip}]"),
            Ok(std::net::IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
            Err(_) => "[127.0.0.1]".into(),
        }
    }

    pub fn is_encrypted(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// Gives the plain TCP stream back for a STARTTLS handshake, with the transcript.
    pub fn into_plain(self) -> Option<(TcpStream, Vec<TranscriptLine>)> {
        match self.stream {
            Stream::Plain(tcp) => Some((tcp, self.transcript)),
            Stream::Tls(_) => None,
        }
    }

    /// Records a line the server sent that was parsed elsewhere (IMAP responses).
    pub fn log_received(&mut self, text: &str) {
        let shown = maildoc_wire::line::printable(text.as_bytes(), SHOWN_MAX);
        self.record(Direction::Received, shown);
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.record(Direction::Note, text.into());
    }

    fn record(&mut self, dir: Direction, text: String) {
        self.transcript.push(TranscriptLine {
            at_ms: self.clock.at_ms(),
            dir,
            text,
        });
    }

    /// Sends a command (CRLF added) that carries no secret.
    pub async fn send(&mut self, line: &str) -> Result<(), Failure> {
        let shown = maildoc_wire::line::printable(line.trim_end().as_bytes(), SHOWN_MAX);
        self.record(Direction::Sent, shown);
        let mut bytes = line.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.write(&bytes).await
    }

    /// Sends a command that carries a secret; only its redacted form is recorded.
    pub async fn send_secret(&mut self, secret: &Secret) -> Result<(), Failure> {
        self.record(Direction::Sent, secret.shown.clone());
        self.write(&secret.wire).await
    }

    /// Sends a block of bytes (a message after DATA), recorded as `shown`.
    pub async fn send_block(&mut self, bytes: &[u8], shown: String) -> Result<(), Failure> {
        self.record(Direction::Sent, shown);
        self.write(bytes).await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.reply_lines = 0;
        self.reply_bytes = 0;
        let budget = self.clock.budget(REPLY_CAP);
        let io = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(budget, io).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(io_failure(&e)),
            Err(_) => Err(Failure::new(
                Trouble::Timeout,
                "the server did not take the command in time",
            )),
        }
    }

    /// The time an answer may take from now: `cap`, never past the run's deadline. One
    /// answer gets one such time however it is cut into pieces, so a server that trickles
    /// a byte at a time cannot stretch it.
    pub fn answer_by(&self, cap: Duration) -> AnswerBy {
        let allowed = self.clock.budget(cap);
        AnswerBy {
            until: tokio::time::Instant::now() + allowed,
            allowed,
        }
    }

    /// Reads more bytes into the buffer, by `by`.
    pub async fn fill(&mut self, by: AnswerBy) -> Result<(), Failure> {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(by.until, self.stream.read(&mut chunk)).await {
            Ok(Ok(0)) => Err(Failure::new(
                Trouble::Closed,
                "the server closed the connection",
            )),
            Ok(Ok(n)) => {
                let chunk = &chunk[..n];
                self.count(chunk)?;
                self.buf.push(chunk);
                Ok(())
            }
            Ok(Err(e)) => Err(io_failure(&e)),
            Err(_) => Err(Failure::new(
                Trouble::Timeout,
                format!("no answer within {:.1} s", by.allowed.as_secs_f64()),
            )),
        }
    }

    /// Counts received bytes against the bounds; past one, the rest is not read.
    fn count(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        self.reply_lines += chunk.iter().filter(|&&b| b == b'\n').count();
        self.reply_bytes += chunk.len();
        self.session_bytes += chunk.len();
        let over = if self.reply_lines > MAX_REPLY_LINES {
            format!("more than {MAX_REPLY_LINES} lines in one answer")
        } else if self.reply_bytes > MAX_REPLY_BYTES {
            format!("more than {} KiB in one answer", MAX_REPLY_BYTES / 1024)
        } else if self.session_bytes > MAX_SESSION_BYTES {
            format!(
                "more than {} KiB on one connection",
                MAX_SESSION_BYTES / 1024
            )
        } else {
            return Ok(());
        };
        self.note(format!("{over}: stopped reading"));
        Err(Failure::new(Trouble::Oversized, over))
    }

    /// Reads one line within `cap`, recording it.
    pub async fn read_line(&mut self, cap: Duration) -> Result<String, Failure> {
        self.read_line_as(cap, true).await
    }

    /// Reads one line of a message's text within `cap`, without recording it: it is
    /// somebody's mail, and the caller notes what it read instead.
    pub async fn read_message_line(&mut self, cap: Duration) -> Result<String, Failure> {
        self.read_line_as(cap, false).await
    }

    async fn read_line_as(&mut self, cap: Duration, recorded: bool) -> Result<String, Failure> {
        let by = self.answer_by(cap);
        loop {
            match self.buf.next_line() {
                Ok(Some(line)) => {
                    if recorded {
                        let shown = maildoc_wire::line::printable(line.as_bytes(), SHOWN_MAX);
                        self.record(Direction::Received, shown);
                    }
                    return Ok(line);
                }
                Ok(None) => {}
                Err(LineError::TooLong { len }) => {
                    let shown = self.buf.pending_shown(120);
                    self.record(
                        Direction::Received,
                        format!("{shown} [{len} bytes without a line end]"),
                    );
                    return Err(Failure::new(
                        Trouble::LineTooLong,
                        format!("a line of more than {len} bytes without a line end"),
                    ));
                }
            }
            if let Err(mut f) = self.fill(by).await {
                if !self.buf.buffered().is_empty() {
                    let partial = self.buf.pending_shown(SHOWN_MAX);
                    self.record(Direction::Received, format!("{partial} [incomplete line]"));
                    f.detail = format!("{} after a partial line: {partial}", f.detail);
                }
                return Err(f);
            }
        }
    }

    /// Closes politely; errors do not matter any more.
    pub async fn shutdown(&mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(300), self.stream.shutdown()).await;
    }
}

fn io_failure(e: &std::io::Error) -> Failure {
    use std::io::ErrorKind;
    let trouble = match e.kind() {
        ErrorKind::UnexpectedEof
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe => Trouble::Closed,
        ErrorKind::TimedOut => Trouble::Timeout,
        _ => Trouble::Io,
    };
    Failure::new(trouble, e.to_string())
}
