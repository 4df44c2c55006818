//! `multipart/form-data` request bodies, read as a stream: an upload of several GiB goes
//! through one fixed 64 KiB buffer, and no part is ever held whole in memory.
//!
//! Grammar (RFC 2046 §5.1.1, RFC 7578): an optional preamble, then parts each opened by
//! `--boundary` at the start of a line, part headers, an empty line and the body; a body ends
//! at CRLF `--boundary`, followed by `--` (the last part) or by optional padding and CRLF.

use std::io::{self, Read, Write};

use memchr::memmem::Finder;

/// The one buffer every byte goes through.
const BUF_SIZE: usize = 64 * 1024;
/// While no delimiter is in sight, body bytes are handed out in chunks of at least this
/// much: a socket that returns 1.4 KiB per read would otherwise cost one write per read.
const MIN_CHUNK: usize = BUF_SIZE / 2;
/// Bytes of headers per part, from the end of the boundary to the empty line included.
pub const MAX_PART_HEADER_BYTES: usize = 8 * 1024;
/// Header lines per part.
pub const MAX_PART_HEADERS: usize = 16;
/// Bytes before the first boundary.
pub const MAX_PREAMBLE: usize = 8 * 1024;
/// `copy_part` reports its progress each time the bytes copied pass a multiple of this.
const PROGRESS_STEP: u64 = 256 * 1024;
/// RFC 2046: a boundary is 1 to 70 characters.
const MAX_BOUNDARY: usize = 70;

const HEADERS_TOO_LONG: &str = "part headers longer than 8 KiB";

/// Why a multipart body cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MultipartError {
    /// The body stopped before its closing boundary: a cut connection or a cancelled upload.
    #[error("the upload ended before its closing boundary")]
    Truncated,
    #[error("part larger than the allowed limit")]
    TooLarge,
    #[error("malformed multipart body: {0}")]
    Malformed(&'static str),
    /// Reading the request failed (time-out, reset…); the cause follows in the error chain.
    #[error("failed to read the request body")]
    Io(#[from] io::Error),
    /// Writing a part to its destination failed (disk full…): not the client's fault.
    #[error("failed to write the uploaded part")]
    Write(#[source] io::Error),
}

/// The boundary of a `multipart/form-data` body, from its `Content-Type` header. `None` for
/// any other type, or a boundary missing, given twice or not as RFC 2046 allows.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = parse_params(content_type)?;
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let mut found = None;
    for (key, value) in params {
        if key.eq_ignore_ascii_case("boundary") {
            if found.is_some() {
                return None;
            }
            found = Some(value);
        }
    }
    found.filter(|b| valid_boundary(b))
}

/// RFC 2046 `bchars`, at most 70 of them, not ending with a space: this also keeps CR, LF
/// and anything odd out of the delimiter searched for.
fn valid_boundary(b: &str) -> bool {
    (1..=MAX_BOUNDARY).contains(&b.len())
        && !b.ends_with(' ')
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c))
}

/// The headers of a part that the kit uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHeaders {
    pub name: String,
    /// As sent: browsers send the base name, and `""` for a file input left empty.
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first boundary.
    Preamble,
    /// Inside a part's body.
    Body,
    /// The buffer starts with a delimiter (CRLF `--boundary`) not yet read past.
    Delimiter,
    /// The closing boundary was read; what follows is not read.
    Done,
    /// An error was returned; every later call returns an error too, never a quiet end.
    Failed(&'static str),
}

/// A `multipart/form-data` body read part by part from `R`. After an error every call
/// fails: the place in the stream is lost, and the connection is best closed.
pub struct Multipart<R: Read> {
    reader: R,
    /// Fixed size: never grows, whatever the input.
    buf: Box<[u8]>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// No delimiter starts in `buf` before this index (a search up to `end` found none).
    scan: usize,
    /// The reader said it has no more bytes.
    eof: bool,
    /// CRLF `--boundary`.
    finder: Finder<'static>,
    state: State,
    bytes_read: u64,
}

impl<R: Read> Multipart<R> {
    /// Reads the body from `reader`; `boundary` is what [`boundary`] returned. Another
    /// boundary gives a reader whose every call fails.
    pub fn new(reader: R, boundary: &str) -> Multipart<R> {
        let delimiter = format!("\r\n--{boundary}");
        let mut buf = vec![0; BUF_SIZE].into_boxed_slice();
        // The first boundary may open the body without a line before it: a CRLF put in
        // front lets one search find every delimiter. It is not counted in `bytes_read`.
        buf[..2].copy_from_slice(b"\r\n");
        Multipart {
            reader,
            buf,
            start: 0,
            end: 2,
            scan: 0,
            eof: false,
            finder: Finder::new(delimiter.as_bytes()).into_owned(),
            state: if valid_boundary(boundary) {
                State::Preamble
            } else {
                State::Failed("invalid boundary")
            },
            bytes_read: 0,
        }
    }

    /// Skips whatever is left of the current part, then reads the next part's headers. `None`
    /// after the closing boundary.
    pub fn next_part(&mut self) -> Result<Option<PartHeaders>, MultipartError> {
        self.guarded(|m| loop {
            match m.state {
                State::Preamble => m.skip_preamble()?,
                State::Body => {
                    while let Some((_, end)) = m.part_chunk()? {
                        m.start = end;
                    }
                }
                State::Delimiter => {
                    let mut budget = MAX_PART_HEADER_BYTES;
                    if m.pass_delimiter(&mut budget)? {
                        m.state = State::Done;
                        return Ok(None);
                    }
                    let headers = m.read_headers(&mut budget)?;
                    m.state = State::Body;
                    return Ok(Some(headers));
                }
                State::Done => return Ok(None),
                State::Failed(why) => return Err(MultipartError::Malformed(why)),
            }
        })
    }

    /// Reads the current part's body as UTF-8 text, refusing more than `limit` bytes.
    pub fn read_text(&mut self, limit: usize) -> Result<String, MultipartError> {
        self.guarded(|m| {
            let mut text = Vec::new();
            while let Some((start, end)) = m.part_chunk()? {
                if text.len() + (end - start) > limit {
                    return Err(MultipartError::TooLarge);
                }
                text.extend_from_slice(&m.buf[start..end]);
                m.start = end;
            }
            String::from_utf8(text).map_err(|_| MultipartError::Malformed("text field not UTF-8"))
        })
    }

    /// Copies the current part's body into `out`, refusing more than `limit` bytes: the
    /// copy stops at the first chunk that would go past it, and the rest is not read.
    /// `progress` gets the bytes copied so far each time they pass a multiple of 256 KiB;
    /// the total is the returned value.
    pub fn copy_part(
        &mut self,
        out: &mut impl Write,
        limit: u64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, MultipartError> {
        self.guarded(|m| {
            let mut copied = 0u64;
            let mut reported = 0u64;
            while let Some((start, end)) = m.part_chunk()? {
                let n = (end - start) as u64;
                if copied + n > limit {
                    return Err(MultipartError::TooLarge);
                }
                out.write_all(&m.buf[start..end])
                    .map_err(MultipartError::Write)?;
                m.start = end;
                copied += n;
                if copied / PROGRESS_STEP > reported / PROGRESS_STEP {
                    progress(copied);
                    reported = copied;
                }
            }
            Ok(copied)
        })
    }

    /// Total bytes read from the underlying reader so far.
    #[cfg(test)]
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Runs `f` unless an earlier call failed, and remembers its failure: the parser's place
    /// in the stream is lost after an error.
    fn guarded<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, MultipartError>,
    ) -> Result<T, MultipartError> {
        if let State::Failed(why) = self.state {
            return Err(MultipartError::Malformed(why));
        }
        let result = f(self);
        if result.is_err() {
            self.state = State::Failed("the body could not be read further after an error");
        }
        result
    }

    /// Moves the unread bytes to the front of the buffer and reads once after them. Only
    /// called when the unread bytes are well under the buffer's size.
    fn fill(&mut self) -> Result<(), MultipartError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scan = self.scan.saturating_sub(self.start);
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Err(MultipartError::Malformed("internal: multipart buffer full"));
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    self.bytes_read += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
            return Ok(());
        }
    }

    /// Whether `n` unread bytes are in the buffer, reading as needed; false at the end of
    /// the input only.
    fn ensure(&mut self, n: usize) -> Result<bool, MultipartError> {
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
        Ok(true)
    }

    /// The next bytes before a delimiter, as a range of `buf` that the caller consumes by
    /// moving `start` to its end; `None` once the buffer starts with a delimiter.
    fn body_chunk(&mut self) -> Result<Option<(usize, usize)>, MultipartError> {
        let keep = self.finder.needle().len() - 1;
        loop {
            let from = self.scan.max(self.start);
            if let Some(at) = self.finder.find(&self.buf[from..self.end]) {
                let at = from + at;
                self.scan = at;
                return Ok((at > self.start).then_some((self.start, at)));
            }
            // The last `keep` bytes may be the start of a delimiter; the rest is body.
            let safe = self.end.saturating_sub(keep).max(self.start);
            self.scan = safe;
            if self.eof {
                return Err(MultipartError::Truncated);
            }
            // No delimiter in sight, so more bytes must come: reading them blocks no
            // client that is waiting for an answer.
            if safe - self.start >= MIN_CHUNK {
                return Ok(Some((self.start, safe)));
            }
            self.fill()?;
        }
    }

    /// `body_chunk` for the public readers: `None` once the current part is over.
    fn part_chunk(&mut self) -> Result<Option<(usize, usize)>, MultipartError> {
        match self.state {
            State::Body => {
                let chunk = self.body_chunk()?;
                if chunk.is_none() {
                    self.state = State::Delimiter;
                }
                Ok(chunk)
            }
            State::Preamble => Err(MultipartError::Malformed(
                "no current part: call next_part first",
            )),
            State::Delimiter | State::Done => Ok(None),
            State::Failed(why) => Err(MultipartError::Malformed(why)),
        }
    }

    fn skip_preamble(&mut self) -> Result<(), MultipartError> {
        // Counts the CRLF put in front by `new`.
        let mut skipped = 0;
        while let Some((start, end)) = self.body_chunk()? {
            skipped += end - start;
            if skipped > MAX_PREAMBLE + 2 {
                return Err(MultipartError::Malformed(
                    "more than 8 KiB before the first boundary",
                ));
            }
            self.start = end;
        }
        self.state = State::Delimiter;
        Ok(())
    }

    /// Reads past the delimiter at the front of the buffer and the rest of its line. True
    /// if it was the closing boundary, whose line and epilogue are left unread.
    fn pass_delimiter(&mut self, budget: &mut usize) -> Result<bool, MultipartError> {
        let len = self.finder.needle().len();
        if !self.ensure(len + 2)? {
            return Err(MultipartError::Truncated);
        }
        self.start += len;
        if &self.buf[self.start..self.start + 2] == b"--" {
            return Ok(true);
        }
        loop {
            if !self.ensure(2)? {
                return Err(MultipartError::Truncated);
            }
            // Transport padding (RFC 2046): whitespace before the line's end.
            let n = match self.buf[self.start..self.start + 2] {
                [b' ' | b'\t', _] => 1,
                [b'\r', b'\n'] => 2,
                _ => {
                    return Err(MultipartError::Malformed(
                        "unexpected bytes after a boundary",
                    ))
                }
            };
            charge(budget, n)?;
            self.start += n;
            if n == 2 {
                return Ok(false);
            }
        }
    }

    /// The next header line without its line ending (CRLF or a bare LF), as a range of
    /// `buf`, already consumed: it stays valid until the next read.
    fn header_line(&mut self, budget: &mut usize) -> Result<(usize, usize), MultipartError> {
        // Bytes from `start` known to hold no LF, so that a long line trickling in byte by
        // byte is not searched again from its start.
        let mut searched = 0;
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[self.start + searched..self.end]) {
                let len = searched + at + 1;
                charge(budget, len)?;
                let start = self.start;
                let mut end = start + searched + at;
                if end > start && self.buf[end - 1] == b'\r' {
                    end -= 1;
                }
                self.start += len;
                return Ok((start, end));
            }
            searched = self.end - self.start;
            if searched > *budget {
                return Err(MultipartError::Malformed(HEADERS_TOO_LONG));
            }
            if self.eof {
                return Err(MultipartError::Truncated);
            }
            self.fill()?;
        }
    }

    fn read_headers(&mut self, budget: &mut usize) -> Result<PartHeaders, MultipartError> {
        let mut disposition = None;
        let mut content_type = None;
        let mut lines = 0;
        loop {
            let (start, end) = self.header_line(budget)?;
            if start == end {
                break;
            }
            lines += 1;
            if lines > MAX_PART_HEADERS {
                return Err(MultipartError::Malformed(
                    "more than 16 header lines in a part",
                ));
            }
            let (name, value) = header(&self.buf[start..end]).map_err(MultipartError::Malformed)?;
            if name.eq_ignore_ascii_case(b"content-disposition") {
                if disposition.is_some() {
                    return Err(MultipartError::Malformed(
                        "two Content-Disposition in a part",
                    ));
                }
                disposition = Some(parse_disposition(&value).map_err(MultipartError::Malformed)?);
            } else if name.eq_ignore_ascii_case(b"content-type") {
                if content_type.is_some() {
                    return Err(MultipartError::Malformed("two Content-Type in a part"));
                }
                content_type = Some(value);
            }
        }
        let (name, filename) = disposition.ok_or(MultipartError::Malformed(
            "part without Content-Disposition",
        ))?;
        Ok(PartHeaders {
            name,
            filename,
            content_type,
        })
    }
}

/// Takes `n` bytes from a part's header budget.
fn charge(budget: &mut usize, n: usize) -> Result<(), MultipartError> {
    *budget = budget
        .checked_sub(n)
        .ok_or(MultipartError::Malformed(HEADERS_TOO_LONG))?;
    Ok(())
}

/// One header line cut into its name and its trimmed value.
fn header(line: &[u8]) -> Result<(&[u8], String), &'static str> {
    if line.starts_with(b" ") || line.starts_with(b"\t") {
        // Obsolete line folding: no browser sends it, and joining lines is a way to smuggle.
        return Err("folded header line in a part");
    }
    if line.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7f) {
        return Err("control character in part headers");
    }
    let colon = memchr::memchr(b':', line).ok_or("part header line without a colon")?;
    let name = &line[..colon];
    if name.is_empty() || name.iter().any(|&c| c == b' ' || c == b'\t') {
        return Err("bad part header name");
    }
    // Browsers send names and file names in UTF-8; anything else is only shown, so a
    // replacement character is better than a refusal.
    let value = String::from_utf8_lossy(&line[colon + 1..])
        .trim()
        .to_string();
    Ok((name, value))
}

/// `form-data; name="x"; filename="y"` → the name and the file name.
fn parse_disposition(value: &str) -> Result<(String, Option<String>), &'static str> {
    let (kind, params) = parse_params(value).ok_or("unreadable Content-Disposition")?;
    if !kind.eq_ignore_ascii_case("form-data") {
        return Err("part is not form-data");
    }
    let mut name = None;
    let mut filename = None;
    for (key, value) in params {
        // `filename*` (RFC 5987) is not sent by browsers for form data (RFC 7578 §4.2)
        // and is ignored, like any other parameter.
        let slot = if key.eq_ignore_ascii_case("name") {
            &mut name
        } else if key.eq_ignore_ascii_case("filename") {
            &mut filename
        } else {
            continue;
        };
        if slot.is_some() {
            return Err("parameter given twice in Content-Disposition");
        }
        *slot = Some(value);
    }
    Ok((name.ok_or("part without a name")?, filename))
}

/// Splits `type; a=1; b="two"` into the type and its parameters, values unquoted. `None` if
/// the syntax is broken (a parameter without `=`, an unterminated quote…).
fn parse_params(s: &str) -> Option<(&str, Vec<(&str, String)>)> {
    let b = s.as_bytes();
    // Only ASCII bytes are looked for, so every index used to slice `s` is a char boundary.
    let mut i = memchr::memchr(b';', b).unwrap_or(b.len());
    let kind = s[..i].trim();
    let mut params = Vec::new();
    // Here `i` is at a `;` or at the end.
    while i < b.len() {
        i += 1;
        skip_spaces(b, &mut i);
        if i == b.len() || b[i] == b';' {
            continue;
        }
        let key_start = i;
        while i < b.len() && !matches!(b[i], b'=' | b';' | b' ' | b'\t') {
            i += 1;
        }
        let key = &s[key_start..i];
        skip_spaces(b, &mut i);
        if key.is_empty() || b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        skip_spaces(b, &mut i);
        let value = if b.get(i) == Some(&b'"') {
            quoted(s, &mut i)?
        } else {
            let value_start = i;
            while i < b.len() && !matches!(b[i], b';' | b' ' | b'\t') {
                i += 1;
            }
            if value_start == i {
                return None;
            }
            s[value_start..i].to_string()
        };
        skip_spaces(b, &mut i);
        if i < b.len() && b[i] != b';' {
            return None;
        }
        params.push((key, value));
    }
    Some((kind, params))
}

fn skip_spaces(b: &[u8], i: &mut usize) {
    while *i < b.len() && matches!(b[*i], b' ' | b'\t') {
        *i += 1;
    }
}

/// The quoted string starting at `s[*i]` (a `"`), unescaped; `*i` ends after it.
///
/// A backslash escapes only `"` and `\`; before anything else it is kept. Browsers do not
/// escape backslashes (they percent-encode `"`), and some old ones send a whole Windows path
/// (`C:\Users\…`), which must not lose its separators.
fn quoted(s: &str, i: &mut usize) -> Option<String> {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut segment = *i + 1;
    let mut j = *i + 1;
    while j < b.len() {
        match b[j] {
            b'"' => {
                out.push_str(&s[segment..j]);
                *i = j + 1;
                return Some(out);
            }
            b'\\' if matches!(b.get(j + 1), Some(b'"' | b'\\')) => {
                out.push_str(&s[segment..j]);
                segment = j + 1;
                j += 2;
            }
            _ => j += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const B: &str = "----kitBoundary7MA4YWxk";

    /// A reader that returns at most `sizes[i]` bytes on its i-th read, cycling.
    struct Chunked {
        data: Vec<u8>,
        pos: usize,
        sizes: Vec<usize>,
        i: usize,
    }

    impl Chunked {
        fn new(data: Vec<u8>, sizes: &[usize]) -> Chunked {
            Chunked {
                data,
                pos: 0,
                sizes: sizes.to_vec(),
                i: 0,
            }
        }
    }

    impl Read for Chunked {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.i % self.sizes.len()];
            self.i += 1;
            let n = size.min(out.len()).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    /// A reader that fails with `kind` once its data is read.
    struct FailsAfter {
        data: Cursor<Vec<u8>>,
        kind: io::ErrorKind,
    }

    impl Read for FailsAfter {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match self.data.read(out)? {
                0 => Err(io::Error::new(self.kind, "test")),
                n => Ok(n),
            }
        }
    }

    /// A body with these parts, each given as its raw header lines and its body.
    fn form(boundary: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (headers, body) in parts {
            out.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--").as_bytes());
        out
    }

    fn field(name: &str) -> String {
        format!("Content-Disposition: form-data; name=\"{name}\"")
    }

    fn file(name: &str, filename: &str) -> String {
        format!(
            "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream"
        )
    }

    /// Every part's headers and body (copied), or the first error.
    fn parse_all(
        reader: impl Read,
        boundary: &str,
    ) -> Result<Vec<(PartHeaders, Vec<u8>)>, MultipartError> {
        let mut m = Multipart::new(reader, boundary);
        let mut parts = Vec::new();
        while let Some(headers) = m.next_part()? {
            let mut body = Vec::new();
            m.copy_part(&mut body, u64::MAX, &mut |_| {})?;
            parts.push((headers, body));
        }
        Ok(parts)
    }

    fn headers(name: &str, filename: Option<&str>, content_type: Option<&str>) -> PartHeaders {
        PartHeaders {
            name: name.into(),
            filename: filename.map(Into::into),
            content_type: content_type.map(Into::into),
        }
    }

    /// Bodies that come close to the delimiter without being it.
    fn tricky_body() -> Vec<u8> {
        let near = &B[..B.len() - 1];
        let mut body = Vec::new();
        body.extend_from_slice(format!("\r\n--{near}").as_bytes());
        body.extend_from_slice(b"\r\n--\r\n-\r\r\n\n--");
        body.extend_from_slice(format!("--{B}\r\n").as_bytes());
        body.extend_from_slice(format!("\n--{B}--").as_bytes());
        body.extend_from_slice(format!("\r--{B}").as_bytes());
        body.extend_from_slice(format!("\r\n-{B}").as_bytes());
        body.extend_from_slice(&(0..=255).collect::<Vec<u8>>());
        body.extend_from_slice(format!("\r\n--{near}X{B}").as_bytes());
        // Ends with most of a delimiter, right before the real one.
        body.extend_from_slice(format!("\r\n--{near}").as_bytes());
        body
    }

    #[test]
    fn boundary_is_read_from_the_content_type() {
        let long = "a".repeat(70);
        let cases: &[(&str, Option<&str>)] = &[
            ("multipart/form-data; boundary=abc", Some("abc")),
            ("multipart/form-data;boundary=abc", Some("abc")),
            ("Multipart/Form-Data; BOUNDARY=abc", Some("abc")),
            ("multipart/form-data; boundary=\"a b:c?\"", Some("a b:c?")),
            (
                "multipart/form-data; charset=utf-8; boundary=x-y_z",
                Some("x-y_z"),
            ),
            (
                "multipart/form-data; boundary=abc ; charset=utf-8",
                Some("abc"),
            ),
            (
                "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
                Some("----WebKitFormBoundary7MA4YWxkTrZu0gW"),
            ),
            ("multipart/form-data", None),
            ("multipart/form-data; boundary=", None),
            ("multipart/form-data; boundary=\"\"", None),
            ("multipart/form-data; boundary=\"abc", None),
            ("multipart/form-data; boundary=\"abc \"", None),
            ("multipart/form-data; boundary=\"a\\\"b\"", None),
            ("multipart/form-data; boundary=a\u{e9}", None),
            ("multipart/form-data; boundary=abc; boundary=def", None),
            ("multipart/mixed; boundary=abc", None),
            ("application/x-www-form-urlencoded", None),
            ("", None),
        ];
        for (header, expected) in cases {
            assert_eq!(boundary(header).as_deref(), *expected, "{header:?}");
        }
        let header = format!("multipart/form-data; boundary={long}");
        assert_eq!(boundary(&header), Some(long.clone()));
        assert_eq!(boundary(&format!("{header}a")), None);
    }

    #[test]
    fn text_field_then_file_are_read_in_order() {
        let data = form(
            B,
            &[
                (&field("title"), "Fiches réseau".as_bytes()),
                (
                    &file("pack", "fiches.kitpack"),
                    b"PK\x03\x04\0\0\r\n binary",
                ),
                (&field("empty"), b""),
            ],
        );
        let mut m = Multipart::new(Cursor::new(data.clone()), B);
        assert_eq!(m.next_part().unwrap(), Some(headers("title", None, None)));
        assert_eq!(m.read_text(100).unwrap(), "Fiches réseau");
        assert_eq!(
            m.next_part().unwrap(),
            Some(headers(
                "pack",
                Some("fiches.kitpack"),
                Some("application/octet-stream")
            ))
        );
        let mut out = Vec::new();
        assert_eq!(m.copy_part(&mut out, 1000, &mut |_| {}).unwrap(), 15);
        assert_eq!(out, b"PK\x03\x04\0\0\r\n binary");
        assert_eq!(m.next_part().unwrap(), Some(headers("empty", None, None)));
        assert_eq!(m.read_text(0).unwrap(), "");
        assert!(m.next_part().unwrap().is_none());
        assert!(m.next_part().unwrap().is_none());
        assert_eq!(m.bytes_read(), data.len() as u64);
    }

    #[test]
    fn binary_body_near_the_delimiter_is_kept_intact() {
        let body = tricky_body();
        let data = form(B, &[(&file("a", "a.bin"), &body), (&field("b"), &body)]);
        let parts = parse_all(Cursor::new(data), B).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].1, body);
        assert_eq!(parts[1].1, body);
    }

    #[test]
    fn delimiter_split_across_every_read_size_is_found() {
        let body = tricky_body();
        let data = form(
            B,
            &[
                (&field("t"), b"x"),
                (&file("f", "f.kitpack"), &body),
                (&field("u"), b""),
            ],
        );
        let expected = parse_all(Cursor::new(data.clone()), B).unwrap();
        assert_eq!(expected[1].1, body);
        let mut sizes: Vec<Vec<usize>> = (1..=B.len() + 8).map(|n| vec![n]).collect();
        sizes.extend([
            vec![1, 2, 3, 7],
            vec![7, 3, 2, 1, 13],
            vec![4096],
            vec![BUF_SIZE],
        ]);
        for sizes in sizes {
            let parts = parse_all(Chunked::new(data.clone(), &sizes), B).unwrap();
            assert_eq!(parts, expected, "reads of {sizes:?}");
        }
    }

    #[test]
    fn truncated_input_is_an_error_at_every_length() {
        let data = form(
            B,
            &[
                (&field("t"), b"hello"),
                (&file("f", "f.kitpack"), &tricky_body()),
            ],
        );
        for len in 0..data.len() {
            for sizes in [&[BUF_SIZE][..], &[1, 3]] {
                let result = parse_all(Chunked::new(data[..len].to_vec(), sizes), B);
                assert!(
                    matches!(
                        result,
                        Err(MultipartError::Truncated | MultipartError::Malformed(_))
                    ),
                    "cut at {len}: {result:?}"
                );
            }
        }
        assert!(parse_all(Cursor::new(data), B).is_ok());
    }

    #[test]
    fn text_over_its_limit_is_too_large() {
        let data = form(B, &[(&field("t"), b"0123456789")]);
        let mut m = Multipart::new(Cursor::new(data.clone()), B);
        m.next_part().unwrap();
        assert_eq!(m.read_text(10).unwrap(), "0123456789");
        let mut m = Multipart::new(Cursor::new(data), B);
        m.next_part().unwrap();
        assert!(matches!(m.read_text(9), Err(MultipartError::TooLarge)));
        // The place in the stream is lost: no quiet end after an error.
        assert!(m.next_part().is_err());
    }

    #[test]
    fn file_over_its_limit_stops_without_reading_the_rest() {
        let body = vec![b'k'; 10 << 20];
        let data = form(B, &[(&file("f", "big.kitpack"), &body)]);
        let mut m = Multipart::new(Cursor::new(data.clone()), B);
        m.next_part().unwrap();
        let mut out = Vec::new();
        let limit = 1 << 20;
        assert!(matches!(
            m.copy_part(&mut out, limit, &mut |_| {}),
            Err(MultipartError::TooLarge)
        ));
        assert!(out.len() as u64 <= limit);
        assert!(
            m.bytes_read() <= limit + BUF_SIZE as u64,
            "{}",
            m.bytes_read()
        );

        let mut m = Multipart::new(Cursor::new(data), B);
        m.next_part().unwrap();
        let mut out = Vec::new();
        let n = m
            .copy_part(&mut out, body.len() as u64, &mut |_| {})
            .unwrap();
        assert_eq!(n, body.len() as u64);
        assert!(out == body);
    }

    #[test]
    fn part_headers_over_8_kib_are_refused() {
        let padding = format!("X-Padding: {}", "p".repeat(MAX_PART_HEADER_BYTES));
        let headers = format!("{}\r\n{padding}", field("t"));
        let data = form(B, &[(&headers, b"x")]);
        for sizes in [&[BUF_SIZE][..], &[1]] {
            let result = parse_all(Chunked::new(data.clone(), sizes), B);
            assert!(matches!(result, Err(MultipartError::Malformed(m)) if m == HEADERS_TOO_LONG));
        }
        // Just under the limit, counting the boundary line's CRLF and the empty line.
        let fits = MAX_PART_HEADER_BYTES - field("t").len() - 2 - 2 - 2 - "X-Padding: ".len() - 2;
        let headers = format!("{}\r\nX-Padding: {}", field("t"), "p".repeat(fits));
        assert!(parse_all(Cursor::new(form(B, &[(&headers, b"x")])), B).is_ok());
        let headers = format!("{}\r\nX-Padding: {}", field("t"), "p".repeat(fits + 1));
        assert!(parse_all(Cursor::new(form(B, &[(&headers, b"x")])), B).is_err());
    }

    #[test]
    fn more_than_16_header_lines_are_refused() {
        let lines = |n: usize| {
            let mut h = vec![field("t")];
            h.extend((1..n).map(|i| format!("X-{i}: y")));
            h.join("\r\n")
        };
        let data = form(B, &[(&lines(MAX_PART_HEADERS), b"x")]);
        assert_eq!(parse_all(Cursor::new(data), B).unwrap()[0].1, b"x");
        let data = form(B, &[(&lines(MAX_PART_HEADERS + 1), b"x")]);
        assert!(matches!(
            parse_all(Cursor::new(data), B),
            Err(MultipartError::Malformed(
                "more than 16 header lines in a part"
            ))
        ));
    }

    #[test]
    fn preamble_is_skipped_up_to_8_kib() {
        let data = form(B, &[(&field("t"), b"x")]);
        for preamble in [
            b"\r\n".to_vec(),
            b"This is a multi-part message.\r\n".to_vec(),
            format!("-{B}\r\n--{}\r\n", &B[..B.len() - 1]).into_bytes(),
            [vec![b'.'; MAX_PREAMBLE], b"\r\n".to_vec()].concat(),
        ] {
            let input = [preamble.clone(), data.clone()].concat();
            let parts = parse_all(Cursor::new(input), B).unwrap();
            assert_eq!(
                parts,
                [(headers("t", None, None), b"x".to_vec())],
                "{preamble:?}"
            );
        }
        // The CRLF before the first boundary belongs to the boundary, not to the preamble.
        let input = [vec![b'.'; MAX_PREAMBLE + 1], b"\r\n".to_vec(), data].concat();
        assert!(matches!(
            parse_all(Cursor::new(input), B),
            Err(MultipartError::Malformed(_))
        ));
        let garbage = vec![b'.'; 100 << 20];
        let mut m = Multipart::new(Cursor::new(garbage), B);
        assert!(matches!(m.next_part(), Err(MultipartError::Malformed(_))));
        assert!(m.bytes_read() <= BUF_SIZE as u64);
    }

    #[test]
    fn content_disposition_is_parsed_with_quotes_escapes_and_tokens() {
        type Parsed<'a> = Result<(&'a str, Option<&'a str>), &'a str>;
        let cases: &[(&str, Parsed)] = &[
            ("form-data; name=\"a\"", Ok(("a", None))),
            ("form-data; name=a", Ok(("a", None))),
            (
                "FORM-DATA;NAME=a;FILENAME=b.kitpack",
                Ok(("a", Some("b.kitpack"))),
            ),
            (
                "form-data ; name = \"a\" ; filename = \"b\" ;",
                Ok(("a", Some("b"))),
            ),
            ("form-data; name=\"a;b=c\"", Ok(("a;b=c", None))),
            (
                "form-data; name=\"f\"; filename=\"say \\\"hi\\\".kitpack\"",
                Ok(("f", Some("say \"hi\".kitpack"))),
            ),
            (
                "form-data; name=\"f\"; filename=\"a\\\\b\"",
                Ok(("f", Some("a\\b"))),
            ),
            (
                "form-data; name=\"f\"; filename=\"C:\\Users\\léa\\x.kitpack\"",
                Ok(("f", Some("C:\\Users\\léa\\x.kitpack"))),
            ),
            ("form-data; name=\"f\"; filename=\"\"", Ok(("f", Some("")))),
            (
                "form-data; name=\"f\"; filename*=UTF-8''%C3%A9.kitpack",
                Ok(("f", None)),
            ),
            (
                "form-data; name=\"f\"; filename=\"e.kitpack\"; filename*=UTF-8''x",
                Ok(("f", Some("e.kitpack"))),
            ),
            (
                "form-data; name=\"\u{e9}t\u{e9}\"",
                Ok(("\u{e9}t\u{e9}", None)),
            ),
            ("form-data", Err("part without a name")),
            ("form-data; filename=\"a\"", Err("part without a name")),
            ("attachment; name=\"a\"", Err("part is not form-data")),
            ("form-data; name=\"a", Err("unreadable Content-Disposition")),
            ("form-data; name", Err("unreadable Content-Disposition")),
            ("form-data; name=", Err("unreadable Content-Disposition")),
            ("form-data; name=a b", Err("unreadable Content-Disposition")),
            ("form-data; =a", Err("unreadable Content-Disposition")),
            (
                "form-data; name=a; name=b",
                Err("parameter given twice in Content-Disposition"),
            ),
        ];
        for (value, expected) in cases {
            let got = parse_disposition(value);
            let got = got
                .as_ref()
                .map(|(n, f)| (n.as_str(), f.as_deref()))
                .map_err(|e| *e);
            assert_eq!(got, *expected, "{value:?}");
        }
    }

    #[test]
    fn part_headers_are_checked() {
        let cases: &[(&str, Result<PartHeaders, &str>)] = &[
            (
                "content-disposition: form-data; name=a\r\nCONTENT-TYPE:  text/plain ",
                Ok(headers("a", None, Some("text/plain"))),
            ),
            (
                "X-Other: 1\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: form-data; name=a",
                Ok(headers("a", None, None)),
            ),
            ("Content-Type: text/plain", Err("part without Content-Disposition")),
            (
                "Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b",
                Err("two Content-Disposition in a part"),
            ),
            (
                "Content-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b",
                Err("two Content-Type in a part"),
            ),
            (
                "Content-Disposition: form-data; name=a\r\nX-Long: a\r\n b",
                Err("folded header line in a part"),
            ),
            (
                "Content-Disposition: form-data; name=\"a\rb\"",
                Err("control character in part headers"),
            ),
            ("Content-Disposition form-data", Err("part header line without a colon")),
            ("Content-Disposition : form-data; name=a", Err("bad part header name")),
            (": x\r\nContent-Disposition: form-data; name=a", Err("bad part header name")),
        ];
        for (raw, expected) in cases {
            let data = form(B, &[(raw, b"x")]);
            match (parse_all(Cursor::new(data), B), expected) {
                (Ok(parts), Ok(h)) => assert_eq!(parts[0].0, *h, "{raw:?}"),
                (Err(MultipartError::Malformed(got)), Err(want)) => {
                    assert_eq!(got, *want, "{raw:?}")
                }
                (got, _) => panic!("{raw:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn bare_lf_is_accepted_in_part_headers() {
        let data = format!(
            "--{B}\r\ncontent-disposition: form-data; name=a\ncontent-type: text/plain\n\nbody\r\n--{B}--"
        );
        let parts = parse_all(Cursor::new(data), B).unwrap();
        assert_eq!(
            parts,
            [(headers("a", None, Some("text/plain")), b"body".to_vec())]
        );
    }

    #[test]
    fn padding_after_a_boundary_is_accepted_and_garbage_is_not() {
        let data = format!(
            "--{B} \t \r\n{}\r\n\r\nx\r\n--{B}\t\r\n{}\r\n\r\ny\r\n--{B}--",
            field("a"),
            field("b")
        );
        let parts = parse_all(Cursor::new(data), B).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].1, b"y");
        for tail in ["X\r\n", " X\r\n", "-\r\n", "\n", " \n", "\r\r\n"] {
            let data = format!("--{B}\r\n{}\r\n\r\nx\r\n--{B}{tail}", field("a"));
            let result = parse_all(Cursor::new(data), B);
            assert!(
                matches!(
                    result,
                    Err(MultipartError::Malformed(_) | MultipartError::Truncated)
                ),
                "{tail:?}: {result:?}"
            );
        }
    }

    #[test]
    fn epilogue_is_not_read() {
        let data = [form(B, &[(&field("a"), b"x")]), b"\r\nepilogue".to_vec()].concat();
        let reader = FailsAfter {
            data: Cursor::new(data.clone()),
            kind: io::ErrorKind::TimedOut,
        };
        // Anything after the closing boundary, even a failing read, is left alone.
        let mut m = Multipart::new(reader, B);
        assert!(m.next_part().unwrap().is_some());
        assert!(m.next_part().unwrap().is_none());
        assert!(m.next_part().unwrap().is_none());
        let mut m = Multipart::new(Chunked::new(data, &[1]), B);
        while m.next_part().unwrap().is_some() {}
        assert_eq!(
            m.bytes_read() as usize,
            form(B, &[(&field("a"), b"x")]).len()
        );
    }

    #[test]
    fn empty_form_has_no_parts() {
        assert!(parse_all(Cursor::new(format!("--{B}--\r\n")), B)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn reader_errors_are_errors_never_an_end() {
        let data = form(
            B,
            &[(&field("a"), b"x"), (&file("f", "f.kitpack"), &[7; 5000])],
        );
        let kinds = [
            io::ErrorKind::TimedOut,
            io::ErrorKind::WouldBlock,
            io::ErrorKind::UnexpectedEof,
            io::ErrorKind::ConnectionReset,
        ];
        for kind in kinds {
            for len in 0..data.len() {
                let reader = FailsAfter {
                    data: Cursor::new(data[..len].to_vec()),
                    kind,
                };
                let mut m = Multipart::new(reader, B);
                let error = loop {
                    match m.next_part() {
                        Ok(Some(_)) => {}
                        Ok(None) => panic!("cut at {len} ended quietly"),
                        Err(e) => break e,
                    }
                    if let Err(e) = m.copy_part(&mut io::sink(), u64::MAX, &mut |_| {}) {
                        break e;
                    }
                };
                assert!(
                    matches!(&error, MultipartError::Io(e) if e.kind() == kind),
                    "cut at {len}: {error:?}"
                );
                assert!(m.next_part().is_err());
                assert!(m.read_text(10).is_err());
            }
        }
    }

    #[test]
    fn interrupted_reads_are_retried() {
        struct Interrupting(Cursor<Vec<u8>>, bool);
        impl Read for Interrupting {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                self.1 = !self.1;
                if self.1 {
                    return Err(io::ErrorKind::Interrupted.into());
                }
                let n = out.len().min(3);
                self.0.read(&mut out[..n])
            }
        }
        let data = form(B, &[(&field("a"), b"hello")]);
        let parts = parse_all(Interrupting(Cursor::new(data), false), B).unwrap();
        assert_eq!(parts[0].1, b"hello");
    }

    #[test]
    fn write_errors_are_told_apart_from_read_errors() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let data = form(B, &[(&file("f", "f.kitpack"), b"data")]);
        let mut m = Multipart::new(Cursor::new(data), B);
        m.next_part().unwrap();
        let error = m.copy_part(&mut Full, 100, &mut |_| {}).unwrap_err();
        assert!(
            matches!(&error, MultipartError::Write(e) if e.kind() == io::ErrorKind::StorageFull)
        );
    }

    #[test]
    fn text_field_that_is_not_utf8_is_malformed() {
        let data = form(B, &[(&field("a"), b"caf\xe9")]);
        let mut m = Multipart::new(Cursor::new(data), B);
        m.next_part().unwrap();
        assert!(matches!(
            m.read_text(100),
            Err(MultipartError::Malformed(_))
        ));
    }

    #[test]
    fn next_part_skips_an_unread_body_and_a_read_body_is_read_once() {
        let data = form(
            B,
            &[
                (&file("f", "f.kitpack"), &vec![1; 300_000]),
                (&field("a"), b"x"),
                (&field("b"), b"y"),
            ],
        );
        let mut m = Multipart::new(Chunked::new(data, &[1000]), B);
        assert_eq!(m.next_part().unwrap().unwrap().name, "f");
        assert_eq!(m.next_part().unwrap().unwrap().name, "a");
        assert_eq!(m.read_text(10).unwrap(), "x");
        assert_eq!(m.read_text(10).unwrap(), "");
        assert_eq!(m.next_part().unwrap().unwrap().name, "b");
        assert!(m.next_part().unwrap().is_none());
        assert_eq!(m.read_text(10).unwrap(), "");
    }

    #[test]
    fn reading_a_body_before_next_part_is_an_error() {
        let data = form(B, &[(&field("a"), b"x")]);
        let mut m = Multipart::new(Cursor::new(data), B);
        assert!(matches!(m.read_text(10), Err(MultipartError::Malformed(_))));
    }

    #[test]
    fn invalid_boundary_fails_every_call() {
        let mut m = Multipart::new(Cursor::new(form("a\r\nb", &[])), "a\r\nb");
        assert!(matches!(
            m.next_part(),
            Err(MultipartError::Malformed("invalid boundary"))
        ));
        let mut m = Multipart::new(Cursor::new(Vec::new()), "");
        assert!(m.next_part().is_err());
    }

    #[test]
    fn progress_is_reported_every_256_kib() {
        let body = vec![3; 5 * 256 * 1024 + 1000];
        let data = form(B, &[(&file("f", "f.kitpack"), &body)]);
        let mut m = Multipart::new(Chunked::new(data, &[10_000]), B);
        m.next_part().unwrap();
        let mut seen = Vec::new();
        let n = m
            .copy_part(&mut io::sink(), u64::MAX, &mut |n| seen.push(n))
            .unwrap();
        assert_eq!(n, body.len() as u64);
        assert_eq!(seen.len(), 5, "{seen:?}");
        for (i, n) in seen.into_iter().enumerate() {
            // One call per multiple of 256 KiB passed, soon after it.
            let step = (i as u64 + 1) * PROGRESS_STEP;
            assert!((step..step + BUF_SIZE as u64).contains(&n), "{i}: {n}");
        }
    }

    #[test]
    fn copy_of_a_64_mib_part_keeps_one_fixed_buffer() {
        let size = 64u64 << 20;
        let head = format!("--{B}\r\n{}\r\n\r\n", file("f", "big.kitpack"));
        let tail = format!("\r\n--{B}--");
        // Generated as it is read: the test itself holds no 64 MiB either.
        let reader = Cursor::new(head)
            .chain(io::repeat(0xA5).take(size))
            .chain(Cursor::new(tail));
        let mut m = Multipart::new(reader, B);
        assert_eq!(m.buf.len(), BUF_SIZE);
        m.next_part().unwrap();
        struct Counting(u64, usize);
        impl Write for Counting {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0 += b.len() as u64;
                self.1 = self.1.max(b.len());
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Counting(0, 0);
        assert_eq!(m.copy_part(&mut out, size, &mut |_| {}).unwrap(), size);
        assert_eq!(out.0, size);
        assert!(out.1 <= BUF_SIZE);
        assert!(m.next_part().unwrap().is_none());
        assert_eq!(m.buf.len(), BUF_SIZE);
    }
}

/// Random forms, encoded as a browser would, read back whole through random read sizes.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    struct Chunked<'a> {
        data: &'a [u8],
        sizes: &'a [usize],
        i: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.i % self.sizes.len()];
            self.i += 1;
            let n = size.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[derive(Debug, Clone)]
    struct Part {
        name: String,
        filename: Option<String>,
        content_type: Option<String>,
        body: Vec<u8>,
        /// 0: copied, 1: read as text, 2: skipped.
        how: u8,
    }

    /// Body pieces that come near the delimiter of boundary `b`.
    fn body(b: String) -> impl Strategy<Value = Vec<u8>> {
        let near = move |n: usize| {
            let n = n % b.len();
            format!("\r\n--{}", &b[..n]).into_bytes()
        };
        let piece = prop_oneof![
            vec(any::<u8>(), 0..64),
            Just(b"\r\n".to_vec()),
            Just(b"\r\n--".to_vec()),
            Just(b"--".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"-".to_vec()),
            any::<usize>().prop_map(near),
            Just(vec![b'z'; 70_000]),
        ];
        vec(piece, 0..8).prop_map(|p| p.concat())
    }

    fn part(b: String) -> impl Strategy<Value = Part> {
        (
            "[a-z_]{1,8}",
            proptest::option::of("[a-zA-Zé0-9 ._\"\\\\;=-]{0,12}"),
            proptest::option::of("[a-z]{1,5}/[a-z]{1,5}"),
            body(b),
            0u8..3,
        )
            .prop_map(|(name, filename, content_type, body, how)| Part {
                name,
                filename,
                content_type,
                body,
                how,
            })
    }

    fn form() -> impl Strategy<Value = (String, Vec<Part>)> {
        "[a-zA-Z0-9'()+_,./:=? -]{0,69}[a-zA-Z0-9-]"
            .prop_flat_map(|b| (Just(b.clone()), vec(part(b), 0..5)))
    }

    fn escape(s: &str) -> String {
        s.replace('\\', "\\\\").replace('"', "\\\"")
    }

    fn encode(b: &str, parts: &[Part], lf: bool, padding: bool) -> Vec<u8> {
        let eol = if lf { "\n" } else { "\r\n" };
        let pad = if padding { " \t" } else { "" };
        let mut out = b"preamble\r\n".to_vec();
        for p in parts {
            out.extend_from_slice(format!("--{b}{pad}\r\n").as_bytes());
            let mut head = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
            if let Some(f) = &p.filename {
                head += &format!("; filename=\"{}\"", escape(f));
            }
            head += eol;
            if let Some(t) = &p.content_type {
                head += &format!("Content-Type: {t}{eol}");
            }
            head += eol;
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(&p.body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{b}--\r\nepilogue").as_bytes());
        out
    }

    fn read_size() -> impl Strategy<Value = usize> {
        prop_oneof![1usize..8, 1usize..200, 1000usize..70_000]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn parts_round_trip_through_any_read_sizes(
            (b, parts) in form(),
            sizes in vec(read_size(), 1..6),
            lf in any::<bool>(),
            padding in any::<bool>(),
        ) {
            let delimiter = format!("\r\n--{b}");
            let finder = Finder::new(delimiter.as_bytes());
            // A sender picks a boundary its parts do not contain: the first delimiter after
            // a body is the one that closes it.
            prop_assume!(parts.iter().all(|p| {
                finder.find(&[&p.body[..], delimiter.as_bytes()].concat()) == Some(p.body.len())
            }));
            let data = encode(&b, &parts, lf, padding);
            let mut m = Multipart::new(Chunked { data: &data, sizes: &sizes, i: 0 }, &b);
            for p in &parts {
                let h = m.next_part().unwrap();
                prop_assert_eq!(h, Some(PartHeaders {
                    name: p.name.clone(),
                    filename: p.filename.clone(),
                    content_type: p.content_type.clone(),
                }));
                match (p.how, std::str::from_utf8(&p.body)) {
                    (1, Ok(text)) => prop_assert_eq!(m.read_text(text.len()).unwrap(), text),
                    (2, _) => {}
                    _ => {
                        let mut out = Vec::new();
                        let n = m.copy_part(&mut out, p.body.len() as u64, &mut |_| {}).unwrap();
                        prop_assert_eq!(n, p.body.len() as u64);
                        prop_assert!(out == p.body);
                    }
                }
            }
            prop_assert!(m.next_part().unwrap().is_none());
            prop_assert!(m.bytes_read() <= data.len() as u64);
        }
    }
}
