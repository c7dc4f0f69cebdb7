//! The dashboard's report tab for supervisors, laid out for 80×24: the period and totals
//! (calls, closed, average handle time, call-backs due/overdue/done), calls by hour (two
//! columns of twelve, with bars drawn as reversed spaces so no ambiguous-width block glyph
//! is needed), by reason and by operator.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::command::Command;
use super::super::state::State;
use super::super::text;
use super::{Theme, sym, wrap_lines};
use crate::domain::CallReport;

/// Bar cells at the busiest hour.
const BAR: usize = 6;

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let r = &state.dashboard.report;
    let [summary_area, rest] = Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(area);
    let period = match r.range {
        Some((from, to)) if from == to => format!("{from}（{}）", r.span.label()),
        Some((from, to)) => format!("{from}〜{to}（{}）", r.span.label()),
        None => String::new(),
    };
    let title = format!(" 応対レポート {period} ");
    let block = th.block(title);
    let inner = block.inner(summary_area);
    frame.render_widget(block, summary_area);
    let report = match super::loaded(state, &th, &r.data, "集計中...") {
        Ok(report) => report,
        Err(lines) => {
            frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
            return;
        }
    };
    let avg = report.avg_handle_seconds.map(|s| text::mm_ss(s as i64)).unwrap_or_else(|| "-".into());
    let cb = report.callbacks;
    let keys = [(Command::PageUp, "前"), (Command::PageDown, "次の期間"), (Command::ReportSpan, "日/週/月")]
        .iter()
        .filter_map(|(c, l)| state.key_for(*c).map(|k| format!("{k} {l}")))
        .collect::<Vec<_>>()
        .join("  ");
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("応対 {}件", report.calls), th.strong()),
            Span::raw(format!("（終了 {}件）平均処理 {avg}  ", report.closed)),
            Span::styled(keys, th.dim()),
        ]),
        Line::from(vec![
            Span::raw(format!("折り返し 予定 {}件  ", cb.due)),
            Span::styled(
                format!("期限超過 {}件", cb.overdue),
                if cb.overdue > 0 { th.error() } else { th.dim() },
            ),
            Span::raw(format!("  完了 {}件", cb.done)),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines), inner);

    let [hours_area, right] = Layout::horizontal([Constraint::Length(40), Constraint::Min(1)]).areas(rest);
    hours(state, report, frame, hours_area, &th);
    let [reasons_area, operators_area] =
        Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(right);
    reasons(state, report, frame, reasons_area, &th);
    operators(state, report, frame, operators_area, &th);
}

/// Calls by hour: 00–11 on the left, 12–23 on the right, a bar scaled to the busiest hour.
fn hours(state: &State, report: &CallReport, frame: &mut Frame, area: Rect, th: &Theme) {
    let block = th.block(" 時間帯別（着信） ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let max = report.by_hour.iter().map(|h| h.calls).max().unwrap_or(0).max(1);
    let cell = |hour: usize| -> Vec<Span<'static>> {
        let Some(h) = report.by_hour.get(hour) else { return vec![] };
        let filled = ((h.calls * BAR as u64).div_ceil(max)) as usize;
        let bar_style =
            if state.ascii { Style::new() } else { Style::new().add_modifier(Modifier::REVERSED) };
        let bar = if state.ascii { "#".repeat(filled) } else { " ".repeat(filled) };
        vec![
            Span::raw(format!("{:02}時 ", h.hour)),
            Span::styled(bar, bar_style),
            Span::raw(format!("{}{:>6} ", " ".repeat(BAR - filled.min(BAR)), h.calls)),
        ]
    };
    let lines: Vec<Line> = (0..12)
        .map(|row| {
            let mut spans = cell(row);
            spans.push(Span::raw(" "));
            spans.extend(cell(row + 12));
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn reasons(state: &State, report: &CallReport, frame: &mut Frame, area: Rect, th: &Theme) {
    let s = sym(state);
    let block = th.block(" 理由別 ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let total: u64 = report.closed.max(1);
    let label_w = (inner.width as usize).saturating_sub(14);
    let lines: Vec<Line> = report
        .by_reason
        .iter()
        .map(|r| {
            let pct = (r.calls * 100 + total / 2) / total;
            Line::raw(format!("{}{:>7} {:>4}%", text::fit(&r.label, label_w, s.ellipsis), r.calls, pct))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn operators(state: &State, report: &CallReport, frame: &mut Frame, area: Rect, th: &Theme) {
    let s = sym(state);
    let block = th.block(" 担当者別（件数・平均処理・稼働率） ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if report.by_operator.is_empty() {
        frame.render_widget(Paragraph::new("この期間の応対はありません"), inner);
        return;
    }
    let h = inner.height as usize;
    let skip = (state.dashboard.report.scroll as usize).min(report.by_operator.len().saturating_sub(h));
    let name_w = (inner.width as usize).saturating_sub(21);
    // The day in numbers beside the calls: occupancy (通話＋後処理 ÷ 受付可も含めた稼働時間).
    let occupancy = |op: &str| {
        report
            .agent_days
            .iter()
            .find(|d| d.operator == op)
            .and_then(|d| d.occupancy)
            .map(|o| format!("{:>4.0}%", o * 100.0))
            .unwrap_or_else(|| "    -".into())
    };
    let lines: Vec<Line> = report
        .by_operator
        .iter()
        .skip(skip)
        .take(h)
        .map(|o| {
            let avg = o.avg_handle_seconds.map(|s| text::mm_ss(s as i64)).unwrap_or_else(|| "-".into());
            Line::raw(format!(
                "{}{:>7}件 {:>6}{}",
                text::fit(&o.operator, name_w, s.ellipsis),
                o.calls,
                avg,
                occupancy(&o.operator)
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
