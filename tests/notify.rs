//! Under systemd (`Type=notify`, `WatchdogSec=`), the kit says READY=1 once it listens, then
//! WATCHDOG=1 at half the watchdog time-out, and STOPPING=1 when told to stop.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::BIN;

#[test]
fn the_kit_tells_systemd_it_is_ready_alive_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("kit.toml"), "[network]\nmdns = false\n").unwrap();

    let mut child = Command::new(BIN)
        .env_clear()
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000")
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
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
