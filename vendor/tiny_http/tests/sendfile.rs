//! Bodies sent straight from a file (`Response::with_file_source`, `sendfile(2)`), and the
//! time-outs of sockets that are now non-blocking for good.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tiny_http::{Limits, Response, Server};

fn server(limits: Limits) -> (Arc<Server>, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::from_listener_with_limits(listener, None, limits).unwrap();
    (Arc::new(server), addr)
}

/// A file of `len` bytes that differ from one place to the next, removed when dropped.
struct TempFile {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl TempFile {
    fn new(name: &str, len: usize) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("tiny-http-sendfile-{}-{name}", std::process::id()));
        let bytes: Vec<u8> = (0..len as u64)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        TempFile { path, bytes }
    }

    fn open(&self) -> std::fs::File {
        std::fs::File::open(&self.path).unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Answers `/file` with `len` bytes of `file` from `offset`, given as a file source; its
/// reader gives other bytes (`R`), so a client that gets the file's bytes got them from the
/// file. Anything else gets `small`.
fn serve_file(server: &Arc<Server>, file: &Arc<TempFile>, offset: u64, len: usize) {
    let (server, file) = (Arc::clone(server), Arc::clone(file));
    thread::spawn(move || {
        while let Ok(rq) = server.recv() {
            if rq.url() == "/file" {
                let reader = std::io::repeat(b'R').take(len as u64);
                let response = Response::new(200.into(), Vec::new(), reader, Some(len), None)
                    .with_chunked_threshold(usize::MAX)
                    .with_file_source(file.open(), offset);
                rq.respond_in_background(response);
            } else {
                rq.respond_in_background(Response::from_string("small"));
            }
        }
    });
}

/// A client with a small receive window that asks for `/file` then `/small`, pipelined.
fn client(addr: std::net::SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let client: TcpStream = socket.into();
    (&client)
        .write_all(b"GET /file HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    client
}

/// Reads until the server closes, `pause` between reads of at most `piece` bytes.
fn read_slowly(mut client: TcpStream, piece: usize, pause: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0; piece];
    loop {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
        thread::sleep(pause);
    }
}

/// The head and the body that follows it, split at the first blank line.
fn split_head(answer: &[u8]) -> (String, &[u8]) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    (
        String::from_utf8_lossy(&answer[..end]).into_owned(),
        &answer[end..],
    )
}

#[test]
fn a_file_part_reaches_slow_and_fast_clients_at_once_byte_for_byte_and_in_order() {
    let (server, addr) = server(Limits::default());
    let file = Arc::new(TempFile::new("whole", 3_000_000));
    let (offset, len) = (123_457, 2_000_000);
    serve_file(&server, &file, offset as u64, len);
    let expected = &file.bytes[offset..offset + len];

    let slow = client(addr);
    let fast: Vec<TcpStream> = (0..4).map(|_| client(addr)).collect();
    let slow = thread::spawn(move || read_slowly(slow, 16 * 1024, Duration::from_millis(2)));
    let fast: Vec<_> = fast
        .into_iter()
        .map(|c| thread::spawn(move || read_slowly(c, 256 * 1024, Duration::ZERO)))
        .collect();
    for (i, reader) in std::iter::once(slow).chain(fast).enumerate() {
        let answer = reader.join().unwrap();
        let (head, rest) = split_head(&answer);
        assert!(head.starts_with("HTTP/1.1 200"), "client {}: {}", i, head);
        assert!(
            head.contains("Content-Length: 2000000"),
            "client {}: {}",
            i,
            head
        );
        assert!(
            rest.len() >= len,
            "client {i}: the body was cut at {}",
            rest.len()
        );
        // (The reader would have given `R`s.)
        assert!(rest[..len] == *expected, "client {}: bytes differ", i);
        let (next, small) = split_head(&rest[len..]);
        assert!(next.starts_with("HTTP/1.1 200"), "client {}: {}", i, next);
        assert_eq!(small, b"small", "client {}: the next answer", i);
    }
}

#[test]
fn a_client_that_stops_reading_a_file_part_is_dropped_and_the_others_finish() {
    let (server, addr) = server(Limits {
        write_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    let file = Arc::new(TempFile::new("stalled", 8_000_000));
    let len = 8_000_000;
    serve_file(&server, &file, 0, len);

    let stalled = client(addr);
    let others: Vec<_> = (0..3)
        .map(|_| {
            let c = client(addr);
            thread::spawn(move || read_slowly(c, 64 * 1024, Duration::ZERO))
        })
        .collect();
    for reader in others {
        let answer = reader.join().unwrap();
        let (_, rest) = split_head(&answer);
        assert!(
            rest.len() >= len && rest[..len] == file.bytes[..],
            "bytes differ"
        );
        assert!(rest.ends_with(b"small"), "the next answer");
    }
    // The stalled client, after more than the write time-out, finds its connection closed.
    thread::sleep(Duration::from_millis(1500));
    let start = Instant::now();
    let answer = read_slowly(stalled, 1024 * 1024, Duration::ZERO);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the stalled client's connection was not closed"
    );
    assert!(answer.len() < len, "a stalled client got everything?");
}

#[test]
fn a_file_shorter_than_announced_closes_the_connection() {
    let (server, addr) = server(Limits::default());
    let file = Arc::new(TempFile::new("short", 1_000_000));
    // 600 000 bytes announced from offset 500 000: 100 000 are missing.
    serve_file(&server, &file, 500_000, 600_000);
    let start = Instant::now();
    let answer = read_slowly(client(addr), 64 * 1024, Duration::ZERO);
    assert!(start.elapsed() < Duration::from_secs(5), "not closed");
    let (head, rest) = split_head(&answer);
    assert!(head.contains("Content-Length: 600000"), "{}", head);
    assert_eq!(rest.len(), 500_000, "what the file had, then the end");
    assert!(rest == &file.bytes[500_000..], "bytes differ");
}

#[test]
fn a_head_request_gets_no_body_from_a_file_source() {
    let (server, addr) = server(Limits::default());
    let file = Arc::new(TempFile::new("head", 1_000_000));
    serve_file(&server, &file, 0, 1_000_000);
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .write_all(b"HEAD /file HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_slowly(client, 64 * 1024, Duration::ZERO);
    let (head, rest) = split_head(&answer);
    assert!(head.contains("Content-Length: 1000000"), "{}", head);
    assert!(rest.is_empty(), "{} body bytes", rest.len());
}

/// Sockets are non-blocking for good (so that `sendfile` never waits): reads and writes
/// still wait for their time-outs, neither less nor (much) more.
#[test]
fn non_blocking_sockets_still_wait_out_their_read_time_outs() {
    let (server, addr) = server(Limits {
        idle_timeout: Duration::from_millis(1500),
        ..Limits::default()
    });
    {
        let server = Arc::clone(&server);
        thread::spawn(move || {
            while let Ok(rq) = server.recv() {
                let _ = rq.respond(Response::from_string("ok"));
            }
        });
    }
    // A second request sent within the idle time-out is answered on the same connection.
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    for _ in 0..2 {
        thread::sleep(Duration::from_millis(300));
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let mut buf = [0; 1024];
        let n = client.read(&mut buf).unwrap();
        assert!(buf[..n].ends_with(b"ok"), "{:?}", &buf[..n]);
    }
    // Then, idle, it is closed after the idle time-out, not before.
    let start = Instant::now();
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    let waited = start.elapsed();
    assert!(rest.is_empty());
    assert!(
        waited >= Duration::from_millis(1400) && waited < Duration::from_secs(4),
        "closed after {:?}",
        waited
    );
}

#[test]
fn non_blocking_sockets_still_wait_out_their_write_time_outs() {
    let (server, addr) = server(Limits {
        write_timeout: Duration::from_millis(700),
        ..Limits::default()
    });
    // A client that reads in bursts, pausing less than the write time-out between them,
    // gets a body written by the handler's thread (`respond`: the waiting write path)
    // whole, although the whole write takes longer than the time-out. (Its small receive
    // window, fixed before connecting, and the server's send buffer, at most 4 MiB, hold
    // less than the body.)
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut slow: TcpStream = socket.into();
    (&slow)
        .write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let body = vec![b'w'; 8 * 1024 * 1024];
    let rq = server.recv().unwrap();
    let start = Instant::now();
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        loop {
            thread::sleep(Duration::from_millis(400));
            let burst_end = out.len() + 1024 * 1024;
            while out.len() < burst_end {
                match slow.read(&mut buf) {
                    Ok(0) | Err(_) => return out,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                }
            }
        }
    });
    rq.respond(Response::from_data(body.clone()).with_chunked_threshold(usize::MAX))
        .expect("the slow reader took it all");
    assert!(
        start.elapsed() > Duration::from_millis(1000),
        "the body went out at once: the test shows nothing ({:?})",
        start.elapsed()
    );
    let answer = reader.join().unwrap();
    let (_, rest) = split_head(&answer);
    assert!(rest == &body[..], "{} of {} bytes", rest.len(), body.len());

    // A client that reads nothing: the write fails after the write time-out, not before.
    let stalled = TcpStream::connect(addr).unwrap();
    (&stalled).write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let rq = server.recv().unwrap();
    let start = Instant::now();
    let sent = rq.respond(Response::from_data(vec![b'x'; 64 * 1024 * 1024]));
    let waited = start.elapsed();
    assert!(sent.is_err(), "64 MiB cannot fit the socket buffers");
    assert!(
        waited >= Duration::from_millis(650) && waited < Duration::from_secs(5),
        "failed after {:?}",
        waited
    );
    drop(stalled);
}

#[test]
fn a_file_part_reaches_a_unix_socket_client_whole() {
    use std::os::unix::net::UnixStream;
    let path = std::env::temp_dir().join(format!("tiny-http-sendfile-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = Arc::new(Server::http_unix(&path).unwrap());
    let file = Arc::new(TempFile::new("unix", 1_500_000));
    serve_file(&server, &file, 1000, 1_400_000);
    let mut client = UnixStream::connect(&path).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client
        .write_all(b"GET /file HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = client.read_to_end(&mut answer);
    let _ = std::fs::remove_file(&path);
    let (head, rest) = split_head(&answer);
    assert!(head.starts_with("HTTP/1.1 200"), "{}", head);
    assert!(rest == &file.bytes[1000..1_401_000], "{} bytes", rest.len());
}

/// What a body's reader holds (the kit: a place among the pack files being sent) must last
/// as long as the sending, although the reader is not read.
#[test]
fn the_reader_of_a_file_body_is_kept_until_the_body_is_sent() {
    use std::sync::atomic::{AtomicBool, Ordering};
    struct Flagged(Arc<AtomicBool>);
    impl Read for Flagged {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Ok(0)
        }
    }
    impl Drop for Flagged {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let (server, addr) = server(Limits::default());
    let file = TempFile::new("kept", 12_000_000);
    let dropped = Arc::new(AtomicBool::new(false));
    let client = client(addr);
    let rq = server.recv().unwrap();
    let response = Response::new(
        200.into(),
        Vec::new(),
        Flagged(Arc::clone(&dropped)),
        Some(file.bytes.len()),
        None,
    )
    .with_chunked_threshold(usize::MAX)
    .with_file_source(file.open(), 0);
    rq.respond_in_background(response);
    // The client reads nothing yet: the socket buffers cannot hold 12 MB.
    thread::sleep(Duration::from_millis(300));
    assert!(!dropped.load(Ordering::Acquire), "dropped while sending");
    let reader = thread::spawn(move || read_slowly(client, 1024 * 1024, Duration::ZERO));
    let start = Instant::now();
    while !dropped.load(Ordering::Acquire) {
        assert!(start.elapsed() < Duration::from_secs(10), "never dropped");
        thread::sleep(Duration::from_millis(10));
    }
    if let Some(rq) = server.recv_timeout(Duration::from_secs(5)).unwrap() {
        rq.respond_in_background(Response::from_string("small"));
    }
    let answer = reader.join().unwrap();
    let (_, rest) = split_head(&answer);
    assert!(rest.starts_with(&file.bytes), "bytes differ");
}
