//! `POST /admin/paquets/envoyer`: a `.kitpack` sent from the admin's phone or computer.
//!
//! The routing table checks the session; the request is then handed to a thread of its own
//! (a big pack over Wi-Fi takes minutes, and must not hold a worker), which reads the form's
//! first part (the page's token) before anything else, streams the file into the data dir
//! with a fixed buffer, and starts the same install as `pack import`. Whatever goes wrong
//! (a cut connection, a file over the limit, a full disk), the partial file is removed.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use maud::html;

use super::{admin_page, notice, packs, reply, token_matches, Ctx, CSRF_FIELD};
use crate::accounts::Session;
use crate::i18n::fill;
use crate::web::http::{HttpError, HttpResult, Reply};
use crate::web::multipart::{self, Multipart, MultipartError};
use crate::web::{Shared, Worker};

pub const UPLOAD_PATH: &str = "/admin/paquets/envoyer";
/// Where uploads are written while they arrive (same disk as the library: installing moves
/// the file instead of copying it).
pub const UPLOADS_DIR: &str = "uploads";
/// Uploads received at once; more get "busy".
const MAX_UPLOADS: usize = 2;
/// Room left on the disk beyond the upload itself (the install needs its own).
const DISK_MARGIN: u64 = 16 << 20;
/// A form's parts around the file: its token, headers, boundaries.
const FORM_OVERHEAD: u64 = 64 << 10;

/// An upload accepted by the routing table, waiting for its thread. Holds one of the
/// `MAX_UPLOADS` places until dropped.
pub struct Handoff {
    shared: Arc<Shared>,
    session: Session,
    boundary: String,
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.shared.admin.uploads.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What went wrong with an upload, each with its page.
enum Problem {
    Expired,
    NoFile,
    TooBig,
    DiskFull,
    /// The connection was cut or the form was malformed: nobody may be there to read.
    Cut(String),
    Internal(String),
}

/// The routing table's handler: checks what can be checked from the head, then hands off.
pub fn receive(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let session = ctx.session()?.clone();
    let boundary = ctx
        .req
        .content_type
        .and_then(multipart::boundary)
        .ok_or(HttpError::BadRequest("upload without multipart/form-data"))?;
    if let Some(declared) = ctx.req.body_length {
        if declared as u64 > shared.admin.max_upload + FORM_OVERHEAD {
            return Ok(problem_page(&shared, Some(&session), &Problem::TooBig)
                .header("Connection", "close"));
        }
        let free = crate::packs::free_bytes(&shared.data_dir).unwrap_or(u64::MAX);
        if (declared as u64).saturating_add(DISK_MARGIN) > free {
            return Ok(problem_page(&shared, Some(&session), &Problem::DiskFull)
                .header("Connection", "close"));
        }
    }
    let reserved = shared
        .admin
        .uploads
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_UPLOADS).then_some(n + 1)
        })
        .is_ok();
    if !reserved {
        return Err(HttpError::Busy);
    }
    w.handoff = Some(Handoff {
        shared,
        session,
        boundary,
    });
    // Not sent: the server gives the request to `start` instead.
    Ok(Reply::no_content())
}

/// Receives the upload on a thread of its own, then answers.
pub fn start(handoff: Handoff, request: tiny_http::Request) {
    let spawned = std::thread::Builder::new()
        .name("upload".into())
        .spawn(move || {
            let mut request = request;
            let reply = match read_upload(&handoff, &mut request) {
                Ok(reply) => reply,
                Err(problem) => {
                    if let Problem::Cut(why) | Problem::Internal(why) = &problem {
                        log::warn!("upload from {} failed: {why}", handoff.session.user.name);
                    }
                    // A refusal before the end of the body: the connection cannot carry on.
                    problem_page(&handoff.shared, Some(&handoff.session), &problem)
                        .header("Connection", "close")
                }
            };
            let _ = request.respond(reply.into_response());
        });
    if let Err(e) = spawned {
        // The closure (and the request with it) is gone: the client sees the connection end.
        log::warn!("no thread for an upload: {e}");
    }
}

/// A file being written, removed on drop unless kept.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = fs::remove_file(path);
        }
    }
}

fn read_upload(h: &Handoff, request: &mut tiny_http::Request) -> Result<Reply, Problem> {
    let shared = &h.shared;
    let mut parts = Multipart::new(request.as_reader(), &h.boundary);
    let cut = |e: MultipartError| match e {
        MultipartError::TooLarge => Problem::TooBig,
        MultipartError::Write(e) if e.kind() == std::io::ErrorKind::StorageFull => {
            Problem::DiskFull
        }
        MultipartError::Write(e) => Problem::Internal(e.to_string()),
        other => Problem::Cut(other.to_string()),
    };
    // The page's token comes first (the form puts it first): nothing is written before it
    // is checked.
    match parts.next_part().map_err(cut)? {
        Some(part) if part.name == CSRF_FIELD => {}
        _ => return Err(Problem::Expired),
    }
    let token = parts.read_text(256).map_err(cut)?;
    if !token_matches(Some(token.trim()), Some(&h.session.csrf)) {
        return Err(Problem::Expired);
    }
    let part = match parts.next_part().map_err(cut)? {
        Some(part) if part.name == "paquet" => part,
        _ => return Err(Problem::NoFile),
    };
    let shown = shown_name(part.filename.as_deref().unwrap_or(""));
    if shown.is_empty() {
        return Err(Problem::NoFile);
    }
    let dir = shared.data_dir.join(UPLOADS_DIR);
    fs::create_dir_all(&dir).map_err(|e| Problem::Internal(format!("{}: {e}", dir.display())))?;
    let name = format!(
        "{}.part",
        crate::accounts::random_hex(12).map_err(|e| Problem::Internal(e.to_string()))?
    );
    let path = dir.join(name);
    let mut partial = Partial(Some(path.clone()));
    let mut file =
        create_private(&path).map_err(|e| Problem::Internal(format!("{}: {e}", path.display())))?;
    let copied = parts
        .copy_part(&mut file, shared.admin.max_upload, &mut |_| {})
        .map_err(cut)?;
    if copied == 0 {
        return Err(Problem::NoFile);
    }
    file.sync_all().map_err(|e| match e.kind() {
        std::io::ErrorKind::StorageFull => Problem::DiskFull,
        _ => Problem::Internal(e.to_string()),
    })?;
    drop(file);
    log::info!("{} uploaded {shown} ({copied} bytes)", h.session.user.name);
    // From here the job owns the file (and removes it when done).
    partial.0 = None;
    let job = packs::start_import(shared, path.clone(), shown, true).map_err(|e| {
        let _ = fs::remove_file(&path);
        Problem::Internal(e)
    })?;
    Ok(Reply::redirect(303, format!("/admin/travaux/{}", job.id)))
}

fn create_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// The name a file was sent under, as the admin will read it: its last path component,
/// printable characters only, at most 100.
fn shown_name(sent: &str) -> String {
    let base = sent.rsplit(['/', '\\']).next().unwrap_or("");
    base.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Removes uploads a stopped kit left half-written.
pub fn clean_uploads(data_dir: &Path) {
    let Ok(entries) = fs::read_dir(data_dir.join(UPLOADS_DIR)) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.path().extension().is_some_and(|e| e == "part") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn problem_page(shared: &Shared, session: Option<&Session>, problem: &Problem) -> Reply {
    let t = shared.catalog();
    let max = (shared.admin.max_upload >> 20).to_string();
    let (status, text) = match problem {
        Problem::Expired => (403, t.a("upload_expired").to_owned()),
        Problem::NoFile => (422, t.a("upload_no_file").to_owned()),
        Problem::TooBig => (413, fill(t.a("upload_too_big"), &[("max", &max)])),
        Problem::DiskFull => (507, t.a("upload_disk_full").to_owned()),
        Problem::Cut(_) => (400, t.a("upload_cut").to_owned()),
        Problem::Internal(_) => (500, t.a("upload_internal").to_owned()),
    };
    let main = html! {
        h1 { (t.a("upload_heading")) }
        (notice(false, &text))
        p { a.button href="/admin/paquets" { (t.a("back_packs")) } }
    };
    reply(
        status,
        admin_page(shared, session, t.a("upload_heading"), main),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_shown_are_the_last_component_printable_and_short() {
        assert_eq!(
            shown_name("C:\\Users\\x\\fiches-1.0.0.kitpack"),
            "fiches-1.0.0.kitpack"
        );
        assert_eq!(shown_name("../../etc/passwd"), "passwd");
        assert_eq!(shown_name("a\u{7}b\n.kitpack"), "ab.kitpack");
        assert_eq!(shown_name(&"x".repeat(300)).len(), 100);
        assert_eq!(shown_name(""), "");
    }
}
