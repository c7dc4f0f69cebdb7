//! Institution screen: header (name, reading, code with its check-digit warning, kind,
//! address, phone) and the tabs 概要 / カードリーダー / 補助金 / 履歴 / 応対.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use crate::api::{AuditEvent, Call, InstitutionDetail, ReaderApplicationView, SubsidyView};
use crate::domain::SubsidyStatus;

use super::super::command::Command;
use super::super::state::{InstitutionState, Loadable, State, Tab};
use super::super::text;
use super::{Theme, jst, sym, wrap_lines};

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let th = Theme::of(state);
    let Some(inst) = state.institution.as_ref() else { return };
    let [header, tabs, body] =
        Layout::vertical([Constraint::Length(6), Constraint::Length(1), Constraint::Min(1)]).areas(area);
    draw_header(state, inst, frame, header, &th);

    let titles: Vec<Line> = Tab::ALL.iter().map(|t| Line::raw(format!(" {} ", t.label()))).collect();
    let tabs_w = Tabs::new(titles)
        .select(inst.tab.index())
        .divider(sym(state).separator)
        .highlight_style(th.selected())
        .padding("", "");
    frame.render_widget(tabs_w, tabs);

    let block = th.block(format!(" {} ", inst.tab.label()));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    let lines = match inst.tab {
        Tab::Overview => loadable(state, &th, &inst.detail, |d| overview(state, d, &th)),
        Tab::Reader => {
            loadable(state, &th, &inst.detail, |d| reader_lines(state, &d.reader_application, &th))
        }
        Tab::Subsidy => loadable(state, &th, &inst.subsidy, |s| subsidy_lines(s, &th)),
        Tab::History => loadable(state, &th, &inst.audit, |a| history_lines(state, a, &th)),
        Tab::Calls => loadable(state, &th, &inst.calls, |c| call_lines(state, c, &th)),
    };
    frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)).scroll((inst.scroll, 0)), inner);
}

/// The tab's lines once its data is loaded; until then what [`super::loaded`] shows.
fn loadable<T>(
    state: &State,
    th: &Theme,
    l: &Loadable<T>,
    f: impl FnOnce(&T) -> Vec<Line<'static>>,
) -> Vec<Line<'static>> {
    super::loaded(state, th, l, "読み込み中...").map_or_else(|lines| lines, f)
}

fn draw_header(state: &State, inst: &InstitutionState, frame: &mut Frame, area: Rect, th: &Theme) {
    let s = sym(state);
    let w = area.width.saturating_sub(2) as usize;
    let block = th.block(format!(" 医療機関 {} ", inst.code));
    let mut lines: Vec<Line> = Vec::new();
    match &inst.detail {
        Loadable::Loaded(d) => {
            let chain = if d.institution.large_chain { "（大型チェーン）" } else { "" };
            // 架電不要 (do not call) stands out on the name line: campaigns skip it, and an
            // operator on an inbound call should not promise a call back from the centre.
            let dnc = d.do_not_call.as_ref().map(|m| {
                let day = crate::domain::jst::local(m.marked_at).format("%-m/%-d");
                format!("  【架電不要 {day}】")
            });
            let room = w.saturating_sub(20 + dnc.as_deref().map_or(0, text::width));
            let mut name = vec![
                Span::styled(text::truncate(&d.institution.name, room, s.ellipsis), th.strong()),
                Span::raw(format!("  {}{}", d.institution.kind.label_ja(), chain)),
            ];
            if let Some(mark) = dnc {
                name.push(Span::styled(mark, th.warn()));
            }
            lines.push(Line::from(name));
            let kana = d.institution.name_kana.clone().unwrap_or_else(|| "（よみ不明）".into());
            let inferred = if d.institution.kana_inferred { "（推定）" } else { "" };
            lines.push(Line::raw(text::truncate(&format!("よみ: {kana}{inferred}"), w, s.ellipsis)));
            let mut code = vec![Span::raw(format!("コード: {}", d.institution.code))];
            if let Some(warn) = &d.check_digit_warning {
                code.push(Span::styled(
                    format!("  {} {}", s.warning, text::truncate(warn, w.saturating_sub(24), s.ellipsis)),
                    th.warn(),
                ));
            }
            lines.push(Line::from(code));
            let addr = format!("〒{} {}", d.institution.postal_code, full_address(d));
            let phone = d.institution.phone.clone().unwrap_or_else(|| "電話番号なし".into());
            lines.push(Line::raw(text::truncate(&format!("{addr}  TEL {phone}"), w, s.ellipsis)));
        }
        Loadable::Failed(e) => lines.push(Line::styled(format!("読み込めませんでした: {e}"), th.error())),
        _ => lines.push(Line::raw("読み込み中...")),
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
    if let Some(n) = &inst.notice {
        let y = area.y + area.height - 1;
        let line =
            Line::styled(format!(" {} ", text::truncate(n, w.saturating_sub(2), s.ellipsis)), th.warn());
        frame
            .render_widget(Paragraph::new(line), Rect { x: area.x + 1, y, width: area.width - 2, height: 1 });
    }
}

/// Prefecture, city and street without repeating what the address already starts with.
fn full_address(d: &InstitutionDetail) -> String {
    if d.institution.address.starts_with(&d.institution.prefecture) {
        d.institution.address.clone()
    } else if d.institution.address.starts_with(&d.institution.city) {
        format!("{}{}", d.institution.prefecture, d.institution.address)
    } else {
        format!("{}{}{}", d.institution.prefecture, d.institution.city, d.institution.address)
    }
}

fn overview(state: &State, d: &InstitutionDetail, th: &Theme) -> Vec<Line<'static>> {
    let r = &d.reader_application;
    let mut v = vec![
        Line::from(vec![Span::styled("カードリーダー: ", th.dim()), Span::raw(status_summary(r))]),
        Line::from(vec![Span::styled("期限: ", th.dim()), deadline_span(r, th)]),
        Line::raw(text::display(&r.rule_note)),
        Line::raw(""),
    ];
    let (next, change) = (state.key_name(Command::Next), state.key_name(Command::Change));
    v.push(Line::styled(format!("{next} でタブを切替、{change} で申込を変更します。"), th.dim()));
    if state.calls.current.is_some() {
        let attach = state.key_name(Command::AttachCall);
        v.push(Line::styled(format!("応対中: {attach} でこの医療機関を応対記録に紐付けます。"), th.dim()));
    }
    v
}

/// "機種選定済 / PFU Caora（カオラ） / 1台"
pub(crate) fn status_summary(r: &ReaderApplicationView) -> String {
    let model = r.model.as_ref().map(model_label).unwrap_or_else(|| "機種なし".into());
    format!("{} / {} / {}台", r.application.status.label_ja(), model, r.application.units)
}

pub(crate) fn model_label(m: &crate::domain::ReaderModel) -> String {
    let sample = if m.sample { "（サンプル）" } else { "" };
    format!("{} {}{}", m.maker, m.name, sample)
}

fn deadline_span(r: &ReaderApplicationView, th: &Theme) -> Span<'static> {
    let d = r.selection_deadline.format("%Y-%m-%d");
    let close = r.days_left <= 7;
    let text = if r.days_left >= 0 {
        format!("{d} まで（あと{}日）", r.days_left)
    } else {
        format!("{d}（{}日経過）", -r.days_left)
    };
    let undecided = r.application.status == crate::domain::ReaderStatus::Undecided;
    if undecided && close { Span::styled(text, th.error()) } else { Span::raw(text) }
}

fn reader_lines(state: &State, r: &ReaderApplicationView, th: &Theme) -> Vec<Line<'static>> {
    let a = &r.application;
    let label = |s: &str| Span::styled(text::fit(s, 10, ""), th.dim());
    let model = r.model.as_ref().map(model_label).unwrap_or_else(|| "なし".into());
    let applied = a.applied_on.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "なし".into());
    let mut v = vec![
        Line::from(vec![label("状態"), Span::styled(a.status.label_ja().to_string(), th.strong())]),
        Line::from(vec![label("機種"), Span::raw(model)]),
        Line::from(vec![label("台数"), Span::raw(format!("{}台（無償は{}台まで）", a.units, r.free_units))]),
        Line::from(vec![label("申込日"), Span::raw(applied)]),
        Line::from(vec![label("選定期限"), deadline_span(r, th)]),
        Line::from(vec![label("版"), Span::raw(format!("v{}", a.version))]),
        Line::raw(""),
        Line::raw(text::display(&r.rule_note)),
    ];
    if a.status == crate::domain::ReaderStatus::Undecided && r.days_left < 0 {
        v.push(Line::styled(
            format!(
                "{} 期限を過ぎた機種未定の申込は、期限処理でキャンセル扱いになります。",
                sym(state).warning
            ),
            th.error(),
        ));
    }
    v
}

fn subsidy_status(s: SubsidyStatus) -> &'static str {
    match s {
        SubsidyStatus::Submitted => "申請済",
        SubsidyStatus::UnderReview => "審査中",
        SubsidyStatus::Returned => "不備返戻",
        SubsidyStatus::Approved => "交付決定",
        SubsidyStatus::Paid => "支払済",
    }
}

fn subsidy_lines(s: &SubsidyView, th: &Theme) -> Vec<Line<'static>> {
    let label = |t: &str| Span::styled(text::fit(t, 12, ""), th.dim());
    let date =
        |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or("-".into());
    let mut v = Vec::new();
    match &s.claim {
        Some(c) => {
            v.push(Line::from(vec![
                label("申請状況"),
                Span::styled(subsidy_status(c.status).to_string(), th.strong()),
            ]));
            v.push(Line::from(vec![label("事業額"), Span::raw(text::yen(c.project_cost_yen))]));
            v.push(Line::from(vec![label("補助額"), Span::raw(text::yen(c.payable_yen))]));
            v.push(Line::from(vec![label("台数"), Span::raw(format!("{}台", c.units))]));
            v.push(Line::from(vec![
                label("日付"),
                Span::raw(format!(
                    "申請 {} / 交付決定 {} / 支払 {}",
                    c.submitted_on.format("%Y-%m-%d"),
                    date(c.decided_on),
                    date(c.paid_on)
                )),
            ]));
        }
        None => v.push(Line::from(vec![label("申請状況"), Span::raw("補助金の申請はまだありません")])),
    }
    v.push(Line::raw(""));
    let chain = if s.large_chain { "（大型チェーン薬局）" } else { "" };
    v.push(Line::styled("この医療機関の補助上限（計算）", th.title()));
    v.push(Line::from(vec![
        label("区分"),
        Span::raw(format!("{}{} {}台", s.kind.label_ja(), chain, s.units)),
    ]));
    v.push(Line::from(vec![label("対象事業額"), Span::raw(format!("{}まで", text::yen(s.cost_cap_yen)))]));
    v.push(Line::from(vec![label("補助上限"), Span::styled(text::yen(s.max_payable_yen), th.strong())]));
    v.push(Line::raw(text::display(&s.rule_note)));
    v
}

fn history_lines(state: &State, events: &[AuditEvent], th: &Theme) -> Vec<Line<'static>> {
    if events.is_empty() {
        return vec![Line::raw("変更履歴はありません")];
    }
    let s = sym(state);
    let mut v = Vec::new();
    for e in events {
        let at = jst(e.at).format("%m-%d %H:%M");
        let receipt = e.receipt_no.clone().map(|r| format!(" 受付{r}")).unwrap_or_default();
        v.push(Line::from(vec![
            Span::styled(format!("{at} "), th.dim()),
            Span::raw(format!("{} {}{}", e.operator, action_label(&e.action), receipt)),
        ]));
        let d = detail_summary(&e.detail, s.arrow);
        if !d.is_empty() {
            v.push(Line::styled(format!("    {d}"), th.dim()));
        }
    }
    v
}

fn action_label(a: &str) -> &str {
    match a {
        "reader_application.change" => "機種変更",
        "reader_application.cancel_deadline" => "期限処理でキャンセル",
        "faq.edit" => "FAQ編集",
        other => other,
    }
}

/// A one-line summary of an audit event's details: caller, verification, before → after.
fn detail_summary(d: &serde_json::Value, arrow: &str) -> String {
    let mut parts = Vec::new();
    let get = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_string);
    if let Some(c) = get("caller_name").or_else(|| get("caller")) {
        let role = get("caller_role").map(|r| format!("（{r}）")).unwrap_or_default();
        parts.push(format!("{c}様{role}"));
    }
    let side = |k: &str| {
        d.get(k).map(|v| {
            let status =
                v.get("status").and_then(|s| s.as_str()).and_then(crate::domain::ReaderStatus::parse);
            let model = v.get("model_id").and_then(|m| m.as_str()).unwrap_or("-");
            let units = v.get("units").and_then(|u| u.as_u64()).unwrap_or(0);
            format!("{} {} {}台", status.map(|s| s.label_ja()).unwrap_or("?"), model, units)
        })
    };
    if let (Some(b), Some(a)) = (side("before"), side("after")) {
        parts.push(format!("{b} {arrow} {a}"));
    }
    if parts.is_empty() && !d.is_null() {
        let mut raw = d.to_string();
        raw.truncate(raw.char_indices().nth(60).map(|(i, _)| i).unwrap_or(raw.len()));
        parts.push(raw);
    }
    parts.join("  ")
}

fn call_lines(state: &State, calls: &[Call], th: &Theme) -> Vec<Line<'static>> {
    if calls.is_empty() {
        return vec![Line::raw("この医療機関の応対記録はありません")];
    }
    let s = sym(state);
    calls
        .iter()
        .flat_map(|c| {
            let at = jst(c.started_at).format("%m-%d %H:%M");
            let open = if c.ended_at.is_none() { "（応対中）" } else { "" };
            let receipts = if c.receipts.is_empty() {
                String::new()
            } else {
                format!(" 受付 {}", c.receipts.join(", "))
            };
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(format!("{at} "), th.dim()),
                    Span::raw(format!("#{} {}{}{}", c.id, c.operator, open, receipts)),
                ]),
                Line::raw(format!("    {}", text::truncate(&c.note, 70, s.ellipsis))),
            ];
            // What the caller was told: each FAQ answer read or copied, with its version.
            lines.extend(c.faq.iter().map(|f| {
                let how = if f.copied { "コピー" } else { "回答" };
                Line::styled(
                    text::truncate(
                        &format!("    FAQ {how}: {} (v{}) {}", f.faq_id, f.version, f.question),
                        76,
                        s.ellipsis,
                    ),
                    th.dim(),
                )
            }));
            lines
        })
        .collect()
}
