//! The HTTP server loop: tiny_http (our patched copy) accepts, parses and bounds what each
//! client may cost; a fixed pool of workers (each with its own SQLite connection) answers.
//! Limits are checked before routing, a handler panic becomes a 500 page, and the liveness
//! watch feeds systemd's watchdog only while the portal answers itself.

use std::net::{SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use tiny_http::Method;

use super::http::{HttpError, Reply};
use super::router::{route, RequestInfo, RequestMethod};
use super::templates::error_page;
use super::url::parse_target;
use super::{Shared, Worker};
use crate::store::Store;

/// Longest request target we accept (bytes).
pub const MAX_URL: usize = 2048;
/// Largest request head we accept: all header names and values together (bytes).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Most header lines we accept.
pub const MAX_HEADERS: usize = 64;
/// Largest request body we accept (bytes); learner pages take none.
pub const MAX_BODY: usize = 64 * 1024;

/// Most files sent at once (each a 64 KiB buffer; more wait their turn).
const MAX_LARGE_BODIES: usize = 64;

/// The priority of tiny_http's one thread that sends files (videos, downloads) to every
/// phone taking one: above the connection threads (nice 0), each of which answers one
/// phone's pages, so that phones flooding the kit with page requests cannot take the
/// videos' share of the CPU (see `tiny_http::Limits::large_bodies_nice`). The service file
/// allows it (`LimitNICE`).
const LARGE_BODIES_NICE: i32 = -10;

pub struct ServeOptions {
    pub workers: usize,
    /// A connection that neither sends nor receives anything for this long is closed.
    pub idle_timeout: Duration,
    /// Most client connections open at once (each costs a thread and a descriptor).
    pub max_connections: usize,
    /// Tells systemd when the kit is ready, alive (watchdog) and stopping.
    pub notify: crate::notify::Notifier,
}

impl ServeOptions {
    /// What one client may cost the HTTP layer. The head bounds sit above our own
    /// (`MAX_URL`, `MAX_HEADER_BYTES`, `MAX_HEADERS`), so that a head a little too big gets
    /// our French page, and only an absurd one is cut off by tiny_http itself.
    fn limits(&self) -> tiny_http::Limits {
        tiny_http::Limits {
            max_request_line: 4 * MAX_URL,
            max_head: 4 * MAX_HEADER_BYTES,
            max_headers: 4 * MAX_HEADERS,
            idle_timeout: self.idle_timeout,
            head_timeout: self.idle_timeout,
            body_read_timeout: self.idle_timeout,
            write_timeout: self.idle_timeout,
            max_discarded_body: MAX_BODY,
            discard_timeout: Duration::from_secs(2),
            // A form's body is whole in memory before a worker sees it: a phone that
            // announces one and sends it slowly holds its connection's thread only.
            prefetch_body: MAX_BODY,
            max_connections: self.max_connections,
            // Files (videos, pack downloads) are sent by one thread of tiny_http's, a piece
            // to each phone in turn; each costs a 64 KiB buffer. See docs/architecture.md.
            max_large_bodies: MAX_LARGE_BODIES,
            large_bodies_nice: Some(LARGE_BODIES_NICE),
        }
    }
}

/// Opens the listening socket (before the rest of the kit is set up, so that the real
/// address is known: with port 0 the system picks it).
pub fn bind(listen: SocketAddr) -> Result<TcpListener> {
    raise_open_files_limit();
    limit_malloc_arenas();
    let listener = TcpListener::bind(listen).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                " : un autre programme utilise déjà ce port ; choisissez-en un autre, \
                 par exemple `--listen 0.0.0.0:8081`"
            }
            std::io::ErrorKind::PermissionDenied => {
                " : les ports sous 1024 demandent les droits d'administrateur ; \
                 utilisez par exemple `--listen 0.0.0.0:8080`"
            }
            _ => "",
        };
        anyhow::Error::new(e).context(format!("impossible d'écouter sur `{listen}`{hint}"))
    })?;
    socket2::SockRef::from(&listener)
        .set_tcp_nodelay(true)
        .context("impossible de régler la socket d'écoute")?;
    Ok(listener)
}

/// Logs `listening on http://ADDR` and serves on `listener` until `shutdown` is set.
pub fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    opts: &ServeOptions,
    shutdown: Arc<AtomicBool>,
) -> Result<()> {
    let addr = listener.local_addr().context("adresse d'écoute inconnue")?;
    let server = Arc::new(
        tiny_http::Server::from_listener_with_limits(listener, None, opts.limits())
            .map_err(|e| anyhow!("impossible de démarrer le serveur HTTP : {e}"))?,
    );
    let _ = shared.admin.server.set(Arc::downgrade(&server));
    let for_connections = Arc::clone(&shared);
    server.answer_inline(Box::new(move |request| {
        // A panic drops the request, which answers 500 as it goes; the connection's thread
        // goes on.
        catch_unwind(AssertUnwindSafe(|| answer_kept(&for_connections, request))).unwrap_or(None)
    }));
    let mut workers = Vec::with_capacity(opts.workers);
    for i in 0..opts.workers.max(1) {
        let mut worker = Worker {
            store: Store::open_reader(&shared.db_path)?,
            shared: Arc::clone(&shared),
            accounts: None,
            reports: None,
            handoff: None,
            device: None,
        };
        let server = Arc::clone(&server);
        let shutdown = Arc::clone(&shutdown);
        let handle = thread::Builder::new()
            .name(format!("worker-{i}"))
            .spawn(move || worker_loop(&mut worker, &server, &shutdown))
            .context("impossible de lancer un fil de travail")?;
        workers.push(handle);
    }
    log::info!("listening on http://{addr}");
    opts.notify.ready();
    super::liveness::watch(addr, &opts.notify, &shutdown);
    opts.notify.stopping();
    log::info!("stopping: finishing requests in progress");
    for handle in workers {
        let _ = handle.join();
    }
    log::info!("stopped");
    Ok(())
}

/// A worker that answered nothing for this long returns the memory it no longer uses.
const IDLE_TRIM_AFTER: Duration = Duration::from_secs(5);

/// Hands freed heap memory back to the system (glibc keeps it otherwise).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Most malloc arenas. glibc gives busy threads arenas of their own (up to 8 per core),
/// each keeping freed memory in pieces; with too few, the connection threads (which now
/// answer kept pages themselves) queue on the arenas' locks: with 2, `perf` showed 5 % of
/// the CPU in `__lll_lock_wait/wake_private`, and a compressed page cost 31 µs of CPU
/// against 24 µs with 8, for the same peak RSS (20 MB) and +0.5 MB once idle again
/// (docs/benchmarks.md).
const MALLOC_ARENAS: i32 = 8;

/// Bounds the malloc arenas (`MALLOC_ARENAS`), before the threads start.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a setting of the allocator, before the threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

/// Lets the kit hold as many connections as the system allows (each is one descriptor).
fn raise_open_files_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn worker_loop(worker: &mut Worker, server: &tiny_http::Server, shutdown: &AtomicBool) {
    let mut last_request = Instant::now();
    let mut trimmed = true;
    while !shutdown.load(Ordering::Relaxed) {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => {
                handle(worker, request);
                last_request = Instant::now();
                trimmed = false;
            }
            Ok(None) if !trimmed && last_request.elapsed() >= IDLE_TRIM_AFTER => {
                // The workshop paused: give back what the rush used.
                worker.store.shrink_memory();
                release_free_memory();
                trimmed = true;
            }
            Ok(None) => {}
            // tiny_http reports no error through its queue any more (accept errors are
            // handled in its accept loop); should one come, it concerns one connection.
            Err(e) => log::warn!("receiving a request failed: {e}"),
        }
    }
}

/// Answers a learner page kept by the page cache on the connection's own thread, without a
/// worker (see `pages`): a `GET` without a body, for the kit's own host, while no workshop
/// runs (a workshop follows each phone's pages), within our limits. Anything else, or a page
/// not kept, goes to the workers as usual (`Some`).
fn answer_kept(shared: &Shared, request: tiny_http::Request) -> Option<tiny_http::Request> {
    if *request.method() != Method::Get
        || request.body_length().is_some_and(|n| n > 0)
        || header(&request, "Transfer-Encoding").is_some()
        || check_limits(&request).is_err()
        || shared.workshops.is_running()
    {
        return Some(request);
    }
    let captive = &shared.captive;
    let host = header(&request, "Host").and_then(super::captive::host_name);
    let peer = request.remote_addr().map(|a| a.ip());
    if captive.enabled && !super::captive::own_request(captive, host.as_deref(), peer) {
        return Some(request);
    }
    let Ok(target) = parse_target(request.url()) else {
        return Some(request);
    };
    let segments: Vec<&str> = target.segments.iter().map(String::as_str).collect();
    let prefs = super::prefs::Prefs::of(
        header(&request, "Cookie"),
        header(&request, "Accept-Language"),
    );
    let key = super::router::page_key(&target, &segments, prefs);
    let kept = shared.pages.kept(
        super::router::generation(shared),
        &key,
        header(&request, "If-None-Match"),
        super::gzip::accepts_gzip(header(&request, "Accept-Encoding")),
    );
    let Some(reply) = kept else {
        return Some(request);
    };
    log::debug!(
        "{} {} {} (kept)",
        request.method(),
        request.url(),
        reply.status
    );
    request.respond_in_background(reply.into_response());
    None
}

fn header<'a>(request: &'a tiny_http::Request, name: &'static str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// Refuses what no page of ours needs: long targets, big heads, bodies, other methods.
/// An upload's body is bounded by its own handler.
fn check_limits(request: &tiny_http::Request) -> Result<(), HttpError> {
    if request.url().len() > MAX_URL {
        return Err(HttpError::UriTooLong);
    }
    let headers = request.headers();
    let head_bytes: usize = headers
        .iter()
        .map(|h| h.field.as_str().as_str().len() + h.value.as_str().len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || head_bytes > MAX_HEADER_BYTES {
        return Err(HttpError::HeadersTooLarge);
    }
    let declared = request.body_length().unwrap_or(0);
    if declared > MAX_BODY && !is_upload(request) {
        return Err(HttpError::PayloadTooLarge);
    }
    Ok(())
}

fn is_upload(request: &tiny_http::Request) -> bool {
    *request.method() == Method::Post && request.url() == super::admin::UPLOAD_PATH
}

/// The body of a form post: whole in memory already (tiny_http reads bodies up to
/// `MAX_BODY` before handing the request out), so reading it never waits on the client.
fn form_body(request: &mut tiny_http::Request) -> Vec<u8> {
    use std::io::Read;
    let is_form = header(request, "Content-Type").is_some_and(|ct| {
        ct.split(';').next().is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    let small = request.body_length().is_some_and(|n| n <= MAX_BODY);
    let mut body = Vec::new();
    if *request.method() == Method::Post && is_form && small {
        let _ = request
            .as_reader()
            .take(MAX_BODY as u64)
            .read_to_end(&mut body);
    }
    body
}

fn respond_to(worker: &mut Worker, request: &mut tiny_http::Request) -> Result<Reply, HttpError> {
    check_limits(request)?;
    let body = form_body(request);
    let request = &*request;
    let method = match request.method() {
        Method::Get => RequestMethod::Get,
        Method::Head => RequestMethod::Head,
        Method::Post => RequestMethod::Post,
        _ => RequestMethod::Other,
    };
    let target = parse_target(request.url())?;
    let info = RequestInfo {
        method,
        target: &target,
        path: request.url().split(['?', '#']).next().unwrap_or("/"),
        host: header(request, "Host").and_then(super::captive::host_name),
        peer: request.remote_addr().map(|a| a.ip()),
        if_none_match: header(request, "If-None-Match"),
        range: header(request, "Range"),
        if_range: header(request, "If-Range"),
        if_modified_since: header(request, "If-Modified-Since"),
        accept_encoding: header(request, "Accept-Encoding"),
        raw_host: header(request, "Host"),
        cookie: header(request, "Cookie"),
        origin: header(request, "Origin"),
        referer: header(request, "Referer"),
        content_type: header(request, "Content-Type"),
        body_length: request.body_length(),
        body: &body,
    };
    route(worker, &info)
}

fn handle(worker: &mut Worker, mut request: tiny_http::Request) {
    let started = Instant::now();
    // The phone's language and reading size, for every page of this answer (errors too).
    let _prefs = super::prefs::apply(super::prefs::Prefs::of(
        header(&request, "Cookie"),
        header(&request, "Accept-Language"),
    ));
    let outcome = catch_unwind(AssertUnwindSafe(|| respond_to(worker, &mut request)));
    // A handler took the request over (an upload): it answers from its own thread.
    if let Some(handoff) = worker.handoff.take() {
        if matches!(outcome, Ok(Ok(_))) {
            super::admin::upload_start(handoff, request);
            return;
        }
    }
    let reply = match outcome {
        Ok(Ok(reply)) => reply,
        Ok(Err(err)) => {
            if let HttpError::Internal(detail) = &err {
                log::error!("{} {}: {detail}", request.method(), request.url());
            }
            error_page(&worker.shared, &err)
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log::error!(
                "{} {}: handler panicked: {detail}",
                request.method(),
                request.url()
            );
            error_page(&worker.shared, &HttpError::Internal(detail))
        }
    };
    // A body too big to discard ends the connection: say so. (An upload answered here was
    // refused before its body was read.)
    let reply = if request.body_length().is_some_and(|n| n > MAX_BODY) || is_upload(&request) {
        reply.header("Connection", "close")
    } else {
        reply
    };
    let status = reply.status;
    let method = request.method().clone();
    let url = if log::log_enabled!(log::Level::Debug) {
        request.url().to_owned()
    } else {
        String::new()
    };
    // Written by the connection's own thread: a phone that reads slowly (or never) holds
    // that thread only, never this worker. A body left unread is discarded there too,
    // within bounds, or the connection is closed.
    request.respond_in_background(reply.into_response());
    log::debug!("{method} {url} {status} {:?}", started.elapsed());
}
