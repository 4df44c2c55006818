//! The integration harness: `Kit::spawn()` starts the real binary on a free loopback port
//! with a temporary data dir, and talks plain HTTP/1.1 to it over TCP.
#![allow(dead_code)] // each test file uses a different part of the harness

pub mod browser;
pub mod netns;
pub mod packs;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mednum-kit");

pub struct Kit {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Kit {
    /// A kit on a fresh data dir.
    pub fn spawn() -> Kit {
        let temp = tempfile::tempdir().expect("temp dir");
        let mut kit = Kit::spawn_in(temp.path());
        kit._temp = Some(temp);
        kit
    }

    /// A kit on a fresh data dir whose `kit.toml` holds `settings`.
    pub fn spawn_with(settings: &str) -> Kit {
        let temp = tempfile::tempdir().expect("temp dir");
        std::fs::write(temp.path().join("kit.toml"), settings).expect("write kit.toml");
        let mut kit = Kit::spawn_in(temp.path());
        kit._temp = Some(temp);
        kit
    }

    /// A kit on an existing data dir (kept after the kit stops).
    pub fn spawn_in(data_dir: &Path) -> Kit {
        Kit::try_spawn_in(data_dir).unwrap_or_else(|log| panic!("the kit did not start:\n{log}"))
    }

    /// Starts the kit; `Err` carries its output when it exits or stays silent.
    pub fn try_spawn_in(data_dir: &Path) -> Result<Kit, String> {
        Kit::try_spawn_through(Command::new(BIN), data_dir)
    }

    /// Starts the kit through `launcher` (the binary itself, or a command such as `prlimit`
    /// or `setpriv` whose last argument is the binary).
    pub fn try_spawn_through(mut launcher: Command, data_dir: &Path) -> Result<Kit, String> {
        let mut child = launcher
            .env_clear()
            .args(["--data-dir"])
            .arg(data_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mednum-kit");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(addr.trim().to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => Ok(Kit {
                child: Some(child),
                addr: addr.parse().expect("listening address"),
                data_dir: data_dir.to_owned(),
                _temp: None,
                log,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                Err(log.lock().unwrap().join("\n"))
            }
        }
    }

    /// The kit's process id (to read its threads, descriptors and memory in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running kit").id()
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn get(&self, path: &str) -> Response {
        self.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        ))
    }

    pub fn send(&self, raw: &str) -> Response {
        self.send_bytes(raw.as_bytes())
    }

    /// Sends raw bytes on a new connection and reads the response until the server closes.
    pub fn send_bytes(&self, raw: &[u8]) -> Response {
        let mut stream = self.connect();
        // The server may answer (and stop reading) before a large request is fully sent.
        let _ = stream.write_all(raw);
        read_response(&mut stream)
    }

    /// Sends raw bytes from another loopback address (`127.0.0.2`…), as a second phone would.
    pub fn send_from(&self, local: std::net::IpAddr, raw: &str) -> Response {
        let mut stream = self.connect_from(local);
        let _ = stream.write_all(raw.as_bytes());
        read_response(&mut stream)
    }

    /// A connection from another loopback address (`127.0.0.2`…).
    pub fn connect_from(&self, local: std::net::IpAddr) -> TcpStream {
        let socket = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )
        .expect("socket");
        socket
            .bind(&SocketAddr::new(local, 0).into())
            .expect("bind a loopback address");
        socket.connect(&self.addr.into()).expect("connect");
        let stream: TcpStream = socket.into();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// `GET path` with the given `Host` header, from `local`.
    pub fn get_host_from(&self, local: std::net::IpAddr, host: &str, path: &str) -> Response {
        self.send_from(
            local,
            &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
    }

    /// `POST /entrer` (the welcome page's button), from `local`.
    pub fn enter_from(&self, local: std::net::IpAddr) -> Response {
        self.send_from(
            local,
            "POST /entrer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \
             application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running kit");
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the kit did not stop within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `true` while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }
}

impl Drop for Kit {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
        .unwrap_or_else(|| panic!("unparsable response: {:?}", String::from_utf8_lossy(&raw)))
}

/// Reads one response from a kept-alive connection: its head, then `Content-Length` bytes
/// of body. `None` when the connection ends or times out first.
pub fn read_kept_alive_response(stream: &mut TcpStream) -> Option<Response> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = parse_response(&raw[..end + 4])?;
            let len: usize = head
                .header("Content-Length")
                .map_or(Some(0), |v| v.parse().ok())?;
            if raw.len() >= end + 4 + len {
                return parse_response(&raw[..end + 4 + len]);
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

pub fn parse_response(raw: &[u8]) -> Option<Response> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body)?;
    } else if let Some((_, len)) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        body.truncate(len.parse().ok()?);
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// The `href`/`src` values of a page that point at the kit's own assets.
pub fn asset_urls(html: &str) -> Vec<String> {
    html.split('"')
        .filter(|part| part.starts_with("/_kit/"))
        .map(str::to_owned)
        .collect()
}

/// A small tmpfs mounted for the test (root only), unmounted on drop.
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(size: &str) -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(SmallDisk { dir })
    }

    /// The disk, or `None` (the test then skips) when it cannot be mounted here; with
    /// `MEDNUM_REQUIRE_ROOT_TESTS=1` (CI, as root) that is a failure instead.
    pub fn mount_or_skip(size: &str) -> Option<SmallDisk> {
        match SmallDisk::mount(size) {
            Ok(disk) => Some(disk),
            Err(why) => {
                if std::env::var_os("MEDNUM_REQUIRE_ROOT_TESTS").is_some_and(|v| v == "1") {
                    panic!("a small tmpfs is required (MEDNUM_REQUIRE_ROOT_TESTS=1) but: {why}");
                }
                eprintln!("SKIP: cannot mount a small tmpfs here ({why})");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}
