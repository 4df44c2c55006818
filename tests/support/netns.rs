//! Network namespaces for tests that need a real network between two hosts (mDNS, DHCP,
//! DNS): made with `ip netns` and a veth pair, removed on drop. Needs root; callers skip
//! with a clear message where namespaces cannot be made.

use std::process::{Command, Output};

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

/// `None` when this machine lets us make namespaces, else why not.
pub fn unavailable() -> Option<String> {
    let probe = format!("mk-probe-{}", std::process::id());
    match Command::new("ip").args(["netns", "add", &probe]).output() {
        Ok(out) if out.status.success() => {
            let _ = ip(&["netns", "del", &probe]);
            None
        }
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Some(format!("`ip` cannot run: {e}")),
    }
}

/// One namespace; deleted (with its end of the veth pair) on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = format!("mk-{tag}-{}", std::process::id());
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
    let id = std::process::id() % 100_000;
    let (va, vb) = (format!("mka{id}"), format!("mkb{id}"));
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
