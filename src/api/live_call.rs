//! Wire types of the live call: call-backs (折り返し), FAQ answers on a call's record, screen
//! pops from the phone system, and the call report. Shared by server and client.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Call, InstitutionSummary};
use crate::domain::CallBackOutcome;
use crate::domain::call::PendingChange;

/// An FAQ answer given during a call: which entry, in which version, and whether it was copied
/// (pasted into mail or chat) or only shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallFaq {
    /// The FAQ entry's id.
    pub faq_id: String,
    /// The entry's version when it was given.
    pub version: i64,
    /// The entry's question, as it read then.
    pub question: String,
    /// True when copied (pasted into mail or chat), false when only shown.
    pub copied: bool,
    /// When it was given.
    pub at: DateTime<Utc>,
}

/// `POST /v1/calls/{id}/faq`: attach an FAQ answer shown or copied during the call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachFaq {
    /// The FAQ entry's id.
    pub faq_id: String,
    #[serde(default)]
    /// True when copied (pasted into mail or chat), false when only shown.
    pub copied: bool,
}

/// `POST /v1/callbacks`: promise to call an institution back. There is no phone field: the
/// number is always the institution's registered one; a body that names a number is refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct NewCallBack {
    /// 医療機関コード of the institution to call back.
    pub code: String,
    /// Why the call-back is needed, for whoever makes it.
    pub reason: String,
    /// When to call back; default the policy's `callback_due_minutes` from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// The call during which the promise was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<i64>,
    /// A reader application change to make once the registered number verifies the caller
    /// (the change dialog's 登録電話番号へ折り返し).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<PendingChange>,
    /// Refused when present (422): a call-back goes only to the registered number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<serde_json::Value>,
}

/// Query of `GET /v1/callbacks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
pub struct CallBacksParams {
    /// Include finished call-backs (default: only open ones, overdue first).
    #[serde(default)]
    pub all: Option<bool>,
    /// Only call-backs for this institution.
    #[serde(default)]
    pub code: Option<String>,
}

/// The answer to `POST /v1/callbacks/{id}/take`: the call-back, now taken, and the call started
/// for it (linked, on the institution).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TakenCallBack {
    /// The call-back, now taken by the caller.
    pub callback: crate::domain::CallBack,
    /// The call started for it.
    pub call: Call,
}

/// `POST /v1/callbacks/{id}/close`: how the call-back ended.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CloseCallBack {
    /// How it ended.
    pub outcome: CallBackOutcome,
}

/// `POST /v1/screen-pops` (role `telephony`): who is calling, and which operator took it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScreenPopRequest {
    /// The caller's number as the phone system has it (any format: hyphens, +81, full width).
    pub caller_number: String,
    /// The operator's name (as in their token) taking the call.
    pub operator: String,
}

/// The answer to a screen pop, and what that operator's consoles receive: the call started,
/// and the institutions whose registered phone matches (one: open it; several or none: the
/// lookup with the number filled in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScreenPop {
    /// The operator taking the call.
    pub operator: String,
    /// The caller's number as the phone system sent it.
    pub caller_number: String,
    /// The call started for the operator.
    pub call_id: i64,
    /// The institution opened when exactly one registered phone matches.
    pub code: Option<String>,
    /// Institutions whose registered phone matches (none, one or several).
    pub candidates: Vec<ScreenPopCandidate>,
}

/// One institution whose registered phone matches the caller's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScreenPopCandidate {
    /// 医療機関コード.
    pub code: String,
    /// Institution name.
    pub name: String,
    /// Prefecture name.
    pub prefecture: String,
    /// City, ward, town or village.
    pub city: String,
}

impl From<&InstitutionSummary> for ScreenPopCandidate {
    fn from(s: &InstitutionSummary) -> ScreenPopCandidate {
        ScreenPopCandidate {
            code: s.code.clone(),
            name: s.name.clone(),
            prefecture: s.prefecture.clone(),
            city: s.city.clone(),
        }
    }
}

/// Query of `GET /v1/reports/calls`: Japan dates, both inclusive (default: today).
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
pub struct ReportParams {
    /// First day (Japan date).
    pub from: Option<NaiveDate>,
    /// Last day (Japan date).
    pub to: Option<NaiveDate>,
}
