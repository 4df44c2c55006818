//! Text received from outside (another kit over mDNS, later a stick or an upstream) made safe
//! to show on a terminal or a page: one line, no control characters or escape sequences, no
//! invisible reordering of what follows, a bounded length. The one place such text is cleaned.

/// What replaces each character that could act instead of being shown.
pub const REPLACEMENT: char = '\u{FFFD}';

/// `true` for characters that act rather than show: C0 and C1 controls and DEL (newlines,
/// `ESC` which starts terminal escape sequences, `CSI`…), line and paragraph separators,
/// and the bidirectional marks, embeddings, overrides and isolates that make a terminal or
/// a browser show text in another order than it is written ("Trojan Source").
fn acts(c: char) -> bool {
    const BIDI_AND_SEPARATORS: &[char] = &[
        '\u{061C}', // Arabic letter mark
        '\u{200E}', // left-to-right mark
        '\u{200F}', // right-to-left mark
        '\u{2028}', // line separator
        '\u{2029}', // paragraph separator
    ];
    c.is_control()
        || BIDI_AND_SEPARATORS.contains(&c)
        // Embeddings and overrides, then isolates.
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `text` with every acting character replaced by `REPLACEMENT` (so an admin sees that
/// something was there), cut to `max_chars` characters, the last being `…` when cut.
pub fn printable(text: &str, max_chars: usize) -> String {
    let cut = text.chars().count() > max_chars;
    let keep = if cut {
        max_chars.saturating_sub(1)
    } else {
        max_chars
    };
    let mut out: String = text
        .chars()
        .take(keep)
        .map(|c| if acts(c) { REPLACEMENT } else { c })
        .collect();
    if cut && max_chars > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_replaces_what_acts_and_keeps_what_shows() {
        let cases = [
            ("Kit de la salle des fêtes", "Kit de la salle des fêtes"),
            ("Médiathèque — 2ᵉ étage 📚", "Médiathèque — 2ᵉ étage 📚"),
            ("", ""),
            // Terminal escapes: colours, clearing the screen, setting the window title.
            ("\u{1b}[31mrouge\u{1b}[0m", "�[31mrouge�[0m"),
            ("\u{1b}[2J\u{1b}[H", "�[2J�[H"),
            ("\u{1b}]0;titre\u{7}", "�]0;titre�"),
            // The one-character CSI (C1), and the rest of C1.
            ("\u{9b}31m", "�31m"),
            ("a\u{80}b\u{9f}c", "a�b�c"),
            // Lines and other C0 controls, DEL.
            ("ligne\nfausse ligne", "ligne�fausse ligne"),
            ("a\rb\tc\0d\u{7f}e", "a�b�c�d�e"),
            ("a\u{2028}b\u{2029}c", "a�b�c"),
            // Bidi: overrides, embeddings, isolates, marks.
            ("kit\u{202E}txt.exe", "kit�txt.exe"),
            ("\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}", "�����"),
            ("\u{2066}\u{2067}\u{2068}\u{2069}", "����"),
            ("\u{200E}a\u{200F}\u{061C}", "�a��"),
            // Joiners stay: emoji need them.
            ("👩\u{200D}💻", "👩\u{200D}💻"),
        ];
        for (received, shown) in cases {
            assert_eq!(printable(received, 64), shown, "{received:?}");
        }
    }

    #[test]
    fn printable_bounds_the_length_in_characters() {
        let cases = [
            ("abc", 3, "abc"),
            ("abcd", 3, "ab…"),
            ("éèàç", 3, "éè…"),
            ("ab", 0, ""),
            ("ab", 1, "…"),
            ("\u{1b}\u{1b}\u{1b}\u{1b}", 3, "��…"),
        ];
        for (received, max, shown) in cases {
            assert_eq!(printable(received, max), shown, "{received:?} {max}");
        }
        let long = "x".repeat(10_000);
        assert_eq!(printable(&long, 64).chars().count(), 64);
    }
}
