//! An established connection: line I/O with deadlines, and the transcript. Passwords reach
//! the wire only through `maildoc_wire::secret::Secret`, whose shown form is redacted.

use crate::clock::RunClock;
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

/// A connection with its read buffer and transcript.
#[derive(Debug)]
pub struct Conn {
    stream: Stream,
    pub buf: LineBuffer,
    pub transcript: Vec<TranscriptLine>,
    clock: RunClock,
}

impl Conn {
    pub fn new(stream: Stream, clock: RunClock, transcript: Vec<TranscriptLine>) -> Self {
        Conn {
            stream,
            buf: LineBuffer::new(MAX_LINE),
            transcript,
            clock,
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

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
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

    /// Reads more bytes into the buffer, within `cap` (and the run's deadline).
    pub async fn fill(&mut self, cap: Duration) -> Result<(), Failure> {
        let budget = self.clock.budget(cap);
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(budget, self.stream.read(&mut chunk)).await {
            Ok(Ok(0)) => Err(Failure::new(
                Trouble::Closed,
                "the server closed the connection",
            )),
            Ok(Ok(n)) => {
                self.buf.push(&chunk[..n]);
                Ok(())
            }
            Ok(Err(e)) => Err(io_failure(&e)),
            Err(_) => Err(Failure::new(
                Trouble::Timeout,
                format!("no answer within {:.1} s", budget.as_secs_f64()),
            )),
        }
    }

    /// Reads one line, recording it.
    pub async fn read_line(&mut self, cap: Duration) -> Result<String, Failure> {
        loop {
            match self.buf.next_line() {
                Ok(Some(line)) => {
                    let shown = maildoc_wire::line::printable(line.as_bytes(), SHOWN_MAX);
                    self.record(Direction::Received, shown);
                    return Ok(line);
                }
                Ok(None) => {}
                Err(LineError::TooLong { len }) => {
                    let shown = maildoc_wire::line::printable(self.buf.buffered(), 120);
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
            if let Err(mut f) = self.fill(cap).await {
                if !self.buf.buffered().is_empty() {
                    let partial = maildoc_wire::line::printable(self.buf.buffered(), SHOWN_MAX);
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
