//! The dashboard's call-back tab: open call-backs, overdue first (state, due time, institution,
//! registered number, reason), the selected one in full below, and the outcome picker.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::command::Command;
use super::super::state::{Loadable, State};
use super::super::text;
use super::{Theme, jst, sym, wrap_lines};
use crate::domain::{CallBack, CallBackOutcome, CallBackState};

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let cbs = &state.dashboard.callbacks;
    let [list_area, detail_area] = Layout::vertical([Constraint::Min(3), Constraint::Length(7)]).areas(area);
    let block = th.block(" 折り返し（期限超過・予定の順） ");
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    let list = match &cbs.list {
        Loadable::Loaded(list) => list,
        Loadable::Failed(e) => {
            let lines = vec![
                Line::styled(format!("読み込めませんでした: {e}"), th.error()),
                Line::raw(format!("{} で再読み込み", state.key_name(Command::Refresh))),
            ];
            frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
            return;
        }
        _ => {
            frame.render_widget(Paragraph::new("読み込み中..."), inner);
            return;
        }
    };
    if list.is_empty() {
        let lines = vec![
            Line::raw("予定の折り返しはありません。"),
            Line::raw(format!(
                "応対中に {} で登録するか、変更の本人確認で「登録電話番号へ折り返し」を選ぶと載ります。",
                state.key_name(Command::NewCallBack)
            )),
        ];
        frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
    } else {
        let h = inner.height as usize;
        let offset = cbs.selected.saturating_sub(h.saturating_sub(1));
        let w = inner.width as usize;
        let lines: Vec<Line> = list
            .iter()
            .enumerate()
            .skip(offset)
            .take(h)
            .map(|(i, cb)| {
                let mark = if i == cbs.selected { s.cursor } else { " " };
                let name = cb.name.as_deref().unwrap_or(&cb.code);
                let row = format!(
                    "{mark} {} {} {} {} {}",
                    text::fit(cb.state.label_ja(), 8, s.ellipsis),
                    due(state.now, cb.due_at),
                    text::fit(name, 22, s.ellipsis),
                    text::fit(&cb.phone, 13, s.ellipsis),
                    cb.reason
                );
                let row = text::fit(&row, w, s.ellipsis);
                if i == cbs.selected {
                    Line::styled(row, th.selected())
                } else if cb.state == CallBackState::Overdue {
                    Line::styled(row, th.error())
                } else {
                    Line::raw(row)
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    let selected = list.get(cbs.selected);
    match (cbs.closing, selected) {
        (Some((id, outcome)), _) => picker(state, id, outcome, frame, detail_area),
        (None, Some(cb)) => detail(state, cb, frame, detail_area),
        (None, None) => {}
    }
}

/// `HH:MM` today (Japan time), `MM/DD HH:MM` another day.
fn due(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    if jst(now).date_naive() == jst(at).date_naive() {
        format!("{:>11}", jst(at).format("%H:%M"))
    } else {
        jst(at).format("%m/%d %H:%M").to_string()
    }
}

fn detail(state: &State, cb: &CallBack, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let block = th.block(format!(" 折り返し #{} ", cb.id));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let origin = cb.origin_call_id.map(|c| format!("（応対 #{c}）")).unwrap_or_default();
    let taken = match (&cb.taken_by, cb.call_id) {
        (Some(who), Some(call)) => format!("  対応中: {who}（応対 #{call}）"),
        _ => String::new(),
    };
    let mut lines = vec![
        Line::raw(format!("用件: {}", cb.reason)),
        Line::raw(format!("{} {}  登録電話番号 {}", cb.code, cb.name.as_deref().unwrap_or(""), cb.phone)),
        Line::raw(format!(
            "登録: {} {}{origin}{taken}",
            cb.created_by,
            jst(cb.created_at).format("%m/%d %H:%M")
        )),
    ];
    if let Some(c) = &cb.change {
        let model = state
            .models
            .get()
            .and_then(|m| m.iter().find(|m| m.id == c.model_id))
            .map(super::institution::model_label)
            .unwrap_or_else(|| c.model_id.clone());
        lines.push(Line::styled(
            format!("保留中の変更: {model} {}台  依頼 {}（{}）", c.units, c.caller_name, c.caller_role),
            th.warn(),
        ));
    }
    let mut keys = Vec::new();
    for (command, label) in [(Command::Confirm, "折り返す"), (Command::CloseCallBack, "結果を記録")]
    {
        if let Some(k) = state.key_for(command) {
            keys.push(Span::styled(k.to_string(), th.key()));
            keys.push(Span::raw(format!(" {label}  ")));
        }
    }
    lines.push(Line::from(keys));
    frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
}

fn picker(state: &State, id: i64, chosen: CallBackOutcome, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let block = th.block(format!(" 折り返し #{id} の結果（数字か上下で選択） "));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = CallBackOutcome::ALL
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let on = *o == chosen;
            let t = format!(" {} {} {}", i + 1, if on { "(*)" } else { "( )" }, o.label_ja());
            if on { Line::styled(t, th.selected()) } else { Line::raw(t) }
        })
        .collect();
    let mut keys = Vec::new();
    for (command, label) in [(Command::Confirm, "記録"), (Command::Back, "取消")] {
        if let Some(k) = state.key_for(command) {
            keys.push(Span::styled(k.to_string(), th.key()));
            keys.push(Span::raw(format!(" {label}  ")));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(keys));
    frame.render_widget(Paragraph::new(lines), inner);
}
