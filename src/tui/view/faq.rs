//! FAQ screen (F3): query line with the caret, ranked questions on the left, the selected
//! answer on the right (scrolls with PgUp/PgDn; Ctrl-Y copies it).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::state::{Screen, State};
use super::super::text::{self, ui};
use super::{Theme, set_caret, sym, wrap_lines};

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let f = &state.faq;
    let [input_area, rest] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    let (shown, caret) = f.input.visible(input_area.width.saturating_sub(2) as usize);
    let status =
        if f.loading { format!(" 検索中{} ", s.ellipsis) } else { format!(" {}件 ", f.results.len()) };
    let block = th.block(format!(" {} ", ui::FAQ_TITLE)).title_bottom(Line::raw(status).right_aligned());
    frame.render_widget(Paragraph::new(shown).block(block), input_area);
    if state.screen == Screen::Faq && !state.confirm_quit {
        set_caret(frame, input_area.x + 1 + caret as u16, input_area.y + 1);
    }

    let [list_area, answer_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(rest);
    let block = th.block(" 質問 ");
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    if let Some(e) = &f.error {
        frame.render_widget(
            Paragraph::new(wrap_lines(vec![Line::styled(e.clone(), th.error())], inner.width)),
            inner,
        );
    } else if f.results.is_empty() {
        let msg = if f.shown_query.is_empty() {
            ui::FAQ_HINT.to_string()
        } else {
            format!(
                "「{}」に合う質問はありません。言い換えるか、短い語で試してください（例: 期限、補助金、台数）",
                f.shown_query
            )
        };
        frame.render_widget(Paragraph::new(wrap_lines(vec![Line::raw(msg)], inner.width)), inner);
    } else {
        let h = inner.height as usize;
        let offset = f.selected.saturating_sub(h.saturating_sub(1));
        let lines: Vec<Line> = f
            .results
            .iter()
            .enumerate()
            .skip(offset)
            .take(h)
            .map(|(i, hit)| {
                let mark = if i == f.selected { s.cursor } else { " " };
                let t =
                    text::fit(&format!("{mark} {}", hit.entry.question), inner.width as usize, s.ellipsis);
                if i == f.selected { Line::styled(t, th.selected()) } else { Line::raw(t) }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    let block = th.block(" 回答 ");
    match f.results.get(f.selected) {
        Some(hit) => {
            let mut lines =
                vec![Line::styled(text::display(&hit.entry.question), th.strong()), Line::raw("")];
            lines.extend(hit.entry.answer.lines().map(|l| Line::raw(text::display(l))));
            lines.push(Line::raw(""));
            lines.push(Line::styled(format!("分類: {}", hit.entry.category), th.dim()));
            let inner = block.inner(answer_area);
            frame.render_widget(block, answer_area);
            frame.render_widget(
                Paragraph::new(wrap_lines(lines, inner.width)).scroll((f.answer_scroll, 0)),
                inner,
            );
        }
        None => frame.render_widget(Paragraph::new("").block(block), answer_area),
    }
}
