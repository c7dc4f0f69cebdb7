//! Dashboard, three tabs: 概況 (機種未定 left per prefecture in three columns, days to the
//! deadline, today's changes, the deadline batch: dry run, then confirm), 折り返し (the
//! call-back list, `callbacks.rs`) and 応対レポート (the supervisors' call report, `report.rs`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use super::super::command::Command;
use super::super::state::{BatchStage, DashboardTab, Loadable, State};
use super::super::text::{self, ui};
use super::{Theme, sym, wrap_lines};
use crate::domain::CallBackState;

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let titles: Vec<Line> =
        DashboardTab::ALL.iter().map(|t| Line::raw(format!(" {} ", tab_title(state, *t)))).collect();
    let tabs_w = Tabs::new(titles)
        .select(state.dashboard.tab.index())
        .divider(sym(state).separator)
        .highlight_style(th.selected())
        .padding("", "");
    frame.render_widget(tabs_w, tabs);
    match state.dashboard.tab {
        DashboardTab::Overview => overview(state, frame, body),
        DashboardTab::CallBacks => super::callbacks::draw(state, frame, body),
        DashboardTab::Report => super::report::draw(state, frame, body),
        DashboardTab::Floor => super::floor::draw(state, frame, body),
        DashboardTab::Campaign => super::campaign::draw(state, frame, body),
    }
}

/// A tab's title; the call-back tab counts what is overdue and due.
fn tab_title(state: &State, tab: DashboardTab) -> String {
    match (tab, state.dashboard.callbacks.list.get()) {
        (DashboardTab::CallBacks, Some(list)) if !list.is_empty() => {
            let overdue = list.iter().filter(|c| c.state == CallBackState::Overdue).count();
            let due = list.iter().filter(|c| c.state == CallBackState::Due).count();
            format!("{}（超過{overdue}・予定{due}）", tab.label())
        }
        _ => tab.label().to_string(),
    }
}

fn overview(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let d = &state.dashboard;
    let batch_h = if matches!(d.batch, BatchStage::Idle) { 0 } else { 6 };
    let [summary_area, table_area, batch_area] =
        Layout::vertical([Constraint::Length(4), Constraint::Min(1), Constraint::Length(batch_h)])
            .areas(area);
    let block = th.block(format!(" {} ", ui::DASHBOARD_TITLE));
    let data = match &d.data {
        Loadable::Loaded(data) => data,
        Loadable::Failed(e) => {
            frame.render_widget(Paragraph::new(e.clone()).style(th.error()).block(block), area);
            return;
        }
        _ => {
            frame.render_widget(Paragraph::new("読み込み中...").block(block), area);
            return;
        }
    };
    let days = if data.days_left >= 0 {
        Span::styled(
            format!("あと{}日", data.days_left),
            if data.days_left <= 7 { th.error() } else { th.strong() },
        )
    } else {
        Span::styled(format!("{}日経過", -data.days_left), th.error())
    };
    let summary = vec![
        Line::from(vec![
            Span::raw(format!("業務日 {}  選定期限 {} ", data.business_date, data.selection_deadline)),
            days,
        ]),
        Line::raw(format!("機種未定 残り {}件  本日の変更 {}件", data.undecided_total, data.changes_today)),
    ];
    frame.render_widget(Paragraph::new(summary).block(block), summary_area);

    let block = th.block(" 都道府県別 機種未定 ");
    let inner = block.inner(table_area);
    frame.render_widget(block, table_area);
    let rows = inner.height as usize;
    let col_w = (inner.width as usize) / 3;
    let skip = d.scroll as usize * 3;
    let items: Vec<String> = data
        .undecided_by_prefecture
        .iter()
        .skip(skip)
        .map(|p| {
            text::fit(
                &format!("{} {:>6}件", text::fit(&p.prefecture, 8, s.ellipsis), p.undecided),
                col_w,
                s.ellipsis,
            )
        })
        .collect();
    let per_col = rows.max(1);
    let lines: Vec<Line> = (0..rows)
        .map(|r| {
            let mut t = String::new();
            for c in 0..3 {
                if let Some(item) = items.get(c * per_col + r) {
                    t.push_str(item);
                }
            }
            Line::raw(t)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);

    if batch_h > 0 {
        let block = th.block(" 期限処理（機種未定のキャンセル） ");
        let enter = state.key_name(Command::Confirm);
        let back = state.key_name(Command::Back);
        let lines = match &d.batch {
            BatchStage::DryRunning => vec![Line::raw(format!("試行中{}", s.ellipsis))],
            BatchStage::DryRun(r) => vec![
                Line::styled(format!("試行結果: {}件がキャンセルされます。", r.cancelled), th.warn()),
                Line::raw(r.message.clone()),
                Line::raw(format!("例: {}", r.sample_codes.join(", "))),
                Line::raw(format!("{enter} で実行 / {back} で中止")),
            ],
            BatchStage::Running => vec![Line::raw(format!("実行中{}", s.ellipsis))],
            BatchStage::Done(r) => vec![
                Line::styled(format!("完了: {}件をキャンセルしました。", r.cancelled), th.ok()),
                Line::raw(r.message.clone()),
            ],
            BatchStage::Failed(e) => vec![Line::styled(e.clone(), th.error())],
            BatchStage::Idle => vec![],
        };
        let inner = block.inner(batch_area);
        frame.render_widget(block, batch_area);
        frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
    }
}
