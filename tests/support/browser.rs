//! A browser for the admin pages' tests: one client address, a cookie jar, form tokens read
//! from pages, form posts with the `Origin` a browser sends, uploads, and the CLI's
//! `admin create-user` to make accounts beside a running kit.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{read_response, Kit, Response};

/// A browser on one address: keeps cookies, reads form tokens, sends forms.
pub struct Browser<'k> {
    pub kit: &'k Kit,
    pub from: IpAddr,
    pub cookies: BTreeMap<String, String>,
}

impl<'k> Browser<'k> {
    pub fn new(kit: &'k Kit, from: [u8; 4]) -> Browser<'k> {
        Browser {
            kit,
            from: IpAddr::from(from),
            cookies: BTreeMap::new(),
        }
    }

    pub fn host(&self) -> String {
        self.kit.addr.to_string()
    }

    pub fn cookie_header(&self) -> String {
        if self.cookies.is_empty() {
            return String::new();
        }
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("Cookie: {}\r\n", pairs.join("; "))
    }

    pub fn keep_cookies(&mut self, response: &Response) {
        for (name, value) in &response.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
    }

    pub fn send(&mut self, head: &str, body: &[u8]) -> Response {
        let mut stream = self.kit.connect_from(self.from);
        let mut raw = head.as_bytes().to_vec();
        raw.extend_from_slice(body);
        let _ = stream.write_all(&raw);
        let response = read_response(&mut stream);
        self.keep_cookies(&response);
        response
    }

    pub fn get(&mut self, path: &str) -> Response {
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{}Connection: close\r\n\r\n",
            self.host(),
            self.cookie_header()
        );
        self.send(&head, b"")
    }

    /// A form post as a browser sends it (with `Origin`).
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.post_with(path, fields, &format!("Origin: http://{}\r\n", self.host()))
    }

    pub fn post_with(&mut self, path: &str, fields: &[(&str, &str)], extra: &str) -> Response {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\n{}{extra}Content-Type: \
             application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.host(),
            self.cookie_header(),
            body.len()
        );
        self.send(&head, body.as_bytes())
    }

    /// The form token of the page at `path`.
    pub fn token(&mut self, path: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        token_in(&page.text()).unwrap_or_else(|| panic!("no token on {path}"))
    }

    pub fn upload(&mut self, csrf: &str, file_name: &str, bytes: &[u8]) -> Response {
        let boundary = "----kitBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"paquet\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        write!(body, "\r\n--{boundary}--\r\n").unwrap();
        let head = format!(
            "POST /admin/paquets/envoyer HTTP/1.1\r\nHost: {host}\r\n{cookies}Origin: \
             http://{host}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len(),
            host = self.host(),
            cookies = self.cookie_header(),
        );
        self.send(&head, &body)
    }

    /// Signs in (the account exists).
    pub fn login(&mut self, name: &str, password: &str) -> Response {
        let csrf = self.token("/admin/connexion");
        self.post(
            "/admin/connexion",
            &[("csrf", &csrf), ("nom", name), ("mot_de_passe", password)],
        )
    }

    /// Waits for the job a response sent us to, and returns its final state.
    pub fn job_outcome(&mut self, response: &Response) -> serde_json::Value {
        assert_eq!(response.status, 303, "{}", response.text());
        let job = response.header("Location").unwrap().to_owned();
        assert!(job.starts_with("/admin/travaux/"), "{job}");
        let start = Instant::now();
        loop {
            let state = self.get(&format!("{job}/etat"));
            assert_eq!(state.status, 200, "{}", state.text());
            let value: serde_json::Value = serde_json::from_slice(&state.body).unwrap();
            if value["finished"] == true {
                // The page says the same as the JSON.
                let page = self.get(&job).text();
                let message = value["message"].as_str().unwrap();
                assert!(page.contains(&html_escape(message)), "{page}");
                return value;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "{value}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The value of the first `name="csrf" value="…"` of a page.
pub fn token_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    Some(rest.split('"').next()?.to_owned())
}

pub fn create_user(
    data_dir: &Path,
    name: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
    let mut child = std::process::Command::new(super::BIN)
        .env_clear()
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "admin",
            "create-user",
            name,
            "--role",
            role,
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}
