//! `view(&State, &mut Frame)`: pure drawing of the whole console. The frame is laid out as
//! the screen, a message line, a key-hint line and the status bar; popups (change dialog,
//! quit confirmation) are drawn over it with the cells under their edges cleaned so no
//! half of a wide glyph survives.

mod callbacks;
mod calls;
mod campaign;
mod dashboard;
mod dialog;
mod faq;
mod floor;
mod help;
mod institution;
mod lookup;
mod receipt_font;
mod report;
mod theme;

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::command::Command;
use super::state::{Level, Loadable, Screen, State};
use super::text::{self, Symbols, ui};

pub use theme::Theme;

/// The smallest terminal the console lays out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the console; in ASCII mode, no ambiguous-width character is left on screen.
pub fn view(state: &State, frame: &mut Frame) {
    draw(state, frame);
    if state.ascii {
        text::ascii_safe(frame.buffer_mut());
    }
}

fn draw(state: &State, frame: &mut Frame) {
    if state.screen == Screen::Watch {
        floor::draw_watch(state, frame);
        return;
    }
    draw_in(state, frame, frame.area());
}

/// Draws the console into `area` of the frame (all of it, or a watched console's place).
pub(crate) fn draw_in(state: &State, frame: &mut Frame, area: Rect) {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(state, frame, area);
        return;
    }
    let [body, message, hints, status] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    match state.screen {
        Screen::Lookup => lookup::draw(state, frame, body),
        Screen::Institution => institution::draw(state, frame, body),
        Screen::Faq => faq::draw(state, frame, body),
        Screen::Calls => calls::draw(state, frame, body),
        Screen::Dashboard => dashboard::draw(state, frame, body),
        Screen::Help => help::draw(state, frame, body),
        // Drawn whole by `floor::draw_watch`; a watched console is never itself watching.
        Screen::Watch => {}
    }
    if state.screen == Screen::Institution && state.dialog.is_some() {
        dialog::draw(state, frame, body);
    }
    draw_message(state, frame, message);
    draw_hints(state, frame, hints);
    draw_status(state, frame, status);
    if state.floor.popup_open() {
        floor::draw_popup(state, frame, body);
    }
    if state.campaign.popup_open() {
        campaign::draw_popup(state, frame, body);
    }
    if state.confirm_quit {
        confirm_quit(state, frame, body);
    }
}

fn too_small(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let msg = if state.ascii { ui::TOO_SMALL_ASCII } else { ui::TOO_SMALL };
    let now = format!("{}x{}", area.width, area.height);
    let lines = vec![
        Line::styled(text::truncate(msg, area.width as usize, sym(state).ellipsis), th.warn()),
        Line::raw(now),
    ];
    let y = area.y + area.height.saturating_sub(2) / 2;
    let r = Rect { x: area.x, y, width: area.width, height: area.height.saturating_sub(y - area.y).min(2) };
    frame.render_widget(Paragraph::new(lines).centered(), r);
}

/// The console's symbol set.
pub(crate) fn sym(state: &State) -> Symbols {
    Symbols::for_mode(state.ascii)
}

fn draw_message(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let (style, msg) = match &state.message {
        Some((Level::Info, m)) => (th.ok(), m.as_str()),
        Some((Level::Warn, m)) => (th.warn(), m.as_str()),
        Some((Level::Error, m)) => (th.error(), m.as_str()),
        None => return draw_suggestions(state, frame, area),
    };
    let line = Line::styled(text::truncate(msg, area.width as usize, s.ellipsis), style);
    frame.render_widget(Paragraph::new(line), area);
}

/// With no message to say and a call open: the call's FAQ suggestions in one line (a weak
/// guess says so), and the key that opens them.
fn draw_suggestions(state: &State, frame: &mut Frame, area: Rect) {
    let Some(latest) = &state.suggestions.latest else { return };
    if state.calls.current.is_none() || latest.results.is_empty() || state.screen == Screen::Faq {
        return;
    }
    let th = Theme::of(state);
    let s = sym(state);
    let label = if latest.confident { ui::FAQ_SUGGESTED } else { ui::FAQ_SUGGESTED_WEAK };
    let head = format!("{label} {}: ", state.key_name(Command::Faq));
    // Each suggestion gets its share of the line, so all of them show at 80 columns.
    let n = latest.results.len();
    let share = (area.width as usize).saturating_sub(text::width(&head)) / n.max(1);
    let questions: Vec<String> = latest
        .results
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let q = format!("{}.{}", i + 1, text::display(&h.entry.question));
            text::truncate(&q, share.saturating_sub(1), s.ellipsis)
        })
        .collect();
    let fitted = text::truncate(&format!("{head}{}", questions.join(" ")), area.width as usize, s.ellipsis);
    let rest = fitted.strip_prefix(&head).unwrap_or(&fitted).to_string();
    frame.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(head, th.key()), Span::styled(rest, th.dim())])),
        area,
    );
}

/// The actions worth a hint on each screen, in order.
fn hint_actions(state: &State) -> &'static [(Command, &'static str)] {
    use super::keymap::Context;
    if state.floor.popup_open() || state.campaign.popup_open() {
        return &[(Command::Confirm, "決定"), (Command::Back, "取消")];
    }
    match state.context() {
        Context::Lookup => &[
            (Command::Confirm, "開く"),
            (Command::Faq, "FAQ"),
            (Command::Calls, "応対"),
            (Command::Help, "ヘルプ"),
            (Command::Quit, "終了"),
        ],
        Context::Institution => &[
            (Command::Change, "変更"),
            (Command::Next, "タブ"),
            (Command::StartCall, "応対開始"),
            (Command::AttachCall, "応対に紐付け"),
            (Command::Lookup, "検索"),
            (Command::Back, "戻る"),
            (Command::Help, "ヘルプ"),
        ],
        Context::Dialog
            if state
                .dialog
                .as_ref()
                .is_some_and(|d| matches!(d.stage, super::state::DialogStage::Editing)) =>
        {
            &[
                (Command::Next, "次の項目"),
                (Command::Up, "選択"),
                (Command::Confirm, "次へ・確定"),
                (Command::Back, "取消"),
            ]
        }
        Context::Dialog => &[],
        Context::Faq => &[
            (Command::Down, "次の質問"),
            (Command::PageDown, "回答送り"),
            (Command::Copy, "回答コピー"),
            (Command::Back, "戻る"),
        ],
        Context::Calls if state.calls.callback_form.is_some() => {
            &[(Command::Up, "予定"), (Command::Confirm, "登録"), (Command::Back, "取消")]
        }
        Context::Calls => &[
            (Command::StartCall, "開始"),
            (Command::Confirm, "メモ保存"),
            (Command::CloseCall, "終了"),
            (Command::NewCallBack, "折り返し登録"),
            (Command::Back, "戻る"),
        ],
        Context::Dashboard => match state.dashboard.tab {
            _ if state.dashboard.callbacks.closing.is_some() => {
                &[(Command::Down, "選択"), (Command::Confirm, "記録"), (Command::Back, "取消")]
            }
            super::state::DashboardTab::Overview => &[
                (Command::Next, "タブ"),
                (Command::DeadlineBatch, "期限処理(試行)"),
                (Command::Refresh, "更新"),
                (Command::Back, "戻る"),
            ],
            super::state::DashboardTab::CallBacks => &[
                (Command::Confirm, "折り返す"),
                (Command::CloseCallBack, "結果"),
                (Command::Next, "タブ"),
                (Command::Refresh, "更新"),
                (Command::Back, "戻る"),
            ],
            super::state::DashboardTab::Report => &[
                (Command::PageUp, "前"),
                (Command::PageDown, "次"),
                (Command::ReportSpan, "日/週/月"),
                (Command::Next, "タブ"),
                (Command::Back, "戻る"),
            ],
            super::state::DashboardTab::Campaign => &[
                (Command::CampaignNext, "次へ"),
                (Command::CampaignCreate, "作成"),
                (Command::CampaignPause, "停止/再開"),
                (Command::Next, "タブ"),
                (Command::Back, "戻る"),
            ],
            super::state::DashboardTab::Floor => &[
                (Command::Confirm, "確認・モニター"),
                (Command::Down, "選択"),
                (Command::Next, "タブ"),
                (Command::Refresh, "更新"),
                (Command::Back, "戻る"),
            ],
        },
        Context::Help | Context::Global => &[(Command::Down, "スクロール"), (Command::Back, "戻る")],
    }
}

fn draw_hints(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (command, label) in hint_actions(state) {
        let Some(key) = state.key_for(*command) else { continue };
        let w = text::width(key) + text::width(label) + 3;
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(key.to_string(), th.key()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Japan time, for everything the operator reads.
pub(crate) fn jst(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&crate::domain::jst::JST)
}

fn draw_status(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let s = sym(state);
    let mut parts: Vec<String> = Vec::new();
    // The call timer first: it must survive any truncation.
    if let Some(secs) = state.call_seconds() {
        let id = state.calls.current.as_ref().map(|c| c.id).unwrap_or(0);
        parts.push(format!("通話#{id} {}", text::mm_ss(secs)));
    }
    parts.extend(floor::status_parts(state));
    match state.me.get() {
        Some(me) => parts.push(me.name.clone()),
        None => parts.push("未ログイン".into()),
    }
    let conn = if state.connected { "接続中" } else { "未接続" };
    parts.push(format!("{} {}", state.server_label, conn));
    if let Some(me) = state.me.get() {
        let demo = if me.date_fixed { "(デモ日付)" } else { "" };
        parts.push(format!("{}{}", me.business_date.format("%Y-%m-%d"), demo));
        let days = (me.selection_deadline - me.business_date).num_days();
        parts.push(if days >= 0 {
            format!("期限まで{days}日")
        } else {
            format!("期限を{}日経過", -days)
        });
    }
    let line = format!(" {}", parts.join(&format!(" {} ", s.separator)));
    let line = text::fit(&line, area.width as usize, s.ellipsis);
    frame.render_widget(Paragraph::new(line).style(th.status_bar()), area);
}

fn confirm_quit(state: &State, frame: &mut Frame, body: Rect) {
    let th = Theme::of(state);
    let area = centered(body, 60, 6);
    clear_popup(frame.buffer_mut(), area);
    let enter = state.key_name(Command::Confirm);
    let back = state.key_name(Command::Back);
    let lines = vec![
        Line::raw(ui::CONFIRM_QUIT),
        Line::raw(""),
        Line::from(vec![
            Span::styled(enter.to_string(), th.key()),
            Span::raw(" 終了する   "),
            Span::styled(back.to_string(), th.key()),
            Span::raw(" 戻る"),
        ]),
    ];
    let block = th.block(" 終了の確認 ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
}

/// What a pane shows until its data is there: `waiting` (in the pane's words) while it loads,
/// or the error with the key that reloads it. `Ok` is the data once loaded.
fn loaded<'a, T>(
    state: &State,
    th: &Theme,
    l: &'a Loadable<T>,
    waiting: &str,
) -> Result<&'a T, Vec<Line<'static>>> {
    match l {
        Loadable::Loaded(t) => Ok(t),
        Loadable::Idle | Loadable::Loading => Err(vec![Line::raw(waiting.to_string())]),
        Loadable::Failed(e) => Err(vec![
            Line::styled(format!("読み込めませんでした: {e}"), th.error()),
            Line::raw(format!("{} で再読み込み", state.key_name(Command::Refresh))),
        ]),
    }
}

/// Wraps lines to `width` cells by character, keeping each span's style. Used instead of
/// ratatui's word wrap, which breaks Japanese only at spaces and so leaves a half-empty line
/// before every long run of kana and kanji.
pub(crate) fn wrap_lines(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let w = (width as usize).max(2);
    let mut out = Vec::new();
    for line in lines {
        let style = line.style;
        let mut cur: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for span in line.spans {
            let mut buf = String::new();
            for cl in text::clusters(&text::display(&span.content)) {
                let cw = text::width(cl);
                if used + cw > w && used > 0 {
                    if !buf.is_empty() {
                        cur.push(Span::styled(std::mem::take(&mut buf), span.style));
                    }
                    out.push(Line::from(std::mem::take(&mut cur)).style(style));
                    used = 0;
                    if cl == " " {
                        continue;
                    }
                }
                buf.push_str(cl);
                used += cw;
            }
            if !buf.is_empty() {
                cur.push(Span::styled(buf, span.style));
            }
        }
        out.push(Line::from(cur).style(style));
    }
    out
}

/// A `w`×`h` rectangle centred in `r` (clipped to it).
pub(crate) fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect { x: r.x + (r.width - w) / 2, y: r.y + (r.height - h) / 2, width: w, height: h }
}

/// Clears a popup's area and the cells just outside its left and right edges that hold half
/// of a wide glyph: otherwise the terminal keeps a torn character at the popup's border.
pub(crate) fn clear_popup(buf: &mut Buffer, area: Rect) {
    let right = area.x.saturating_add(area.width);
    for y in area.y..area.y.saturating_add(area.height) {
        if area.x > buf.area.x {
            let p = Position { x: area.x - 1, y };
            if let Some(cell) = buf.cell_mut(p)
                && text::width(cell.symbol()) > 1
            {
                cell.reset();
            }
        }
        if right < buf.area.x + buf.area.width
            && let Some(cell) = buf.cell_mut(Position { x: right, y })
            && cell.symbol().is_empty()
        {
            // the trailing half of a wide glyph whose head is under the popup
            cell.reset();
        }
    }
    ratatui::widgets::Widget::render(Clear, area, buf);
}

/// Places the hardware cursor (where the IME opens its window) at a field's caret.
pub(crate) fn set_caret(frame: &mut Frame, x: u16, y: u16) {
    frame.set_cursor_position(Position { x, y });
}
