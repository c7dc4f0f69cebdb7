//! One byte per kana where the lookup index keeps readings: a reading is mostly kana, three
//! bytes each in UTF-8, and the index holds a quarter of a million of them twice (the loose
//! keys it searches and the original reading it shows).
//!
//! Two codes, for two uses:
//! - **Reading keys** ([`key`]): what `normalize::reading_key` gives, searched byte by byte.
//!   Every character of the hiragana block (U+3041..=U+309F) is one byte, `0x81..=0xDF`;
//!   anything else (a letter or digit in a reading, which no reading query holds: a query is
//!   read as a reading only when it is kana or romaji, and its stem is kana) is the one byte
//!   [`OTHER`]. One byte per character keeps substring search exact: a match can never start
//!   inside a character, and a byte offset is a character count.
//! - **Original text** ([`text`]): the reading as the data gave it, shown and highlighted, so
//!   nothing may be lost. Katakana (U+30A0..=U+30FF) is one byte, `0x80..=0xDF`; ASCII is
//!   itself; a character of two UTF-8 bytes is [`WIDE2`] then its bytes; any other character
//!   is its UTF-8 bytes (their lead byte is `0xE0..=0xF4`, so never taken for katakana).
//!
//! Neither code makes `0x00` or `0x01` (the index's segment end and alternative separator) out
//! of anything but those characters themselves, which the index strips before it encodes.

/// A reading-key byte standing for every character outside the hiragana block.
pub const OTHER: u8 = 0x02;

/// Marks a character of two UTF-8 bytes in [`text`].
const WIDE2: u8 = 0xF5;

const HIRAGANA: std::ops::RangeInclusive<char> = '\u{3041}'..='\u{309F}';
const KATAKANA: std::ops::RangeInclusive<char> = '\u{30A0}'..='\u{30FF}';

/// The reading-key byte of one character.
pub fn key_byte(c: char) -> u8 {
    if HIRAGANA.contains(&c) { (u32::from(c) - 0x3041 + 0x81) as u8 } else { OTHER }
}

/// The character a reading-key byte stands for: U+FFFD for [`OTHER`] (or anything else that
/// is not a kana byte), which no query holds.
pub fn key_char(b: u8) -> char {
    match b {
        0x81..=0xDF => char::from_u32(u32::from(b) - 0x81 + 0x3041).unwrap_or('\u{FFFD}'),
        _ => '\u{FFFD}',
    }
}

/// `s` (a reading key, or a query's stem) as reading-key bytes.
pub fn key(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 2);
    key_into(s, &mut out);
    out
}

/// [`key`], appended to `out`.
pub fn key_into(s: &str, out: &mut Vec<u8>) {
    out.extend(s.chars().map(key_byte));
}

/// Reading-key bytes back as characters (U+FFFD for [`OTHER`]), appended to `out`.
pub fn key_chars(bytes: &[u8]) -> impl Iterator<Item = char> + '_ {
    bytes.iter().map(|&b| key_char(b))
}

/// `s` (original text) in the text code, appended to `out`.
pub fn text_into(s: &str, out: &mut Vec<u8>) {
    let mut utf8 = [0u8; 4];
    for c in s.chars() {
        if KATAKANA.contains(&c) {
            out.push((u32::from(c) - 0x30A0 + 0x80) as u8);
        } else {
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            if bytes.len() == 2 {
                out.push(WIDE2);
            }
            out.extend_from_slice(bytes);
        }
    }
}

/// Text-code bytes back as the original text. Bytes that are not a character of the code
/// (a damaged buffer) become U+FFFD: decoding never fails.
pub fn text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (c, len) = match b {
            0x00..=0x7F => (char::from(b), 1),
            0x80..=0xDF => (char::from_u32(u32::from(b) - 0x80 + 0x30A0).unwrap_or('\u{FFFD}'), 1),
            WIDE2 => (utf8_char(bytes.get(i + 1..i + 3)), 3),
            0xE0..=0xEF => (utf8_char(bytes.get(i..i + 3)), 3),
            0xF0..=0xF4 => (utf8_char(bytes.get(i..i + 4)), 4),
            _ => ('\u{FFFD}', 1),
        };
        out.push(c);
        i += len;
    }
    out
}

/// The one character `bytes` spell in UTF-8, or U+FFFD.
fn utf8_char(bytes: Option<&[u8]>) -> char {
    bytes
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| {
            let mut chars = s.chars();
            chars.next().filter(|_| chars.next().is_none())
        })
        .unwrap_or('\u{FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_keys_are_one_byte_per_character() {
        let k = key("たかだ\u{3099}ab1");
        assert_eq!(k.len(), 7);
        assert_eq!(&k[4..], &[OTHER, OTHER, OTHER]);
        assert_eq!(key_chars(&k[..4]).collect::<String>(), "たかだ\u{3099}");
        assert!(k.iter().all(|&b| b > 0x01), "never a segment end or separator");
        // Every hiragana-block character round-trips; nothing else becomes kana.
        for c in HIRAGANA {
            assert_eq!(key_char(key_byte(c)), c);
        }
        assert_eq!(key_char(OTHER), '\u{FFFD}');
        assert_eq!(key_byte('ア'), OTHER);
    }

    #[test]
    fn substring_search_over_keys_matches_characters() {
        // A byte match is a character match: no character is a byte of another.
        let hay = key("いりようほうじんあおばかい");
        let needle = key("あおば");
        let pos = memchr::memmem::find(&hay, &needle);
        assert_eq!(pos, Some(8));
    }

    #[test]
    fn original_text_round_trips() {
        for s in [
            "アオバイイン",
            "ｱｵﾊﾞ",
            "あおば医院",
            "Café ×ヴ・ー",
            "医療法人社団 慈藻会",
            "𠮷野クリニック",
            "",
            "abc\u{1F}123",
        ] {
            let mut enc = Vec::new();
            text_into(s, &mut enc);
            assert_eq!(text(&enc), s, "{s:?}");
            assert!(!enc.contains(&0x00) && !enc.contains(&0x01));
        }
        let mut enc = Vec::new();
        text_into("アオバイイン", &mut enc);
        assert_eq!(enc.len(), 6, "katakana is one byte each");
    }

    #[test]
    fn damaged_text_decodes_without_failing() {
        for bytes in [&[0xE3u8][..], &[0xF5, 0xC3], &[0xFF, 0xE3, 0x81], &[0xF0, 0x9F]] {
            let s = text(bytes);
            assert!(s.contains('\u{FFFD}'), "{bytes:?} → {s:?}");
        }
    }
}
