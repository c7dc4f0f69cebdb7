//! Call log screen: the open call (started, elapsed, institution, receipts, note field with
//! the caret) and today's calls.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::command::Command;
use super::super::state::{CALLBACK_DUE_CHOICES, CallBackForm, Loadable, Screen, State};
use super::super::text::{self, ui};
use super::{Theme, jst, set_caret, sym};
use crate::domain::WrapUpReason;
use crate::domain::call::reason_label;

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let c = &state.calls;
    let [current_area, list_area] = Layout::vertical([Constraint::Length(6), Constraint::Min(1)]).areas(area);
    let block = th.block(" 応対中の通話 ");
    let inner = block.inner(current_area);
    frame.render_widget(block, current_area);
    match &c.current {
        Some(call) => {
            let secs = state.call_seconds().unwrap_or(0);
            let code = call.code.clone().unwrap_or_else(|| {
                format!("未紐付け（医療機関を開いて {}）", state.key_name(Command::AttachCall))
            });
            let receipts = if call.receipts.is_empty() { "なし".into() } else { call.receipts.join(", ") };
            let (shown, caret) = c.note.visible(inner.width.saturating_sub(8) as usize);
            let lines = vec![
                Line::raw(format!(
                    "#{}  開始 {}  経過 {}",
                    call.id,
                    jst(call.started_at).format("%H:%M:%S"),
                    text::mm_ss(secs)
                )),
                Line::raw(text::truncate(&format!("医療機関: {code}"), inner.width as usize, s.ellipsis)),
                Line::raw(text::truncate(&format!("受付番号: {receipts}"), inner.width as usize, s.ellipsis)),
                Line::from(vec![Span::styled("メモ: ", th.dim()), Span::raw(shown)]),
            ];
            frame.render_widget(Paragraph::new(lines), inner);
            if state.screen == Screen::Calls
                && !state.confirm_quit
                && c.wrap_up.is_none()
                && c.callback_form.is_none()
            {
                set_caret(frame, inner.x + 6 + caret as u16, inner.y + 3);
            }
        }
        None => {
            let key = state.key_name(Command::StartCall);
            let lines = vec![
                Line::raw("応対中の通話はありません。"),
                Line::from(vec![
                    Span::styled(key.to_string(), th.key()),
                    Span::raw(" で応対を開始します（タイマーが動きます）。"),
                ]),
            ];
            frame.render_widget(Paragraph::new(lines), inner);
        }
    }

    if let Some(form) = &c.callback_form {
        draw_callback_form(state, form, frame, list_area);
        return;
    }
    if let Some(chosen) = &c.wrap_up {
        draw_wrap_up(state, chosen, frame, list_area);
        return;
    }
    let block = th.block(format!(" {} ", ui::CALLS_TITLE));
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    let lines: Vec<Line> = match &c.today {
        Loadable::Loaded(list) if list.is_empty() => vec![Line::raw("本日の応対記録はまだありません")],
        Loadable::Loaded(list) => {
            let h = inner.height as usize;
            let offset = c.selected.saturating_sub(h.saturating_sub(1));
            list.iter()
                .enumerate()
                .skip(offset)
                .take(h)
                .map(|(i, call)| {
                    let end =
                        call.ended_at.map(|e| jst(e).format("%H:%M").to_string()).unwrap_or("応対中".into());
                    let reasons = call
                        .reasons
                        .iter()
                        .map(|r| reason_label(wrap_up_list(state), r))
                        .collect::<Vec<_>>()
                        .join("・");
                    let t = format!(
                        "{} #{} {}-{} {} {} {} {}",
                        if i == c.selected { s.cursor } else { " " },
                        call.id,
                        jst(call.started_at).format("%H:%M"),
                        end,
                        call.code.as_deref().unwrap_or("-"),
                        reasons,
                        call.receipts.join(","),
                        call.note
                    );
                    let t = text::fit(&t, inner.width as usize, s.ellipsis);
                    if i == c.selected { Line::styled(t, th.selected()) } else { Line::raw(t) }
                })
                .collect()
        }
        Loadable::Failed(e) => vec![Line::styled(e.clone(), th.error())],
        _ => vec![Line::raw("読み込み中...")],
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The policy's wrap-up list as the server sent it (empty before `/v1/me` answered).
fn wrap_up_list(state: &State) -> &[WrapUpReason] {
    state.me.get().map(|m| m.wrap_up_reasons.as_slice()).unwrap_or(&[])
}

/// The wrap-up picker: each reason with its digit, the chosen ones marked; Enter closes.
fn draw_wrap_up(state: &State, chosen: &[String], frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let enter = state.key_name(Command::Confirm);
    let back = state.key_name(Command::Back);
    let block = th.block(" 応対の理由（数字で選択・複数可） ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = wrap_up_list(state)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let on = chosen.contains(&r.id);
            let mark = if on { "[x]" } else { "[ ]" };
            let t = text::fit(&format!(" {} {mark} {}", i + 1, r.label), inner.width as usize, s.ellipsis);
            if on { Line::styled(t, th.selected()) } else { Line::raw(t) }
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(enter.to_string(), th.key()),
        Span::raw(" 応対を終了  "),
        Span::styled(back.to_string(), th.key()),
        Span::raw(" 応対に戻る"),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The new call-back form: the institution and its registered number (shown, never typed),
/// the reason field with the caret, the due time choices.
fn draw_callback_form(state: &State, form: &CallBackForm, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let block = th.block(" 折り返しの登録（登録電話番号へ） ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let phone = form.phone.clone().unwrap_or_else(|| "サーバーが登録電話番号を記録します".into());
    let (shown, caret) = form.reason.visible(w.saturating_sub(8));
    let mut lines = vec![
        Line::raw(text::truncate(
            &format!("医療機関: {} {}", form.code, form.name.as_deref().unwrap_or("")),
            w,
            s.ellipsis,
        )),
        Line::raw(text::truncate(
            &format!("折り返し先: {phone}（お電話の方が言う番号は使いません）"),
            w,
            s.ellipsis,
        )),
        Line::from(vec![Span::styled("用件: ", th.dim()), Span::raw(shown)]),
        Line::raw(""),
        Line::styled("予定（上下で選択）:", th.dim()),
    ];
    for (i, (_, label)) in CALLBACK_DUE_CHOICES.iter().enumerate() {
        let on = i == form.due_idx;
        let t = format!("  {} {label}", if on { "(*)" } else { "( )" });
        lines.push(if on { Line::styled(t, th.selected()) } else { Line::raw(t) });
    }
    if let Some(p) = &form.problem {
        lines.push(Line::styled(text::truncate(p, w, s.ellipsis), th.error()));
    } else if form.sending {
        lines.push(Line::styled(format!("登録中{}", s.ellipsis), th.warn()));
    } else {
        lines.push(Line::raw(""));
    }
    let mut keys = Vec::new();
    for (command, label) in [(Command::Confirm, "登録"), (Command::Back, "取消")] {
        if let Some(k) = state.key_for(command) {
            keys.push(Span::styled(k.to_string(), th.key()));
            keys.push(Span::raw(format!(" {label}  ")));
        }
    }
    lines.push(Line::from(keys));
    frame.render_widget(Paragraph::new(lines), inner);
    if state.screen == Screen::Calls && !state.confirm_quit && !form.sending {
        set_caret(frame, inner.x + 6 + caret as u16, inner.y + 2);
    }
}
