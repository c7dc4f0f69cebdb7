//! The dashboard's campaign tab, laid out for 80×24: the campaign and its counts, the pace and
//! projected zero beside the deadline, the burn-down chart (members left per day from the
//! start to the deadline, with the projection), the prefectures with most left and the
//! operators; and the popups: the outcome picker at wrap-up, the supervisor's create form.

use chrono::{Datelike, NaiveDate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use super::super::command::Command;
use super::super::state::{Loadable, State};
use super::super::text;
use super::{Theme, centered, clear_popup, set_caret, sym};
use crate::api::campaign::CampaignProgress;
use crate::domain::campaign::Outcome;

fn md(d: NaiveDate) -> String {
    format!("{}/{}", d.month(), d.day())
}

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let c = &state.campaign;
    let Some(campaign) = c.chosen() else {
        let text = match &c.list {
            Loadable::Failed(e) => Line::styled(e.clone(), th.error()),
            Loadable::Loaded(_) => Line::raw(format!(
                "架電キャンペーンはありません。監督者は {} で作成できます（機種未定が対象）",
                state.key_name(Command::CampaignCreate)
            )),
            _ => Line::styled("読み込み中…", th.dim()),
        };
        frame.render_widget(Paragraph::new(text).block(th.block(" 架電キャンペーン ")), area);
        return;
    };
    let [head, chart_area, tables] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(6), Constraint::Length(6)]).areas(area);
    let k = &campaign.counts;
    let n = c.list.get().map_or(0, |l| l.len());
    let places = if campaign.filter.prefectures.is_empty() {
        "全国".to_string()
    } else {
        campaign.filter.prefectures.join("・")
    };
    let line1 = format!(
        "#{} {} [{}] {}  対象{} 残り{} 完了{} 他経路{} 上限{}{}",
        campaign.id,
        campaign.name,
        campaign.state.label_ja(),
        places,
        k.members,
        k.remaining(),
        k.done,
        k.left + k.cancelled_by_deadline + k.do_not_call,
        k.exhausted,
        if n > 1 { format!("  （{n}件: 上下で切替）") } else { String::new() },
    );
    let mut lines =
        vec![Line::styled(text::truncate(&line1, area.width as usize, sym(state).ellipsis), th.strong())];
    match &c.progress {
        Loadable::Loaded(p) => {
            let b = &p.burn_down;
            let zero = b.projected_zero.map_or("見込みなし".to_string(), md);
            let (verdict, style) = if b.on_track {
                ("間に合う見込み", th.ok())
            } else {
                ("このままでは間に合いません", th.error())
            };
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "ペース {:.0}件/日（直近{}日）  ゼロ見込み {zero}  期限 {}  ",
                    b.pace_per_day,
                    b.pace_days,
                    md(b.deadline)
                )),
                Span::styled(verdict, style),
            ]));
            frame.render_widget(Paragraph::new(lines), head);
            chart(state, p, frame, chart_area);
            breakdown(state, p, frame, tables);
        }
        Loadable::Failed(e) => {
            lines.push(Line::styled(e.clone(), th.error()));
            frame.render_widget(Paragraph::new(lines), head);
        }
        _ => {
            lines.push(Line::styled("進捗を読み込み中…", th.dim()));
            frame.render_widget(Paragraph::new(lines), head);
        }
    }
}

/// Members left per day (solid), the pace's projection from today (dots), the deadline (a
/// vertical line); x in days from the campaign's first day.
fn chart(state: &State, p: &CampaignProgress, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let b = &p.burn_down;
    let Some(first) = b.days.first() else { return };
    let start = first.day;
    let x = |d: NaiveDate| (d - start).num_days() as f64;
    let left: Vec<(f64, f64)> = b.days.iter().map(|d| (x(d.day), d.left as f64)).collect();
    let top = b.days.iter().map(|d| d.left).max().unwrap_or(0).max(1) as f64;
    let now = b.days.last().map_or((0.0, 0.0), |d| (x(d.day), d.left as f64));
    let end = x(b.deadline).max(now.0 + 1.0);
    let projection: Vec<(f64, f64)> = match b.projected_zero {
        Some(z) if b.pace_per_day > 0.0 => {
            let zx = x(z).min(end);
            let at_end = (now.1 - b.pace_per_day * (zx - now.0)).max(0.0);
            vec![now, (zx, at_end)]
        }
        _ => vec![now, (end, now.1)],
    };
    let deadline = vec![(x(b.deadline), 0.0), (x(b.deadline), top)];
    let marker = if state.ascii { Marker::Dot } else { Marker::Braille };
    let datasets = vec![
        Dataset::default()
            .name("残り")
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(th.strong())
            .data(&left),
        Dataset::default()
            .name("見込み")
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(th.dim())
            .data(&projection),
        Dataset::default()
            .name("期限")
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(th.warn())
            .data(&deadline),
    ];
    let mid = start + chrono::Duration::days((end / 2.0) as i64);
    let chart = Chart::new(datasets)
        .block(th.block(" 残り件数（日別）と見込み "))
        .x_axis(
            Axis::default()
                .bounds([0.0, end])
                .labels([md(start), md(mid), md(b.deadline)].map(Span::raw))
                .style(th.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw("0"), Span::raw(format!("{}", top as u64))])
                .style(th.dim()),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopRight));
    frame.render_widget(chart, area);
}

/// Prefectures with the most left, and the operators' calls.
fn breakdown(state: &State, p: &CampaignProgress, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let rows = area.height.saturating_sub(2) as usize;
    let prefs: Vec<Line> = p
        .by_prefecture
        .iter()
        .take(rows)
        .map(|x| {
            Line::raw(format!(
                "{} {}/{}",
                text::fit(&x.prefecture, 8, sym(state).ellipsis),
                x.left,
                x.members
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(prefs).block(th.block(" 都道府県 残り/対象 ")), left);
    let mut ops: Vec<_> = p.by_operator.iter().collect();
    ops.sort_by(|a, b| b.attempts.cmp(&a.attempts).then_with(|| a.operator.cmp(&b.operator)));
    let lines: Vec<Line> = ops
        .iter()
        .take(rows)
        .map(|o| {
            let avg = o
                .average_handle_seconds
                .map_or("-".to_string(), |s| format!("{}:{:02}", s as u64 / 60, s as u64 % 60));
            Line::raw(format!(
                "{} {:>4}件 到達{:>4} 変更{:>4} {avg}",
                text::fit(&o.operator, 10, sym(state).ellipsis),
                o.attempts,
                o.reached,
                o.changed
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(th.block(" オペレーター 架電/到達/変更/平均 ")), right);
}

/// The outcome picker or the create form, over the screen.
pub fn draw_popup(state: &State, frame: &mut Frame, body: Rect) {
    let th = Theme::of(state);
    if let Some(form) = &state.campaign.form {
        let area = centered(body, 64, 9);
        clear_popup(frame.buffer_mut(), area);
        let block = th.block(" 架電キャンペーンを作成（機種未定が対象） ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let w = inner.width.saturating_sub(14) as usize;
        let (name, name_caret) = form.name.visible(w);
        let (prefs, pref_caret) = form.prefectures.visible(w);
        let style = |i: usize| if form.field == i { th.focus() } else { Style::default() };
        let mut lines = vec![
            Line::from(vec![Span::raw("名前        "), Span::styled(format!("> {name}"), style(0))]),
            Line::from(vec![Span::raw("都道府県    "), Span::styled(format!("> {prefs}"), style(1))]),
            Line::styled("            空欄なら全国。複数は「東京都、神奈川県」", th.dim()),
            Line::raw(""),
            Line::raw(format!(
                "{} 作成  {} 項目の切替  {} 取消",
                state.key_name(Command::Confirm),
                state.key_name(Command::Next),
                state.key_name(Command::Back)
            )),
        ];
        if let Some(p) = &form.problem {
            lines.push(Line::styled(p.clone(), th.error()));
        }
        frame.render_widget(Paragraph::new(lines), inner);
        let caret = if form.field == 0 { name_caret } else { pref_caret };
        set_caret(frame, inner.x + 14 + caret as u16, inner.y + form.field as u16);
        return;
    }
    let Some(chosen) = state.campaign.picker else { return };
    let area = centered(body, 48, Outcome::ALL.len() as u16 + 5);
    clear_popup(frame.buffer_mut(), area);
    let name = state.campaign.member().map(|m| m.name.clone()).unwrap_or_default();
    let block = th.block(format!(" 架電結果 {} ", text::truncate(&name, 30, sym(state).ellipsis)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let receipt = state.calls.current.as_ref().and_then(|c| c.receipts.last().cloned());
    let mut lines: Vec<Line> = Outcome::ALL
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let kind = if o.is_final() { "" } else { "（再架電）" };
            let t = format!(" {} {}{kind}", i + 1, o.label_ja());
            if *o == chosen { Line::styled(t, th.selected()) } else { Line::raw(t) }
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        match receipt {
            Some(r) => format!(" この電話の受付番号: {r}"),
            None => " この電話での変更はまだありません".to_string(),
        },
        th.dim(),
    ));
    lines.push(Line::raw(format!(
        " {} 記録して応対終了  {} 戻る",
        state.key_name(Command::Confirm),
        state.key_name(Command::Back)
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
