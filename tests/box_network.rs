//! The box's network for real, in network namespaces made by the test (root needed; `.ci/run`
//! is root): a "box" runs Debian's dnsmasq with the settings `system render` makes and the kit
//! behind the rendered nftables rules; a "phone" leases an address by DHCP, resolves a probe
//! host name through dnsmasq and meets the captive portal (its probe answer and the RFC 8908
//! API that option 114 names), then gets through after "Entrer".
//! Where namespaces cannot be made, the test says SKIP and passes. It installs nothing:
//! `scripts/install-test-deps.sh` does.

#[path = "box_network/dhcp.rs"]
mod dhcp;
mod support;

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::netns::{self, Netns};
use support::BIN;

const BOX_ADDRESS: &str = "10.99.0.1";
const PHONE_MAC: [u8; 6] = [0x02, 0x6d, 0x6b, 0x00, 0x99, 0x02];
const PROBE_HOST: &str = "connectivitycheck.gstatic.com";

/// Finds a program in the usual system folders (tests may run with a user's short PATH).
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file());
    found
}

fn need(name: &str, package: &str) -> PathBuf {
    program(name).unwrap_or_else(|| {
        panic!("`{name}` is missing: install {package} (bash scripts/install-test-deps.sh does)")
    })
}

/// The box and the phone (namespaces from the test harness) joined by a veth pair, and
/// what runs in them. Dropping it kills the processes, then the namespaces go (their
/// interfaces with them).
struct Lab {
    ip: PathBuf,
    box_ns: String,
    phone_ns: String,
    box_if: String,
    phone_if: String,
    dir: tempfile::TempDir,
    children: Vec<(&'static str, Child)>,
    _namespaces: [Netns; 2],
}

impl Lab {
    /// `Err(why)` where namespaces cannot be made here.
    fn make() -> Result<Lab, String> {
        let ip = need("ip", "iproute2");
        if let Some(why) = netns::unavailable() {
            return Err(why);
        }
        let (box_ns, phone_ns) = (Netns::new("box"), Netns::new("phone"));
        let id = std::process::id() % 100_000;
        let lab = Lab {
            ip,
            box_ns: box_ns.name.clone(),
            phone_ns: phone_ns.name.clone(),
            box_if: format!("mkbox{id}"),
            phone_if: format!("mkphone{id}"),
            dir: tempfile::tempdir().unwrap(),
            children: Vec::new(),
            _namespaces: [box_ns, phone_ns],
        };
        let phone_mac = PHONE_MAC.map(|b| format!("{b:02x}")).join(":");
        let steps: Vec<Vec<&str>> = vec![
            vec![
                "link",
                "add",
                &lab.box_if,
                "netns",
                &lab.box_ns,
                "type",
                "veth",
                "peer",
                "name",
                &lab.phone_if,
                "address",
                &phone_mac,
                "netns",
                &lab.phone_ns,
            ],
            vec![
                "-n",
                &lab.box_ns,
                "address",
                "add",
                "10.99.0.1/24",
                "dev",
                &lab.box_if,
            ],
            vec!["-n", &lab.box_ns, "link", "set", &lab.box_if, "up"],
            vec!["-n", &lab.phone_ns, "link", "set", &lab.phone_if, "up"],
        ];
        for step in steps {
            let out = lab.ip(&step);
            assert!(
                out.status.success(),
                "ip {}: {}",
                step.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(lab)
    }

    fn ip(&self, args: &[&str]) -> Output {
        Command::new(&self.ip).args(args).output().expect("run ip")
    }

    /// A command run inside namespace `ns`.
    fn exec(&self, ns: &str, program: &Path) -> Command {
        let mut command = Command::new(&self.ip);
        command
            .args(["netns", "exec", ns])
            .arg(program)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        command
    }

    /// Starts a long-running process whose stderr goes to `<dir>/<name>.log`.
    fn spawn(&mut self, name: &'static str, mut command: Command) {
        let log = File::create(self.log_path(name)).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        self.children.push((name, child));
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Everything the box's processes said, for failure messages.
    fn logs(&self) -> String {
        self.children
            .iter()
            .map(|(name, _)| {
                let text = std::fs::read_to_string(self.log_path(name)).unwrap_or_default();
                format!("--- {name}\n{text}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{what}\n{}", self.logs());
    }

    /// Runs `body` in a thread that has entered the phone's network namespace.
    fn in_phone<T: Send + 'static>(&self, body: impl FnOnce() -> T + Send + 'static) -> T {
        let netns = File::open(format!("/run/netns/{}", self.phone_ns)).expect("phone netns");
        std::thread::spawn(move || {
            // SAFETY: setns on a namespace file we hold open; it changes only this thread.
            let rc = unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            body()
        })
        .join()
        .expect("phone thread")
    }

    /// `curl` as the phone: no proxy, no curlrc, names resolved by the phone's resolver.
    fn phone_curl(&self, args: &[&str]) -> Output {
        let curl = need("curl", "curl");
        self.exec(&self.phone_ns, &curl)
            .args(["-q", "-sS", "--max-time", "10"])
            .args(args)
            .output()
            .expect("run curl")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.phone_ns));
    }
}

/// Status line and headers of a response `curl -D` wrote.
fn status_and_location(headers: &str) -> (u16, Option<String>) {
    let status = headers
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = headers.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    });
    (status, location)
}

#[test]
fn a_phone_on_the_box_wifi_meets_the_portal_then_gets_through() {
    let mut lab = match Lab::make() {
        Ok(lab) => lab,
        Err(why) => {
            eprintln!("SKIP: network namespaces are not permitted here ({why})");
            return;
        }
    };
    let dnsmasq = need("dnsmasq", "dnsmasq-base");

    // The box's settings, rendered by the kit's own code, with the veth as the Wi-Fi.
    let data = lab.dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("kit.toml"),
        format!(
            "[network]\naddress = \"{BOX_ADDRESS}\"\npublic_port = 80\nmdns = false\n\n\
             [wifi]\ninterface = \"{}\"\npassphrase = \"unused-in-this-test\"\n",
            lab.box_if
        ),
    )
    .unwrap();
    let system = lab.dir.path().join("system");
    let render = Command::new(BIN)
        .env_clear()
        .arg("--data-dir")
        .arg(&data)
        .args(["system", "render", "--out"])
        .arg(&system)
        .output()
        .unwrap();
    assert!(
        render.status.success(),
        "system render: {}",
        String::from_utf8_lossy(&render.stderr)
    );

    // The firewall: port 80 to the kit's 8080, HTTPS reset. Without nft, the kit takes port
    // 80 itself (root here) and only the firewall's checks are left out.
    let nft = program("nft");
    let listen = match &nft {
        Some(nft) => {
            let out = lab
                .exec(&lab.box_ns, nft)
                .arg("-f")
                .arg(system.join("nftables.conf"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "nft -f nftables.conf: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            format!("{BOX_ADDRESS}:8080")
        }
        None => {
            eprintln!("note: nft is missing, the kit listens on port 80 itself");
            format!("{BOX_ADDRESS}:80")
        }
    };

    let mut command = lab.exec(&lab.box_ns, &dnsmasq);
    command
        .arg("--keep-in-foreground")
        .arg(format!(
            "--conf-file={}",
            system.join("dnsmasq.conf").display()
        ))
        .arg(format!(
            "--dhcp-leasefile={}",
            lab.dir.path().join("leases").display()
        ))
        .args([
            "--pid-file",
            "--log-facility=-",
            "--user=root",
            "--log-dhcp",
        ]);
    lab.spawn("dnsmasq", command);

    let mut command = lab.exec(&lab.box_ns, Path::new(BIN));
    command
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", &listen]);
    lab.spawn("kit", command);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(lab.log_path("kit"))
        .unwrap_or_default()
        .contains("listening on http://")
    {
        if Instant::now() > deadline {
            lab.fail("the kit did not start in the box namespace");
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // The phone joins: DHCP gives it an address, the kit as router and DNS, and option 114.
    let phone_if = lab.phone_if.clone();
    let lease = lab.in_phone(move || {
        // A broadcast answer from 10.99.0.1 reaches an interface with no address and no
        // route: reverse-path filtering, inherited from the host, would drop it.
        for scope in ["all", "default", &phone_if] {
            let knob = format!("/proc/sys/net/ipv4/conf/{scope}/rp_filter");
            std::fs::write(&knob, "0").map_err(|e| format!("{knob}: {e}"))?;
        }
        dhcp::lease(&phone_if, PHONE_MAC, Duration::from_secs(20))
    });
    let lease = lease.unwrap_or_else(|e| lab.fail(&format!("DHCP: {e}")));
    let box_address: Ipv4Addr = BOX_ADDRESS.parse().unwrap();
    let last = lease.address.octets()[3];
    assert!(
        lease.address.octets()[..3] == [10, 99, 0] && (10..=250).contains(&last),
        "leased {}",
        lease.address
    );
    assert_eq!(lease.ipv4_option(3), Some(box_address), "router");
    assert_eq!(lease.ipv4_option(6), Some(box_address), "DNS server");
    assert_eq!(
        lease.text_option(114).as_deref(),
        Some("http://10.99.0.1/.well-known/captive-portal"),
        "option 114"
    );
    let out = lab.ip(&[
        "-n",
        &lab.phone_ns,
        "address",
        "add",
        &format!("{}/24", lease.address),
        "dev",
        &lab.phone_if,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Its resolver is the DNS server the lease named (`ip netns exec` mounts this file over
    // /etc/resolv.conf), and the probe host name resolves to the box through dnsmasq.
    let etc = PathBuf::from(format!("/etc/netns/{}", lab.phone_ns));
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("resolv.conf"),
        format!("nameserver {}\n", lease.ipv4_option(6).unwrap()),
    )
    .unwrap();
    let getent = need("getent", "libc-bin");
    let out = lab
        .exec(&lab.phone_ns, &getent)
        .args(["ahostsv4", PROBE_HOST])
        .output()
        .unwrap();
    let answer = String::from_utf8_lossy(&out.stdout);
    if answer.split_whitespace().next() != Some(BOX_ADDRESS) {
        lab.fail(&format!("{PROBE_HOST} resolved to {answer:?}"));
    }

    // Android's probe: the portal first.
    let probe = format!("http://{PROBE_HOST}/generate_204");
    let headers = lab.dir.path().join("headers");
    let body = lab.dir.path().join("body");
    let get_probe = || {
        let out = lab.phone_curl(&[
            "-D",
            headers.to_str().unwrap(),
            "-o",
            body.to_str().unwrap(),
            &probe,
        ]);
        if !out.status.success() {
            lab.fail(&format!(
                "GET {probe}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let head = std::fs::read_to_string(&headers).unwrap();
        let (status, location) = status_and_location(&head);
        (status, location, std::fs::read(&body).unwrap(), head)
    };
    let (status, location, _, head) = get_probe();
    assert_eq!(
        (status, location.as_deref()),
        (302, Some("http://10.99.0.1/bienvenue")),
        "the probe before Entrer:\n{head}"
    );

    // HTTPS is refused at once (reset), not left to time out.
    if nft.is_some() {
        let started = Instant::now();
        let out = lab.phone_curl(&[&format!("https://{PROBE_HOST}/")]);
        let took = started.elapsed();
        assert_eq!(
            out.status.code(),
            Some(7),
            "curl https: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(took < Duration::from_secs(2), "HTTPS took {took:?} to fail");
    }

    // The captive-portal API that option 114 names (RFC 8908) agrees.
    let api = lease.text_option(114).unwrap();
    let captive_api = |want: &str| {
        let out = lab.phone_curl(&[&api]);
        let json = String::from_utf8_lossy(&out.stdout).into_owned();
        if !json.replace(' ', "").contains(want) {
            lab.fail(&format!("GET {api} answered {json:?}, wanted {want}"));
        }
    };
    captive_api("\"captive\":true");

    // "Entrer" on the welcome page.
    let out = lab.phone_curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "--data-binary",
        "",
        "http://10.99.0.1/entrer",
    ]);
    let code = String::from_utf8_lossy(&out.stdout).into_owned();
    if code != "303" {
        lab.fail(&format!(
            "POST /entrer answered {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }

    // Now the probe says "internet works": 204, empty.
    let (status, _, body, head) = get_probe();
    assert_eq!(status, 204, "the probe after Entrer:\n{head}");
    assert!(body.is_empty(), "a 204 with a body");
    captive_api("\"captive\":false");
}
