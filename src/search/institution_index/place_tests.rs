//! Tests of place words: the caller's town typed every way, before or after the name, spaced,
//! with の or run in; places that name several; words that are both a place and a name.

use super::*;

/// A clinic without a phone ([`super::tests::inst`]'s own).
fn inst(code: &str, name: &str, kana: &str, pref: &str, city: &str) -> Institution {
    super::tests::inst(code, name, kana, pref, city, "")
}

fn sample() -> Vec<Institution> {
    vec![
        inst("0611234567", "日本海総合病院", "ニホンカイソウゴウビョウイン", "山形県", "酒田市"),
        inst("0611234575", "日本海クリニック", "ニホンカイクリニック", "新潟県", "新潟市中央区"),
        inst("1311234561", "あかいクリニック", "アカイクリニック", "東京都", "三鷹市"),
        inst("1311299990", "あかいクリニック", "アカイクリニック", "東京都", "府中市"),
        inst("1311299982", "赤井医院", "アカイイイン", "東京都", "港区"),
        inst("1331234568", "矢嶋歯科医院", "ヤジマシカイイン", "東京都", "杉並区"),
        inst("1331234576", "やじま内科", "ヤジマナイカ", "東京都", "練馬区"),
        inst("1341234563", "さなえ薬局", "サナエヤッキョク", "東京都", "足立区"),
        inst("1341234571", "さなえクリニック", "サナエクリニック", "大阪府", "大阪市北区"),
        inst("3411234561", "あかい眼科", "アカイガンカ", "広島県", "府中市"),
        inst("3311234560", "いいじま医院", "イイジマイイン", "岡山県", "高梁市"),
        inst("1311200013", "高橋医院", "タカハシイイン", "東京都", "港区"),
        inst("1311200021", "三鷹眼科医院", "ミタカガンカイイン", "東京都", "武蔵野市"),
        inst("1311200039", "さくら眼科", "サクラガンカ", "東京都", "三鷹市"),
        inst("0111200013", "はやし医院", "ハヤシイイン", "北海道", "札幌市中央区"),
        inst("0111200021", "はやし内科", "ハヤシナイカ", "北海道", "札幌市北区"),
        inst("2711200013", "はやし歯科", "ハヤシシカ", "大阪府", "大阪市中央区"),
    ]
}

fn codes(index: &InstitutionIndex, q: &str, limit: usize) -> Vec<String> {
    index.search(q, limit).iter().map(|h| index.code(h.doc).unwrap_or("").to_string()).collect()
}

fn first(index: &InstitutionIndex, q: &str) -> String {
    codes(index, q, 5).first().cloned().unwrap_or_default()
}

#[test]
fn the_seed_examples_as_callers_say_them() {
    let index = InstitutionIndex::build(&sample());
    for (q, code) in [
        ("みたか あかい", "1311234561"),
        ("mitaka akai", "1311234561"),
        ("さかた にほんかい", "0611234567"),
        ("sakata nihonkai", "0611234567"),
        ("すぎなみ やじま", "1331234568"),
        ("adachi sanae", "1341234563"),
    ] {
        assert_eq!(first(&index, q), code, "{q}");
    }
}

#[test]
fn the_town_in_every_script_and_shape() {
    let index = InstitutionIndex::build(&sample());
    for q in [
        "三鷹 あかい",
        "三鷹市 あかい",
        "ミタカ アカイ",
        "ﾐﾀｶ ｱｶｲ",
        "ﾐﾀｶｼ ｱｶｲ",
        "mitakashi akai",
        "mitaka-shi akai",
        "mitaka shi akai",
        "MITAKA AKAI",
        "あかい みたか",
        "akai mitakashi",
        "あかい 三鷹市",
        "みたかの あかい",
        "みたか の あかい",
        "とうきょう みたか あかい",
        "tokyo mitaka akai",
        "みたかのあかい",
        "mitakanoakai",
        "ﾐﾀｶﾉｱｶｲ",
        "みたかあかい",
        "mitakaakai",
        "あかいみたか",
        "akaimitaka",
        "三鷹のあかい",
        "三鷹あかい",
        "あかい三鷹",
    ] {
        assert_eq!(first(&index, q), "1311234561", "{q}: {:?}", codes(&index, q, 5));
    }
    // Kana and kanji in one word: the place read, the name written.
    assert_eq!(first(&index, "みなとく赤井"), "1311299982");
    // Long vowels any way, kunrei, the town's suffix said either way.
    for q in ["すぎなみく やじま", "suginamiku yajima", "suginami yazima", "ｽｷﾞﾅﾐ ﾔｼﾞﾏ"]
    {
        assert_eq!(first(&index, q), "1331234568", "{q}");
    }
    for q in ["adachi-ku sanae", "あだちく さなえ", "足立 さなえ", "sanae adachi"] {
        assert_eq!(first(&index, q), "1341234563", "{q}");
    }
}

#[test]
fn a_place_naming_several_narrows_to_all_of_them() {
    let index = InstitutionIndex::build(&sample());
    // 府中: 東京都府中市 and 広島県府中市 (and 府中町, which holds nothing here).
    for q in ["ふちゅう あかい", "fuchuu akai", "fuchu akai", "府中 あかい"] {
        let mut found = codes(&index, q, 5);
        found.sort();
        assert_eq!(found, ["1311299990", "3411234561"], "{q}");
    }
    // 中央区: every 中央区 of the country (here 札幌市's and 大阪市's).
    let mut found = codes(&index, "ちゅうおうく はやし", 5);
    found.sort();
    assert_eq!(found, ["0111200013", "2711200013"]);
    // さっぽろ: every ward of the city.
    let mut found = codes(&index, "さっぽろ はやし", 5);
    found.sort();
    assert_eq!(found, ["0111200013", "0111200021"]);
    assert_eq!(codes(&index, "さっぽろ ちゅうおう はやし", 5), ["0111200013"]);
}

#[test]
fn a_word_that_is_a_place_and_a_name_keeps_both() {
    let index = InstitutionIndex::build(&sample());
    // たかはし: 高梁市 (岡山県), and 高橋医院 of 港区.
    for q in ["たかはし いいん", "takahashi iinn", "タカハシ イイン"] {
        let found = codes(&index, q, 5);
        assert!(found.contains(&"3311234560".to_string()), "{q}: {found:?}");
        assert!(found.contains(&"1311200013".to_string()), "{q}: {found:?}");
    }
    // The name run together is still found first, as typed.
    assert_eq!(first(&index, "たかはしいいん"), "1311200013");
    // みたか がんか: the 眼科 of 三鷹市, and 三鷹眼科医院 (in 武蔵野市), both.
    let found = codes(&index, "みたか がんか", 5);
    assert!(
        found.contains(&"1311200039".to_string()) && found.contains(&"1311200021".to_string()),
        "{found:?}"
    );
}

#[test]
fn a_place_with_nothing_there_is_ignored_and_names_are_untouched() {
    let index = InstitutionIndex::build(&sample());
    let mut found = codes(&index, "さかた やじま", 5);
    found.sort();
    assert_eq!(found, ["1331234568", "1331234576"]);
    // No place in the query: the same answers as before place words.
    let mut found = codes(&index, "やじま", 5);
    found.sort();
    assert_eq!(found, ["1331234568", "1331234576"]);
    assert_eq!(first(&index, "にほんかいそうごう"), "0611234567");
    // A place word alone is a name query.
    assert!(codes(&index, "みたか", 5).contains(&"1311200021".to_string()));
}

#[test]
fn narrowing_while_typing_a_place_and_a_name_matches_a_fresh_search() {
    let index = InstitutionIndex::build(&sample());
    for q in ["mitaka akai", "みたかのあかい", "sakata nihonkai"] {
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            let prefix: String = chars[..n].iter().collect();
            let typed = codes(&index, &prefix, 5);
            index.forget_recent();
            assert_eq!(typed, codes(&index, &prefix, 5), "{prefix}");
        }
    }
}
