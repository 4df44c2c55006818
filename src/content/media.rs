//! Media in packs (`media/`): video, audio, subtitles and printable handouts. Each file is
//! recognised by its first bytes as well as its extension, so a file whose name lies is
//! refused before a phone is handed it; a PDF that carries JavaScript and a `.vtt` that is
//! not WebVTT are refused too. Also the labels a learner reads beside them (sizes in French).

use std::io::Read;

/// The folder of a pack that holds its media.
pub const FOLDER: &str = "media";

/// Default largest media file (bytes) before `pack check` warns; `pack.toml` may change it
/// with `media_max_mb`.
pub const DEFAULT_MAX_MB: u64 = 200;

/// File types a pack may carry in `media/`.
pub const EXTENSIONS: &[&str] = &["mp4", "webm", "mp3", "ogg", "m4a", "vtt", "pdf"];

/// Poster images looked for beside a video, in this order (`clip.jpg` for `clip.mp4`).
const POSTER_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "svg", "gif"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Video,
    Audio,
    Subtitles,
    Handout,
}

/// The kind of a media file by its extension (any case).
pub fn kind_of(path: &str) -> Option<Kind> {
    let ext = extension(path)?;
    Some(match ext.as_str() {
        "mp4" | "webm" => Kind::Video,
        "mp3" | "ogg" | "m4a" => Kind::Audio,
        "vtt" => Kind::Subtitles,
        "pdf" => Kind::Handout,
        _ => return None,
    })
}

fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    Some(name.rsplit_once('.')?.1.to_ascii_lowercase())
}

/// `media/clip.mp4` → `media/clip`.
fn stem(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(stem, _)| stem)
}

/// The subtitles that go with a video or a sound: `clip.vtt` beside `clip.mp4`.
pub fn subtitles_of(path: &str, has: impl Fn(&str) -> bool) -> Option<String> {
    let vtt = format!("{}.vtt", stem(path));
    has(&vtt).then_some(vtt)
}

/// The poster of a video: an image of the same name beside it.
pub fn poster_of(path: &str, has: impl Fn(&str) -> bool) -> Option<String> {
    POSTER_EXTENSIONS
        .iter()
        .map(|ext| format!("{}.{ext}", stem(path)))
        .find(|p| has(p))
}

/// The format's short name shown to learners (`MP4`, `PDF`).
pub fn format_label(path: &str) -> String {
    extension(path).unwrap_or_default().to_ascii_uppercase()
}

/// A size as French readers write it: `240 Ko`, `3,2 Mo`, `1,5 Go` (units of 1000).
pub fn french_size(bytes: u64) -> String {
    let units = [(1_000_000_000, "Go"), (1_000_000, "Mo"), (1_000, "Ko")];
    for (unit, name) in units {
        if bytes >= unit {
            let tenths = (bytes * 10 + unit / 2) / unit;
            return if tenths >= 100 || tenths.is_multiple_of(10) {
                format!("{} {name}", (tenths + 5) / 10)
            } else {
                format!("{},{} {name}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bytes} o")
}

/// How many bytes of a file `check` needs at least to recognise it.
const HEAD: usize = 64;

/// Checks that a media file is what its extension says, reading it once (a PDF is read
/// whole for scripts). The message is French, for the author; it names what was found.
pub fn check(path: &str, mut content: impl Read) -> Result<(), String> {
    let Some(kind) = kind_of(path) else {
        return Ok(());
    };
    let mut head = Vec::with_capacity(HEAD);
    (&mut content)
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| format!("lecture impossible : {e}"))?;
    let ext = extension(path).unwrap_or_default();
    let found = sniff(&head);
    let expected = match ext.as_str() {
        "mp4" | "m4a" => "mp4",
        other => other,
    };
    if found != Some(expected) {
        let what = found.map_or("un autre type de fichier".to_owned(), |f| {
            format!("un fichier {}", f.to_ascii_uppercase())
        });
        return Err(match kind {
            Kind::Subtitles => "ce n'est pas un fichier de sous-titres WebVTT : il doit \
                                commencer par `WEBVTT`"
                .to_owned(),
            _ => format!("l'extension `.{ext}` ne correspond pas au contenu : c'est {what}"),
        });
    }
    if kind == Kind::Subtitles {
        let mut rest = Vec::new();
        (&mut content)
            .take(8 * 1024 * 1024)
            .read_to_end(&mut rest)
            .map_err(|e| format!("lecture impossible : {e}"))?;
        head.extend_from_slice(&rest);
        if std::str::from_utf8(&head).is_err() {
            return Err("les sous-titres WebVTT doivent être en UTF-8".to_owned());
        }
    }
    if kind == Kind::Handout && has_pdf_script(&head, content)? {
        return Err("ce PDF contient du JavaScript (`/JavaScript` ou `/JS`) : \
                    enregistrez-le à nouveau sans script"
            .to_owned());
    }
    Ok(())
}

/// What the first bytes of a file say it is: `mp4`, `webm`, `mp3`, `ogg`, `vtt`, `pdf`.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.get(4..8) == Some(b"ftyp") {
        Some("mp4")
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("webm")
    } else if head.starts_with(b"OggS") {
        Some("ogg")
    } else if head.starts_with(b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
    {
        Some("mp3")
    } else if text.starts_with(b"WEBVTT")
        && matches!(text.get(6), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some("vtt")
    } else if head.starts_with(b"%PDF-") {
        Some("pdf")
    } else {
        None
    }
}

/// PDF names that run a script: `/JavaScript` and `/JS`, followed by a delimiter (so that
/// `/JSON` is not one). Read in pieces, never whole; a name cut between two pieces is
/// still found.
fn has_pdf_script(head: &[u8], mut rest: impl Read) -> Result<bool, String> {
    const OVERLAP: usize = 16;
    let mut window = head.to_vec();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if contains_script_name(&window) {
            return Ok(true);
        }
        let n = rest
            .read(&mut buf)
            .map_err(|e| format!("lecture impossible : {e}"))?;
        if n == 0 {
            return Ok(false);
        }
        let keep = window.len().saturating_sub(OVERLAP);
        window.drain(..keep);
        window.extend_from_slice(&buf[..n]);
    }
}

fn contains_script_name(bytes: &[u8]) -> bool {
    let is_delimiter = |b: Option<&u8>| match b {
        None => true,
        Some(b) => b.is_ascii_whitespace() || b"/<>[]()%{}".contains(b),
    };
    [&b"/JavaScript"[..], &b"/JS"[..]].iter().any(|name| {
        memchr::memmem::find_iter(bytes, name).any(|i| is_delimiter(bytes.get(i + name.len())))
    })
}

/// For a video in MP4: `true` when it says H.264 (`avc1`/`avc3`), the codec every phone
/// plays. Read in pieces; used for a warning only.
pub fn mp4_is_h264(mut content: impl Read) -> bool {
    let mut window: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let Ok(n) = content.read(&mut buf) else {
            return false;
        };
        if n == 0 {
            return false;
        }
        let keep = window.len().saturating_sub(8);
        window.drain(..keep);
        window.extend_from_slice(&buf[..n]);
        if memchr::memmem::find(&window, b"avc1").is_some()
            || memchr::memmem::find(&window, b"avc3").is_some()
        {
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_recognised_by_its_first_bytes() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"\0\0\0\x20ftypisom\0\0", Some("mp4")),
            (&[0x1A, 0x45, 0xDF, 0xA3, 1], Some("webm")),
            (b"OggS\0\x02", Some("ogg")),
            (b"ID3\x04\0", Some("mp3")),
            (&[0xFF, 0xFB, 0x90], Some("mp3")),
            (b"WEBVTT\n\n00:00.000 --> 00:01.000\nBonjour", Some("vtt")),
            (b"\xEF\xBB\xBFWEBVTT - titre\n", Some("vtt")),
            (b"WEBVTTX", None),
            (b"%PDF-1.7\n", Some("pdf")),
            (b"<html>", None),
            (b"", None),
        ];
        for (head, want) in cases {
            assert_eq!(sniff(head), *want, "{head:?}");
        }
    }

    #[test]
    fn a_file_whose_extension_lies_is_refused_with_what_it_is() {
        let pdf_as_video = check("media/a.mp4", &b"%PDF-1.4\n"[..]).unwrap_err();
        assert!(pdf_as_video.contains("`.mp4`") && pdf_as_video.contains("PDF"));
        let webm_as_mp4 = check("media/a.mp4", &[0x1A, 0x45, 0xDF, 0xA3, 0][..]).unwrap_err();
        assert!(webm_as_mp4.contains("WEBM"), "{webm_as_mp4}");
        let srt = check(
            "media/a.vtt",
            &b"1\n00:00:01,000 --> 00:00:02,000\nBonjour\n"[..],
        );
        assert!(srt.unwrap_err().contains("WebVTT"));
        assert!(check("media/a.m4a", &b"\0\0\0\x18ftypM4A \0"[..]).is_ok());
        assert!(check("media/a.ogg", &b"OggS\0"[..]).is_ok());
        assert!(check("media/a.vtt", &b"WEBVTT\n"[..]).is_ok());
    }

    #[test]
    fn a_pdf_with_javascript_is_refused_even_far_into_the_file() {
        let mut pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog /JSON 1 >>\n".to_vec();
        assert!(check("media/f.pdf", &pdf[..]).is_ok());
        pdf.extend(std::iter::repeat_n(b' ', 200_000 - 5));
        pdf.extend_from_slice(b"<< /S /JavaScript /JS (app.alert(1)) >>");
        assert!(check("media/f.pdf", &pdf[..])
            .unwrap_err()
            .contains("JavaScript"));
        assert!(contains_script_name(b"<</JS(x)>>"));
        assert!(!contains_script_name(b"/JSON /JSX"));
    }

    #[test]
    fn sizes_read_as_french_readers_write_them() {
        let cases = [
            (999, "999 o"),
            (240_000, "240 Ko"),
            (3_240_000, "3,2 Mo"),
            (12_000_000, "12 Mo"),
            (1_500_000_000, "1,5 Go"),
        ];
        for (bytes, want) in cases {
            assert_eq!(french_size(bytes), want);
        }
    }

    #[test]
    fn subtitles_and_poster_are_found_beside_the_file() {
        let has = |p: &str| ["media/clip.vtt", "media/clip.png"].contains(&p);
        assert_eq!(
            subtitles_of("media/clip.mp4", has).as_deref(),
            Some("media/clip.vtt")
        );
        assert_eq!(
            poster_of("media/clip.mp4", has).as_deref(),
            Some("media/clip.png")
        );
        assert_eq!(poster_of("media/autre.mp4", has), None);
    }
}
