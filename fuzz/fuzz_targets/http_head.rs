//! Fuzzes our patched tiny_http's reading of requests, over a real loopback connection: any
//! bytes a phone may send (heads, bodies, pipelined requests, broken framing). The server
//! must never panic (a panic anywhere aborts), must answer or close once the client has
//! finished sending, and everything it sends must be HTTP responses.
#![no_main]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        // A panic on any thread (a connection's, the accept loop's) is a finding.
        std::panic::set_hook(Box::new(|info| {
            eprintln!("{info}");
            std::process::abort();
        }));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = tiny_http::Limits {
            max_request_line: 512,
            max_head: 2048,
            max_headers: 16,
            idle_timeout: Duration::from_millis(300),
            head_timeout: Duration::from_millis(300),
            body_read_timeout: Duration::from_millis(300),
            write_timeout: Duration::from_millis(300),
            max_discarded_body: 1024,
            discard_timeout: Duration::from_millis(300),
            // Small bodies read before the request is handed out, as the kit does.
            prefetch_body: 1024,
            max_connections: 64,
            max_large_bodies: 8,
            large_bodies_nice: None,
        };
        let server = tiny_http::Server::from_listener_with_limits(listener, None, limits).unwrap();
        // Some requests are answered on their connection's own thread, as the kit answers
        // kept pages (`Server::answer_inline`), the others by the thread below.
        server.answer_inline(Box::new(|request| {
            if request.url().contains('i') {
                request.respond_in_background(tiny_http::Response::from_string("inline"));
                None
            } else {
                Some(request)
            }
        }));
        std::thread::spawn(move || loop {
            if let Ok(mut request) = server.recv() {
                // Read some of the body now and then, as a handler might.
                if request.url().contains('b') {
                    let mut buf = [0u8; 100];
                    let _ = request.as_reader().read(&mut buf);
                }
                request.respond_in_background(tiny_http::Response::from_string("ok"));
            }
        });
        addr
    })
}

fuzz_target!(|data: &[u8]| {
    let addr = server();
    let Ok(mut client) = TcpStream::connect(addr) else {
        return;
    };
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = client.write_all(data);
    let _ = client.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    match client.read_to_end(&mut answer) {
        Ok(_) => {}
        // The server may close with unread bytes (a reset): fine.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("no answer and no close within 5 s: {e}"),
    }
    if !answer.is_empty() {
        assert!(
            answer.starts_with(b"HTTP/1."),
            "not a response: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(80)])
        );
    }
});
