//! Large response bodies (files): one sender thread for all of them. In a file of its own,
//! so that it counts the threads of its own process only.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use tiny_http::{Limits, Response, Server};

fn server(limits: Limits) -> (Arc<Server>, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::from_listener_with_limits(listener, None, limits).unwrap();
    (Arc::new(server), addr)
}

/// Threads of this process whose name starts with `prefix` (Linux: `/proc/self/task`; a
/// name is cut to 15 bytes there).
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .filter(|name| name.trim_end().starts_with(prefix))
                .count()
        })
        .unwrap_or(0)
}

/// A client with a small receive window that asks for `/big` then `/small`, pipelined.
fn slow_client(addr: std::net::SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let client: TcpStream = socket.into();
    (&client)
        .write_all(b"GET /big HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    client
}

/// Each large response once had a writer thread of its own, blocked on its client for as
/// long as it read, with no bound on their number: twenty phones playing a video held
/// twenty threads. Large bodies now go through one sender thread, a piece to each client in
/// turn, at most `max_large_bodies` at once (the others wait their turn), byte for byte and
/// in order with the answers that follow; a client that stops reading is dropped after the
/// write time-out without holding up the others.
#[test]
fn large_bodies_share_one_sender_thread_and_arrive_whole_and_in_order() {
    let (server, addr) = server(Limits {
        max_large_bodies: 2,
        write_timeout: Duration::from_millis(800),
        ..Limits::default()
    });
    let body: Arc<Vec<u8>> = Arc::new((0..6_000_000u32).map(|i| (i % 251) as u8).collect());
    {
        let (server, body) = (Arc::clone(&server), Arc::clone(&body));
        thread::spawn(move || {
            while let Ok(rq) = server.recv() {
                if rq.url() == "/big" {
                    let data = std::io::Cursor::new(body.as_ref().clone());
                    let response =
                        Response::new(200.into(), Vec::new(), data, Some(body.len()), None)
                            .with_chunked_threshold(usize::MAX);
                    rq.respond_in_background(response);
                } else {
                    rq.respond_in_background(Response::from_string("small"));
                }
            }
        });
    }
    let stalled = slow_client(addr);
    let clients: Vec<TcpStream> = (0..6).map(|_| slow_client(addr)).collect();
    thread::sleep(Duration::from_millis(300));
    assert_eq!(
        threads_named("tiny-http-writ"),
        0,
        "a writer thread per body"
    );
    assert_eq!(threads_named("tiny-http-send"), 1);
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            thread::spawn(move || {
                c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let mut out = Vec::new();
                let _ = c.read_to_end(&mut out);
                out
            })
        })
        .collect();
    for reader in readers {
        let answer = reader.join().unwrap();
        let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&answer[..head_end]);
        assert!(head.starts_with("HTTP/1.1 200"), "{}", head);
        assert!(head.contains("Content-Length: 6000000"), "{}", head);
        assert!(answer.len() > head_end + body.len(), "the body was cut");
        assert!(
            answer[head_end..head_end + body.len()] == body[..],
            "bytes differ"
        );
        assert!(answer.ends_with(b"small"), "answers out of order");
    }
    // The client that never read was dropped after the write time-out.
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    thread::sleep(Duration::from_millis(1500));
    let mut out = Vec::new();
    let start = std::time::Instant::now();
    let ended = (&stalled).read_to_end(&mut out);
    assert!(
        ended.is_ok() && start.elapsed() < Duration::from_secs(5),
        "the stalled client's connection was not closed: {:?}",
        ended
    );
    assert!(out.len() < body.len(), "a stalled client got everything?");
}
