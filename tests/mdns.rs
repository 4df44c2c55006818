//! mDNS between two network namespaces: a kit announces itself, another process finds it.
//! (Runs natively: multicast socket options are not emulated under qemu-user.)

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use support::netns::{self, linked_pair};
use support::BIN;

#[test]
fn another_process_finds_the_kit_over_mdns_with_its_ipv4_address() {
    if let Some(why) = netns::unavailable() {
        eprintln!("SKIP: network namespaces are not permitted here ({why})");
        return;
    }
    let (box_ns, phone_ns) = linked_pair("10.97.0.1", "10.97.0.2");
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("kit.toml"),
        "name = \"Kit de la salle des fêtes\"\n",
    )
    .unwrap();
    let mut kit = box_ns
        .command(BIN)
        .arg("--data-dir")
        .arg(data.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = kit.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let mut port = None;
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        if let Some(addr) = line.split("listening on http://").nth(1) {
            port = addr.trim().rsplit(':').next().map(str::to_owned);
        }
        let announced = line.contains("announced as mednum.local (10.97.0.1)");
        log.push(line);
        if announced {
            break;
        }
    }
    let port = port.unwrap_or_else(|| panic!("no listening line:\n{}", log.join("\n")));
    assert!(
        log.iter().any(|l| l.contains("announced as")),
        "{}",
        log.join("\n")
    );

    let out = phone_ns
        .command(BIN)
        .args(["peers", "--wait", "5"])
        .output()
        .unwrap();
    let _ = kit.kill();
    let _ = kit.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "Kit de la salle des fêtes — http://10.97.0.1:{port}/ (mednum.local, version "
        )),
        "peers printed:\n{stdout}"
    );
}

#[test]
fn without_a_multicast_interface_the_kit_still_serves() {
    if let Some(why) = netns::unavailable() {
        eprintln!("SKIP: network namespaces are not permitted here ({why})");
        return;
    }
    // A namespace with only loopback: nothing to announce on.
    let lonely = netns::Netns::new("alone");
    let data = tempfile::tempdir().unwrap();
    let mut kit = lonely
        .command(BIN)
        .arg("--data-dir")
        .arg(data.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = kit.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        let done = line.contains("listening on http://");
        log.push(line);
        if done {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let running = kit.try_wait().unwrap().is_none();
    let _ = kit.kill();
    let _ = kit.wait();
    while let Ok(line) = rx.try_recv() {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(running, "the kit died:\n{log}");
    assert!(log.contains("not announced on the local network"), "{log}");
}
