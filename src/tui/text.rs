//! Everything the operator reads that is not data: UI strings, the symbol set (Unicode or
//! ASCII), and width-aware layout of Japanese text (display cells via unicode-width, cut on
//! cell boundaries with an ellipsis, half-width dakuten kept with their base character).

use unicode_width::UnicodeWidthChar;

/// The symbols the console draws. The ASCII set avoids every East Asian *ambiguous-width*
/// character (box drawing, arrows, "…", "■", "●"), which old Tera Term setups draw two cells
/// wide and so break every line they appear in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbols {
    /// Marks text cut short (`…`).
    pub ellipsis: &'static str,
    /// Points from one thing to the next (`→`).
    pub arrow: &'static str,
    /// Marks the selected row (`▶`).
    pub cursor: &'static str,
    /// Starts a list item (`・`).
    pub bullet: &'static str,
    /// Precedes a warning (`⚠`).
    pub warning: &'static str,
    /// Separates status-bar parts (`│`).
    pub separator: &'static str,
}

/// Unicode symbols for terminals that draw them one cell wide.
pub const UNICODE: Symbols =
    Symbols { ellipsis: "…", arrow: "→", cursor: "▶", bullet: "・", warning: "⚠", separator: "│" };

/// Symbols safe under `UnicodeAmbiguousWidth=2`: plain ASCII (and wide-only Japanese marks).
pub const ASCII: Symbols =
    Symbols { ellipsis: "...", arrow: "->", cursor: ">", bullet: "*", warning: "!", separator: "|" };

impl Symbols {
    /// The set for a console in ASCII mode or not.
    pub fn for_mode(ascii: bool) -> Symbols {
        if ascii { ASCII } else { UNICODE }
    }
}

/// Full-width katakana for the half-width forms U+FF66..U+FF9D, in code point order.
const HALFWIDTH_KATAKANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// The text as the console draws it: half-width katakana become full-width, with their
/// (semi-)voiced marks composed (ｶﾞ → ガ). unicode-width (and so ratatui) counts ﾞ as zero
/// cells while terminals draw it one cell wide, which would shift the rest of the line;
/// full-width kana measure the same everywhere. Returns the text and, for each input char,
/// the index of the output char it became (for highlight ranges).
pub fn display_map(s: &str) -> (String, Vec<usize>) {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    for c in s.chars() {
        let code = c as u32;
        let composed = match (code, out.last().copied()) {
            (0xFF9E, Some(prev)) => voiced(prev, 1),
            (0xFF9F, Some(prev)) => voiced(prev, 2),
            _ => None,
        };
        if let Some(v) = composed {
            if let Some(last) = out.last_mut() {
                *last = v;
            }
            map.push(out.len() - 1);
            continue;
        }
        let mapped = match code {
            0xFF61 => '。',
            0xFF62 => '「',
            0xFF63 => '」',
            0xFF64 => '、',
            0xFF65 => '・',
            0xFF66..=0xFF9D => HALFWIDTH_KATAKANA.chars().nth((code - 0xFF66) as usize).unwrap_or(c),
            0xFF9E => '゛',
            0xFF9F => '゜',
            _ => c,
        };
        map.push(out.len());
        out.push(mapped);
    }
    (out.into_iter().collect(), map)
}

/// [`display_map`] without the map.
pub fn display(s: &str) -> String {
    if s.chars().any(|c| ('\u{FF61}'..='\u{FF9F}').contains(&c)) { display_map(s).0 } else { s.to_string() }
}

/// ガ for カ + ﾞ (step 1), パ for ハ + ﾟ (step 2), ヴ for ウ + ﾞ.
fn voiced(base: char, step: u32) -> Option<char> {
    let b = base as u32;
    let voiceable =
        matches!(b, 0x30AB..=0x30C8 if b % 2 == 1 || b >= 0x30C4) && !matches!(b, 0x30C3 | 0x30C5 | 0x30C7);
    let hatsu = matches!(b, 0x30CF | 0x30D2 | 0x30D5 | 0x30D8 | 0x30DB);
    match step {
        1 if b == 0x30A6 => Some('ヴ'),
        1 if voiceable || hatsu => char::from_u32(b + 1),
        2 if hatsu => char::from_u32(b + 2),
        _ => None,
    }
}

/// Whether `c` is East Asian *ambiguous* width: one cell by unicode-width, two on a terminal
/// set to draw ambiguous characters wide (old Tera Term setups, some CJK fonts).
pub fn ambiguous(c: char) -> bool {
    UnicodeWidthChar::width(c) != UnicodeWidthChar::width_cjk(c)
}

/// The one-cell ASCII stand-in for an ambiguous-width character in ASCII mode: the usual
/// marks of Japanese documents by their look, circled numbers by their digit, anything else
/// `?`. Server data (an FAQ answer with ※ or ①, a name with ○) cannot then shift a line.
pub fn ascii_for(c: char) -> char {
    match c {
        '※' | '＊' | '●' | '◎' | '★' | '☆' | '◆' | '◇' => '*',
        '○' | '〇' | '◯' => 'o',
        '■' | '□' | '▲' | '△' | '▼' | '▽' | '▶' | '▷' | '◀' | '◁' => '#',
        '①'..='⑨' => char::from_u32('1' as u32 + (c as u32 - '①' as u32)).unwrap_or('?'),
        '×' => 'x',
        '÷' => '/',
        '±' => '+',
        '°' => 'o',
        '−' | '‐' | '–' | '—' | '―' | '─' | '━' => '-',
        '│' | '┃' | '‖' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' => '+',
        '‘' | '’' | '′' => '\'',
        '“' | '”' | '″' => '"',
        '…' | '‥' | '・' => '.',
        '→' | '⇒' => '>',
        '←' | '⇐' => '<',
        '↑' => '^',
        '↓' => 'v',
        '§' => 'S',
        _ => '?',
    }
}

/// In ASCII mode, every cell of a drawn frame whose symbol holds an ambiguous-width character
/// gets its one-cell ASCII stand-in ([`ascii_for`]): whatever the data, the line stays as
/// ratatui measured it.
pub fn ascii_safe(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        if sym.is_ascii() || !sym.chars().any(ambiguous) {
            continue;
        }
        let first = sym.chars().find(|c| ambiguous(*c)).unwrap_or('?');
        let mut b = [0u8; 4];
        cell.set_symbol(ascii_for(first).encode_utf8(&mut b));
    }
}

/// Display width in terminal cells of `s`.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Width of one char; control characters count as zero.
pub fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// True for a character that belongs to the one before it: combining marks (zero width,
/// such as U+3099 combining dakuten) and the half-width (semi-)voiced sound marks ﾞ ﾟ, which
/// occupy a cell of their own but make no sense alone (ｶﾞ must not become ｶ + …).
fn attaches_to_previous(c: char) -> bool {
    c == '\u{FF9E}' || c == '\u{FF9F}' || (char_width(c) == 0 && !c.is_control())
}

/// Splits `s` into clusters that must not be cut apart (a base char and its marks).
pub fn clusters(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if i > start && !attaches_to_previous(c) {
            out.push(&s[start..i]);
            start = i;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Cuts `s` to at most `max` cells, ending in `ellipsis` when something was cut. Never cuts a
/// wide character or a dakuten cluster in half.
pub fn truncate(s: &str, max: usize, ellipsis: &str) -> String {
    let s = &display(s);
    if width(s) <= max {
        return s.to_string();
    }
    let ell_w = width(ellipsis);
    if max < ell_w {
        return ".".repeat(max);
    }
    let budget = max - ell_w;
    let mut out = String::new();
    let mut used = 0;
    for cl in clusters(s) {
        let w = width(cl);
        if used + w > budget {
            break;
        }
        out.push_str(cl);
        used += w;
    }
    out.push_str(ellipsis);
    out
}

/// Breaks `s` into lines of at most `cells` cells, on cluster boundaries. Japanese has no
/// spaces to break at, so this wraps by character (a space at a break is dropped); a word
/// wrapper would leave a half-empty line before every long run of kana and kanji.
pub fn wrap(s: &str, cells: usize) -> Vec<String> {
    let s = display(s);
    let cells = cells.max(2);
    let mut out = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for cl in clusters(para) {
            let w = width(cl);
            if used + w > cells {
                out.push(std::mem::take(&mut line));
                used = 0;
                if cl == " " {
                    continue;
                }
            }
            line.push_str(cl);
            used += w;
        }
        out.push(line);
    }
    out
}

/// `truncate`, then pads with spaces to exactly `cells` cells (for table columns).
pub fn fit(s: &str, cells: usize, ellipsis: &str) -> String {
    let mut t = truncate(s, cells, ellipsis);
    let w = width(&t);
    t.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    t
}

/// Pieces of a line after cutting to a width, each flagged as highlighted or not: used for
/// the matched parts of a lookup row. `ranges` are char (not byte) ranges, as the API sends.
pub fn highlight_pieces(
    s: &str,
    ranges: &[(usize, usize)],
    max: usize,
    ellipsis: &str,
) -> Vec<(String, bool)> {
    let (shown, map) = display_map(s);
    let ranges: Vec<(usize, usize)> = ranges
        .iter()
        .map(|&(a, b)| {
            let at = |i: usize| map.get(i).copied().unwrap_or(map.last().map_or(0, |l| l + 1));
            (at(a), if b == 0 { 0 } else { at(b - 1) + 1 })
        })
        .collect();
    let s = shown.as_str();
    let cut = truncate(s, max, ellipsis);
    let was_cut = cut != s;
    let body_chars =
        if was_cut { cut.chars().count() - ellipsis.chars().count() } else { cut.chars().count() };
    let mut pieces: Vec<(String, bool)> = Vec::new();
    for (i, c) in cut.chars().enumerate() {
        let hl = i < body_chars && ranges.iter().any(|&(a, b)| i >= a && i < b);
        match pieces.last_mut() {
            Some((text, flag)) if *flag == hl => text.push(c),
            _ => pieces.push((c.to_string(), hl)),
        }
    }
    pieces
}

/// Formats yen with thousands separators: 1,050,000円.
pub fn yen(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out.push('円');
    out
}

/// Minutes and seconds of a call: `12:05`.
pub fn mm_ss(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// The verification choices of the change dialog, in the order shown: reading back the
/// registered details first (the change is made now), calling back second (a call-back carrying
/// the change is registered instead).
pub const VERIFICATIONS: [crate::api::Verification; 2] =
    [crate::api::Verification::RegisteredDetails, crate::api::Verification::CallbackRegisteredPhone];

/// How an operator reads a verification choice.
pub fn verification_label(v: crate::api::Verification) -> &'static str {
    match v {
        crate::api::Verification::CallbackRegisteredPhone => "登録電話番号へ折り返し",
        crate::api::Verification::RegisteredDetails => "登録内容（住所・コード等）を読み上げ確認",
    }
}

/// Operator-visible strings that are not built from data.
pub(crate) mod ui {
    pub const TOO_SMALL: &str = "画面が小さすぎます。80×24 以上に広げてください";
    pub const TOO_SMALL_ASCII: &str = "Please enlarge the terminal to 80x24";
    pub const LOOKUP_TITLE: &str = "検索 (名称・よみ・ローマ字・コード・電話)";
    pub const LOOKUP_HINT: &str = "医療機関名・よみ・ローマ字・医療機関コード・電話番号を入力してください";
    pub const FAQ_TITLE: &str = "FAQ 検索";
    /// The FAQ list while it shows the open call's suggestions.
    pub const FAQ_SUGGESTED: &str = "応対中の候補";
    /// The same, when the server is not confident: a guess.
    pub const FAQ_SUGGESTED_WEAK: &str = "応対中の候補（推測）";
    pub const FAQ_HINT: &str = "質問を入力してください（例: 機種未定 期限、補助金 上限）";
    pub const HELP_TITLE: &str = "キー一覧（使用中のキーマップから生成）";
    pub const CALLS_TITLE: &str = "応対記録（本日）";
    pub const DASHBOARD_TITLE: &str = "ダッシュボード";
    pub const CONFIRM_QUIT: &str = "終了しますか？ 入力中の内容または応対中の通話があります。";
    pub const VERIFY_REQUIRED: &str = "本人確認の方法を選んでください（必須）";
    pub const CALLER_REQUIRED: &str = "お電話の方のお名前を入力してください";
    pub const MODEL_REQUIRED: &str = "機種を選んでください";
    pub const ROLES: [&str; 6] = ["院長・開設者", "事務長", "事務担当", "薬剤師", "システム事業者", "その他"];
}

/// What the operator reads once a call-back is registered.
pub fn callback_registered(cb: &crate::domain::CallBack) -> String {
    format!(
        "折り返し #{} を登録しました: {} {}（登録電話番号）予定 {}",
        cb.id,
        cb.name.as_deref().unwrap_or(&cb.code),
        cb.phone,
        super::view::jst(cb.due_at).format("%m/%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_mode_replaces_every_ambiguous_width_symbol_in_a_frame() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        let mut buf = Buffer::empty(Rect::new(0, 0, 20, 1));
        buf.set_string(0, 0, "※○①■×…佐藤ab", ratatui::style::Style::default());
        ascii_safe(&mut buf);
        let line: String = buf.content.iter().map(|c| c.symbol()).collect();
        assert!(line.starts_with("*o1#x.佐"), "{line:?}");
        assert!(line.chars().all(|c| !ambiguous(c)), "{line:?}");
        // Japanese text and ASCII are not ambiguous: left alone.
        assert!(!ambiguous('佐') && !ambiguous('a') && !ambiguous('ア'));
        assert!(ambiguous('※') && ambiguous('○') && ambiguous('①') && ambiguous('■'));
    }

    #[test]
    fn width_counts_cells() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("矢嶋歯科医院"), 12);
        assert_eq!(width(&display("ｶﾞ")), 2);
    }

    #[test]
    fn truncate_never_cuts_wide_chars() {
        assert_eq!(truncate("矢嶋歯科医院", 12, "…"), "矢嶋歯科医院");
        assert_eq!(truncate("矢嶋歯科医院", 7, "..."), "矢嶋...");
        // 6 cells left for text after "…" (ambiguous: 1 cell here) → 3 kanji
        let t = truncate("矢嶋歯科医院", 8, "…");
        assert!(width(&t) <= 8, "{t}");
        assert_eq!(t, "矢嶋歯…");
    }

    #[test]
    fn halfwidth_kana_are_drawn_full_width() {
        // unicode-width says ﾞ is 0 cells, terminals draw 1: compose to full width instead.
        assert_eq!(display("ｶﾞｰﾃﾞﾝ ﾊﾟﾝ ｳﾞ ｯ"), "ガーデン パン ヴ ッ");
        assert_eq!(display("ﾔｼﾞﾏｼｶｲｲﾝ"), "ヤジマシカイイン");
        assert_eq!(truncate("ｶﾞｰﾃﾞﾝ", 5, "."), "ガー.");
        assert_eq!(clusters("か\u{3099}き"), vec!["か\u{3099}", "き"]);
        assert_eq!(truncate("か\u{3099}きく", 3, "."), "か\u{3099}.");
        // highlight ranges follow the composition
        let p = highlight_pieces("ﾔｼﾞﾏ", &[(1, 3)], 20, "…");
        assert_eq!(p, vec![("ヤ".to_string(), false), ("ジ".to_string(), true), ("マ".to_string(), false)]);
    }

    #[test]
    fn wrap_breaks_by_cells() {
        let w = wrap("機種未定の申込は 2021-08-01 までに機種を選んでください", 20);
        assert!(w.iter().all(|l| width(l) <= 20), "{w:?}");
        assert_eq!(w[0], "機種未定の申込は 202");
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
    }

    #[test]
    fn fit_pads_to_exact_width() {
        assert_eq!(width(&fit("病院", 10, "…")), 10);
        assert_eq!(width(&fit("歯科診療所です", 9, "...")), 9);
    }

    #[test]
    fn highlight_pieces_split_on_ranges() {
        let p = highlight_pieces("矢嶋歯科医院", &[(0, 2)], 40, "…");
        assert_eq!(p, vec![("矢嶋".to_string(), true), ("歯科医院".to_string(), false)]);
    }

    #[test]
    fn yen_groups_thousands() {
        assert_eq!(yen(1_050_000), "1,050,000円");
        assert_eq!(yen(999), "999円");
        assert_eq!(yen(0), "0円");
    }

    #[test]
    fn ascii_symbols_are_ascii() {
        for s in [ASCII.ellipsis, ASCII.arrow, ASCII.cursor, ASCII.bullet, ASCII.warning, ASCII.separator] {
            assert!(s.is_ascii(), "{s}");
        }
    }
}
