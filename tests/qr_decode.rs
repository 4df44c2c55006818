//! Real QR readers read our codes back. Each code is drawn from `qr::matrix` (the modules the
//! SVG draws too) as a PGM image, 8 pixels a module with the quiet zone kept, and decoded by
//! two readers: zbarimg (zbar) and ZXingReader (zxing-cpp, of the ZXing family that Android
//! scanners come from). Each must return the payload exactly, accents included.

use std::path::Path;
use std::process::Command;

use mednum_kit::web::qr;

const PIXELS_PER_MODULE: usize = 8;

/// A binary PGM (P5) of the QR code of `text`: black modules on white.
fn pgm(text: &str) -> Vec<u8> {
    let (width, modules) = qr::matrix(text).expect("the text fits in a QR code");
    let side = (width + 2 * qr::QUIET_ZONE) * PIXELS_PER_MODULE;
    let mut pixels = vec![255u8; side * side];
    for (i, _) in modules.iter().enumerate().filter(|(_, dark)| **dark) {
        let (x, y) = (i % width + qr::QUIET_ZONE, i / width + qr::QUIET_ZONE);
        for row in y * PIXELS_PER_MODULE..(y + 1) * PIXELS_PER_MODULE {
            let start = row * side + x * PIXELS_PER_MODULE;
            pixels[start..start + PIXELS_PER_MODULE].fill(0);
        }
    }
    let mut image = format!("P5\n{side} {side}\n255\n").into_bytes();
    image.extend(pixels);
    image
}

/// Whether `program` is on the PATH. When it is not: a failure under
/// `MEDNUM_REQUIRE_ROOT_TESTS=1` (CI, where scripts/install-test-deps.sh installs it), else a
/// skip.
fn reader_present(program: &str, package: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    if !found {
        if std::env::var_os("MEDNUM_REQUIRE_ROOT_TESTS").is_some_and(|v| v == "1") {
            panic!(
                "{program} is required (MEDNUM_REQUIRE_ROOT_TESTS=1): apt-get install {package}"
            );
        }
        println!("SKIP: {program} missing (apt-get install {package})");
    }
    found
}

/// What `zbarimg --raw -q` reads in the image, with `extra` options.
fn zbarimg(image: &Path, extra: &[&str]) -> Vec<u8> {
    let output = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .args(extra)
        .arg(image)
        .output()
        .expect("zbarimg runs");
    assert!(output.status.success(), "zbarimg found no code: {output:?}");
    output.stdout
}

/// The text ZXingReader reads in the image (the `Text:` line of its report).
fn zxing(image: &Path) -> String {
    let output = Command::new("ZXingReader")
        .args(["-format", "QRCode"])
        .arg(image)
        .output()
        .expect("ZXingReader runs");
    let report = String::from_utf8(output.stdout).expect("ZXingReader writes UTF-8");
    let text = report
        .lines()
        .find_map(|line| line.strip_prefix("Text:"))
        .unwrap_or_else(|| panic!("ZXingReader found no code:\n{report}"));
    let text = text.trim_start();
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .to_string()
}

/// Both readers, where present, read exactly `payload` in its QR code.
fn assert_read_back(payload: &str) {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("code.pgm");
    std::fs::write(&image, pgm(payload)).unwrap();

    if reader_present("zbarimg", "zbar-tools") {
        // zbarimg converts the text to UTF-8 from the charset the code declares (our UTF-8
        // ECI designator); it ends it with a newline.
        let read = zbarimg(&image, &[]);
        assert_eq!(String::from_utf8_lossy(&read), format!("{payload}\n"));
        // -Sbinary: the bytes stored, unconverted, are the UTF-8 of the payload.
        assert_eq!(zbarimg(&image, &["-Sbinary"]), payload.as_bytes());
    }
    if reader_present("ZXingReader", "zxing-cpp-tools") {
        assert_eq!(zxing(&image), payload);
    }
}

#[test]
fn wifi_payload_with_every_special_character_and_accents_reads_back() {
    let payload = qr::wifi_payload(
        r#"Café; "Le:Wifi",\ l’École Émile"#,
        Some(r#"pa\ss;wo,rd:"été""#),
        false,
    );
    assert_eq!(
        payload,
        r#"WIFI:T:WPA;S:Café\; \"Le\:Wifi\"\,\\ l’École Émile;P:pa\\ss\;wo\,rd\:\"été\";;"#
    );
    assert_read_back(&payload);
}

#[test]
fn open_network_payload_reads_back() {
    assert_read_back(&qr::wifi_payload("Médiathèque Émile-Zola", None, true));
}

#[test]
fn portal_url_reads_back() {
    assert_read_back("http://mednum-4821.local/");
}

/// The qrcode crate's own encoder put C3 89 C3 89… in Kanji mode, which ZXingReader read as
/// `嘉嘉嘉嘉嘉嘉嘉` (zbar did not notice). Since our UTF-8 ECI designator, zxing-cpp would
/// read such a segment right anyway, but Kanji mode means Shift JIS by the standard and not
/// every reader does: the unit test `utf8_text_is_never_put_in_kanji_mode` pins the fix itself.
#[test]
fn accented_capitals_are_not_read_as_kanji() {
    // Alone: in a longer text, the crate merged the Kanji run into the bytes around it.
    assert_read_back("ÉÉÉÉÉÉÉÉ");
}
