//! Specific Character Set (0008,0005): decoding display strings, code extensions included.
//!
//! Implements PS3.5 6.1 (support of character repertoires) and the ISO 2022 code extension
//! technique of PS3.5 6.1.2.5 with the escape sequences of PS3.3 C.12.1.1.2 (tables C.12-3 and
//! C.12-4), as used by the examples of PS3.5 Annexes H (Japanese), I (Korean), J and K (Chinese).
//!
//! A multi-valued Specific Character Set such as `\ISO 2022 IR 87` or
//! `ISO 2022 IR 13\ISO 2022 IR 87` means: start with the first value (empty = ASCII) and switch
//! G0/G1 with escape sequences. After each delimiter (`\`, CR, LF, TAB, FF, and for PN also `^`
//! and `=`) the initial designations are restored (PS3.5 6.1.2.5.3).
//!
//! Decoding never fails: bytes that the active set cannot decode become U+FFFD.

use encoding_rs::Encoding as TextEncoding;

/// A character set that can be designated into G0 or G1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Set {
    /// ISO-IR 6, ASCII (G0).
    Ascii,
    /// ISO-IR 14, JIS X 0201 Romaji (G0): ASCII for our purposes.
    JisRomaji,
    /// ISO-IR 13, JIS X 0201 Katakana (G1): 0xA1..0xDF are half-width katakana.
    JisKatakana,
    /// ISO-IR 87, JIS X 0208 (G0, two bytes).
    JisX0208,
    /// ISO-IR 159, JIS X 0212 (G0, two bytes).
    JisX0212,
    /// ISO-IR 149, KS X 1001 (G1, two bytes with the high bit set: EUC-KR).
    KsX1001,
    /// ISO-IR 58, GB 2312 (G1, two bytes with the high bit set: EUC-CN).
    Gb2312,
    /// A single-byte ISO 8859 / TIS 620 upper half (G1).
    Upper(&'static TextEncoding),
    /// ISO 8859-1 upper half (G1): decoded by hand, encoding_rs maps the label to windows-1252.
    Latin1,
}

/// The whole-string encodings that do not use ISO 2022 code extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whole {
    Utf8,
    Gb18030,
    Gbk,
}

/// A parsed Specific Character Set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharacterSet {
    whole: Option<Whole>,
    initial_g0: Set,
    initial_g1: Option<Set>,
}

impl Default for CharacterSet {
    fn default() -> Self {
        CharacterSet {
            whole: None,
            initial_g0: Set::Ascii,
            initial_g1: None,
        }
    }
}

/// The single-byte defined term for a code, as G1 upper half (PS3.3 table C.12-2 / C.12-3).
fn single_byte(term: &str) -> Option<Set> {
    let name = term.trim().replace('_', " ");
    let number = name
        .strip_prefix("ISO 2022 IR ")
        .or_else(|| name.strip_prefix("ISO IR "))?;
    Some(match number.trim() {
        "6" => return None,
        "100" => Set::Latin1,
        "101" => Set::Upper(encoding_rs::ISO_8859_2),
        "109" => Set::Upper(encoding_rs::ISO_8859_3),
        "110" => Set::Upper(encoding_rs::ISO_8859_4),
        "144" => Set::Upper(encoding_rs::ISO_8859_5),
        "127" => Set::Upper(encoding_rs::ISO_8859_6),
        "126" => Set::Upper(encoding_rs::ISO_8859_7),
        "138" => Set::Upper(encoding_rs::ISO_8859_8),
        "148" => Set::Upper(encoding_rs::WINDOWS_1254),
        "203" => Set::Upper(encoding_rs::ISO_8859_15),
        "166" => Set::Upper(encoding_rs::WINDOWS_874),
        "13" => Set::JisKatakana,
        "149" => Set::KsX1001,
        "58" => Set::Gb2312,
        _ => return None,
    })
}

impl CharacterSet {
    /// Parses the values of Specific Character Set (0008,0005). Unknown terms fall back to the
    /// default repertoire, as PS3.5 6.1.2.3 recommends for display.
    pub fn from_values(values: &[String]) -> CharacterSet {
        let first = values
            .first()
            .map(|v| v.trim().replace('_', " "))
            .unwrap_or_default();
        match first.as_str() {
            "ISO IR 192" => {
                return CharacterSet {
                    whole: Some(Whole::Utf8),
                    ..CharacterSet::default()
                };
            }
            "GB18030" => {
                return CharacterSet {
                    whole: Some(Whole::Gb18030),
                    ..CharacterSet::default()
                };
            }
            "GBK" => {
                return CharacterSet {
                    whole: Some(Whole::Gbk),
                    ..CharacterSet::default()
                };
            }
            _ => {}
        }
        let initial_g1 = single_byte(&first);
        // ISO 2022 IR 13 also designates JIS X 0201 Romaji into G0 (PS3.3 table C.12-4).
        let initial_g0 = if initial_g1 == Some(Set::JisKatakana) {
            Set::JisRomaji
        } else {
            Set::Ascii
        };
        CharacterSet {
            whole: None,
            initial_g0,
            initial_g1,
        }
    }

    /// Decodes a value (all its `\`-separated parts) for display. `person_name` enables the PN
    /// delimiters `^` and `=` as reset points.
    pub fn decode(&self, bytes: &[u8], person_name: bool) -> String {
        match self.whole {
            Some(Whole::Utf8) => return String::from_utf8_lossy(bytes).into_owned(),
            Some(Whole::Gb18030) => {
                return encoding_rs::GB18030
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned();
            }
            Some(Whole::Gbk) => {
                return encoding_rs::GBK
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned();
            }
            None => {}
        }
        let mut out = String::with_capacity(bytes.len());
        let mut g0 = self.initial_g0;
        let mut g1 = self.initial_g1;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == 0x1B {
                match escape(&bytes[i + 1..]) {
                    Some((Designation::G0(set), used)) => {
                        g0 = set;
                        i += 1 + used;
                    }
                    Some((Designation::G1(set), used)) => {
                        g1 = Some(set);
                        i += 1 + used;
                    }
                    None => {
                        out.push('\u{FFFD}');
                        i += 1;
                    }
                }
                continue;
            }
            let is_delimiter = matches!(b, b'\\' | b'\r' | b'\n' | b'\t' | 0x0C)
                || (person_name && matches!(b, b'^' | b'='));
            if b < 0x80 && is_delimiter && !matches!(g0, Set::JisX0208 | Set::JisX0212) {
                out.push(b as char);
                g0 = self.initial_g0;
                g1 = self.initial_g1;
                i += 1;
                continue;
            }
            if b < 0x80 {
                match g0 {
                    Set::JisX0208 | Set::JisX0212 => {
                        // Two 7-bit bytes; decode through EUC-JP (0x8F prefix selects JIS X 0212).
                        let Some(&b2) = bytes.get(i + 1) else {
                            out.push('\u{FFFD}');
                            break;
                        };
                        let mut euc = Vec::with_capacity(3);
                        if g0 == Set::JisX0212 {
                            euc.push(0x8F);
                        }
                        euc.push(b | 0x80);
                        euc.push(b2 | 0x80);
                        out.push_str(&encoding_rs::EUC_JP.decode_without_bom_handling(&euc).0);
                        i += 2;
                    }
                    _ => {
                        out.push(b as char);
                        i += 1;
                    }
                }
                continue;
            }
            // High half: G1.
            match g1 {
                Some(Set::Latin1) => {
                    out.push(char::from(b));
                    i += 1;
                }
                Some(Set::Upper(enc)) => {
                    out.push_str(&enc.decode_without_bom_handling(&[b]).0);
                    i += 1;
                }
                Some(Set::JisKatakana) => {
                    out.push(if (0xA1..=0xDF).contains(&b) {
                        char::from_u32(0xFF61 + u32::from(b - 0xA1)).unwrap_or('\u{FFFD}')
                    } else {
                        '\u{FFFD}'
                    });
                    i += 1;
                }
                Some(set @ (Set::KsX1001 | Set::Gb2312)) => {
                    let Some(&b2) = bytes.get(i + 1) else {
                        out.push('\u{FFFD}');
                        break;
                    };
                    let enc = if set == Set::KsX1001 {
                        encoding_rs::EUC_KR
                    } else {
                        encoding_rs::GBK
                    };
                    out.push_str(&enc.decode_without_bom_handling(&[b, b2]).0);
                    i += 2;
                }
                _ => {
                    out.push('\u{FFFD}');
                    i += 1;
                }
            }
        }
        out
    }
}

enum Designation {
    G0(Set),
    G1(Set),
}

/// Recognises an escape sequence (the bytes after ESC), PS3.3 tables C.12-3 and C.12-4.
fn escape(rest: &[u8]) -> Option<(Designation, usize)> {
    let table: &[(&[u8], Designation)] = &[
        (b"(B", Designation::G0(Set::Ascii)),
        (b"(J", Designation::G0(Set::JisRomaji)),
        (b")I", Designation::G1(Set::JisKatakana)),
        (b"$B", Designation::G0(Set::JisX0208)),
        (b"$(D", Designation::G0(Set::JisX0212)),
        (b"$)C", Designation::G1(Set::KsX1001)),
        (b"$)A", Designation::G1(Set::Gb2312)),
        (b"-A", Designation::G1(Set::Latin1)),
        (b"-B", Designation::G1(Set::Upper(encoding_rs::ISO_8859_2))),
        (b"-C", Designation::G1(Set::Upper(encoding_rs::ISO_8859_3))),
        (b"-D", Designation::G1(Set::Upper(encoding_rs::ISO_8859_4))),
        (b"-L", Designation::G1(Set::Upper(encoding_rs::ISO_8859_5))),
        (b"-G", Designation::G1(Set::Upper(encoding_rs::ISO_8859_6))),
        (b"-F", Designation::G1(Set::Upper(encoding_rs::ISO_8859_7))),
        (b"-H", Designation::G1(Set::Upper(encoding_rs::ISO_8859_8))),
        (
            b"-M",
            Designation::G1(Set::Upper(encoding_rs::WINDOWS_1254)),
        ),
        (b"-b", Designation::G1(Set::Upper(encoding_rs::ISO_8859_15))),
        (b"-T", Designation::G1(Set::Upper(encoding_rs::WINDOWS_874))),
    ];
    table
        .iter()
        .find(|(seq, _)| rest.starts_with(seq))
        .map(|(seq, d)| {
            let d = match d {
                Designation::G0(s) => Designation::G0(*s),
                Designation::G1(s) => Designation::G1(*s),
            };
            (d, seq.len())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs(values: &[&str]) -> CharacterSet {
        CharacterSet::from_values(&values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn default_repertoire_is_ascii() {
        assert_eq!(cs(&[]).decode(b"DOE^JOHN", true), "DOE^JOHN");
    }

    #[test]
    fn latin1_german_and_french() {
        assert_eq!(
            cs(&["ISO_IR 100"]).decode(b"\xc4neas^R\xfcdiger", true),
            "Äneas^Rüdiger"
        );
        assert_eq!(
            cs(&["ISO_IR 100"]).decode(b"Buc^J\xe9r\xf4me", true),
            "Buc^Jérôme"
        );
    }

    #[test]
    fn single_byte_scripts() {
        assert_eq!(
            cs(&["ISO_IR 126"]).decode(b"\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2", true),
            "Διονυσιος"
        );
        assert_eq!(
            cs(&["ISO_IR 144"]).decode(b"\xbb\xee\xdace\xdc\xd1yp\xd3", true),
            "Люкceмбypг"
        );
        assert_eq!(
            cs(&["ISO_IR 138"]).decode(b"\xf9\xf8\xe5\xef^\xe3\xe1\xe5\xf8\xe4", true),
            "שרון^דבורה"
        );
        assert_eq!(
            cs(&["ISO_IR 127"]).decode(b"\xe2\xc8\xc7\xe6\xea^\xe4\xe6\xd2\xc7\xd1", true),
            "قباني^لنزار"
        );
    }

    #[test]
    fn utf8_and_gb18030() {
        assert_eq!(
            cs(&["ISO_IR 192"]).decode("Wang^XiaoDong=王^小東=".as_bytes(), true),
            "Wang^XiaoDong=王^小東="
        );
        assert_eq!(
            cs(&["GB18030"]).decode(b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=", true),
            "Wang^XiaoDong=王^小东="
        );
    }

    /// PS3.5 Annex H, example H.3.1 (ISO 2022 IR 87 with ASCII default).
    #[test]
    fn japanese_jis_x_0208() {
        let raw =
            b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
        assert_eq!(
            cs(&["", "ISO 2022 IR 87"]).decode(raw, true),
            "Yamada^Tarou=山田^太郎=やまだ^たろう"
        );
    }

    /// PS3.5 Annex H, example H.3.2 (ISO 2022 IR 13 katakana in G1, JIS X 0201 romaji in G0).
    #[test]
    fn japanese_katakana_and_kanji() {
        let raw = b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J";
        assert_eq!(
            cs(&["ISO 2022 IR 13", "ISO 2022 IR 87"]).decode(raw, true),
            "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"
        );
    }

    /// PS3.5 Annex I, example I.2 (ISO 2022 IR 149).
    #[test]
    fn korean_ks_x_1001() {
        let raw = b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf";
        assert_eq!(
            cs(&["", "ISO 2022 IR 149"]).decode(raw, true),
            "Hong^Gildong=洪^吉洞=홍^길동"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let set = cs(&["ISO 2022 IR 13", "ISO 2022 IR 87"]);
        for raw in [
            &b"\x1b"[..],
            b"\x1b$B;",
            b"\x1b$)C\xfb",
            b"\xff\xfe\x1b(Z",
            b"\x1b$(D\x7f",
        ] {
            let _ = set.decode(raw, true);
            let _ = cs(&["", "ISO 2022 IR 149"]).decode(raw, false);
        }
        assert_eq!(cs(&["ISO_IR 100"]).decode(b"\x1bX", false), "\u{FFFD}X");
    }
}
