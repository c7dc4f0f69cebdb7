//! FAQ screen (F3): query line with the caret, ranked questions on the left, each with the
//! words of the query it contains (why it matched), the selected answer on the right with those
//! words highlighted (scrolls with PgUp/PgDn; Ctrl-Y copies it).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::state::{Screen, State};
use super::super::text::{self, ui};
use super::{Theme, set_caret, sym, wrap_lines};
use crate::search::faq_match;

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
    let block = match f.suggested {
        Some(true) => th.block(format!(" {} ", ui::FAQ_SUGGESTED)),
        Some(false) => th.block(format!(" {} ", ui::FAQ_SUGGESTED_WEAK)),
        None => th.block(" 質問 "),
    };
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
        // Two lines an entry: the question, then the query's words it contains.
        let per_page = (inner.height as usize / 2).max(1);
        let offset = f.selected.saturating_sub(per_page - 1);
        let w = inner.width as usize;
        let mut lines: Vec<Line> = Vec::new();
        for (i, hit) in f.results.iter().enumerate().skip(offset).take(per_page) {
            let mark = if i == f.selected { s.cursor } else { " " };
            let t = text::fit(&format!("{mark} {}", hit.entry.question), w, s.ellipsis);
            lines.push(if i == f.selected { Line::styled(t, th.selected()) } else { Line::raw(t) });
            let words = faq_match::matched_words(&f.shown_query, &hit.entry);
            let why = if f.suggested.is_some() {
                "候補: 施設の状況とメモから".to_string()
            } else if words.is_empty() {
                "一致: 似た言い方（よみ・言い換え）".to_string()
            } else {
                format!("一致: {}", words.join("・"))
            };
            lines.push(Line::styled(text::fit(&format!("   {why}"), w, s.ellipsis), th.dim()));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }

    let block = th.block(" 回答 ");
    match f.results.get(f.selected) {
        Some(hit) => {
            let mut lines =
                vec![Line::styled(text::display(&hit.entry.question), th.strong()), Line::raw("")];
            let terms = faq_match::terms(&f.shown_query);
            lines.extend(hit.entry.answer.lines().map(|l| marked(l, &terms, &th)));
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

/// One line of an answer with the query's words in the matched style.
fn marked(line: &str, terms: &std::collections::HashSet<String>, th: &Theme) -> Line<'static> {
    let ranges: Vec<(usize, usize)> =
        faq_match::spans(line, terms).into_iter().map(|r| (r.start, r.end)).collect();
    if ranges.is_empty() {
        return Line::raw(text::display(line));
    }
    let spans: Vec<Span<'static>> = text::highlight_pieces(line, &ranges, usize::MAX, "")
        .into_iter()
        .map(|(t, hl)| if hl { Span::styled(t, th.matched()) } else { Span::raw(t) })
        .collect();
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_lines_mark_the_query_words() {
        let state = State::new("test", false, true, "s", chrono::Utc::now());
        let th = Theme::of(&state);
        let line = marked("期限までに選ばないと", &faq_match::terms("期限"), &th);
        let shown: Vec<(String, bool)> =
            line.spans.iter().map(|s| (s.content.to_string(), s.style == th.matched())).collect();
        assert_eq!(shown, [("期限".to_string(), true), ("までに選ばないと".to_string(), false)]);
        let plain = marked("なにもない", &faq_match::terms("期限"), &th);
        assert!(plain.spans.iter().all(|s| s.style != th.matched()));
    }
}
