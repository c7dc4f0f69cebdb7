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

impl TextField {
    pub fn new(value: &str) -> TextField {
        TextField { input: Input::new(value.to_string()) }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    pub fn clear(&mut self) {
        self.input.reset();
    }

    /// Inserts one typed (or IME-committed) character. Control characters are dropped.
    pub fn insert(&mut self, c: char) -> bool {
        if c.is_control() {
            return false;
        }
        self.input.handle(InputRequest::InsertChar(c)).is_some()
    }

    /// Inserts pasted text as one line: CR/LF and tabs become single spaces.
    pub fn paste(&mut self, s: &str) -> bool {
        let mut changed = false;
        let mut last_space = false;
        for c in s.chars() {
            let c = if c == '\r' || c == '\n' || c == '\t' { ' ' } else { c };
            if c == ' ' && last_space {
                continue;
            }
            last_space = c == ' ';
            changed |= self.insert(c);
        }
        changed
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
