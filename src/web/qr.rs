//! QR codes for the projector page: the Wi-Fi joining payload and the code drawn as a small
//! inline SVG (no JavaScript, no image file).

use qrcode::bits::Bits;
use qrcode::optimize::{Optimizer, Parser, Segment};
use qrcode::types::Mode;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Modules of light margin around the code, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// The Wi-Fi joining payload: `WIFI:T:WPA;S:<ssid>;P:<pass>;;` or, for an open network,
/// `WIFI:T:nopass;S:<ssid>;;`. In SSID and passphrase, the characters `\ ; , : "` are
/// escaped with a backslash (the ZXing "WIFI:" format that Android and iOS cameras read).
/// `passphrase` is ignored when `open`; a secured network without one gets `P:;`.
pub fn wifi_payload(ssid: &str, passphrase: Option<&str>, open: bool) -> String {
    let mut out = String::from("WIFI:T:");
    if open {
        out.push_str("nopass;S:");
        push_escaped(&mut out, ssid);
    } else {
        out.push_str("WPA;S:");
        push_escaped(&mut out, ssid);
        out.push_str(";P:");
        push_escaped(&mut out, passphrase.unwrap_or(""));
    }
    out.push_str(";;");
    out
}

fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        if matches!(c, '\\' | ';' | ',' | ':' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The QR code of `text` at error correction level M: its width in modules and its modules
/// row by row (`true` = dark), without the quiet zone. `None` when `text` does not fit in
/// a QR code.
pub fn matrix(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = encode(text)?;
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Some((code.width(), modules))
}

/// ECI designator of UTF-8 (ISO/IEC 18004 and AIM ECI tables).
const ECI_UTF8: u32 = 26;

/// More characters than any QR code holds (40-L, all digits): longer text is refused at once
/// instead of being tried against each of the 40 versions.
const MAX_TEXT_BYTES: usize = 7089;

/// The smallest QR code (version 1 to 40, level M) that holds `text` as UTF-8.
///
/// Not `QrCode::with_error_correction_level`: its segmenter takes any byte pair that
/// looks like Shift JIS for Kanji mode, and UTF-8 is full of such pairs (`ÉÉ` is C3 89 C3 89,
/// and 89 C3 is such a pair). Kanji mode means Shift JIS by the standard: zxing-cpp (of the
/// ZXing family that Android scanners come from) reads `ÉÉÉÉÉÉÉÉ` encoded that way as
/// `嘉嘉嘉嘉嘉嘉嘉`. We keep the crate's segmentation (numeric and alphanumeric runs make
/// codes smaller) with every Kanji segment turned to byte mode.
///
/// Non-ASCII text is preceded by the UTF-8 ECI designator. Without it, byte mode means
/// ISO-8859-1 by the standard and readers guess: ZXing guesses UTF-8 first, but zbar reads
/// `Café` as Shift JIS (and every `\` of the Wi-Fi escaping as `¥`). With it, neither
/// guesses. It is also what Android's own Wi-Fi sharing writes: its generator asks ZXing for
/// UTF-8, which adds this designator, whenever the text is not ISO-8859-1, so phone
/// readers already meet it. ASCII text gets no designator: it reads the same in UTF-8 and
/// ISO-8859-1, and the code stays 12 bits shorter.
fn encode(text: &str) -> Option<QrCode> {
    let data = text.as_bytes();
    if data.len() > MAX_TEXT_BYTES {
        return None;
    }
    let segments = segments(data);
    (1..=40).find_map(|number| {
        let version = Version::Normal(number);
        let mut bits = Bits::new(version);
        if !text.is_ascii() {
            bits.push_eci_designator(ECI_UTF8).ok()?;
        }
        let optimized = Optimizer::new(segments.iter().copied(), version);
        bits.push_segments(data, optimized).ok()?;
        bits.push_terminator(EcLevel::M).ok()?;
        QrCode::with_bits(bits, EcLevel::M).ok()
    })
}

/// The crate's segments of `data`, Kanji mode excluded (see `encode`).
fn segments(data: &[u8]) -> Vec<Segment> {
    Parser::new(data)
        .map(|segment| match segment.mode {
            Mode::Kanji => Segment {
                mode: Mode::Byte,
                ..segment
            },
            _ => segment,
        })
        .collect()
}

/// An inline SVG of the QR code of `text`, quiet zone included, one module per user unit:
/// a white rectangle and all dark modules as one `<path>` (one closed rectangle per
/// horizontal run). No width or height: the page sizes it with CSS. `label` becomes the
/// `aria-label`. `None` when `text` does not fit in a QR code.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let (width, modules) = matrix(text)?;
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, row) in modules.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] {
                x += 1;
            }
            let run = x - start;
            path.push_str(&format!(
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            ));
        }
    }
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\""
    );
    push_attribute_escaped(&mut out, label);
    out.push_str(&format!(
        "\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ));
    Some(out)
}

/// Escapes text for a double-quoted HTML attribute value.
fn push_attribute_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wifi_payload_escapes_each_special_character() {
        let table = [
            // (ssid, passphrase, expected)
            ("kit", "motdepasse", r"WIFI:T:WPA;S:kit;P:motdepasse;;"),
            ("kit", r"a\b", r"WIFI:T:WPA;S:kit;P:a\\b;;"),
            ("kit", "a;b", r"WIFI:T:WPA;S:kit;P:a\;b;;"),
            ("kit", "a,b", r"WIFI:T:WPA;S:kit;P:a\,b;;"),
            ("kit", "a:b", r"WIFI:T:WPA;S:kit;P:a\:b;;"),
            ("kit", "a\"b", r#"WIFI:T:WPA;S:kit;P:a\"b;;"#),
            ("kit", "l'été à 8 €", r"WIFI:T:WPA;S:kit;P:l'été à 8 €;;"),
            (
                r#"Café; "Le:Wifi",\"#,
                "x",
                r#"WIFI:T:WPA;S:Café\; \"Le\:Wifi\"\,\\;P:x;;"#,
            ),
        ];
        for (ssid, passphrase, expected) in table {
            assert_eq!(
                wifi_payload(ssid, Some(passphrase), false),
                expected,
                "{ssid:?} {passphrase:?}"
            );
        }
    }

    #[test]
    fn wifi_payload_of_an_open_network_has_no_passphrase() {
        assert_eq!(
            wifi_payload("Médiathèque", None, true),
            "WIFI:T:nopass;S:Médiathèque;;"
        );
        // A passphrase given for an open network is not shown.
        assert_eq!(
            wifi_payload("a;b", Some("secret"), true),
            r"WIFI:T:nopass;S:a\;b;;"
        );
    }

    #[test]
    fn wifi_payload_of_a_secured_network_without_passphrase_has_an_empty_one() {
        assert_eq!(wifi_payload("kit", None, false), "WIFI:T:WPA;S:kit;P:;;");
    }

    /// The part of `svg` between `start` and the next `"`.
    fn attribute<'a>(svg: &'a str, start: &str) -> &'a str {
        let from = svg.find(start).expect(start) + start.len();
        &svg[from..from + svg[from..].find('"').unwrap()]
    }

    #[test]
    fn svg_has_the_promised_shape() {
        let text = "http://mednum-4821.local/";
        let (width, _) = matrix(text).unwrap();
        let svg = svg(text, "Adresse du portail").unwrap();
        let size = width + 2 * QUIET_ZONE;
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert_eq!(attribute(&svg, "viewBox=\""), format!("0 0 {size} {size}"));
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.contains(&format!(
            "<rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>"
        )));
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        assert!(svg.contains("role=\"img\""));
        assert_eq!(attribute(&svg, "aria-label=\""), "Adresse du portail");
        // No size of its own: the page gives it one with CSS.
        let opening = &svg[..svg.find('>').unwrap()];
        assert!(
            !opening.contains(" width=") && !opening.contains(" height="),
            "{opening}"
        );
    }

    #[test]
    fn svg_escapes_the_label_for_an_attribute() {
        let svg = svg("x", r#"Wi-Fi "kit" <5 GHz> & 'co'"#).unwrap();
        assert_eq!(
            attribute(&svg, "aria-label=\""),
            "Wi-Fi &quot;kit&quot; &lt;5 GHz&gt; &amp; &#39;co&#39;"
        );
    }

    /// Fills a grid from the path's `M x y h n v1 h-n z` runs.
    fn draw(path: &str, size: usize) -> Vec<bool> {
        let mut grid = vec![false; size * size];
        for run in path.split('M').filter(|r| !r.is_empty()) {
            let (x, rest) = run.split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (n, rest) = rest.split_once('v').unwrap();
            assert_eq!(rest, format!("1h-{n}z"));
            let (x, y, n): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
            for cell in &mut grid[y * size + x..y * size + x + n] {
                assert!(!*cell, "two runs cover ({x}, {y})");
                *cell = true;
            }
        }
        grid
    }

    #[test]
    fn svg_path_draws_exactly_the_dark_modules_inside_the_quiet_zone() {
        let text = "WIFI:T:WPA;S:Café;P:x;;";
        let (width, modules) = matrix(text).unwrap();
        let size = width + 2 * QUIET_ZONE;
        let drawn = draw(attribute(&svg(text, "").unwrap(), " d=\""), size);
        for y in 0..size {
            for x in 0..size {
                let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                let dark = inside && modules[(y - QUIET_ZONE) * width + x - QUIET_ZONE];
                assert_eq!(drawn[y * size + x], dark, "module ({x}, {y})");
            }
        }
    }

    #[test]
    fn matrix_is_square_and_of_a_qr_code_size() {
        for text in ["", "a", "http://mednum-4821.local/", &"é".repeat(500)] {
            let (width, modules) = matrix(text).unwrap();
            assert_eq!(modules.len(), width * width);
            assert!(
                (21..=177).contains(&width) && (width - 17) % 4 == 0,
                "{width}"
            );
        }
    }

    #[test]
    fn text_too_long_for_a_qr_code_gives_none() {
        // Level M holds at most 2331 bytes (version 40).
        assert!(matrix(&"x".repeat(2331)).is_some());
        assert!(matrix(&"x".repeat(2332)).is_none());
        assert!(svg(&"x".repeat(2332), "trop long").is_none());
        assert!(svg(&"é".repeat(100_000), "trop long").is_none());
    }

    #[test]
    fn utf8_text_is_never_put_in_kanji_mode() {
        // C3 89 C3 89…: the crate's own segmenter makes a Kanji segment of it.
        let data = "ÉÉÉÉÉÉÉÉ".as_bytes();
        let stock = Optimizer::new(Parser::new(data), Version::Normal(1));
        assert!(stock.into_iter().any(|s| s.mode == Mode::Kanji));
        assert!(segments(data).iter().all(|s| s.mode != Mode::Kanji));
    }
}
