//! `Limits::large_bodies_nice`: the one thread that sends large bodies runs at the priority
//! asked. In a file of its own: it reads the threads of its own process.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use tiny_http::{Limits, Response, Server};

/// The nice value in a `stat` file's text (field 19, after the parenthesised name).
fn nice_in(stat: &str) -> Option<i64> {
    let after_name = &stat[stat.rfind(')')? + 2..];
    // Fields from 3 on: state is 3, nice is 19.
    after_name.split(' ').nth(19 - 3)?.parse().ok()
}

/// The nice value of each thread of this process whose name starts with `prefix` (Linux:
/// field 19 of `/proc/self/task/*/stat`, after the parenthesised name).
fn nice_of_threads(prefix: &str) -> Vec<i64> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| {
            let dir = t.ok()?.path();
            let name = std::fs::read_to_string(dir.join("comm")).ok()?;
            if !name.trim_end().starts_with(prefix) {
                return None;
            }
            nice_in(&std::fs::read_to_string(dir.join("stat")).ok()?)
        })
        .collect()
}

#[test]
fn the_sender_thread_runs_at_the_nice_value_asked() {
    // A higher nice value (a lower priority) than the process's needs no privilege, so the
    // test runs anywhere.
    let base = nice_in(&std::fs::read_to_string("/proc/self/stat").unwrap()).unwrap();
    let asked = (base + 3).min(19);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = Limits {
        large_bodies_nice: Some(asked as i32),
        ..Limits::default()
    };
    let server = Server::from_listener_with_limits(listener, None, limits).unwrap();
    let body: Vec<u8> = (0..4_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = body.clone();
    thread::spawn(move || {
        for rq in server.incoming_requests() {
            let response = Response::from_data(body.clone()).with_chunked_threshold(usize::MAX);
            rq.respond_in_background(response);
        }
    });
    // A client with a small window, slow to read: the sender is busy with it for a while.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut client: TcpStream = socket.into();
    client
        .write_all(b"GET /big HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let mut seen = Vec::new();
    while seen.is_empty() && started.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(20));
        seen = nice_of_threads("tiny-http-sende");
    }
    assert_eq!(seen, [asked], "the sender thread's nice value");
    // The other threads keep the process's priority.
    assert!(nice_of_threads("tiny-http-conn")
        .iter()
        .all(|&nice| nice == base));
    let mut got = Vec::new();
    client.read_to_end(&mut got).unwrap();
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(got[..head_end].starts_with(b"HTTP/1.1 200"));
    assert_eq!(got[head_end..], expected[..]);
}
