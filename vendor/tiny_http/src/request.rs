use std::io::Error as IoError;
use std::io::{self, ErrorKind, Read, Write};

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use crate::limits::ConnState;
use crate::util::{ChunkedBody, EqualReader, FusedReader};
use crate::{HTTPVersion, Header, Method, Response, ResponseBox, StatusCode};
use chunked_transfer::Decoder;

/// Represents an HTTP request made by a client.
///
/// A `Request` object is what is produced by the server, and is your what
/// your code must analyse and answer.
///
/// This object implements the `Send` trait, therefore you can dispatch your requests to
/// worker threads.
///
/// # Pipelining
///
/// If a client sends multiple requests in a row (without waiting for the response), then you will
/// get multiple `Request` objects simultaneously. This is called *requests pipelining*.
/// Tiny-http automatically reorders the responses so that you don't need to worry about the order
/// in which you call `respond` or `into_writer`.
///
/// This mechanic is disabled if:
///
///  - The body of a request is large enough (handling requires pipelining requires storing the
///    body of the request in a buffer ; if the body is too big, tiny-http will avoid doing that)
///  - A request sends a `Expect: 100-continue` header (which means that the client waits to
///    know whether its body will be processed before sending it)
///  - A request sends a `Connection: close` header or `Connection: upgrade` header (used for
///    websockets), which indicates that this is the last request that will be received on this
///    connection
///
/// # Automatic cleanup
///
/// If a `Request` object is destroyed without `into_writer` or `respond` being called,
/// an empty response with a 500 status code (internal server error) will automatically be
/// sent back to the client.
/// This means that if your code fails during the handling of a request, this "internal server
/// error" response will automatically be sent during the stack unwinding.
///
/// # Testing
///
/// If you want to build fake requests to test your server, use [`TestRequest`](crate::test::TestRequest).
pub struct Request {
    // where to read the body from
    data_reader: Option<Box<dyn Read + Send + 'static>>,

    // if this writer is empty, then the request has been answered
    response_writer: Option<Box<dyn Write + Send + 'static>>,

    remote_addr: Option<SocketAddr>,

    // true if HTTPS, false if HTTP
    secure: bool,

    method: Method,

    path: String,

    http_version: HTTPVersion,

    headers: Vec<Header>,

    body_length: Option<usize>,

    // true if a `100 Continue` response must be sent when `as_reader()` is called
    must_send_continue: bool,

    // If Some, a message must be sent after responding
    notify_when_responded: Option<Sender<()>>,

    // shared with the connection this request came from
    conn: Option<Arc<ConnState>>,
}

struct NotifyOnDrop<R> {
    sender: Sender<()>,
    conn: Option<Arc<ConnState>>,
    inner: R,
}

impl<R: Read> Read for NotifyOnDrop<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}
impl<R: Write> Write for NotifyOnDrop<R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
impl<R> Drop for NotifyOnDrop<R> {
    fn drop(&mut self) {
        done(&self.sender, self.conn.as_deref());
    }
}

/// Error that can happen when building a `Request` object.
#[derive(Debug)]
pub enum RequestCreationError {
    /// The client sent an `Expect` header that was not recognized by tiny-http.
    ExpectationFailed,

    /// Error while reading data from the socket during the creation of the `Request`.
    CreationIoError(IoError),

    /// A `Transfer-Encoding` other than `chunked`: the body's end cannot be found.
    UnsupportedTransferEncoding,

    /// `Content-Length` that is not a number, appears twice with different values, or comes
    /// with `Transfer-Encoding`: the body's end is ambiguous (request smuggling).
    BadFraming,
}

impl From<IoError> for RequestCreationError {
    fn from(err: IoError) -> RequestCreationError {
        RequestCreationError::CreationIoError(err)
    }
}

/// Builds a new request.
///
/// After the request line and headers have been read from the socket, a new `Request` object
/// is built.
///
/// You must pass a `Read` that will allow the `Request` object to read from the incoming data.
/// It is the responsibility of the `Request` to read only the data of the request and not further.
///
/// The `Write` object will be used by the `Request` to write the response.
#[allow(clippy::too_many_arguments)]
pub fn new_request<R, W>(
    secure: bool,
    method: Method,
    path: String,
    version: HTTPVersion,
    headers: Vec<Header>,
    remote_addr: Option<SocketAddr>,
    source_data: R,
    writer: W,
    conn: Option<Arc<ConnState>>,
) -> Result<Request, RequestCreationError>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    // finding the transfer-encoding header: only `chunked` has a known end
    let transfer_encoding = headers
        .iter()
        .find(|h: &&Header| h.field.equiv("Transfer-Encoding"))
        .map(|h| h.value.clone());
    if let Some(te) = &transfer_encoding {
        if !te.as_str().trim().eq_ignore_ascii_case("chunked") {
            return Err(RequestCreationError::UnsupportedTransferEncoding);
        }
    }

    // finding the content-length header: every copy must agree, and it must be a number
    let mut content_length = None;
    for h in headers.iter().filter(|h| h.field.equiv("Content-Length")) {
        let value = h.value.as_str().trim();
        let parsed = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            usize::from_str(value).ok()
        } else {
            None
        };
        match (parsed, content_length) {
            (None, _) => return Err(RequestCreationError::BadFraming),
            (Some(n), Some(seen)) if n != seen => return Err(RequestCreationError::BadFraming),
            (Some(n), _) => content_length = Some(n),
        }
    }
    if transfer_encoding.is_some() && content_length.is_some() {
        return Err(RequestCreationError::BadFraming);
    }

    // true if the client sent a `Expect: 100-continue` header
    let expects_continue = {
        match headers
            .iter()
            .find(|h: &&Header| h.field.equiv("Expect"))
            .map(|h| h.value.as_str())
        {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("100-continue") => true,
            _ => return Err(RequestCreationError::ExpectationFailed),
        }
    };

    // true if the client sent a `Connection: upgrade` header
    let connection_upgrade = {
        match headers
            .iter()
            .find(|h: &&Header| h.field.equiv("Connection"))
            .map(|h| h.value.as_str())
        {
            Some(v) if v.to_ascii_lowercase().contains("upgrade") => true,
            _ => false,
        }
    };

    // we wrap `source_data` around a reading whose nature depends on the transfer-encoding and
    // content-length headers
    let reader = if connection_upgrade {
        // if we have a `Connection: upgrade`, always keeping the whole reader
        Box::new(source_data) as Box<dyn Read + Send + 'static>
    } else if let Some(content_length) = content_length {
        if content_length == 0 {
            Box::new(io::empty()) as Box<dyn Read + Send + 'static>
        } else {
            let data_reader = EqualReader::new(source_data, content_length, conn.clone());
            Box::new(FusedReader::new(data_reader)) as Box<dyn Read + Send + 'static>
        }
    } else if transfer_encoding.is_some() {
        // if a transfer-encoding was specified, then "chunked" is ALWAYS applied
        // over the message (RFC2616 #3.6)
        let body = ChunkedBody::new(Decoder::new(source_data), conn.clone());
        Box::new(FusedReader::new(body)) as Box<dyn Read + Send + 'static>
    } else {
        // if we have neither a Content-Length nor a Transfer-Encoding,
        // assuming that we have no data
        // TODO: could also be multipart/byteranges
        Box::new(io::empty()) as Box<dyn Read + Send + 'static>
    };

    Ok(Request {
        data_reader: Some(reader),
        response_writer: Some(Box::new(writer) as Box<dyn Write + Send + 'static>),
        remote_addr,
        secure,
        method,
        path,
        http_version: version,
        headers,
        body_length: content_length,
        must_send_continue: expects_continue,
        notify_when_responded: None,
        conn,
    })
}

impl Request {
    /// Returns true if the request was made through HTTPS.
    #[inline]
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Returns the method requested by the client (eg. `GET`, `POST`, etc.).
    #[inline]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Returns the resource requested by the client.
    #[inline]
    pub fn url(&self) -> &str {
        &self.path
    }

    /// Returns a list of all headers sent by the client.
    #[inline]
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// Returns the HTTP version of the request.
    #[inline]
    pub fn http_version(&self) -> &HTTPVersion {
        &self.http_version
    }

    /// Returns the length of the body in bytes.
    ///
    /// Returns `None` if the length is unknown.
    #[inline]
    pub fn body_length(&self) -> Option<usize> {
        self.body_length
    }

    /// Returns the address of the client that sent this request.
    ///
    /// The address is always `Some` for TCP listeners, but always `None` for UNIX listeners
    /// (as the remote address of a UNIX client is almost always unnamed).
    ///
    /// Note that this is gathered from the socket. If you receive the request from a proxy,
    /// this function will return the address of the proxy and not the address of the actual
    /// user.
    #[inline]
    pub fn remote_addr(&self) -> Option<&SocketAddr> {
        self.remote_addr.as_ref()
    }

    /// Sends a response with a `Connection: upgrade` header, then turns the `Request` into a `Stream`.
    ///
    /// The main purpose of this function is to support websockets.
    /// If you detect that the request wants to use some kind of protocol upgrade, you can
    ///  call this function to obtain full control of the socket stream.
    ///
    /// If you call this on a non-websocket request, tiny-http will wait until this `Stream` object
    ///  is destroyed before continuing to read or write on the socket. Therefore you should always
    ///  destroy it as soon as possible.
    pub fn upgrade<R: Read>(
        mut self,
        protocol: &str,
        response: Response<R>,
    ) -> Box<dyn ReadWrite + Send> {
        use crate::util::CustomStream;

        response
            .raw_print(
                self.response_writer.as_mut().unwrap().by_ref(),
                self.http_version.clone(),
                &self.headers,
                false,
                Some(protocol),
            )
            .ok(); // TODO: unused result

        self.response_writer.as_mut().unwrap().flush().ok(); // TODO: unused result

        let stream = CustomStream::new(self.extract_reader_impl(), self.extract_writer_impl());
        if let Some(sender) = self.notify_when_responded.take() {
            let stream = NotifyOnDrop {
                sender,
                conn: self.conn.clone(),
                inner: stream,
            };
            Box::new(stream) as Box<dyn ReadWrite + Send>
        } else {
            Box::new(stream) as Box<dyn ReadWrite + Send>
        }
    }

    /// Allows to read the body of the request.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use std::io::Read;
    /// # let server = tiny_http::Server::http("0.0.0.0:0").unwrap();
    /// let mut request = server.recv().unwrap();
    /// let mut content = String::new();
    /// request.as_reader().read_to_string(&mut content).unwrap();
    /// ```
    ///
    /// If the client sent a `Expect: 100-continue` header with the request, calling this
    ///  function will send back a `100 Continue` response.
    #[inline]
    pub fn as_reader(&mut self) -> &mut dyn Read {
        if self.must_send_continue {
            let msg = Response::new_empty(StatusCode(100));
            msg.raw_print(
                self.response_writer.as_mut().unwrap().by_ref(),
                self.http_version.clone(),
                &self.headers,
                true,
                None,
            )
            .ok();
            self.response_writer.as_mut().unwrap().flush().ok();
            self.must_send_continue = false;
        }

        self.data_reader.as_mut().unwrap()
    }

    /// Turns the `Request` into a writer.
    ///
    /// The writer has a raw access to the stream to the user.
    /// This function is useful for things like CGI.
    ///
    /// Note that the destruction of the `Writer` object may trigger
    /// some events. For exemple if a client has sent multiple requests and the requests
    /// have been processed in parallel, the destruction of a writer will trigger
    /// the writing of the next response.
    /// Therefore you should always destroy the `Writer` as soon as possible.
    #[inline]
    pub fn into_writer(mut self) -> Box<dyn Write + Send + 'static> {
        let writer = self.extract_writer_impl();
        if let Some(sender) = self.notify_when_responded.take() {
            let writer = NotifyOnDrop {
                sender,
                conn: self.conn.clone(),
                inner: writer,
            };
            Box::new(writer) as Box<dyn Write + Send + 'static>
        } else {
            writer
        }
    }

    /// Extract the response `Writer` object from the Request, dropping this `Writer` has the same side effects
    /// as the object returned by `into_writer` above.
    ///
    /// This may only be called once on a single request.
    fn extract_writer_impl(&mut self) -> Box<dyn Write + Send + 'static> {
        use std::mem;

        assert!(self.response_writer.is_some());

        let mut writer = None;
        mem::swap(&mut self.response_writer, &mut writer);
        writer.unwrap()
    }

    /// Extract the body `Reader` object from the Request.
    ///
    /// This may only be called once on a single request.
    fn extract_reader_impl(&mut self) -> Box<dyn Read + Send + 'static> {
        use std::mem;

        assert!(self.data_reader.is_some());

        let mut reader = None;
        mem::swap(&mut self.data_reader, &mut reader);
        reader.unwrap()
    }

    /// Sends a response to this request.
    #[inline]
    pub fn respond<R>(mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        let res = self.respond_impl(response);
        if let Some(sender) = self.notify_when_responded.take() {
            done(&sender, self.conn.as_deref());
        }
        res
    }

    /// Sends the response without ever waiting for the client: a client that reads slowly
    /// (or never) holds no thread of the caller's. A small response goes out at once if the
    /// socket takes it all (the usual case); what it does not take, and a large response,
    /// is written by a thread of its own, within the write time-out. Write errors close the
    /// connection and are not reported.
    ///
    /// Requests that did not come from a connection (`TestRequest`) are answered here.
    pub fn respond_in_background<R>(mut self, response: Response<R>)
    where
        R: Read + Send + 'static,
    {
        let (sender, conn) = match (self.notify_when_responded.take(), self.conn.clone()) {
            (Some(sender), Some(conn)) => (sender, conn),
            (sender, _) => {
                let _ = self.respond_impl(response);
                if let Some(sender) = sender {
                    done(&sender, self.conn.as_deref());
                }
                return;
            }
        };
        let writer = self.extract_writer_impl();
        let (version, method) = (self.http_version.clone(), self.method.clone());
        let head_only = method == Method::Head;
        let closing = says_close(&response);
        let mut job = BackgroundWrite {
            writer,
            conn,
            sender,
            closing,
            what: None,
        };
        if response
            .data_length()
            .is_some_and(|n| n <= SEND_AT_ONCE_MAX)
        {
            let mut bytes = RENDERED.with(|kept| kept.take());
            bytes.clear();
            bytes.reserve(response.data_length().unwrap_or(0) + 512);
            let printed = response.raw_print(&mut bytes, version, &self.headers, head_only, None);
            let sent = match printed {
                Ok(()) => job.conn.send_now(&bytes),
                Err(_) => {
                    job.conn.close_after_response();
                    0
                }
            };
            let whole = printed.is_err() || sent == bytes.len();
            if !whole {
                job.what = Some(Pending::Bytes(bytes[sent..].to_vec()));
            }
            if bytes.capacity() <= RENDERED_KEPT_MAX {
                RENDERED.with(|kept| kept.replace(bytes));
            }
            if whole {
                // `job` tells the connection it is done (and whether it closes).
                return;
            }
        } else {
            #[cfg(unix)]
            let response = match large_body(job, response, &version, &self.headers, head_only) {
                Ok(()) => return,
                Err((back, response)) => {
                    job = back;
                    response
                }
            };
            job.what = Some(Pending::Response(
                response.boxed(),
                version,
                std::mem::take(&mut self.headers),
                method,
            ));
        }
        job.run_elsewhere();
    }

    /// Reads the whole body (`len` bytes, as announced) into memory, so that the handler's
    /// reads never wait on the client. An `Expect: 100-continue` is answered first.
    pub(crate) fn prefetch_body(&mut self, len: usize) -> Result<(), IoError> {
        let mut body = Vec::with_capacity(len);
        self.as_reader().take(len as u64).read_to_end(&mut body)?;
        if body.len() != len {
            return Err(IoError::new(
                std::io::ErrorKind::UnexpectedEof,
                "body shorter than announced",
            ));
        }
        // The body's own reader, now at its end, records nothing left unread as it drops.
        self.data_reader = Some(Box::new(std::io::Cursor::new(body)));
        Ok(())
    }

    /// Drops a request read ahead on a connection that closes: no response at all (a
    /// dropped request would otherwise answer 500).
    pub(crate) fn discard(mut self) {
        self.response_writer = None;
        self.notify_when_responded = None;
    }

    fn respond_impl<R>(&mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        let mut writer = self.extract_writer_impl();
        Self::write_response(
            &mut writer,
            response,
            self.http_version.clone(),
            &self.headers,
            &self.method,
            self.conn.as_deref(),
        )
    }

    /// Writes `response` and flushes. The connection is marked for closing if the response
    /// said `Connection: close`, or if writing failed (part of a response may be out: the
    /// stream cannot carry another one).
    fn write_response<R: Read>(
        writer: &mut Box<dyn Write + Send + 'static>,
        response: Response<R>,
        version: HTTPVersion,
        request_headers: &[Header],
        method: &Method,
        conn: Option<&ConnState>,
    ) -> Result<(), IoError> {
        let do_not_send_body = *method == Method::Head;
        let closing = response
            .headers()
            .iter()
            .any(|h| h.field.equiv("Connection") && h.value.as_str().eq_ignore_ascii_case("close"));

        let sent = Self::ignore_client_closing_errors(response.raw_print(
            writer.by_ref(),
            version,
            request_headers,
            do_not_send_body,
            None,
        ))
        .and_then(|()| Self::ignore_client_closing_errors(writer.flush()));
        if closing || sent.is_err() {
            if let Some(conn) = conn {
                conn.close_after_response();
            }
        }
        sent
    }

    fn ignore_client_closing_errors(result: io::Result<()>) -> io::Result<()> {
        result.or_else(|err| match err.kind() {
            ErrorKind::BrokenPipe => Ok(()),
            ErrorKind::ConnectionAborted => Ok(()),
            ErrorKind::ConnectionRefused => Ok(()),
            ErrorKind::ConnectionReset => Ok(()),
            _ => Err(err),
        })
    }

    pub(crate) fn with_notify_sender(mut self, sender: Sender<()>) -> Self {
        self.notify_when_responded = Some(sender);
        self
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> Result<(), fmt::Error> {
        write!(
            formatter,
            "Request({} {} from {:?})",
            self.method, self.path, self.remote_addr
        )
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if self.response_writer.is_some() {
            let response = Response::empty(500);
            let _ = self.respond_impl(response); // ignoring any potential error
            if let Some(sender) = self.notify_when_responded.take() {
                done(&sender, self.conn.as_deref());
            }
        }
    }
}

/// Responses up to this size are rendered in memory and sent at once when the socket takes
/// them; larger ones (files) go to the large-body sender (or a thread of their own).
/// Public (a patch) so that a caller knows which bodies `Response::with_file_source` can
/// serve, and gives a file only to those.
pub const SEND_AT_ONCE_MAX: usize = 256 * 1024;

thread_local! {
    /// Where a small response is rendered before it is sent, kept by each thread from one
    /// response to the next: a buffer of a few KiB made and freed for every page costs a
    /// trip to the allocator's shared lists (and its lock) each time. A patch.
    static RENDERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A thread keeps its rendering buffer up to this size (a larger one is freed after use).
const RENDERED_KEPT_MAX: usize = 32 * 1024;

/// Stack of a thread writing one response: it copies bytes, nothing deep.
const WRITER_STACK: usize = 128 * 1024;

/// Tells the connection that its request is answered. The connection's thread may be gone
/// (the server stopping): nothing is left to tell then.
fn done(sender: &Sender<()>, conn: Option<&ConnState>) {
    if let Some(conn) = conn {
        conn.set_in_flight(false);
    }
    sender.send(()).ok();
}

/// Whether the response says `Connection: close`.
fn says_close<R: Read>(response: &Response<R>) -> bool {
    response
        .headers()
        .iter()
        .any(|h| h.field.equiv("Connection") && h.value.as_str().eq_ignore_ascii_case("close"))
}

/// What is left to send of a response answered in the background.
enum Pending {
    /// The rest of a rendered response.
    Bytes(Vec<u8>),
    /// A response still to render and send, as `respond` would.
    Response(ResponseBox, HTTPVersion, Vec<Header>, Method),
}

/// A response answered in the background. Dropped, it tells the connection that the
/// request is done (and whether the connection must close); its writer goes with it.
struct BackgroundWrite {
    writer: Box<dyn Write + Send + 'static>,
    conn: Arc<ConnState>,
    sender: Sender<()>,
    closing: bool,
    what: Option<Pending>,
}

impl BackgroundWrite {
    fn write(&mut self) {
        let sent = match self.what.take() {
            None => Ok(()),
            // As `respond` does, a client that went away is not an error of ours.
            Some(Pending::Bytes(bytes)) => Request::ignore_client_closing_errors(
                self.writer
                    .write_all(&bytes)
                    .and_then(|()| self.writer.flush()),
            ),
            Some(Pending::Response(response, version, headers, method)) => Request::write_response(
                &mut self.writer,
                response,
                version,
                &headers,
                &method,
                Some(&self.conn),
            ),
        };
        if sent.is_err() {
            self.conn.close_after_response();
        }
    }

    /// Writes what is left on a thread of its own; if no thread can be started, here (the
    /// socket's write time-out bounds the wait).
    fn run_elsewhere(self) {
        let job = Arc::new(Mutex::new(Some(self)));
        let for_thread = Arc::clone(&job);
        let spawned = std::thread::Builder::new()
            .name("tiny-http-writer".into())
            .stack_size(WRITER_STACK)
            .spawn(move || {
                let taken = for_thread.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(mut job) = taken {
                    job.write();
                }
            });
        if spawned.is_err() {
            let taken = job.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(mut job) = taken {
                job.write();
            }
        }
    }
}

impl Drop for BackgroundWrite {
    fn drop(&mut self) {
        if self.closing {
            self.conn.close_after_response();
        }
        // The writer goes first (the next response's writer waits for it), then the word.
        self.writer = Box::new(io::sink());
        done(&self.sender, Some(&self.conn));
    }
}

/// Hands a large body to the server's large-body sender (see `sender`), which sends it
/// with the others on one thread. Gives the job and response back when it cannot go there
/// (no sender or socket, a `HEAD`, a chunked or unknown length).
#[cfg(unix)]
#[allow(clippy::result_large_err)]
fn large_body<R: Read + Send + 'static>(
    job: BackgroundWrite,
    response: Response<R>,
    version: &HTTPVersion,
    request_headers: &[Header],
    head_only: bool,
) -> Result<(), (BackgroundWrite, Response<R>)> {
    let Some(large) = job.conn.large_bodies() else {
        return Err((job, response));
    };
    if head_only {
        return Err((job, response));
    }
    let large = Arc::clone(large);
    let (head, body, len, file) = match response.into_head_and_body(version, request_headers) {
        Ok(parts) => parts,
        Err(response) => return Err((job, response)),
    };
    // `sendfile` is Linux's; elsewhere the body is read.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let file: Option<crate::response::FileSource> = {
        drop(file);
        None
    };
    let conn = Arc::clone(&job.conn);
    let sending = crate::sender::Job {
        conn,
        buf: head,
        sent: 0,
        body: Box::new(body),
        file,
        left: len,
        // Dropping the write job tells the connection its request is done.
        on_end: Box::new(move |sent| {
            if !sent {
                job.conn.close_after_response();
                job.conn.shut_down();
            }
            drop(job);
        }),
    };
    if let Err(back) = large.submit(sending) {
        // No thread could be started: the connection closes unanswered.
        back.end(false);
    }
    Ok(())
}

/// Dummy trait that regroups the `Read` and `Write` traits.
///
/// Automatically implemented on all types that implement both `Read` and `Write`.
pub trait ReadWrite: Read + Write {}
impl<T> ReadWrite for T where T: Read + Write {}

#[cfg(test)]
mod tests {
    use super::Request;

    #[test]
    fn must_be_send() {
        #![allow(dead_code)]
        fn f<T: Send>(_: &T) {}
        fn bar(rq: &Request) {
            f(rq);
        }
    }
}
