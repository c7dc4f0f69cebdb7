//! Lookup screen: the query line (hardware cursor at the caret), result rows with the
//! matched parts highlighted, the selected row's reading, and an empty result that says
//! what was searched and what to try.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::api::InstitutionSummary;

use super::super::command::Command;
use super::super::state::State;
use super::super::text::{self, ui};
use super::{Theme, set_caret, sym};

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let [input_area, list_area] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    let l = &state.lookup;

    let inner_w = input_area.width.saturating_sub(2) as usize;
    let (shown, caret) = l.input.visible(inner_w);
    let status = if l.loading {
        format!(" 検索中{} ", sym(state).ellipsis)
    } else if !l.shown_query.is_empty() {
        format!(" {}件 ", l.results.len())
    } else {
        String::new()
    };
    let block = th.block(format!(" {} ", ui::LOOKUP_TITLE)).title_bottom(Line::raw(status).right_aligned());
    frame.render_widget(Paragraph::new(shown).block(block), input_area);
    if state.screen == super::super::state::Screen::Lookup && !state.confirm_quit {
        set_caret(frame, input_area.x + 1 + caret as u16, input_area.y + 1);
    }

    let block = th.block(" 検索結果 ");
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    if let Some(err) = &l.error {
        let lines = vec![
            Line::styled(text::truncate(err, inner.width as usize, sym(state).ellipsis), th.error()),
            Line::raw(format!(
                "サーバーに届かない場合は、しばらくしてから {} で再検索してください",
                state.key_name(Command::Refresh)
            )),
        ];
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    if l.results.is_empty() {
        frame.render_widget(Paragraph::new(empty_lines(state, &th)), inner);
        return;
    }
    draw_rows(state, frame, inner, &th);
}

fn empty_lines(state: &State, th: &Theme) -> Vec<Line<'static>> {
    let l = &state.lookup;
    let b = sym(state).bullet;
    if l.shown_query.is_empty() || l.input.value().trim().is_empty() {
        return vec![
            Line::raw(ui::LOOKUP_HINT),
            Line::raw(""),
            Line::styled(format!("{b} 漢字: 矢嶋歯科   {b} よみ: やじま   {b} ローマ字: yajima"), th.dim()),
            Line::styled(format!("{b} コード: 1331234567   {b} 電話: 03-1234-5678"), th.dim()),
        ];
    }
    vec![
        Line::styled(format!("「{}」に一致する医療機関はありません。", l.shown_query), th.warn()),
        Line::raw(""),
        Line::raw("次を試してください:"),
        Line::raw(format!("{b} 名称の一部だけ（例: 「矢嶋歯科医院」→「矢嶋」）")),
        Line::raw(format!("{b} よみをひらがな・カタカナで（例: やじま）、またはローマ字で（例: yajima）")),
        Line::raw(format!("{b} 医療機関コード10桁、または電話番号（市外局番から）")),
        Line::raw(format!("{b} 旧字体・異体字は通常の字で（例: 嶋→島 も同じく見つかります）")),
    ]
}

/// Column widths for an inner width: the name gets what is left.
fn columns(w: usize) -> (usize, usize, usize, usize, usize) {
    let (kind, place, code, status) = (10, 14, 10, 10);
    let name = w.saturating_sub(2 + kind + place + code + status + 4).max(10);
    (name, kind, place, code, status)
}

fn draw_rows(state: &State, frame: &mut Frame, inner: Rect, th: &Theme) {
    let l = &state.lookup;
    let s = sym(state);
    let (name_w, kind_w, place_w, code_w, status_w) = columns(inner.width as usize);
    let rows_h = inner.height.saturating_sub(2) as usize;
    let offset = l.selected.saturating_sub(rows_h.saturating_sub(1));
    let mut lines = Vec::new();
    lines.push(Line::styled(
        format!(
            "  {} {} {} {} {}",
            text::fit("名称", name_w, s.ellipsis),
            text::fit("種別", kind_w, s.ellipsis),
            text::fit("所在地", place_w, s.ellipsis),
            text::fit("コード", code_w, s.ellipsis),
            text::fit("リーダー", status_w, s.ellipsis),
        ),
        th.dim(),
    ));
    for (i, r) in l.results.iter().enumerate().skip(offset).take(rows_h) {
        let selected = i == l.selected;
        let mut spans = vec![Span::raw(if selected { format!("{:<2}", s.cursor) } else { "  ".into() })];
        spans.extend(highlighted(&r.name, ranges(r, "name"), name_w, s.ellipsis, th));
        spans.push(Span::raw(format!(
            " {} {} ",
            text::fit(r.kind.label_ja(), kind_w, s.ellipsis),
            text::fit(&format!("{}{}", r.prefecture, r.city), place_w, s.ellipsis),
        )));
        spans.extend(highlighted(&r.code, ranges(r, "code"), code_w, s.ellipsis, th));
        spans.push(Span::raw(format!(" {}", text::fit(r.reader_status.label_ja(), status_w, s.ellipsis))));
        let mut line = Line::from(spans);
        if selected {
            line = line.style(th.selected());
        }
        lines.push(line);
    }
    let list_h = lines.len() as u16;
    frame.render_widget(Paragraph::new(lines), Rect { height: list_h.min(inner.height), ..inner });
    // The selected row's reading and why it matched, on the last line.
    if let Some(r) = l.results.get(l.selected)
        && inner.height >= 2
    {
        let y = inner.y + inner.height - 1;
        let mut spans = vec![Span::styled("よみ: ", th.dim())];
        let kana = r.name_kana.clone().unwrap_or_else(|| "（不明）".into());
        spans.extend(highlighted(&kana, ranges(r, "name_kana"), inner.width as usize / 2, s.ellipsis, th));
        spans.push(Span::styled(format!("  一致: {}", match_label(&r.match_kind)), th.dim()));
        frame.render_widget(Paragraph::new(Line::from(spans)), Rect { y, height: 1, ..inner });
    }
}

fn ranges(r: &InstitutionSummary, field: &str) -> Vec<(usize, usize)> {
    r.highlights.iter().filter(|h| h.field == field).map(|h| (h.start, h.end)).collect()
}

/// A cell-exact piece of a row with its matched parts styled.
fn highlighted(s: &str, ranges: Vec<(usize, usize)>, w: usize, ell: &str, th: &Theme) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = text::highlight_pieces(s, &ranges, w, ell)
        .into_iter()
        .map(|(t, hl)| if hl { Span::styled(t, th.matched()) } else { Span::raw(t) })
        .collect();
    let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    if used < w {
        spans.push(Span::raw(" ".repeat(w - used)));
    }
    spans
}

/// The operator's words for why a row matched.
fn match_label(kind: &str) -> &str {
    match kind {
        "exact_code" => "コード",
        "code_prefix" => "コード前方",
        "phone" => "電話番号",
        "name_prefix" | "name_substring" | "name" => "名称",
        k if k.starts_with("reading") => "よみ",
        k if k.starts_with("romaji") => "ローマ字",
        "fuzzy" => "あいまい",
        other => other,
    }
}
