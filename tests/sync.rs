//! Sync, over real HTTP between real kits and real servers: a kit as another's upstream,
//! `catalog build` served by a plain static server, downloads cut part-way that resume with
//! `Range`, bad catalogs and files, USB sticks that appear (and vanish mid-import) under a
//! mount root, and reports sent to a real WebDAV server.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::packs::{build_signed, cli, new_key, stderr, stdout, write_source};
use support::Kit;

/// A data dir that trusts `public`.
fn trusting(public: &str) -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let out = cli(data.path(), &["trust", "add", public, "--name", "Éditeur"]);
    assert!(out.status.success(), "{}", stderr(&out));
    data
}

/// Builds `id` `version` (its tutorial says `word`) signed with `key` into `out_dir`;
/// `padding` bytes of noise make it bigger (in its image).
fn build(
    work: &Path,
    key: &Path,
    id: &str,
    version: &str,
    word: &str,
    padding: usize,
    out_dir: &Path,
) -> PathBuf {
    let src = work.join(format!("src-{id}-{version}"));
    write_source(&src, id, version, word);
    if padding > 0 {
        let mut svg =
            String::from("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\"><!--");
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ padding as u64;
        while svg.len() < padding {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            svg.push_str(&format!("{x:016x}"));
        }
        svg.push_str("--><rect width=\"8\" height=\"8\"/></svg>\n");
        std::fs::write(src.join(format!("images/icone-{id}.svg")), svg).unwrap();
    }
    std::fs::create_dir_all(out_dir).unwrap();
    let out = out_dir.join(format!("{id}-{version}.kitpack"));
    build_signed(&src, &out, key);
    out
}

fn installed(data: &Path) -> Vec<(String, String)> {
    let out = cli(data, &["pack", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["version"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(id, _)| id != "starter")
        .collect()
}

fn sync_once(data: &Path, url: &str) -> std::process::Output {
    cli(data, &["sync", "upstream", "--url", url, "--once"])
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_kit_syncs_from_another_kit_and_serves_the_same_items() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let file = build(
        work.path(),
        &key,
        "fiches",
        "1.0.0",
        "girafe",
        0,
        &work.path().join("out"),
    );
    let a_data = trusting(&public);
    let out = cli(a_data.path(), &["pack", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = Kit::spawn_in(a_data.path());
    let catalog_url = format!("http://{}/catalog.json", a.addr);

    // A's catalog lists its signed pack (not the starter built into every kit).
    let catalog: serde_json::Value = serde_json::from_str(&a.get("/catalog.json").text()).unwrap();
    let packs = catalog["packs"].as_array().unwrap();
    assert_eq!(packs.len(), 1, "{catalog}");
    assert_eq!(packs[0]["id"], "fiches");
    assert_eq!(packs[0]["publisher"], public.as_str());
    assert_eq!(packs[0]["size"], std::fs::metadata(&file).unwrap().len());

    let b_data = trusting(&public);
    let out = sync_once(b_data.path(), &catalog_url);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("installé : fiches 1.0.0"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        installed(b_data.path()),
        [("fiches".into(), "1.0.0".into())]
    );
    // Nothing left in the downloads: the file moved into the library.
    let left: Vec<_> = std::fs::read_dir(b_data.path().join("downloads"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");

    let b = Kit::spawn_in(b_data.path());
    for kit in [&a, &b] {
        let page = kit.get("/tutoriels/tutoriel-fiches/etape/1");
        assert_eq!(page.status, 200);
        assert!(page.text().contains("girafe"));
    }
    // B serves the same file to a third kit, byte for byte.
    let from_b = b.get("/packs/fiches/1.0.0.kitpack");
    assert_eq!(from_b.status, 200);
    assert_eq!(from_b.body, std::fs::read(&file).unwrap());

    // Again: nothing to do, and that is a success.
    let out = sync_once(b_data.path(), &catalog_url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("à jour : 1"), "{}", stdout(&out));
}

#[test]
fn a_serving_kit_answers_single_ranges_and_refuses_impossible_ones() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let file = build(
        work.path(),
        &key,
        "fiches",
        "1.0.0",
        "zèbre",
        // Over 256 KiB: the whole file and long parts go by sendfile.
        800_000,
        &work.path().join("out"),
    );
    let data = trusting(&public);
    assert!(
        cli(data.path(), &["pack", "import", file.to_str().unwrap()])
            .status
            .success()
    );
    let kit = Kit::spawn_in(data.path());
    let bytes = std::fs::read(&file).unwrap();
    let size = bytes.len();
    assert!(size > 300 * 1024, "{size} bytes: not a large body");
    let whole = kit.get("/packs/fiches/1.0.0.kitpack");
    assert_eq!(whole.status, 200);
    assert!(whole.body == bytes, "the same bytes, whole");
    let ask = |range: &str| {
        kit.send(&format!(
            "GET /packs/fiches/1.0.0.kitpack HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: {range}\r\nConnection: close\r\n\r\n"
        ))
    };
    let r = ask("bytes=100-");
    assert_eq!(r.status, 206);
    assert_eq!(
        r.header("Content-Range"),
        Some(format!("bytes 100-{}/{size}", size - 1).as_str())
    );
    assert_eq!(r.body, bytes[100..]);
    let r = ask("bytes=-10");
    assert_eq!(r.body, bytes[size - 10..]);
    let r = ask(&format!("bytes={size}-"));
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("Content-Range"),
        Some(format!("bytes */{size}").as_str())
    );
    // Several ranges, or nonsense: the whole file.
    for range in ["bytes=0-1,5-9", "bytes=9-1", "octets=0-1"] {
        let r = ask(range);
        assert_eq!((r.status, r.body.len()), (200, size), "{range}");
    }
    // Not the installed version, not a pack: nothing.
    assert_eq!(kit.get("/packs/fiches/0.9.0.kitpack").status, 404);
    assert_eq!(kit.get("/packs/starter/1.0.0.kitpack").status, 404);
    assert_eq!(kit.get("/packs/fiches/..%2f..%2fkit.toml").status, 404);
}

/// A static server written for the test: serves the files of `root`, honours `Range` or
/// not, and cuts each of its first `cuts` file responses after `cut_after` body bytes.
struct Flaky {
    addr: std::net::SocketAddr,
    /// The `Range` header of each pack file request (`None`: without one).
    ranges: Arc<Mutex<Vec<Option<String>>>>,
}

impl Flaky {
    fn start(root: PathBuf, honour_range: bool, cut_after: usize, cuts: usize) -> Flaky {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&ranges);
        std::thread::spawn(move || {
            let mut served = 0;
            for stream in listener.incoming().flatten() {
                let cut = served < cuts;
                if Flaky::answer(stream, &root, honour_range, cut.then_some(cut_after), &seen) {
                    served += 1;
                }
            }
        });
        Flaky { addr, ranges }
    }

    /// Answers one request; `true` when it was for a pack file.
    fn answer(
        mut stream: TcpStream,
        root: &Path,
        honour_range: bool,
        cut_after: Option<usize>,
        seen: &Mutex<Vec<Option<String>>>,
    ) -> bool {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        let mut range = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            if let Some(v) = line
                .strip_prefix("Range: ")
                .or_else(|| line.strip_prefix("range: "))
            {
                range = Some(v.trim().to_owned());
            }
        }
        let path = first
            .split(' ')
            .nth(1)
            .unwrap_or("/")
            .trim_start_matches('/');
        let Ok(bytes) = std::fs::read(root.join(path)) else {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return false;
        };
        let is_pack = path.ends_with(".kitpack");
        if is_pack {
            seen.lock().unwrap().push(range.clone());
        }
        let start = match (&range, honour_range) {
            (Some(r), true) => r
                .trim_start_matches("bytes=")
                .trim_end_matches('-')
                .parse()
                .unwrap_or(0),
            _ => 0,
        };
        let body = &bytes[start..];
        let head = if start > 0 {
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\nConnection: close\r\n\r\n",
                body.len(),
                bytes.len() - 1,
                bytes.len()
            )
        } else {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
        };
        let _ = stream.write_all(head.as_bytes());
        let sent = match cut_after {
            Some(n) if is_pack => &body[..n.min(body.len())],
            _ => body,
        };
        let _ = stream.write_all(sent);
        let _ = stream.flush();
        // Dropped here: the connection ends, cut or not.
        is_pack
    }
}

/// A folder served as an upstream: the pack and the catalog `catalog build` writes.
fn upstream_dir(work: &Path, key: &Path, padding: usize) -> PathBuf {
    let dir = work.join("depot");
    build(work, key, "fiches", "1.0.0", "girafe", padding, &dir);
    let out = cli(work, &["catalog", "build", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn a_download_cut_every_64_kib_completes_with_range_requests() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 300_000);
    let server = Flaky::start(dir, true, 64 * 1024, usize::MAX);
    let data = trusting(&public);
    let out = sync_once(data.path(), &format!("http://{}/catalog.json", server.addr));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(installed(data.path()), [("fiches".into(), "1.0.0".into())]);
    let ranges = server.ranges.lock().unwrap().clone();
    assert!(ranges.len() >= 3, "{ranges:?}");
    assert_eq!(ranges[0], None);
    // Each attempt asks for what the others did not bring.
    for (i, range) in ranges.iter().enumerate().skip(1) {
        assert_eq!(
            range.as_deref(),
            Some(format!("bytes={}-", i * 64 * 1024).as_str())
        );
    }
}

#[test]
fn a_server_that_ignores_range_restarts_the_file_and_still_gets_there() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 200_000);
    // The first answer is cut; the second, asked with a Range, comes whole from the start.
    let server = Flaky::start(dir, false, 50_000, 1);
    let data = trusting(&public);
    let out = sync_once(data.path(), &format!("http://{}/catalog.json", server.addr));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(installed(data.path()), [("fiches".into(), "1.0.0".into())]);
    let ranges = server.ranges.lock().unwrap().clone();
    assert_eq!(ranges, [None, Some("bytes=50000-".into())]);
}

#[test]
fn a_download_stopped_for_good_resumes_at_the_next_attempt() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 200_000);
    let data = trusting(&public);
    // A server that dies after 70 000 bytes: the pass fails, the partial file stays.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let root = dir.clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let first_seen = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut pack_answers = 0;
        for stream in listener.incoming().flatten() {
            if pack_answers == 1 {
                // Gone: the connection closes before any answer.
                drop(stream);
                continue;
            }
            if Flaky::answer(stream, &root, true, Some(70_000), &first_seen) {
                pack_answers += 1;
            }
        }
    });
    let url = format!("http://{addr}/catalog.json");
    let out = sync_once(data.path(), &url);
    assert!(!out.status.success());
    let said = stdout(&out) + &stderr(&out);
    assert!(said.contains("interrompu à 70000"), "{said}");
    assert!(installed(data.path()).is_empty());
    // The next attempt, on a working server, asks only for the rest.
    let server = Flaky::start(dir, true, usize::MAX, 0);
    let out = sync_once(data.path(), &format!("http://{}/catalog.json", server.addr));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        server.ranges.lock().unwrap().clone(),
        [Some("bytes=70000-".into())]
    );
    assert_eq!(installed(data.path()), [("fiches".into(), "1.0.0".into())]);
}

#[test]
fn bad_catalogs_and_files_are_refused_clearly_and_change_nothing() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 0);
    let good = std::fs::read_to_string(dir.join("catalog.json")).unwrap();
    let data = trusting(&public);
    let server = Flaky::start(dir.clone(), true, usize::MAX, 0);
    let url = |name: &str| format!("http://{}/{name}", server.addr);
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();

    write("garbage.json", "<html>pas un catalogue</html>");
    write(
        "huge.json",
        &format!(
            "{{\"format\":1,\"packs\":[],\"x\":\"{}\"}}",
            "a".repeat(2 << 20)
        ),
    );
    write(
        "bad-sha.json",
        &good.replace(
            &serde_json::from_str::<serde_json::Value>(&good).unwrap()["packs"][0]["sha256"]
                .as_str()
                .unwrap()
                .to_owned(),
            &"0".repeat(64),
        ),
    );
    write(
        "missing.json",
        &good.replace("fiches-1.0.0.kitpack", "absent.kitpack"),
    );
    write(
        "escape.json",
        &good.replace("fiches-1.0.0.kitpack", "../fiches-1.0.0.kitpack"),
    );
    let (_, stranger) = new_key(work.path(), "inconnu");
    write("stranger.json", &good.replace(&public, &stranger));
    let cases = [
        ("garbage.json", "illisible"),
        ("huge.json", "trop gros"),
        ("nothing-here.json", "404"),
        ("bad-sha.json", "ne correspond pas au catalogue"),
        ("missing.json", "404"),
        ("escape.json", "sort du dossier"),
        ("stranger.json", "clé inconnue"),
    ];
    for (name, reason) in cases {
        let out = sync_once(data.path(), &url(name));
        let said = stdout(&out) + &stderr(&out);
        assert!(!out.status.success(), "{name}: {said}");
        assert!(
            said.contains(reason),
            "{name}: expected `{reason}` in:\n{said}"
        );
        assert!(installed(data.path()).is_empty(), "{name}");
        let partial: Vec<_> = std::fs::read_dir(data.path().join("downloads"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(partial.is_empty(), "{name}: {partial:?}");
    }
    // A catalog that names the trusted key for a file another key signed: the download
    // matches the catalog, the signature does not.
    let (other_key, _) = new_key(work.path(), "autre");
    let forged_dir = work.path().join("forge");
    build(
        work.path(),
        &other_key,
        "fiches",
        "1.0.0",
        "girafe",
        0,
        &forged_dir,
    );
    assert!(cli(
        work.path(),
        &["catalog", "build", forged_dir.to_str().unwrap()]
    )
    .status
    .success());
    let forged = std::fs::read_to_string(forged_dir.join("catalog.json")).unwrap();
    let forged: serde_json::Value = serde_json::from_str(&forged).unwrap();
    let mut entry = forged["packs"][0].clone();
    entry["publisher"] = public.clone().into();
    entry["url"] = "forge/fiches-1.0.0.kitpack".into();
    std::fs::create_dir_all(dir.join("forge")).unwrap();
    std::fs::copy(
        forged_dir.join("fiches-1.0.0.kitpack"),
        dir.join("forge/fiches-1.0.0.kitpack"),
    )
    .unwrap();
    write(
        "forged.json",
        &serde_json::json!({"format": 1, "packs": [entry]}).to_string(),
    );
    let out = sync_once(data.path(), &url("forged.json"));
    let said = stdout(&out) + &stderr(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("clé inconnue") || said.contains("signature"),
        "{said}"
    );
    assert!(installed(data.path()).is_empty());

    // And the next attempt, with a good catalog, works.
    let out = sync_once(data.path(), &url("catalog.json"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(installed(data.path()), [("fiches".into(), "1.0.0".into())]);
}

/// Kills the child on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    wait_until("a server to listen", Duration::from_secs(10), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

#[test]
fn catalog_build_output_served_by_pythons_http_server_is_an_upstream() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 20_000);
    let port = free_port();
    let server = Server(
        Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
                "--directory",
            ])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3"),
    );
    wait_for_port(port);
    let data = trusting(&public);
    let out = sync_once(
        data.path(),
        &format!("http://127.0.0.1:{port}/catalog.json"),
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(installed(data.path()), [("fiches".into(), "1.0.0".into())]);
    drop(server);
}

#[test]
fn serve_syncs_from_its_upstream_in_the_background() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 0);
    let server = Flaky::start(dir, true, usize::MAX, 0);
    let data = trusting(&public);
    std::fs::write(
        data.path().join("kit.toml"),
        format!(
            "[sync]\nupstream = \"http://{}/catalog.json\"\n",
            server.addr
        ),
    )
    .unwrap();
    let kit = Kit::spawn_in(data.path());
    wait_until("the background sync", Duration::from_secs(30), || {
        kit.get("/tutoriels/tutoriel-fiches/etape/1").status == 200
    });
    assert!(
        kit.log().contains("installé : fiches 1.0.0"),
        "{}",
        kit.log()
    );
}

#[test]
fn a_stick_that_appears_is_imported_and_one_pulled_out_mid_import_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let out_dir = work.path().join("out");
    let v1 = build(work.path(), &key, "fiches", "1.0.0", "girafe", 0, &out_dir);
    // Big enough that its import takes a while in a debug build.
    let v2 = build(
        work.path(),
        &key,
        "fiches",
        "2.0.0",
        "hippopotame",
        40 << 20,
        &out_dir,
    );
    let data = trusting(&public);
    assert!(cli(data.path(), &["pack", "import", v1.to_str().unwrap()])
        .status
        .success());
    let media = work.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(
        data.path().join("kit.toml"),
        format!(
            "[usb]\nmount_roots = [\"{}\"]\npolicy = \"auto\"\n",
            media.display()
        ),
    )
    .unwrap();
    let kit = Kit::spawn_in(data.path());

    // A stick full of photos, the pack two folders down.
    let stick = work.path().join("cle1");
    for i in 0..1000 {
        let folder = stick.join(format!("DCIM/{:03}", i / 100));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("IMG_{i:04}.jpg")), [0xff, 0xd8, 0xff]).unwrap();
    }
    std::fs::create_dir_all(stick.join("ateliers/2026")).unwrap();
    let on_stick = stick.join("ateliers/2026/fiches-2.0.0.kitpack");
    std::fs::copy(&v2, &on_stick).unwrap();
    std::fs::rename(&stick, media.join("cle1")).unwrap();
    let on_stick = media.join("cle1/ateliers/2026/fiches-2.0.0.kitpack");

    // Seen within 5 s; then pulled out while it installs.
    wait_until("the stick to be seen", Duration::from_secs(5), || {
        kit.log().contains("Installation de")
    });
    let half = std::fs::metadata(&on_stick).unwrap().len() / 2;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&on_stick)
        .unwrap()
        .set_len(half)
        .unwrap();
    std::fs::remove_dir_all(media.join("cle1")).unwrap();
    wait_until("the import to fail", Duration::from_secs(60), || {
        kit.log().contains("refusé")
    });
    let page = kit.get("/tutoriels/tutoriel-fiches/etape/1");
    assert!(page.text().contains("girafe"), "the old version stays");
    assert_eq!(installed(data.path()), [("fiches".into(), "1.0.0".into())]);

    // The watch saw it go (a stick plugged back later is a new one).
    wait_until("the stick to be seen gone", Duration::from_secs(10), || {
        kit.log().contains("cle1` is gone")
    });
    // Plugged in again: imported this time.
    let again = media.join("cle1");
    std::fs::create_dir_all(&again).unwrap();
    std::fs::copy(&v2, again.join("fiches-2.0.0.kitpack")).unwrap();
    wait_until(
        "the stick's pack to be installed",
        Duration::from_secs(60),
        || {
            kit.get("/tutoriels/tutoriel-fiches/etape/1")
                .text()
                .contains("hippopotame")
        },
    );
    assert_eq!(installed(data.path()), [("fiches".into(), "2.0.0".into())]);
}

#[test]
fn with_the_ask_policy_a_stick_is_listed_not_installed() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let data = trusting(&public);
    let media = work.path().join("media");
    build(
        work.path(),
        &key,
        "fiches",
        "1.0.0",
        "girafe",
        0,
        &media.join("cle2"),
    );
    std::fs::write(
        data.path().join("kit.toml"),
        format!(
            "[usb]\nmount_roots = [\"{}\"]\npolicy = \"ask\"\n",
            media.display()
        ),
    )
    .unwrap();
    let kit = Kit::spawn_in(data.path());
    wait_until("the stick to be seen", Duration::from_secs(5), || {
        kit.log()
            .contains("Clé « cle2 » branchée : 1 paquet(s) trouvé(s), 1 à installer")
    });
    std::thread::sleep(Duration::from_secs(3));
    assert!(installed(data.path()).is_empty());
}

#[test]
fn sync_usb_installs_what_is_new_and_says_why_it_skips_the_rest() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let (other, _) = new_key(work.path(), "inconnu");
    let stick = work.path().join("cle");
    build(work.path(), &key, "fiches", "1.0.0", "girafe", 0, &stick);
    build(
        work.path(),
        &key,
        "fiches",
        "1.1.0",
        "lion",
        0,
        &stick.join("plus-recent"),
    );
    build(work.path(), &other, "autres", "1.0.0", "ours", 0, &stick);
    let data = trusting(&public);
    let out = cli(data.path(), &["sync", "usb", stick.to_str().unwrap()]);
    let said = stdout(&out);
    assert!(out.status.success(), "{said}{}", stderr(&out));
    assert!(said.contains("installé : fiches 1.1.0"), "{said}");
    assert!(
        said.contains("ignoré : autres 1.0.0") && said.contains("clé inconnue"),
        "{said}"
    );
    assert!(said.contains("ignoré : fiches 1.0.0"), "{said}");
    assert_eq!(installed(data.path()), [("fiches".into(), "1.1.0".into())]);
}

#[test]
fn reports_go_to_a_real_webdav_folder_once_per_change() {
    let Some(nginx) = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        if std::env::var_os("MEDNUM_REQUIRE_ROOT_TESTS").is_some_and(|v| v == "1") {
            panic!("nginx is required (scripts/install-test-deps.sh installs it)");
        }
        eprintln!("SKIP: no nginx here");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("dav");
    std::fs::create_dir_all(root.join("partage")).unwrap();
    let port = free_port();
    let conf = work.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\n{user}pid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{}}\n\
             http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n\
               server {{\n    listen 127.0.0.1:{port};\n    root {root};\n\
                 location /partage/ {{ dav_methods PUT; create_full_put_path on; }}\n  }}\n}}\n",
            dir = work.path().display(),
            root = root.display(),
            // As root, nginx's workers would write as `www-data`, which cannot enter the temp dir.
            user = if is_root() { "user root;\n" } else { "" }
        ),
    )
    .unwrap();
    let _server = Server(
        Command::new(nginx)
            .args([
                "-e",
                &work.path().join("error.log").display().to_string(),
                "-c",
            ])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx"),
    );
    wait_for_port(port);

    let data = tempfile::tempdir().unwrap();
    write_report(data.path(), "2026-11-30", "Atelier courriel");
    std::fs::write(
        data.path().join("kit.toml"),
        format!(
            "[network]\nhostname = \"kit-a\"\n\n[sync]\nreports_url = \"http://127.0.0.1:{port}/partage/\"\n"
        ),
    )
    .unwrap();
    let kit = Kit::spawn_in(data.path());
    let csv = root.join("partage/kit-a-comptes-rendus-2026-11-30.csv");
    let json = root.join("partage/kit-a-comptes-rendus-2026-11-30.json");
    wait_until("the reports to be sent", Duration::from_secs(30), || {
        kit.log().contains("comptes-rendus envoyés")
    });
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("Atelier courriel"), "{text}");
    let parsed: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(parsed.as_array().map(Vec::len), Some(1));
    assert!(
        kit.log().contains("comptes-rendus envoyés : 1 jour(s)"),
        "{}",
        kit.log()
    );
}

/// Writes one activity report into the data dir's real reports database.
fn write_report(data: &Path, day: &str, title: &str) {
    use mednum_kit::reports::*;
    let mut reports = Reports::open(data).unwrap();
    let fields = Fields {
        kind: Kind::Workshop,
        date: Date::parse(day).unwrap(),
        duration: 90,
        place: PlaceKind::Usual,
        structure: "Médiathèque".into(),
        commune: String::new(),
        postal_code: String::new(),
        themes: vec![Theme::Email],
        domains: vec![],
        title: title.into(),
        level: Some(Level::Beginner),
        equipment: vec![Equipment::Phone],
        participants: 5,
        ages: [0; AGE_BANDS],
        statuses: [0; STATUSES],
        autonomy: None,
        redirection: String::new(),
        notes: String::new(),
    };
    let owner = Owner {
        name: "claire",
        since: 1,
    };
    reports.create(owner, &fields, None).unwrap();
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn a_download_already_running_elsewhere_is_left_to_it() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 0);
    let catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("catalog.json")).unwrap()).unwrap();
    let sha = catalog["packs"][0]["sha256"].as_str().unwrap().to_owned();
    let server = Flaky::start(dir, true, usize::MAX, 0);
    let data = trusting(&public);
    // Another sync holds the partial file (as the kit's own loop would).
    let downloads = data.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let held = std::fs::File::create(downloads.join(format!("{sha}.part"))).unwrap();
    held.lock().unwrap();
    let url = format!("http://{}/catalog.json", server.addr);
    let out = sync_once(data.path(), &url);
    let said = stdout(&out) + &stderr(&out);
    assert!(!out.status.success());
    assert!(said.contains("déjà en cours de téléchargement"), "{said}");
    drop(held);
    let out = sync_once(data.path(), &url);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_pack_that_would_fill_the_disk_is_not_downloaded() {
    let Some(disk) = support::SmallDisk::mount_or_skip("48m") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let dir = upstream_dir(work.path(), &key, 40 << 20);
    let server = Flaky::start(dir, true, usize::MAX, 0);
    let data = disk.path().join("kit");
    let out = cli(&data, &["trust", "add", &public]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sync_once(&data, &format!("http://{}/catalog.json", server.addr));
    let said = stdout(&out) + &stderr(&out);
    assert!(!out.status.success());
    assert!(said.contains("pas assez de place"), "{said}");
    let left: Vec<_> = std::fs::read_dir(data.join("downloads"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
