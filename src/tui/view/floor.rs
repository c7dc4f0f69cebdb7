//! The floor in the console: the supervisors' floor tab (totals, the longest call, raised hands
//! on top until acknowledged, every signed-in operator with state, time in state and the call
//! they are on; what is past a policy limit stands out), the watch screen (another console
//! drawn at this terminal's size), the state picker and the hand's note, and the operator's
//! own state as the status bar words it.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::command::Command;
use super::super::state::State;
use super::super::text;
use super::{MIN_HEIGHT, MIN_WIDTH, Theme, centered, clear_popup, jst, sym, wrap_lines};
use crate::api::FloorAgent;
use crate::domain::floor::{AgentState, Attention};

/// Seconds from `since` to `now`, never negative.
fn secs(now: DateTime<Utc>, since: DateTime<Utc>) -> i64 {
    (now - since).num_seconds().max(0)
}

/// `m:ss`, or `h:mm:ss` past an hour.
fn elapsed(s: i64) -> String {
    if s >= 3600 { format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60) } else { text::mm_ss(s) }
}

/// The floor tab.
pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let block = th.block(" フロア（リアルタイム） ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let floor = match super::loaded(state, &th, &state.floor.view, "読み込み中...") {
        Ok(f) => f,
        Err(lines) => {
            frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
            return;
        }
    };
    let now = state.now.max(floor.now);
    let t = floor.totals;
    let longest = floor.longest_call_seconds.map(|x| x + secs(now, floor.now)).map(elapsed);
    let mut top = vec![
        Span::styled(format!("通話中 {}", t.on_call), th.strong()),
        Span::raw(format!("  後処理 {}  受付可 {}  離席 {}", t.after_call, t.available, t.away)),
    ];
    if let Some(l) = longest {
        top.push(Span::raw(format!("  最長通話 {l}")));
    }
    let [totals, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(Line::from(top)), totals);

    let w = list.width as usize;
    let h = list.height as usize;
    let mut rows: Vec<Line> = Vec::new();
    for (i, hand) in floor.hands.iter().enumerate() {
        let mark = if i == state.floor.selected { s.cursor } else { " " };
        let note = if hand.note.is_empty() { "（メモなし）" } else { hand.note.as_str() };
        let row = format!(
            "{mark} 挙手 {} {} {} {note}",
            text::fit(&hand.operator, 10, s.ellipsis),
            jst(hand.raised_at).format("%H:%M"),
            elapsed(secs(now, hand.raised_at)),
        );
        let style = if i == state.floor.selected { th.selected() } else { th.warn() };
        rows.push(Line::styled(text::fit(&row, w, s.ellipsis), style));
    }
    if floor.agents.is_empty() {
        rows.push(Line::raw("サインインしているオペレーターはいません。"));
    }
    for (j, a) in floor.agents.iter().enumerate() {
        let i = floor.hands.len() + j;
        let row = agent_row(state, a, now, i == state.floor.selected, w);
        let style = if i == state.floor.selected {
            th.selected()
        } else {
            match super::super::update::floor::attention_at(a, now, floor) {
                Some(_) => th.error(),
                None if a.status.state == AgentState::Away => th.dim(),
                None => ratatui::style::Style::default(),
            }
        };
        rows.push(Line::styled(row, style));
    }
    let offset = state.floor.selected.saturating_sub(h.saturating_sub(1));
    let shown: Vec<Line> = rows.into_iter().skip(offset).take(h).collect();
    frame.render_widget(Paragraph::new(shown), list);
}

/// One operator: name, state (and away reason), time in state, the call's institution and
/// duration, a mark when past a limit, who watches, and whether the console can be watched.
fn agent_row(state: &State, a: &FloorAgent, now: DateTime<Utc>, selected: bool, w: usize) -> String {
    let s = sym(state);
    let mark = if selected { s.cursor } else { " " };
    let label = match (&a.status.state, &a.status.reason) {
        (AgentState::Away, Some(r)) => {
            let reasons = state.floor.view.get().map(|f| f.away_reasons.as_slice()).unwrap_or(&[]);
            let label = reasons.iter().find(|x| &x.id == r).map(|x| x.label.as_str()).unwrap_or(r);
            format!("離席({label})")
        }
        (st, _) => st.label_ja().to_string(),
    };
    let attention = state.floor.view.get().and_then(|f| super::super::update::floor::attention_at(a, now, f));
    let flag = match attention {
        Some(Attention::LongCall) => "!長時間",
        Some(Attention::LongAfterCall) => "!後処理超過",
        None => "",
    };
    let call = match &a.call {
        Some(c) if matches!(a.status.state, AgentState::OnCall | AgentState::AfterCall) => {
            let name = c.name.as_deref().or(c.code.as_deref()).unwrap_or("（医療機関未選択）");
            // On a call: how long so far; wrapping up: how long the call lasted.
            let end = if a.status.state == AgentState::OnCall { now } else { a.status.since };
            let campaign = c.campaign.as_deref().map(|k| format!(" [架電:{k}]")).unwrap_or_default();
            format!("{name} 通話{}{campaign}", elapsed(secs(end, c.started_at)))
        }
        _ => String::new(),
    };
    let watch = match (&a.watched_by, a.console_here) {
        (Some(by), _) => format!(" [モニター:{by}]"),
        (None, false) => " [画面は他]".to_string(),
        (None, true) => String::new(),
    };
    let row = format!(
        "{mark} {} {} {:>7} {flag}{}{watch}",
        text::fit(&a.operator, 10, s.ellipsis),
        text::fit(&label, 12, s.ellipsis),
        elapsed(secs(now, a.status.since)),
        if flag.is_empty() { call } else { format!(" {call}") },
    );
    text::fit(&row, w, s.ellipsis)
}

/// The watch screen: the watched console as its operator sees it, drawn at this terminal's
/// size, with one line saying whose it is and how to leave.
pub fn draw_watch(state: &State, frame: &mut Frame) {
    let th = Theme::of(state);
    let area = frame.area();
    let Some(w) = &state.floor.watch else { return };
    let leave = state.key_name(Command::Back);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let lines = vec![
            Line::styled(
                format!(
                    "{} さんの画面をモニター中ですが、この端末では小さすぎて表示できません。",
                    w.operator
                ),
                th.warn(),
            ),
            Line::raw(format!(
                "{MIN_WIDTH}x{MIN_HEIGHT} 以上に広げてください（いま {}x{}）。{leave} でフロアに戻ります。",
                area.width, area.height
            )),
        ];
        frame.render_widget(Paragraph::new(wrap_lines(lines, area.width)), area);
        return;
    }
    match &w.frame {
        Some(watched) => super::draw_in(watched, frame, area),
        None => {
            let msg = format!("{} さんの画面を待っています…", w.operator);
            frame.render_widget(Paragraph::new(msg).centered(), centered(area, area.width, 1));
        }
    }
    // The watched console's message line says whose screen this is.
    let line = Rect { x: area.x, y: area.y + area.height.saturating_sub(3), width: area.width, height: 1 };
    clear_popup(frame.buffer_mut(), line);
    let banner = format!(" モニター中: {} さんの画面（読み取り専用・{leave} で終了） ", w.operator);
    frame.render_widget(
        Paragraph::new(text::fit(&banner, area.width as usize, sym(state).ellipsis)).style(th.selected()),
        line,
    );
}

/// The state picker and the hand's note, over any screen.
pub fn draw_popup(state: &State, frame: &mut Frame, body: Rect) {
    let th = Theme::of(state);
    if let Some(note) = &state.floor.hand_note {
        let area = centered(body, 64, 7);
        clear_popup(frame.buffer_mut(), area);
        let block = th.block(" 挙手（監督者を呼ぶ） ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let (shown, caret) = note.visible(inner.width.saturating_sub(2) as usize);
        let up = super::super::update::floor::open_hand(state).is_some();
        let lines = vec![
            Line::raw("用件のメモ（任意・100文字まで）:"),
            Line::styled(format!("> {shown}"), th.focus()),
            Line::raw(""),
            Line::raw(format!(
                "{} 挙手する  {} 取消{}",
                state.key_name(Command::Confirm),
                state.key_name(Command::Back),
                if up {
                    format!("  {} 手を下ろす", state.key_name(Command::RaiseHand))
                } else {
                    String::new()
                }
            )),
        ];
        frame.render_widget(Paragraph::new(lines), inner);
        super::set_caret(frame, inner.x + 2 + caret as u16, inner.y + 1);
        return;
    }
    let Some(p) = &state.floor.picker else { return };
    let entries = super::super::update::floor::picker_entries(state);
    let area = centered(body, 40, entries.len() as u16 + 4);
    clear_popup(frame.buffer_mut(), area);
    let block = th.block(" 状態（数字か上下で選択） ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .map(|(i, (reason, label))| {
            let t = format!(" {} {}{}", i + 1, if reason.is_some() { "離席: " } else { "" }, label);
            if i == p.selected { Line::styled(t, th.selected()) } else { Line::raw(t) }
        })
        .collect();
    lines.push(Line::raw(format!(
        " {} 決定  {} 取消",
        state.key_name(Command::Confirm),
        state.key_name(Command::Back)
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The operator's own state for the status bar: 「モニター中（…）」 first, then the state with
/// its time, then the raised hand.
pub fn status_parts(state: &State) -> Vec<String> {
    let mut parts = Vec::new();
    let Some(mine) = &state.floor.mine else { return parts };
    if let Some(by) = &mine.watched_by {
        parts.push(format!("モニター中（{by}）"));
    }
    if let Some(st) = &mine.status {
        let t = elapsed(secs(state.now, st.since));
        parts.push(match (st.state, &st.reason) {
            (AgentState::Away, Some(r)) => {
                let label =
                    mine.away_reasons.iter().find(|x| &x.id == r).map(|x| x.label.as_str()).unwrap_or(r);
                format!("離席({label}) {t}")
            }
            (AgentState::AfterCall, _) => {
                format!("後処理 {t}/{}", elapsed(i64::from(mine.after_call_max_seconds)))
            }
            (AgentState::Away, None) => format!("離席 {t}"),
            (AgentState::OnCall, _) => "通話中".to_string(),
            (AgentState::Available, _) => "受付可".to_string(),
        });
    }
    if let Some(h) = &mine.hand {
        match (&h.acknowledged_by, h.acknowledged_at) {
            (None, _) => parts.push("挙手中".to_string()),
            (Some(by), Some(at)) if secs(state.now, at) < HAND_SEEN_SHOWN_SECONDS => {
                parts.push(format!("挙手→確認済({by})"))
            }
            _ => {}
        }
    }
    parts
}

/// How long the status bar says a hand was seen.
const HAND_SEEN_SHOWN_SECONDS: i64 = 600;
