//! Activity reports sent up to a WebDAV folder (`[sync] reports_url`, a Nextcloud public
//! upload share for instance): one CSV and one JSON file per activity day, under names that
//! do not change (`<kit>-comptes-rendus-<day>.csv`), so sending again replaces. A day is
//! sent again only when its reports changed since the last time.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::http::{without_credentials, Client};
use super::status::Status;
use super::upstream::AfterPass;
use crate::config::SyncConfig;
use crate::packs::format::to_hex;
use crate::reports::{export, Date, Filter, Report, Reports};

/// Where to send, and under which name (the kit's host name keeps kits apart in one folder).
pub struct Target<'a> {
    /// The folder's address, with `user:password@` when the share has a password.
    pub url: &'a str,
    pub kit: &'a str,
}

/// What one sending did.
#[derive(Debug, Default)]
pub struct Sent {
    pub days: Vec<Date>,
    pub unchanged: usize,
}

/// Sends every day whose reports changed. Stops at the first failure (the next pass retries
/// it: nothing is marked sent unless the server took both files).
pub fn send(client: &Client, reports: &mut Reports, target: &Target<'_>) -> Result<Sent> {
    let (folder, auth) = split_credentials(target.url);
    let folder = if folder.ends_with('/') {
        folder
    } else {
        format!("{folder}/")
    };
    let all = reports.list(&Filter::default())?;
    let mut by_day: BTreeMap<Date, Vec<Report>> = BTreeMap::new();
    for report in all {
        by_day.entry(report.fields.date).or_default().push(report);
    }
    let mut sent = Sent::default();
    for day in reports.days()? {
        let of_day = by_day.remove(&day).unwrap_or_default();
        let csv = export::csv(&of_day);
        let json = export::json(&of_day);
        let mut hasher = Sha256::new();
        hasher.update(&csv);
        hasher.update(&json);
        let digest = to_hex(&hasher.finalize());
        if reports.sent_digest(day)?.as_deref() == Some(digest.as_str()) {
            sent.unchanged += 1;
            continue;
        }
        let base = format!("{folder}{}-comptes-rendus-{day}", target.kit);
        for (ext, bytes, mime) in [
            ("csv", &csv, "text/csv; charset=utf-8"),
            ("json", &json, "application/json"),
        ] {
            let url = format!("{base}.{ext}");
            client
                .put(&url, bytes, mime, auth.as_deref())
                .with_context(|| {
                    format!(
                        "compte-rendu du {day} non envoyé à `{}`",
                        without_credentials(&url)
                    )
                })?;
        }
        reports.mark_sent(day, &digest, super::status::now_secs() as i64)?;
        sent.days.push(day);
    }
    Ok(sent)
}

/// Sends the reports after each sync pass, when `[sync] reports_url` is set.
pub fn sender(data_dir: &Path, kit: &str, sync: &SyncConfig) -> AfterPass {
    let Some(url) = sync.reports_url.clone() else {
        return Box::new(|_| {});
    };
    let data_dir = data_dir.to_owned();
    let kit = kit.to_owned();
    let client = Client::new(super::upstream::limits(sync));
    Box::new(move |status: &Status| {
        let target = Target {
            url: &url,
            kit: &kit,
        };
        let result = Reports::open(&data_dir)
            .map_err(anyhow::Error::from)
            .and_then(|mut reports| send(&client, &mut reports, &target));
        match result {
            Ok(sent) if sent.days.is_empty() => {}
            Ok(sent) => status.note(
                true,
                format!("comptes-rendus envoyés : {} jour(s)", sent.days.len()),
            ),
            Err(e) => status.note(false, crate::cmd::describe(&e)),
        }
    })
}

/// `https://user:pass@host/p/` → (`https://host/p/`, base64 of `user:pass`).
fn split_credentials(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let end = rest.find('/').unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((userinfo, host)) => {
            use base64::Engine;
            let decoded = percent_decode(userinfo);
            let auth = base64::engine::general_purpose::STANDARD.encode(decoded);
            (format!("{scheme}://{host}{}", &rest[end..]), Some(auth))
        }
        None => (url.to_owned(), None),
    }
}

/// `%40` → `@` (a password may hold characters a URL cannot).
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_become_a_basic_header() {
        let (url, auth) = split_credentials("https://tok:p%40ss@cloud.example/public.php/webdav/");
        assert_eq!(url, "https://cloud.example/public.php/webdav/");
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.unwrap())
            .unwrap();
        assert_eq!(decoded, b"tok:p@ss");
        assert_eq!(
            split_credentials("http://h/dav/"),
            ("http://h/dav/".to_owned(), None)
        );
    }
}
