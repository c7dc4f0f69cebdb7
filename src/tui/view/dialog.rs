//! The change dialog popup: fields, the confirmation (before → after, the rule), sending,
//! offline retry, refusal, 412 with the fresh state, and the receipt in large type.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::api::{ReaderApplicationView, Verification};
use crate::domain::ReaderModel;

use super::super::command::Command;
use super::super::keymap::Context;
use super::super::state::{ChangeDialog, DialogField, DialogStage, State};
use super::super::text::{self, VERIFICATIONS, ui, verification_label};
use super::institution::{model_label, status_summary};
use super::{Theme, centered, clear_popup, receipt_font, set_caret, sym, wrap_lines};

pub fn draw(state: &State, frame: &mut Frame, body: Rect) {
    let Some(d) = state.dialog.as_ref() else { return };
    let th = Theme::of(state);
    let area = centered(body, 76, 20);
    clear_popup(frame.buffer_mut(), area);
    let title = format!(
        " カードリーダー申込の変更 {} ",
        text::truncate(&d.institution_name, 40, sym(state).ellipsis)
    );
    let block = th.block(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match &d.stage {
        DialogStage::Editing => editing(state, d, frame, inner, &th),
        DialogStage::Confirm if d.needs_callback() => confirm_callback(state, d, &th),
        DialogStage::Confirm => confirm(state, d, &th),
        DialogStage::RegisteringCallBack => {
            let mut v = confirm_callback(state, d, &th);
            v.truncate(v.len().saturating_sub(1));
            v.push(Line::styled(format!("折り返しを登録中{}", sym(state).ellipsis), th.warn()));
            v
        }
        DialogStage::CallBackRegistered(cb) => vec![
            Line::styled(format!("折り返し #{} を登録しました。変更はまだ行っていません。", cb.id), th.ok()),
            Line::raw(""),
            Line::raw(format!("登録電話番号: {}", cb.phone)),
            Line::raw(format!("予定: {}", super::jst(cb.due_at).format("%m/%d %H:%M"))),
            Line::raw(text::display(&cb.reason)),
            Line::raw(""),
            Line::raw("お電話の方には「登録の電話番号へ折り返しお電話します」とお伝えください。"),
            Line::raw(format!(
                "折り返しは {} の「折り返し」から開始でき、つながったら {} で変更を確定します。",
                state.key_name(Command::Dashboard),
                state.key_name_in(Context::Institution, Command::Change)
            )),
            Line::raw(""),
            key_line(state, &th, &[(Command::Confirm, "閉じる")]),
        ],
        DialogStage::Submitting { attempt } => {
            let mut v = confirm(state, d, &th);
            v.truncate(v.len().saturating_sub(1));
            let again = if *attempt > 1 { format!("（{attempt}回目）") } else { String::new() };
            v.push(Line::styled(format!("送信中{}{again}", sym(state).ellipsis), th.warn()));
            v
        }
        DialogStage::Offline { attempt, error } => vec![
            Line::styled("サーバーとの接続が切れました。変更はまだ確定していません。", th.error()),
            Line::raw(text::truncate(error, inner.width as usize, sym(state).ellipsis)),
            Line::raw(""),
            Line::raw(format!("同じ受付キーで自動的に再送します（{attempt}回目まで送信済み）。")),
            Line::raw("再送しても二重に変更されることはありません。"),
            Line::raw(""),
            key_line(state, &th, &[(Command::Confirm, "今すぐ再送"), (Command::Back, "入力に戻る")]),
        ],
        DialogStage::Refused { message } => vec![
            Line::styled("変更できませんでした（サーバーの回答）:", th.error()),
            Line::raw(""),
            Line::raw(text::display(message)),
            Line::raw(""),
            key_line(state, &th, &[(Command::Back, "入力に戻る")]),
        ],
        DialogStage::Stale { message, current } => stale(state, d, message, current.as_deref(), &th),
        DialogStage::Receipt(r) => {
            let mut v = vec![Line::styled("変更を受け付けました。受付番号をお伝えください。", th.ok())];
            v.push(Line::raw(""));
            let big = receipt_font::render(&r.receipt_no, inner.width as usize);
            match big {
                Some(rows) => {
                    for row in rows {
                        v.push(big_row(&row, state.ascii));
                    }
                }
                None => v.push(Line::styled(
                    r.receipt_no.clone(),
                    Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                )),
            }
            v.push(Line::from(vec![
                Span::raw("受付番号: "),
                Span::styled(r.receipt_no.clone(), th.strong()),
            ]));
            v.push(Line::raw(""));
            v.push(Line::raw(format!("変更後: {}", status_summary(&r.application))));
            v.push(Line::raw(text::display(&r.application.rule_note)));
            if state.last_copied.as_deref() == Some(r.receipt_no.as_str()) {
                v.push(Line::styled("受付番号をクリップボードにコピーしました", th.ok()));
            }
            v.push(key_line(
                state,
                &th,
                &[(Command::Copy, "受付番号をコピー"), (Command::Confirm, "閉じる")],
            ));
            v
        }
    };
    frame.render_widget(Paragraph::new(wrap_lines(lines, inner.width)), inner);
}

fn big_row(row: &str, ascii: bool) -> Line<'static> {
    if ascii {
        return Line::raw(row.to_string());
    }
    let mut spans = Vec::new();
    for c in row.chars() {
        if c == '#' {
            spans.push(Span::styled(" ", Style::new().add_modifier(Modifier::REVERSED)));
        } else {
            spans.push(Span::raw(" "));
        }
    }
    Line::from(spans)
}

fn key_line(state: &State, th: &Theme, keys: &[(Command, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (command, label) in keys {
        if let Some(k) = state.key_for(*command) {
            spans.push(Span::styled(k.to_string(), th.key()));
            spans.push(Span::raw(format!(" {label}   ")));
        }
    }
    Line::from(spans)
}

fn model(state: &State, d: &ChangeDialog) -> Option<ReaderModel> {
    state.models.get().and_then(|m| m.get(d.model_idx)).cloned()
}

fn editing(
    state: &State,
    d: &ChangeDialog,
    frame: &mut Frame,
    inner: Rect,
    th: &Theme,
) -> Vec<Line<'static>> {
    let s = sym(state);
    let label = |f: DialogField, t: &str| {
        let style = if d.field == f { th.focus() } else { th.dim() };
        Span::styled(text::fit(t, 10, s.ellipsis), style)
    };
    let mut v = vec![Line::raw(format!("現在: {}", status_summary(&d.current)))];
    // Model list
    match state.models.get() {
        Some(models) if !models.is_empty() => {
            for (i, m) in models.iter().enumerate() {
                let first =
                    if i == 0 { label(DialogField::Model, "機種") } else { Span::raw(" ".repeat(10)) };
                let mark = if i == d.model_idx { format!("{:<2}", s.cursor) } else { "  ".into() };
                let style = if i == d.model_idx { th.strong() } else { Style::new() };
                v.push(Line::from(vec![
                    first,
                    Span::raw(format!(" {mark}")),
                    Span::styled(model_label(m), style),
                ]));
            }
        }
        _ => {
            v.push(Line::from(vec![label(DialogField::Model, "機種"), Span::raw(" 機種一覧を読み込み中...")]))
        }
    }
    if d.fields().contains(&DialogField::Units) {
        v.push(Line::from(vec![
            label(DialogField::Units, "台数"),
            Span::raw(format!(" {}台 （Up/Down で変更、無償は{}台まで）", d.units, d.current.free_units)),
        ]));
    }
    let name_row = v.len();
    let (shown, caret) = d.caller.visible(40);
    v.push(Line::from(vec![
        label(DialogField::CallerName, "お名前"),
        Span::raw(" "),
        Span::styled(text::fit(&shown, 40, s.ellipsis), Style::new().add_modifier(Modifier::UNDERLINED)),
        Span::raw(" 様"),
    ]));
    v.push(Line::from(vec![
        label(DialogField::CallerRole, "立場"),
        Span::raw(format!(" {}", ui::ROLES.get(d.role_idx).copied().unwrap_or("その他"))),
        Span::styled("  (Up/Down)", th.dim()),
    ]));
    v.push(Line::from(vec![
        label(DialogField::Verification, "本人確認"),
        Span::raw(" "),
        verification_span(d.verification, th),
    ]));
    for vv in VERIFICATIONS {
        let mark = if d.verification == Some(vv) { "(*)" } else { "( )" };
        v.push(Line::raw(format!("{}{mark} {}", " ".repeat(11), verification_label(vv))));
    }
    if let Some(p) = &d.problem {
        v.push(Line::styled(p.clone(), th.error()));
    }
    v.push(key_line(
        state,
        th,
        &[(Command::Next, "次の項目"), (Command::Confirm, "次へ/確認"), (Command::Back, "取消")],
    ));
    if d.field == DialogField::CallerName && !state.confirm_quit {
        set_caret(frame, inner.x + 11 + caret as u16, inner.y + name_row as u16);
    }
    v
}

fn verification_span(v: Option<Verification>, th: &Theme) -> Span<'static> {
    match v {
        Some(v) => Span::raw(verification_label(v)),
        None => Span::styled("未選択（Up/Down で選ぶ・必須）", th.warn()),
    }
}

fn confirm(state: &State, d: &ChangeDialog, th: &Theme) -> Vec<Line<'static>> {
    let s = sym(state);
    let before = &d.current;
    let before_model = before.model.as_ref().map(model_label).unwrap_or_else(|| "機種未定".into());
    let after_model = model(state, d).map(|m| model_label(&m)).unwrap_or_default();
    let role = ui::ROLES.get(d.role_idx).copied().unwrap_or("その他");
    let verification = d.verification.map(verification_label).unwrap_or("未選択");
    vec![
        Line::styled("この内容で変更します。お電話の方に読み上げて確認してください。", th.strong()),
        Line::raw(""),
        Line::raw(format!("機種: {before_model} {} {after_model}", s.arrow)),
        Line::raw(format!("台数: {}台 {} {}台", before.application.units, s.arrow, d.units)),
        Line::raw(format!("状態: {} {} （サーバーが判定）", before.application.status.label_ja(), s.arrow)),
        Line::raw(""),
        Line::styled("ルール:", th.dim()),
        Line::raw(format!(
            "選定期限 {}（あと{}日）、無償は{}台まで",
            before.selection_deadline.format("%Y-%m-%d"),
            before.days_left,
            before.free_units
        )),
        Line::raw(text::display(&before.rule_note)),
        Line::raw(""),
        Line::raw(format!("お電話: {} 様（{role}） 本人確認: {verification}", d.caller.value().trim())),
        Line::raw(""),
        key_line(state, th, &[(Command::Confirm, "確定"), (Command::Back, "戻る")]),
    ]
}

/// Confirming with verification by call-back: nothing is changed now; a call-back carrying
/// the change is registered to the registered number.
fn confirm_callback(state: &State, d: &ChangeDialog, th: &Theme) -> Vec<Line<'static>> {
    let s = sym(state);
    let before = &d.current;
    let before_model = before.model.as_ref().map(model_label).unwrap_or_else(|| "機種未定".into());
    let after_model = model(state, d).map(|m| model_label(&m)).unwrap_or_default();
    let role = ui::ROLES.get(d.role_idx).copied().unwrap_or("その他");
    let phone = state
        .institution
        .as_ref()
        .and_then(|i| i.detail.get())
        .filter(|x| x.code == d.code)
        .and_then(|x| x.phone.clone())
        .unwrap_or_else(|| "（登録なし: 登録できません）".into());
    vec![
        Line::styled("本人確認のため、登録電話番号へ折り返します。", th.strong()),
        Line::raw("いまは変更せず、この変更を載せた折り返しを登録します。"),
        Line::raw(""),
        Line::raw(format!("機種: {before_model} {} {after_model}", s.arrow)),
        Line::raw(format!("台数: {}台 {} {}台", before.application.units, s.arrow, d.units)),
        Line::raw(format!("ご依頼: {} 様（{role}）", d.caller.value().trim())),
        Line::raw(""),
        Line::raw(format!("折り返し先: {phone}（登録電話番号。お電話の方が言う番号は使いません）")),
        Line::raw("折り返しでつながったら、その応対から変更を確定します。"),
        Line::raw(""),
        key_line(state, th, &[(Command::Confirm, "折り返しを登録"), (Command::Back, "戻る")]),
    ]
}

fn stale(
    state: &State,
    d: &ChangeDialog,
    message: &str,
    current: Option<&ReaderApplicationView>,
    th: &Theme,
) -> Vec<Line<'static>> {
    let mut v = vec![
        Line::styled("この申込は、開いている間に他の操作で変更されました。", th.error()),
        Line::raw(message.to_string()),
        Line::raw(""),
        Line::raw(format!("開いた時点: {} (v{})", status_summary(&d.current), d.current.application.version)),
    ];
    match current {
        Some(c) => {
            v.push(Line::styled(
                format!("現在      : {} (v{})", status_summary(c), c.application.version),
                th.warn(),
            ));
            let want = model(state, d).map(|m| model_label(&m)).unwrap_or_default();
            v.push(Line::raw(format!("ご依頼    : {want} {}台", d.units)));
            v.push(Line::raw(""));
            v.push(Line::raw(
                "お電話の方に現在の内容を伝え、それでも変更する場合は最新の状態でやり直します。",
            ));
            v.push(key_line(
                state,
                th,
                &[(Command::Confirm, "最新の状態でやり直す"), (Command::Back, "取消")],
            ));
        }
        None => {
            v.push(Line::raw("最新の状態を読み込み直して、入力からやり直します。"));
            v.push(key_line(state, th, &[(Command::Confirm, "読み込み直す"), (Command::Back, "取消")]));
        }
    }
    v
}
