//! What one misbehaving client may cost the server: each test is a client that once held a
//! thread, grew the process or stranded other clients, and checks that it no longer does.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
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

/// Answers every request with `body`, on `threads` threads, without reading request bodies.
fn answer_all(server: &Arc<Server>, threads: usize, body: &'static str) {
    for _ in 0..threads {
        let server = Arc::clone(server);
        thread::spawn(move || {
            while let Ok(rq) = server.recv() {
                let _ = rq.respond(Response::from_string(body));
            }
        });
    }
}

fn read_all(mut client: TcpStream) -> String {
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut out = Vec::new();
    let _ = client.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(addr: std::net::SocketAddr) -> String {
    let mut client = TcpStream::connect(addr).unwrap();
    write!(
        client,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    read_all(client)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(10), "{}", what);
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_endless_request_line_gets_414_and_a_bounded_read() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 1, "ok");
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    write!(client, "GET /").unwrap();
    // Far more than the limit; the server stops reading (and closes) long before the end.
    let mut sent = 0;
    while sent < 64 * 1024 * 1024 {
        match client.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    assert!(
        sent < 64 * 1024 * 1024,
        "the server kept reading an endless line"
    );
    let answer = read_all(client);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 414"),
        "{}",
        answer
    );
    // Others are still served.
    assert!(get(addr).ends_with("ok"));
}

#[test]
fn too_many_header_bytes_or_lines_get_431() {
    let (server, addr) = server(Limits {
        max_head: 4096,
        max_headers: 10,
        ..Limits::default()
    });
    answer_all(&server, 1, "ok");
    for head in [
        format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "v".repeat(5000)),
        format!("GET / HTTP/1.1\r\n{}\r\n", "X: v\r\n".repeat(11)),
    ] {
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(head.as_bytes()).unwrap();
        let answer = read_all(client);
        assert!(answer.starts_with("HTTP/1.1 431"), "{}", answer);
    }
    let mut client = TcpStream::connect(addr).unwrap();
    write!(
        client,
        "GET / HTTP/1.1\r\n{}Connection: close\r\n\r\n",
        "X: v\r\n".repeat(9)
    )
    .unwrap();
    assert!(read_all(client).ends_with("ok"));
}

#[test]
fn a_head_trickled_past_its_time_out_gets_408_and_is_closed() {
    let (server, addr) = server(Limits {
        head_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    answer_all(&server, 1, "ok");
    let mut client = TcpStream::connect(addr).unwrap();
    let start = Instant::now();
    // One byte every 100 ms: each read is quick, the head as a whole is not.
    for byte in b"GET / HTTP/1.1\r\nX-Slow: abcdefghijklmnop".iter() {
        if client.write_all(&[*byte]).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(100));
        if start.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let answer = read_all(client);
    assert!(answer.starts_with("HTTP/1.1 408"), "{}", answer);
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_time_out() {
    let (server, addr) = server(Limits {
        idle_timeout: Duration::from_millis(300),
        ..Limits::default()
    });
    answer_all(&server, 1, "ok");
    let client = TcpStream::connect(addr).unwrap();
    let start = Instant::now();
    assert_eq!(read_all(client), "", "closed without a word");
    assert!(start.elapsed() < Duration::from_secs(2));
    wait_until("the closed connection is no longer counted", || {
        server.num_connections() == 0
    });
}

/// Upstream read the rest of an unread body when the request was dropped, on the handler's
/// thread: a request announcing a body it never sends held that thread.
#[test]
fn answering_without_reading_an_announced_body_never_waits_for_it() {
    let (server, addr) = server(Limits::default());
    let mut clients = Vec::new();
    for _ in 0..4 {
        let mut client = TcpStream::connect(addr).unwrap();
        write!(client, "GET / HTTP/1.1\r\nContent-Length: 50000\r\n\r\n").unwrap();
        clients.push(client);
    }
    let start = Instant::now();
    for _ in 0..4 {
        let rq = server.recv().unwrap();
        rq.respond(Response::from_string("no body wanted")).unwrap();
    }
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

/// Upstream allocated the announced size to discard it: `Content-Length` near `usize::MAX`
/// aborted the process, and a huge one kept a thread reading for ever.
#[test]
fn a_huge_announced_body_closes_its_connection_and_frees_everything() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 2, "ok");
    for length in ["100000000000", "18446744073709551615"] {
        let mut client = TcpStream::connect(addr).unwrap();
        write!(
            client,
            "POST / HTTP/1.1\r\nContent-Length: {length}\r\n\r\nabc"
        )
        .unwrap();
        let answer = read_all(client);
        assert!(answer.starts_with("HTTP/1.1 200"), "{}", answer);
    }
    wait_until("connections are freed", || server.num_connections() == 0);
    assert!(get(addr).ends_with("ok"));
}

#[test]
fn a_small_unread_body_is_discarded_and_the_connection_kept() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 1, "ok");
    let mut client = TcpStream::connect(addr).unwrap();
    let body = "x".repeat(5000);
    write!(
        client,
        "POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n{body}GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let answer = read_all(client);
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 2, "{}", answer);
}

#[test]
fn framing_that_hides_where_a_body_ends_is_refused() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 1, "ok");
    for (head, status) in [
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501"),
        (
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "501",
        ),
        (
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            "400",
        ),
        ("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", "400"),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400"),
        (
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "400",
        ),
    ] {
        let mut client = TcpStream::connect(addr).unwrap();
        // A body that would parse as a second request if the first were misread.
        write!(client, "{head}GET /smuggled HTTP/1.1\r\n\r\n").unwrap();
        let answer = read_all(client);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{:?}: {}",
            head,
            answer
        );
        assert_eq!(
            answer.matches("HTTP/1.1").count(),
            1,
            "{:?}: {}",
            head,
            answer
        );
    }
}

#[test]
fn a_chunked_body_left_unread_closes_the_connection() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 1, "ok");
    let mut client = TcpStream::connect(addr).unwrap();
    write!(
        client,
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"
    )
    .unwrap();
    let answer = read_all(client);
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{}", answer);
}

/// Upstream wrote with no time-out: a client that never reads held the writing thread.
#[test]
fn a_client_that_never_reads_frees_the_writer_after_the_write_time_out() {
    let (server, addr) = server(Limits {
        write_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    let client = TcpStream::connect(addr).unwrap();
    (&client).write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let rq = server.recv().unwrap();
    let big = vec![b'x'; 64 * 1024 * 1024];
    let start = Instant::now();
    let sent = rq.respond(Response::from_data(big));
    assert!(
        sent.is_err(),
        "a 64 MiB answer cannot fit the socket buffers"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    drop(client);
}

#[test]
fn responding_in_background_returns_at_once_even_to_a_client_that_never_reads() {
    let (server, addr) = server(Limits {
        write_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    let client = TcpStream::connect(addr).unwrap();
    (&client)
        .write_all(b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let rq = server.recv().unwrap();
    let big = Response::from_data(vec![b'x'; 64 * 1024 * 1024]);
    let start = Instant::now();
    rq.respond_in_background(big);
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
    // The failed write closes that connection: its second request is never handed out.
    assert!(server
        .recv_timeout(Duration::from_secs(2))
        .unwrap()
        .is_none());
    wait_until("the connection is closed", || server.num_connections() == 0);
    drop(client);
}

/// Upstream queued a new connection behind a thread it counted as idle although it had just
/// been given work: the connection waited until some kept-alive connection ended.
#[test]
fn a_burst_of_connections_is_served_while_others_stay_kept_alive() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 4, "ok");
    // Kept-alive connections, each having had one answer, now idle on their threads.
    let mut kept = Vec::new();
    for _ in 0..8 {
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let mut buf = [0u8; 256];
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let n = client.read(&mut buf).unwrap();
        assert!(n > 0);
        kept.push(client);
    }
    for _ in 0..5 {
        let start = Instant::now();
        let burst: Vec<_> = (0..30).map(|_| thread::spawn(move || get(addr))).collect();
        for answer in burst {
            assert!(answer.join().unwrap().ends_with("ok"));
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
    drop(kept);
}

/// Upstream dropped every `Connection` header a handler set.
#[test]
fn connection_close_set_by_the_handler_is_sent_and_closes() {
    let (server, addr) = server(Limits::default());
    let s = Arc::clone(&server);
    thread::spawn(move || {
        while let Ok(rq) = s.recv() {
            let response = Response::from_string("bye")
                .with_header("Connection: close".parse::<tiny_http::Header>().unwrap());
            let _ = rq.respond(response);
        }
    });
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let answer = read_all(client);
    assert!(answer.contains("Connection: close\r\n"), "{}", answer);
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 1, "{}", answer);
}

#[test]
fn when_full_the_longest_idle_connection_makes_room_and_busy_ones_refuse_newcomers() {
    let (server, addr) = server(Limits {
        max_connections: 3,
        ..Limits::default()
    });
    let oldest = TcpStream::connect(addr).unwrap();
    wait_until("first counted", || server.num_connections() == 1);
    let _second = TcpStream::connect(addr).unwrap();
    let _third = TcpStream::connect(addr).unwrap();
    wait_until("three counted", || server.num_connections() == 3);
    let fourth = TcpStream::connect(addr).unwrap();
    assert_eq!(read_all(oldest), "", "the longest idle one was closed");
    wait_until("still three", || server.num_connections() == 3);

    // Now make all three busy: each sends a request nobody answers yet.
    let mut busy = vec![fourth, _second, _third];
    for client in &mut busy {
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    }
    let held: Vec<_> = (0..3).map(|_| server.recv().unwrap()).collect();
    let newcomer = TcpStream::connect(addr).unwrap();
    let answer = read_all(newcomer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{}", answer);
    drop(held);
    for client in busy {
        client.shutdown(Shutdown::Both).ok();
    }
}

/// Found by fuzzing: upstream took `HTTP/0.9` in a request line and answered
/// `HTTP/0.9 200 OK`, a status line no HTTP/0.9 client reads.
#[test]
fn a_request_line_saying_http_0_9_gets_400_in_http_1_1() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 1, "ok");
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(b"GET / HTTP/0.9\r\n\r\n").unwrap();
    let answer = read_all(client);
    assert!(answer.starts_with("HTTP/1.1 400"), "{}", answer);
}

/// Found by fuzzing: upstream wrote its 505 for an HTTP/2 request line through a writer that
/// waited for the request's own, still alive: the connection's thread waited for ever.
#[test]
fn a_request_line_saying_http_2_gets_505_and_the_connection_ends() {
    let (server, addr) = server(Limits::default());
    answer_all(&server, 1, "ok");
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .write_all(b"GET / HTTP/2.0\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let answer = read_all(client);
    assert!(answer.starts_with("HTTP/1.1 505"), "{}", answer);
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{}", answer);
    wait_until("the connection is closed", || server.num_connections() == 0);
}

/// A response larger than the socket takes at once: the handler returns at once, the rest
/// follows from a writer thread as the client reads, and the next request on the same
/// connection is answered after it, in order.
#[test]
fn a_response_bigger_than_the_socket_buffer_reaches_a_slow_reader_whole_and_in_order() {
    let (server, addr) = server(Limits::default());
    // A small receive window, so that the socket cannot take the big answer at once.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let client: TcpStream = socket.into();
    (&client)
        .write_all(b"GET /big HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let body = "x".repeat(200 * 1024) + "END";
    let rq = server.recv().unwrap();
    assert_eq!(rq.url(), "/big");
    let response = Response::from_string(body.clone());
    let start = Instant::now();
    rq.respond_in_background(response);
    assert!(
        start.elapsed() < Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    // The client reads nothing for a while: the handler's thread is free meanwhile.
    thread::sleep(Duration::from_millis(300));
    let reader = thread::spawn(move || read_all(client));
    let rq = server
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(rq.url(), "/small");
    rq.respond_in_background(Response::from_string("small"));
    let answer = reader.join().unwrap();
    let big_end = answer.find("END").expect("the whole big body");
    assert!(answer[big_end..].ends_with("small"), "answers out of order");
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 2);
}

/// Upstream handed a request out as soon as its head was read: a handler reading even a
/// small form then waited on the client, so clients announcing a body and never sending it
/// took every handler thread in turn.
#[test]
fn a_small_body_is_read_before_the_request_is_handed_out() {
    let (server, addr) = server(Limits {
        prefetch_body: 1024,
        head_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    // One handler, which reads every body whole and echoes it.
    {
        let server = Arc::clone(&server);
        thread::spawn(move || {
            while let Ok(mut rq) = server.recv() {
                let mut body = String::new();
                let _ = rq.as_reader().read_to_string(&mut body);
                let _ = rq.respond(Response::from_string(format!("got [{}]", body)));
            }
        });
    }
    let mut silent = TcpStream::connect(addr).unwrap();
    write!(silent, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc").unwrap();
    let start = Instant::now();
    assert!(get(addr).ends_with("got []"), "the handler was not held");
    assert!(start.elapsed() < Duration::from_millis(400));
    let answer = read_all(silent);
    assert!(answer.starts_with("HTTP/1.1 408"), "{}", answer);

    // A whole body, with or without `Expect: 100-continue`, reaches the handler.
    for expect in ["", "Expect: 100-continue\r\n"] {
        let mut client = TcpStream::connect(addr).unwrap();
        write!(
            client,
            "POST / HTTP/1.1\r\nContent-Length: 5\r\n{}Connection: close\r\n\r\nhello",
            expect
        )
        .unwrap();
        let answer = read_all(client);
        assert!(answer.ends_with("got [hello]"), "{}", answer);
    }
    // A larger body is left to the handler, as before.
    let mut client = TcpStream::connect(addr).unwrap();
    let body = "y".repeat(5000);
    write!(
        client,
        "POST / HTTP/1.1\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{}",
        body
    )
    .unwrap();
    assert!(read_all(client).ends_with(&format!("got [{}]", body)));
}
