use super::*;
use crate::api::campaign::{Campaign, CampaignCounts};
use chrono::TimeZone;

fn state_with(list: Vec<Campaign>) -> State {
    let mut s =
        State::new("t", false, false, "s", chrono::Utc.with_ymd_and_hms(2021, 7, 15, 1, 0, 0).unwrap());
    s.campaign.list = Loadable::Loaded(list);
    s
}

fn campaign(id: i64, state: CampaignState) -> Campaign {
    Campaign {
        id,
        name: format!("c{id}"),
        filter: CampaignFilter { status: ReaderStatus::Undecided, prefectures: vec![], kinds: vec![] },
        state,
        created_by: "t".into(),
        created_at: chrono::Utc.with_ymd_and_hms(2021, 7, 1, 0, 0, 0).unwrap(),
        closed_at: None,
        counts: CampaignCounts::default(),
    }
}

#[test]
fn next_works_the_first_active_campaign_unless_one_is_selected() {
    let mut s = state_with(vec![campaign(1, CampaignState::Closed), campaign(2, CampaignState::Active)]);
    assert!(matches!(next(&mut s).as_slice(), [Effect::Campaign(CampaignEffect::Next { id: 2 })]));
    s.campaign.busy = false;
    s.campaign.selected = Some(1);
    assert!(matches!(next(&mut s).as_slice(), [Effect::Campaign(CampaignEffect::Next { id: 1 })]));
    assert!(next(&mut s).is_empty(), "one request at a time");
}

#[test]
fn up_and_down_on_the_tab_select_a_campaign_and_load_its_progress() {
    let mut s = state_with(vec![campaign(1, CampaignState::Active), campaign(2, CampaignState::Active)]);
    s.campaign.selected = Some(1);
    let fx = tab_key(&mut s, Action::Command(Command::Down));
    assert!(matches!(fx.as_slice(), [Effect::Campaign(CampaignEffect::Progress { id: 2 })]));
    assert_eq!(s.campaign.selected, Some(2));
    let fx = tab_key(&mut s, Action::Command(Command::CampaignPause));
    assert!(matches!(fx.as_slice(), [Effect::Campaign(CampaignEffect::SetState { id: 2, action: "pause" })]));
}

#[test]
fn a_close_not_confirmed_at_once_is_forgotten() {
    let mut s = state_with(vec![campaign(1, CampaignState::Active)]);
    assert!(tab_key(&mut s, Action::Command(Command::CampaignClose)).is_empty());
    tab_key(&mut s, Action::Command(Command::Refresh));
    assert!(tab_key(&mut s, Action::Command(Command::CampaignClose)).is_empty(), "asks again");
}
