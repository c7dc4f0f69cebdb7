//! A one-line text field (query, caller name, note) on top of `tui_input`: typing, IME
//! commits (a burst of characters, each inserted as typed), pastes (newlines folded to
//! spaces, never taken as Enter), editing keys, and the caret's display column so the
//! hardware cursor — where the IME opens its composition window — can sit on it.

use tui_input::{Input, InputRequest};

use super::action::EditKey;
use super::text;

/// The text and caret of one field.
#[derive(Debug, Clone, Default)]
pub struct TextField {
    input: Input,
}

/// The most characters a field holds (a call note's limit on the server is the same).
pub const MAX_CHARS: usize = 4000;

impl TextField {
    /// A field holding `value`, the caret at its end.
    pub fn new(value: &str) -> TextField {
        TextField { input: Input::new(value.to_string()) }
    }

    /// The text.
    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        self.input.reset();
    }

    /// Inserts one typed (or IME-committed) character. Control characters are dropped, and so
    /// is anything past [`MAX_CHARS`].
    pub fn insert(&mut self, c: char) -> bool {
        if c.is_control() || self.input.value().chars().count() >= MAX_CHARS {
            return false;
        }
        self.input.handle(InputRequest::InsertChar(c)).is_some()
    }

    /// Inserts pasted text as one line at the caret: CR/LF and tabs become single spaces,
    /// other control characters are dropped, and the field keeps at most [`MAX_CHARS`]
    /// (a megabyte pasted by mistake costs no more than that).
    pub fn paste(&mut self, s: &str) -> bool {
        let value = self.input.value();
        let len = value.chars().count();
        let room = MAX_CHARS.saturating_sub(len);
        let mut pasted = String::new();
        let mut n = 0;
        let mut last_space = false;
        for c in s.chars() {
            if n >= room {
                break;
            }
            let c = if c == '\r' || c == '\n' || c == '\t' { ' ' } else { c };
            if (c == ' ' && last_space) || c.is_control() {
                continue;
            }
            last_space = c == ' ';
            pasted.push(c);
            n += 1;
        }
        if n == 0 {
            return false;
        }
        let cursor = self.input.cursor().min(len);
        let mut next: String = value.chars().take(cursor).collect();
        next.push_str(&pasted);
        next.extend(value.chars().skip(cursor));
        self.input = Input::new(next).with_cursor(cursor + n);
        true
    }

    /// Applies an editing key; true when the value (not only the caret) changed.
    pub fn edit(&mut self, key: EditKey) -> bool {
        let before = self.input.value().len();
        let req = match key {
            EditKey::Backspace => InputRequest::DeletePrevChar,
            EditKey::Delete => InputRequest::DeleteNextChar,
            EditKey::Left => InputRequest::GoToPrevChar,
            EditKey::Right => InputRequest::GoToNextChar,
            EditKey::Home => InputRequest::GoToStart,
            EditKey::End => InputRequest::GoToEnd,
            EditKey::Clear => InputRequest::DeleteLine,
            EditKey::DeleteWord => InputRequest::DeletePrevWord,
        };
        let resp = self.input.handle(req);
        resp.is_some_and(|r| r.value) || before != self.input.value().len()
    }

    /// What to draw in a box `cells` wide, and the caret's column inside it: the text is
    /// scrolled so the caret stays visible, measured in display cells.
    pub fn visible(&self, cells: usize) -> (String, usize) {
        // Measured on the text as drawn (half-width kana composed), so the caret lands
        // where the terminal shows it.
        let value = text::display(self.value());
        let prefix: String = self.value().chars().take(self.input.cursor()).collect();
        let caret = text::width(&text::display(&prefix));
        let cells = cells.max(1);
        let scroll = if caret >= cells { caret + 1 - cells } else { 0 };
        let mut out = String::new();
        let mut col = 0;
        for cl in text::clusters(&value) {
            let w = text::width(cl);
            if col < scroll {
                col += w;
                continue;
            }
            if col + w - scroll > cells {
                break;
            }
            out.push_str(cl);
            col += w;
        }
        // If a wide char straddled the scroll edge, the caret shifts accordingly.
        let start = col - text::width(&out);
        (out, caret.saturating_sub(start).min(cells - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ime_burst_is_typing_and_caret_counts_cells() {
        let mut f = TextField::default();
        for c in "矢嶋".chars() {
            f.insert(c);
        }
        assert_eq!(f.value(), "矢嶋");
        assert_eq!(f.visible(20), ("矢嶋".to_string(), 4));
        let f = TextField::new("ﾔｼﾞﾏ");
        assert_eq!(f.visible(20), ("ヤジマ".to_string(), 6));
    }

    #[test]
    fn a_huge_paste_fills_the_field_to_its_limit_at_the_caret() {
        let mut f = TextField::new("前後");
        f.edit(EditKey::Home);
        f.edit(EditKey::Right);
        let big = "あ\u{1b}[31m\u{7}".repeat(300_000);
        assert!(f.paste(&big));
        assert_eq!(f.value().chars().count(), MAX_CHARS);
        assert!(f.value().starts_with("前あ[31mあ"), "{}", &f.value()[..30]);
        assert!(f.value().ends_with('後'));
        assert!(!f.value().chars().any(char::is_control));
        assert!(!f.paste("もっと"));
        assert!(!f.insert('x'));
    }

    #[test]
    fn paste_folds_newlines() {
        let mut f = TextField::default();
        f.paste("山田\r\n太郎\n");
        assert_eq!(f.value(), "山田 太郎 ");
    }

    #[test]
    fn editing_keys() {
        let mut f = TextField::new("yajima");
        assert!(f.edit(EditKey::Backspace));
        assert_eq!(f.value(), "yajim");
        assert!(!f.edit(EditKey::Left));
        f.edit(EditKey::Clear);
        assert_eq!(f.value(), "");
    }

    #[test]
    fn long_text_scrolls_to_keep_caret_visible() {
        let f = TextField::new("あいうえおかきくけこ");
        let (shown, caret) = f.visible(9);
        assert!(text::width(&shown) <= 9, "{shown}");
        assert!(caret < 9);
        assert!(shown.ends_with('こ'));
    }
}
