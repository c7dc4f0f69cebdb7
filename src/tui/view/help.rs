//! Help screen (F1): every binding of the active keymap, per context, generated from the
//! keymap itself so it is never wrong; plus the fixed text-editing keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::state::State;
use super::super::text::{self, ui};
use super::{Theme, sym};

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let block = th.block(format!(" {} ", ui::HELP_TITLE));
    let mut lines = Vec::new();
    for section in &state.help {
        if section.lines.is_empty() {
            continue;
        }
        lines.push(Line::styled(format!("[{}]", section.context.label_ja()), th.title()));
        for (keys, what) in &section.lines {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", text::fit(keys, 28, s.ellipsis)), th.key()),
                Span::raw(what.clone()),
            ]));
        }
    }
    lines.push(Line::styled("[入力欄]", th.title()));
    lines.push(Line::raw("  Backspace/Delete/Left/Right/Home/End, Ctrl-U 全消去, Ctrl-W 単語消去"));
    lines.push(Line::raw("  貼り付けは1行として入ります（改行は空白に）。F6〜F10 は IME の変換に使えます。"));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((state.help_scroll, 0)), area);
}
