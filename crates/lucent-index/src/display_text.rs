//! Header text made safe to display: one function, [`sanitize`], applied to every header string
//! the index keeps for display.
//!
//! Header values are written by whoever wrote the file. A Patient's Name holding a line feed
//! (`"EVIL\nW 40 L 400"`) forges a second line in a viewer corner; a right-to-left override
//! (U+202E) reverses what follows it; zero-width characters make two different names look
//! identical. PS3.5 6.1.3 (Table 6.1-1) and 6.2 allow only ESC (for ISO 2022 code extensions,
//! consumed by [`crate::charset`] before this runs) and, in text VRs (ST, LT, UT), CR, LF, FF and
//! TAB; no VR that reaches the display here allows any other control character.
//!
//! What [`sanitize`] does, after charset decoding:
//! - line and tab breaks — LF, CR, TAB, VT, FF, NEL (U+0085), LINE SEPARATOR (U+2028) and
//!   PARAGRAPH SEPARATOR (U+2029) — become one space (a run of them, or one next to a space,
//!   gives a single space), so words never join;
//! - every other C0 control (U+0000–U+001F), DEL (U+007F) and C1 control (U+0080–U+009F) is
//!   removed;
//! - bidirectional formatting characters are removed: embeddings and overrides (U+202A–U+202E),
//!   isolates (U+2066–U+2069), marks (U+200E LRM, U+200F RLM, U+061C ALM);
//! - zero-width and invisible format characters are removed: U+200B–U+200D (ZWSP, ZWNJ, ZWJ),
//!   U+2060 (word joiner), U+2061–U+2064 (invisible operators), U+206A–U+206F (deprecated
//!   format characters), U+FEFF (BOM / ZWNBSP) and U+FFF9–U+FFFB (interlinear annotation);
//! - the result is trimmed of white space.
//!
//! Identifiers used for grouping (UIDs, the patient key) are never passed through here: they
//! stay exactly as in the file and are never displayed.

/// Whether `c` breaks a line or a field: shown as one space.
fn is_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Whether `c` is removed: controls, bidirectional formatting, zero-width characters.
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{00}'..='\u{1F}'
            | '\u{7F}'..='\u{9F}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// `text` with line breaks and tabs as single spaces, controls, bidirectional formatting and
/// zero-width characters removed, trimmed (see the module docs). Never fails.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Whether the last character kept was a break (spaces right after one are dropped).
    let mut after_break = false;
    for c in text.chars() {
        if is_break(c) {
            if !out.ends_with(' ') {
                out.push(' ');
            }
            after_break = true;
        } else if is_removed(c) || (c == ' ' && after_break) {
            continue;
        } else {
            out.push(c);
            after_break = false;
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_tabs_become_one_space() {
        assert_eq!(sanitize("EVIL\nW 40 L 400"), "EVIL W 40 L 400");
        assert_eq!(sanitize("A\r\nB"), "A B");
        assert_eq!(sanitize("A\tB"), "A B");
        assert_eq!(sanitize("A\u{0B}\u{0C}B"), "A B");
        assert_eq!(sanitize("A\u{85}B\u{2028}C\u{2029}D"), "A B C D");
        assert_eq!(sanitize("A \nB"), "A B");
        assert_eq!(sanitize("A\n  B"), "A B");
        assert_eq!(sanitize("\nA\n"), "A");
    }

    #[test]
    fn other_c0_and_c1_controls_are_removed() {
        assert_eq!(sanitize("A\u{0}B\u{7}C\u{1B}D\u{1F}E"), "ABCDE");
        assert_eq!(sanitize("A\u{7F}B\u{80}C\u{9B}D\u{9F}E"), "ABCDE");
    }

    #[test]
    fn bidirectional_formatting_is_removed() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            assert_eq!(
                sanitize(&format!("DOE{c}^JOHN")),
                "DOE^JOHN",
                "{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn zero_width_characters_are_removed() {
        for c in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{2063}', '\u{FEFF}', '\u{FFFB}',
        ] {
            assert_eq!(
                sanitize(&format!("{c}DOE{c}JOHN{c}")),
                "DOEJOHN",
                "{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        for s in [
            "Yamada^Tarou=山田^太郎=やまだ^たろう",
            "Wang^XiaoDong=王^小東",
            "Hong^Gildong=洪^吉洞=홍^길동",
            "Ελληνικά",
            "שלום",
            "عربي",
            "Müller\u{FFFD}",
            "W 40  L 400",
        ] {
            assert_eq!(sanitize(s), s);
        }
        assert_eq!(sanitize("  padded  "), "padded");
        assert_eq!(sanitize("\u{202E}\n\u{200B}"), "");
    }
}
