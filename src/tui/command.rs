//! `Command`: what an operator can bind a key to. Keymaps store commands, the help screen
//! lists them and every hint, prompt and message names the key bound to one (see
//! [`super::state::State::key_for`]), so no text can name a key that is not bound. Adding a
//! command is one line in the table below (then handling it in `update/`).

use serde::{Deserialize, Serialize};

/// Declares [`Command`] from one table: variant, keymap name, help line.
macro_rules! commands {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $help:literal; )*) => {
        /// A bindable command (keymap files name them in snake_case).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Command {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl Command {
            /// Every command, in the order the help screen lists them.
            pub const ALL: &'static [Command] = &[$(Command::$variant),*];

            /// The name keymap files use.
            pub fn name(self) -> &'static str {
                match self { $(Command::$variant => $name,)* }
            }

            /// The help screen's line for it.
            pub fn help(self) -> &'static str {
                match self { $(Command::$variant => $help,)* }
            }
        }
    };
}

commands! {
    /// Show the key list (F1).
    Help = "help", "キー一覧";
    /// Go to the lookup screen, focus and clear the query (F2).
    Lookup = "lookup", "検索へ（入力をクリア）";
    /// Open the FAQ (F3).
    Faq = "faq", "FAQ";
    /// Change the reader application of the open institution (F4).
    Change = "change", "カードリーダー申込を変更";
    /// Open the call log.
    Calls = "calls", "応対記録";
    /// Open the dashboard.
    Dashboard = "dashboard", "ダッシュボード";
    /// Quit (asks first when a dialog or a call is open).
    Quit = "quit", "終了";
    /// Go back / cancel.
    Back = "back", "戻る・取消";
    /// Open / confirm.
    Confirm = "confirm", "開く・確定";
    /// Next tab or field.
    Next = "next", "次のタブ・項目";
    /// Previous tab or field.
    Prev = "prev", "前のタブ・項目";
    /// Move the selection (or scroll) up one line.
    Up = "up", "上へ";
    /// Move the selection (or scroll) down one line.
    Down = "down", "下へ";
    /// Up one page (the report: the period before).
    PageUp = "page_up", "前のページ";
    /// Down one page (the report: the period after).
    PageDown = "page_down", "次のページ";
    /// Copy the receipt number or the FAQ answer to the clipboard (OSC 52).
    Copy = "copy", "コピー（受付番号・回答）";
    /// Start a call (the timer in the status bar starts).
    StartCall = "start_call", "応対開始（タイマー）";
    /// Attach the open institution to the current call.
    AttachCall = "attach_call", "表示中の医療機関を応対に紐付け";
    /// Close the current call (saves the note).
    CloseCall = "close_call", "応対を終了（メモ保存）";
    /// Reload what the screen shows.
    Refresh = "refresh", "再読み込み";
    /// Supervisors: run the deadline batch as a dry run (then Enter runs it for real).
    DeadlineBatch = "deadline_batch", "期限処理（試行→確定, 管理者）";
    /// Promise a call back to the registered number of the call's (or the open) institution.
    NewCallBack = "new_callback", "折り返しを登録（登録電話番号へ）";
    /// Record how a call-back ended (the one being made, or the one selected in the list).
    CloseCallBack = "close_callback", "折り返しの結果を記録";
    /// The call report's period: a day, a week, a month (PgUp/PgDn move it).
    ReportSpan = "report_span", "レポート期間の切替（日・週・月）";
    /// 架電キャンペーン: take the next member (a call on its institution starts).
    CampaignNext = "campaign_next", "架電キャンペーン: 次の架電先";
    /// The campaign tab of the dashboard (burn-down).
    Campaign = "campaign", "架電キャンペーンの進捗";
    /// Supervisors: create a campaign of 機種未定.
    CampaignCreate = "campaign_create", "キャンペーンを作成（監督者）";
    /// Supervisors: pause or resume the selected campaign.
    CampaignPause = "campaign_pause", "キャンペーンの一時停止・再開（監督者）";
    /// Supervisors: close the selected campaign (asks once more).
    CampaignClose = "campaign_close", "キャンペーンを終了（監督者）";
    /// 受付可 now (ends after-call work or an absence early).
    Available = "available", "受付可に戻る（後処理・離席を終える）";
    /// Choose 受付可 or 離席 with a reason (the policy's list).
    Away = "away", "離席・受付可（理由を選ぶ）";
    /// 挙手: ask a supervisor for help, with an optional note (again: lower the hand).
    RaiseHand = "raise_hand", "挙手（監督者を呼ぶ／もう一度で下ろす）";
}

impl Command {
    /// The command a keymap file names; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_through_serde_and_from_name() {
        for &c in Command::ALL {
            assert_eq!(Command::from_name(c.name()), Some(c));
            let json = serde_json::to_string(&c).expect("serializes");
            assert_eq!(json, format!("\"{}\"", c.name()));
            assert_eq!(serde_json::from_str::<Command>(&json).expect("deserializes"), c);
            assert!(
                c.name().chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "snake_case: {}",
                c.name()
            );
        }
        assert_eq!(Command::from_name("insert"), None);
        assert_eq!(Command::from_name("no_such_thing"), None);
    }
}
