//! Network namespaces for tests that need a real network between two hosts (mDNS, DHCP,
//! DNS): made with `ip netns` and a veth pair, removed on drop. Needs root; callers skip
//! with a clear message where namespaces cannot be made.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// Runs `ip ARGS…` and returns its output.
pub fn ip(args: &[&str]) -> Output {
    Command::new("ip").args(args).output().expect("run ip")
}

fn ip_ok(args: &[&str]) {
    let out = ip(args);
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `None` when this machine lets us make namespaces, else why not. With
/// `MEDNUM_REQUIRE_ROOT_TESTS=1` (the test command sets it when run as root) a refusal is a
/// failure, not a skip: a test that quietly skips in CI proves nothing.
pub fn unavailable() -> Option<String> {
    static PROBES: AtomicUsize = AtomicUsize::new(0);
    // Unique per call: tests of one binary run in parallel.
    let probe = format!(
        "mk-probe-{}-{}",
        std::process::id(),
        PROBES.fetch_add(1, Ordering::Relaxed)
    );
    let why = match Command::new("ip").args(["netns", "add", &probe]).output() {
        Ok(out) if out.status.success() => {
            let _ = ip(&["netns", "del", &probe]);
            return None;
        }
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        Err(e) => format!("`ip` cannot run: {e}"),
    };
    if std::env::var_os("MEDNUM_REQUIRE_ROOT_TESTS").is_some_and(|v| v == "1") {
        panic!("network namespaces are required (MEDNUM_REQUIRE_ROOT_TESTS=1) but: {why}");
    }
    Some(why)
}

/// One namespace; deleted (with its end of the veth pair) on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        // Unique per call too: tests of one binary run in parallel.
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "mk-{tag}-{}-{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        let _ = ip(&["netns", "del", &name]);
        ip_ok(&["netns", "add", &name]);
        ip_ok(&["-n", &name, "link", "set", "lo", "up"]);
        Netns { name }
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// Two namespaces joined by a veth pair: `a` gets `a_ip/24`, `b` gets `b_ip/24`.
pub fn linked_pair(a_ip: &str, b_ip: &str) -> (Netns, Netns) {
    let a = Netns::new("a");
    let b = Netns::new("b");
    static PAIRS: AtomicUsize = AtomicUsize::new(0);
    // Interface names are at most 15 bytes.
    let id = std::process::id() % 100_000;
    let pair = PAIRS.fetch_add(1, Ordering::Relaxed) % 100;
    let (va, vb) = (format!("mk{pair}a{id}"), format!("mk{pair}b{id}"));
    ip_ok(&[
        "link", "add", &va, "netns", &a.name, "type", "veth", "peer", "name", &vb, "netns", &b.name,
    ]);
    for (ns, dev, addr) in [(&a, &va, a_ip), (&b, &vb, b_ip)] {
        ip_ok(&[
            "-n",
            &ns.name,
            "addr",
            "add",
            &format!("{addr}/24"),
            "dev",
            dev,
        ]);
        ip_ok(&["-n", &ns.name, "link", "set", dev, "up"]);
    }
    (a, b)
}

/// A kit started inside a namespace (`--listen 0.0.0.0:0`), with its log lines as they
/// come. Killed on drop.
pub struct NsKit {
    child: Child,
    lines: Receiver<String>,
    pub log: Vec<String>,
}

impl NsKit {
    pub fn start(ns: &Netns, data_dir: &std::path::Path) -> NsKit {
        let mut child = ns
            .command(super::BIN)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", "0.0.0.0:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the kit in a namespace");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        NsKit {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// The first log line that contains `text`, waiting up to 30 s for it.
    pub fn wait_for(&mut self, text: &str) -> Option<String> {
        if let Some(line) = self.log.iter().find(|l| l.contains(text)) {
            return Some(line.clone());
        }
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(30)) {
            self.log.push(line.clone());
            if line.contains(text) {
                return Some(line);
            }
        }
        None
    }

    /// `true` while the kit runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The whole log so far.
    pub fn log_text(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        self.log.join("\n")
    }
}

impl Drop for NsKit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
