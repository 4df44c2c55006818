use ascii::AsciiString;

use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::io::{BufReader, BufWriter, ErrorKind, Read};

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use crate::common::{HTTPVersion, Method};
use crate::limits::{ConnState, Limits, TimedReader};
use crate::util::{RefinedTcpStream, Slot};
use crate::util::{SequentialReader, SequentialReaderBuilder, SequentialWriterBuilder};
use crate::Request;

type Source = BufReader<TimedReader>;

/// A connection keeps its line buffer between lines up to this size.
const KEPT_LINE_CAPACITY: usize = 1024;

/// A ClientConnection is an object that will store a socket to a client
/// and return Request objects.
pub struct ClientConnection {
    // address of the client
    remote_addr: IoResult<Option<SocketAddr>>,

    // sequence of Readers to the stream, so that the data is not read in
    //  the wrong order
    source: SequentialReaderBuilder<Source>,

    // sequence of Writers to the stream, to avoid writing response #2 before
    //  response #1
    sink: SequentialWriterBuilder<BufWriter<RefinedTcpStream>>,

    // Reader to read the next header from
    next_header_source: SequentialReader<Source>,

    // set to true if we know that the previous request is the last one
    no_more_requests: bool,

    // true if the connection goes through SSL
    secure: bool,

    // what this connection's requests share with it (deadlines, unread body, close)
    state: Arc<ConnState>,

    limits: Arc<Limits>,

    // this connection's place among the open ones, if they are counted
    slot: Option<Slot>,

    // the first byte of the request being read has come
    head_started: bool,

    // where a line of a request head is read (kept from one line to the next)
    line: Vec<u8>,
}

/// Error that can happen when reading a request.
#[derive(Debug)]
enum ReadError {
    WrongRequestLine,
    WrongHeader(HTTPVersion),
    /// the client sent an unrecognized `Expect` header
    ExpectationFailed(HTTPVersion),
    /// the request line is longer than allowed
    RequestLineTooLong,
    /// HTTP/2 or later in the request line
    VersionNotSupported,
    /// the head has more bytes or lines than allowed
    HeadTooLarge,
    /// the head did not arrive in time once started
    HeadTimedOut,
    /// a `Transfer-Encoding` other than `chunked`
    UnsupportedTransferEncoding(HTTPVersion),
    /// `Content-Length` unreadable, repeated with other values, or beside `Transfer-Encoding`
    BadFraming(HTTPVersion),
    ReadIoError(IoError),
}

/// Why reading a line of the head stopped.
enum LineError {
    TooLong,
    Io(IoError),
}

impl ClientConnection {
    /// Creates a new `ClientConnection` that takes ownership of the `TcpStream`.
    pub fn new(
        write_socket: RefinedTcpStream,
        mut read_socket: RefinedTcpStream,
        limits: Arc<Limits>,
        slot: Option<Slot>,
        state: Arc<ConnState>,
    ) -> ClientConnection {
        let remote_addr = read_socket.peer_addr();
        let secure = read_socket.secure();
        // A client that stops reading must not hold the thread writing to it for ever.
        write_socket
            .set_write_timeout(Some(limits.write_timeout))
            .ok();
        let read_socket = TimedReader::new(read_socket, Arc::clone(&state));

        let mut source = SequentialReaderBuilder::new(BufReader::with_capacity(1024, read_socket));
        let first_header = source.next().unwrap();

        ClientConnection {
            source,
            sink: SequentialWriterBuilder::new(BufWriter::with_capacity(1024, write_socket)),
            remote_addr,
            next_header_source: first_header,
            no_more_requests: false,
            secure,
            state,
            limits,
            slot,
            head_started: false,
            line: Vec::with_capacity(256),
        }
    }

    /// Reads the next line from self.next_header_source, at most `max` bytes long and
    /// within what is left of the head's `budget`.
    ///
    /// Reads until `CRLF` is reached. The next read will start
    ///  at the first byte of the new line. With `first`, the head's time-out starts once
    ///  the line's first byte has come.
    fn read_next_line(
        &mut self,
        max: usize,
        budget: &mut usize,
        first: bool,
    ) -> Result<AsciiString, LineError> {
        // The connection's line buffer: grown once, not byte by byte for every line of
        // every request (a patch: upstream made a new `Vec` per line).
        let mut buf = std::mem::take(&mut self.line);
        buf.clear();
        let line = self.read_line_into(&mut buf, max, budget, first);
        // A long line (up to `max_head`) is not kept: idle connections hold little.
        if buf.capacity() <= KEPT_LINE_CAPACITY {
            self.line = buf;
        }
        line
    }

    fn read_line_into(
        &mut self,
        buf: &mut Vec<u8>,
        max: usize,
        budget: &mut usize,
        first: bool,
    ) -> Result<AsciiString, LineError> {
        let mut prev_byte_was_cr = false;

        loop {
            let mut byte = [0u8];
            let byte = match self.next_header_source.read(&mut byte) {
                Ok(0) => {
                    let eof = IoError::new(ErrorKind::ConnectionAborted, "Unexpected EOF");
                    return Err(LineError::Io(eof));
                }
                Ok(_) => byte[0],
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(LineError::Io(e)),
            };
            if first && buf.is_empty() {
                self.head_started = true;
                // The client is sending a request: from now on it has `head_timeout`. The
                // connection still counts as waiting (it may be closed to make room) until
                // its head is whole: a client trickling heads cannot hold places.
                self.state
                    .set_deadline(Some(Instant::now() + self.limits.head_timeout));
            }

            if byte == b'\n' && prev_byte_was_cr {
                buf.pop(); // removing the '\r'
                return AsciiString::from_ascii(&buf[..]).map_err(|_| {
                    LineError::Io(IoError::new(
                        ErrorKind::InvalidInput,
                        "Header is not in ASCII",
                    ))
                });
            }

            prev_byte_was_cr = byte == b'\r';

            if buf.len() >= max || *budget == 0 {
                return Err(LineError::TooLong);
            }
            *budget -= 1;
            buf.push(byte);
        }
    }

    /// What this connection's requests share with it.
    pub(crate) fn state(&self) -> Arc<ConnState> {
        Arc::clone(&self.state)
    }

    /// Waits until the previous request is done with the stream, then discards what its
    /// handler left unread of its body: within `max_discarded_body` bytes and
    /// `discard_timeout`, else the connection must close (`Err`).
    fn finish_previous(&mut self) -> IoResult<()> {
        let gone = || IoError::other("connection closing");
        self.next_header_source.wait_turn()?;
        if self.state.must_close() {
            return Err(gone());
        }
        let rest = self.state.take_unread_body();
        if rest == 0 {
            return Ok(());
        }
        if rest > self.limits.max_discarded_body {
            return Err(gone());
        }
        self.state
            .set_deadline(Some(Instant::now() + self.limits.discard_timeout));
        let discarded = std::io::copy(
            &mut (&mut self.next_header_source).take(rest as u64),
            &mut std::io::sink(),
        )?;
        if discarded as usize != rest {
            return Err(gone());
        }
        Ok(())
    }

    /// Reads a request from the stream.
    /// Blocks until the header has been read.
    fn read(&mut self) -> Result<Request, ReadError> {
        self.finish_previous().map_err(ReadError::ReadIoError)?;
        if let Some(slot) = &self.slot {
            slot.set_waiting(true);
        }
        self.head_started = false;
        self.state
            .set_deadline(Some(Instant::now() + self.limits.idle_timeout));
        let mut budget = self.limits.max_head;

        let (method, path, version, headers) = {
            // reading the request line
            let (method, path, version) = {
                let line =
                    match self.read_next_line(self.limits.max_request_line, &mut budget, true) {
                        Ok(line) => line,
                        Err(LineError::TooLong) => return Err(ReadError::RequestLineTooLong),
                        Err(LineError::Io(e)) => return Err(self.head_read_error(e)),
                    };

                parse_request_line(
                    line.as_str().trim(), // TODO: remove this conversion
                )?
            };

            // getting all headers
            let headers = {
                let mut headers = Vec::new();
                loop {
                    let line = match self.read_next_line(self.limits.max_head, &mut budget, false) {
                        Ok(line) => line,
                        Err(LineError::TooLong) => return Err(ReadError::HeadTooLarge),
                        Err(LineError::Io(e)) => return Err(self.head_read_error(e)),
                    };

                    if line.is_empty() {
                        break;
                    };
                    if headers.len() >= self.limits.max_headers {
                        return Err(ReadError::HeadTooLarge);
                    }
                    headers.push(match FromStr::from_str(line.as_str().trim()) {
                        // TODO: remove this conversion
                        Ok(h) => h,
                        _ => return Err(ReadError::WrongHeader(version)),
                    });
                }

                headers
            };

            (method, path, version, headers)
        };

        // building the writer for the request
        let writer = self.sink.next().unwrap();

        // follow-up for next potential request
        let mut data_source = self.source.next().unwrap();
        std::mem::swap(&mut self.next_header_source, &mut data_source);

        // building the next reader
        let request = crate::request::new_request(
            self.secure,
            method,
            path,
            version.clone(),
            headers,
            *self.remote_addr.as_ref().unwrap(),
            data_source,
            writer,
            Some(Arc::clone(&self.state)),
        )
        .map_err(|e| {
            use crate::request;
            match e {
                request::RequestCreationError::CreationIoError(e) => ReadError::ReadIoError(e),
                request::RequestCreationError::ExpectationFailed => {
                    ReadError::ExpectationFailed(version.clone())
                }
                request::RequestCreationError::UnsupportedTransferEncoding => {
                    ReadError::UnsupportedTransferEncoding(version.clone())
                }
                request::RequestCreationError::BadFraming => ReadError::BadFraming(version.clone()),
            }
        })?;
        let mut request = request;
        if let Some(len) = request.body_length() {
            if len > 0 && len <= self.limits.prefetch_body {
                // Part of the request, as its head: it must come within `head_timeout`.
                self.head_started = true;
                self.state
                    .set_deadline(Some(Instant::now() + self.limits.head_timeout));
                if let Err(e) = request.prefetch_body(len) {
                    // Not handed out: no answer of its own, only the refusal below.
                    request.discard();
                    return Err(self.head_read_error(e));
                }
            }
        }
        // The handler's reads of the body wait at most `body_read_timeout` each.
        self.state.set_deadline(None);
        if let Some(slot) = &self.slot {
            slot.set_waiting(false);
        }

        // return the request
        Ok(request)
    }

    /// A time-out once the head has started is the client's fault (`408`); any other error,
    /// or a time-out while the connection was idle, just ends the connection.
    fn head_read_error(&self, e: IoError) -> ReadError {
        if e.kind() == ErrorKind::TimedOut && self.head_started {
            ReadError::HeadTimedOut
        } else {
            ReadError::ReadIoError(e)
        }
    }

    /// Writes a short error response, then ends the connection.
    fn refuse(&mut self, status: u16, version: HTTPVersion) -> Option<Request> {
        use crate::{Response, StatusCode};
        let writer = self.sink.next().unwrap();
        let response = Response::new_empty(StatusCode(status))
            .with_header(crate::Header::from_bytes(&b"Connection"[..], &b"close"[..]).unwrap());
        response.raw_print(writer, version, &[], false, None).ok();
        None
    }
}

impl Iterator for ClientConnection {
    type Item = Request;

    /// Blocks until the next Request is available.
    /// Returns None when no new Requests will come from the client.
    fn next(&mut self) -> Option<Request> {
        // the client sent a "connection: close" header in this previous request
        //  or is using HTTP 1.0, meaning that no new request will come
        if self.no_more_requests {
            return None;
        }

        {
            let rq = match self.read() {
                // we don't know where the next request would start, so we have to close
                Err(ReadError::WrongRequestLine) => {
                    return self.refuse(400, HTTPVersion(1, 1));
                }
                Err(ReadError::WrongHeader(ver)) => return self.refuse(400, ver),
                Err(ReadError::BadFraming(ver)) => return self.refuse(400, ver),
                Err(ReadError::RequestLineTooLong) => {
                    return self.refuse(414, HTTPVersion(1, 1));
                }
                Err(ReadError::VersionNotSupported) => {
                    return self.refuse(505, HTTPVersion(1, 1));
                }
                Err(ReadError::HeadTooLarge) => return self.refuse(431, HTTPVersion(1, 1)),
                Err(ReadError::HeadTimedOut) => return self.refuse(408, HTTPVersion(1, 1)),
                Err(ReadError::UnsupportedTransferEncoding(ver)) => {
                    return self.refuse(501, ver);
                }
                // TODO: should be recoverable, but needs handling in case of body
                Err(ReadError::ExpectationFailed(ver)) => return self.refuse(417, ver),

                Err(ReadError::ReadIoError(e)) => {
                    log::debug!("Closing a connection: {}", e);
                    return None;
                }

                Ok(rq) => rq,
            };

            // updating the status of the connection
            let connection_header = rq
                .headers()
                .iter()
                .find(|h| h.field.equiv("Connection"))
                .map(|h| h.value.as_str());

            let lowercase = connection_header.map(|h| h.to_ascii_lowercase());

            match lowercase {
                Some(ref val) if val.contains("close") => self.no_more_requests = true,
                Some(ref val) if val.contains("upgrade") => self.no_more_requests = true,
                Some(ref val)
                    if !val.contains("keep-alive") && *rq.http_version() == HTTPVersion(1, 0) =>
                {
                    self.no_more_requests = true
                }
                None if *rq.http_version() == HTTPVersion(1, 0) => self.no_more_requests = true,
                _ => (),
            };

            // returning the request
            Some(rq)
        }
    }
}

/// Parses a "HTTP/1.1" string.
fn parse_http_version(version: &str) -> Result<HTTPVersion, ReadError> {
    // HTTP/0.9 requests have no version and get no status line: a request line that says
    // `HTTP/0.9` is malformed, and answering it with `HTTP/0.9 200 OK` (as upstream did)
    // makes no sense to anyone.
    //
    // HTTP/2 and 3 are refused with 505 before any request is made: upstream built the
    // request, then wrote its 505 through the next response writer, which waits for the
    // request's own writer to be dropped, and the request was still alive: the connection's
    // thread waited for ever (found by fuzzing).
    let (major, minor) = match version {
        "HTTP/1.0" => (1, 0),
        "HTTP/1.1" => (1, 1),
        "HTTP/2.0" | "HTTP/3.0" => return Err(ReadError::VersionNotSupported),
        _ => return Err(ReadError::WrongRequestLine),
    };

    Ok(HTTPVersion(major, minor))
}

/// Parses the request line of the request.
/// eg. GET / HTTP/1.1
fn parse_request_line(line: &str) -> Result<(Method, String, HTTPVersion), ReadError> {
    let mut parts = line.split(' ');

    let method = parts.next().and_then(|w| w.parse().ok());
    let path = parts.next().map(ToOwned::to_owned);
    let version = match parts.next() {
        Some(w) => Some(parse_http_version(w)?),
        None => None,
    };

    method
        .and_then(|method| Some((method, path?, version?)))
        .ok_or(ReadError::WrongRequestLine)
}

#[cfg(test)]
mod test {
    #[test]
    fn test_parse_request_line() {
        let (method, path, ver) = super::parse_request_line("GET /hello HTTP/1.1").unwrap();

        assert!(method == crate::Method::Get);
        assert!(path == "/hello");
        assert!(ver == crate::common::HTTPVersion(1, 1));

        assert!(super::parse_request_line("GET /hello").is_err());
        assert!(super::parse_request_line("GET /hello HTTP/0.9").is_err());
        assert!(super::parse_request_line("qsd qsd qsd").is_err());
    }
}
