//! Under systemd (`Type=notify`, `WatchdogSec=`), the kit says READY=1 once it listens, then
//! WATCHDOG=1 at half the watchdog time-out, and STOPPING=1 when told to stop.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use support::BIN;

/// Starts `serve` as systemd would (notify socket, watchdog of `watchdog_usec`), with
/// `settings` in its kit.toml (mDNS off); returns the child, its address and its log lines.
fn spawn_under_systemd(
    dir: &Path,
    socket_path: &Path,
    watchdog_usec: &str,
    settings: &str,
) -> (Child, String, JoinHandle<Vec<String>>) {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("kit.toml"),
        format!("[network]\nmdns = false\n{settings}"),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .env_clear()
        .env("NOTIFY_SOCKET", socket_path)
        .env("WATCHDOG_USEC", watchdog_usec)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("listening on http://").nth(1) {
                let _ = tx.send(addr.trim().to_owned());
            }
            lines.push(line);
        }
        lines
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("listening");
    (child, addr, log)
}

#[test]
fn the_kit_tells_systemd_it_is_ready_alive_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let (mut child, _, log) = spawn_under_systemd(dir.path(), &socket_path, "400000", "");
    let recv = || {
        let mut buf = [0u8; 128];
        let n = socket.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };

    assert_eq!(recv(), "READY=1");
    let started = Instant::now();
    let mut pings = 0;
    while pings < 3 {
        assert_eq!(recv(), "WATCHDOG=1");
        pings += 1;
    }
    // The first comes at once, then one every 200 ms (half of 400 ms).
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_secs(5),
        "3 pings in {took:?}"
    );

    // SAFETY: kill with a pid we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    loop {
        let message = recv();
        if message == "STOPPING=1" {
            break;
        }
        assert_eq!(message, "WATCHDOG=1");
    }
    assert!(child.wait().unwrap().success());
    let log = log.join().unwrap().join("\n");
    assert!(log.contains("stopped"), "{log}");
}

/// The watchdog is fed only while the portal answers the kit itself: with its one worker
/// stuck, the kit stops feeding it, and after 25 s exits with status 70 so that systemd
/// (`Restart=on-failure`) starts a new one. Before, a dead accept loop or stuck workers
/// left the watchdog fed and the kit answering nobody.
#[test]
fn a_kit_that_no_longer_answers_stops_feeding_the_watchdog_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let (mut child, addr, log) = spawn_under_systemd(
        dir.path(),
        &socket_path,
        "2000000",
        "[server]\nworkers = 1\n",
    );
    let recv = || {
        let mut buf = [0u8; 128];
        socket
            .recv(&mut buf)
            .ok()
            .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
    };
    let start = Instant::now();
    let mut fed = false;
    while !fed && start.elapsed() < Duration::from_secs(10) {
        fed = recv().as_deref() == Some("WATCHDOG=1");
    }
    assert!(fed, "the watchdog was never fed");

    // Hold the only worker: phones (and the kit itself) get no answer any more.
    let mut stall = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(
        &mut stall,
        b"GET /_kit/test-stall HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    )
    .unwrap();
    let stalled = Instant::now();
    let mut last_fed = stalled;
    let status = loop {
        if let Some(message) = recv() {
            if message == "WATCHDOG=1" {
                last_fed = Instant::now();
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stalled.elapsed() < Duration::from_secs(45),
            "the kit did not give up"
        );
    };
    // One keep-alive may have been on its way when the worker got stuck.
    assert!(
        last_fed.duration_since(stalled) < Duration::from_secs(3),
        "fed {:?} after the stall",
        last_fed.duration_since(stalled)
    );
    assert_eq!(status.code(), Some(70), "{status:?}");
    let took = stalled.elapsed();
    assert!(took >= Duration::from_secs(20), "gave up after {took:?}");
    let log = log.join().unwrap().join("\n");
    assert!(log.contains("exiting so that it restarts"), "{log}");
}
