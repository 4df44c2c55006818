//! `Server::answer_inline`: requests answered on their connection's own thread, in order
//! with those handed to `recv`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

fn server() -> (Arc<tiny_http::Server>, u16) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    (server, port)
}

/// Reads until `count` whole responses (each with `Content-Length`) came; their bodies.
fn bodies(client: &mut TcpStream, count: usize) -> Vec<String> {
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut raw = Vec::new();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < count {
        let n = client.read(&mut buf).unwrap();
        assert!(n > 0, "the connection closed after {out:?}");
        raw.extend_from_slice(&buf[..n]);
        while let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if raw.len() < end + 4 + len {
                break;
            }
            out.push(String::from_utf8_lossy(&raw[end + 4..end + 4 + len]).into_owned());
            raw.drain(..end + 4 + len);
        }
    }
    out
}

#[test]
fn inline_answers_and_queued_ones_go_out_in_the_order_asked() {
    let (server, port) = server();
    let inline_count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&inline_count);
    assert!(server.answer_inline(Box::new(move |rq| {
        if rq.url().starts_with("/here") {
            counted.fetch_add(1, Ordering::SeqCst);
            let body = format!("inline {}", rq.url());
            rq.respond_in_background(tiny_http::Response::from_string(body));
            None
        } else {
            Some(rq)
        }
    })));
    // Only one handler.
    assert!(!server.answer_inline(Box::new(Some)));
    let worker = Arc::clone(&server);
    thread::spawn(move || {
        for rq in worker.incoming_requests() {
            // Slow: an inline answer asked after this must still come after it.
            thread::sleep(Duration::from_millis(100));
            let body = format!("queued {}", rq.url());
            rq.respond_in_background(tiny_http::Response::from_string(body));
        }
    });
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Pipelined: all four asked before any answer.
    client
        .write_all(
            b"GET /here/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /there/2 HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /here/3 HTTP/1.1\r\nHost: x\r\n\r\nGET /there/4 HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
    assert_eq!(
        bodies(&mut client, 4),
        [
            "inline /here/1",
            "queued /there/2",
            "inline /here/3",
            "queued /there/4"
        ]
    );
    assert_eq!(inline_count.load(Ordering::SeqCst), 2);
    // The connection is still usable.
    client
        .write_all(b"GET /here/5 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(bodies(&mut client, 1), ["inline /here/5"]);
}

#[test]
fn an_inline_handler_that_drops_the_request_answers_500_and_the_connection_goes_on() {
    let (server, port) = server();
    server.answer_inline(Box::new(|rq| {
        if rq.url() == "/drop" {
            drop(rq);
            None
        } else {
            Some(rq)
        }
    }));
    let worker = Arc::clone(&server);
    thread::spawn(move || {
        for rq in worker.incoming_requests() {
            rq.respond_in_background(tiny_http::Response::from_string("ok"));
        }
    });
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .write_all(b"GET /drop HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    while !String::from_utf8_lossy(&raw).contains("\r\n\r\nok") {
        let n = client.read(&mut buf).unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 500"), "{text}");
}
