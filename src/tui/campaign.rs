//! 架電キャンペーン in the console: which campaign the operator works, the member leased to them
//! (campaign mode: an ordinary call on its institution), the outcome picker at wrap-up, the
//! dashboard's burn-down, and the supervisor's form to create one. The server decides every
//! rule (hours, order, who may record); the console shows its answers.

use crate::api::campaign::{
    Campaign, CampaignMember, CampaignProgress, LeasedMember, NewCampaign, RecordOutcome, RecordedOutcome,
};
use crate::client::{Client, ClientError};
use crate::domain::campaign::Outcome;

use super::action::{Action, Reply};
use super::field::TextField;
use super::state::Loadable;

/// The console's campaign state.
#[derive(Debug, Clone, Default)]
pub struct CampaignConsole {
    /// Every campaign (the dashboard's list, and the one 次へ works).
    pub list: Loadable<Vec<Campaign>>,
    /// The campaign selected on the dashboard, and worked by 次へ (its id).
    pub selected: Option<i64>,
    /// The member leased to this operator, while its call is open (campaign mode).
    pub current: Option<LeasedMember>,
    /// 次へ was pressed before the list was known: take a member once it arrives.
    pub next_pending: bool,
    /// A request is on its way (次へ, an outcome, a create).
    pub busy: bool,
    /// The outcome picker, open at wrap-up: the outcome chosen.
    pub picker: Option<Outcome>,
    /// The selected campaign's progress (burn-down).
    pub progress: Loadable<CampaignProgress>,
    /// The supervisor's create form.
    pub form: Option<CampaignForm>,
    /// Close was asked once: the next close confirms.
    pub confirm_close: bool,
}

impl CampaignConsole {
    /// True while a popup of the campaign (the picker, the form) takes the keys.
    pub fn popup_open(&self) -> bool {
        self.picker.is_some() || self.form.is_some()
    }

    /// The campaign selected (or the first active one).
    pub fn chosen(&self) -> Option<&Campaign> {
        let list = self.list.get()?;
        self.selected
            .and_then(|id| list.iter().find(|c| c.id == id))
            .or_else(|| list.iter().find(|c| c.state == crate::api::campaign::CampaignState::Active))
            .or_else(|| list.first())
    }

    /// The member of the call under way, if that call is a campaign call.
    pub fn member(&self) -> Option<&CampaignMember> {
        self.current.as_ref().map(|l| &l.member)
    }
}

/// The supervisor's form: a name and the prefectures (blank: the whole country), 機種未定.
#[derive(Debug, Clone, Default)]
pub struct CampaignForm {
    /// The campaign's name.
    pub name: TextField,
    /// Prefecture names, separated by spaces or commas; blank for the whole country.
    pub prefectures: TextField,
    /// 0: the name, 1: the prefectures.
    pub field: usize,
    /// Why the server refused the form, shown under it.
    pub problem: Option<String>,
}

/// One campaign request for the runner.
#[derive(Debug, Clone)]
pub enum CampaignEffect {
    /// List the campaigns.
    List,
    /// Take the next member of a campaign (a call starts on its institution).
    Next {
        /// Campaign id.
        id: i64,
    },
    /// Record how a member's call ended.
    Outcome {
        /// Campaign id.
        id: i64,
        /// Member id.
        member: i64,
        /// The outcome.
        body: RecordOutcome,
    },
    /// Load a campaign's progress (burn-down).
    Progress {
        /// Campaign id.
        id: i64,
    },
    /// Create a campaign (supervisors).
    Create(NewCampaign),
    /// `pause`, `resume` or `close`.
    SetState {
        /// Campaign id.
        id: i64,
        /// `pause`, `resume` or `close`.
        action: &'static str,
    },
}

/// What the runner posts back.
#[derive(Debug, Clone)]
pub enum CampaignReply {
    /// The campaigns.
    Listed(Reply<Vec<Campaign>>),
    /// The member handed to this operator, with its call.
    Leased(Reply<LeasedMember>),
    /// The member after its outcome.
    Recorded(Reply<RecordedOutcome>),
    /// A campaign's progress.
    Progress {
        /// Campaign id asked for.
        id: i64,
        /// The answer.
        reply: Reply<CampaignProgress>,
    },
    /// A campaign created, paused, resumed or closed.
    Saved(Reply<Campaign>),
}

/// Performs one campaign request (the runner's side).
pub async fn perform(c: Client, effect: CampaignEffect) -> Action {
    let reply = match effect {
        CampaignEffect::List => CampaignReply::Listed(c.campaigns().await),
        CampaignEffect::Next { id } => CampaignReply::Leased(c.campaign_next(id).await),
        CampaignEffect::Outcome { id, member, body } => {
            CampaignReply::Recorded(c.record_campaign_outcome(id, member, &body).await)
        }
        CampaignEffect::Progress { id } => {
            CampaignReply::Progress { id, reply: c.campaign_progress(id).await }
        }
        CampaignEffect::Create(body) => CampaignReply::Saved(c.create_campaign(&body).await),
        CampaignEffect::SetState { id, action } => {
            CampaignReply::Saved(c.set_campaign_state(id, action).await)
        }
    };
    Action::Campaign(Box::new(reply))
}

/// A refusal as the operator reads it.
pub fn words(e: &ClientError) -> String {
    e.to_string()
}
