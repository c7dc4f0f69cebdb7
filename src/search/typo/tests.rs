//! Tests of the typo step: each algorithm on small postings, the limits, the slips the
//! relevance set found.

use super::anywhere::{romaji_stems, starts_within_one};
use super::near_break::{
    common_prefix, join_key, last_true, n_places, n_readings, n_spellings, row_mates, window_mends,
};
use super::*;
use crate::search::normalize::fold;

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

#[test]
fn one_edit_from_a_prefix() {
    let key = chars("たなべいん");
    assert!(starts_within_one(&chars("たなべ"), &key));
    assert!(starts_within_one(&chars("たべい"), &key), "drop");
    assert!(starts_within_one(&chars("なたべ"), &key), "swap");
    assert!(starts_within_one(&chars("たねべ"), &key), "wrong kana");
    assert!(starts_within_one(&chars("たななべ"), &key), "one too many");
    assert!(!starts_within_one(&chars("たねび"), &key), "two edits");
    assert!(!starts_within_one(&chars("やまだ"), &key));
    assert!(starts_within_one(&chars("たなべいんx"), &key), "last one extra");
}

#[test]
fn romaji_slips_are_mended() {
    for slip in ["tnabe", "tanbe", "tnaabe", "tanebe", "taanabe"] {
        let stems = romaji_stems(slip, None);
        assert!(stems.contains(&"たなべ".to_string()), "{slip}: {stems:?}");
    }
    assert!(romaji_stems("ab", None).is_empty());
    // The query as typed is not a mended reading.
    assert!(!romaji_stems("tanabe", Some("たなべ")).contains(&"たなべ".to_string()));
    // Hepburn without the apostrophe, alone and with a slip.
    assert!(romaji_stems("shinichi", Some("しにち")).contains(&"しんいち".to_string()));
    assert!(romaji_stems("shinicih", Some("しにち")).contains(&"しんいち".to_string()));
}

/// Postings of start grams and kana pairs over `keys` (alternatives separated by `\u{1}`).
fn index_of(keys: &[&str]) -> Postings {
    let mut grams = Postings::default();
    for (doc, k) in keys.iter().enumerate() {
        for alt in k.split('\u{1}') {
            let cs: Vec<char> = alt.chars().collect();
            if let Some(&c) = cs.first() {
                grams.add(start_gram(c), doc as u32);
            }
            for w in cs.windows(2) {
                grams.add(bigram(w[0], w[1]), doc as u32);
            }
        }
    }
    grams.freeze();
    grams
}

/// The keys as the index holds them (alternatives split by `\u{1}`, in the kana code).
fn coded(keys: &[&str]) -> Vec<Vec<u8>> {
    keys.iter()
        .map(|k| {
            let alts: Vec<Vec<u8>> = k.split('\u{1}').map(kana_code::key).collect();
            alts.join(&1u8)
        })
        .collect()
}

#[test]
fn finds_through_postings_within_bounds() {
    let keys = ["たなべいん", "やまだびよいん", "たなかいん\u{1}いりようほうじん"];
    let grams = index_of(&keys);
    let coded = coded(&keys);
    let key = |d: u32| coded[d as usize].as_slice();
    assert_eq!(matches("たなべいn", &grams, &key, 1), Vec::<u32>::new(), "not all kana, not romaji");
    assert_eq!(matches("たべいん", &grams, &key, 1), vec![0]);
    assert_eq!(matches("やまびよいん", &grams, &key, 1), vec![1]);
    assert_eq!(matches("tnabeiin", &grams, &key, 1), vec![0]);
    assert_eq!(matches("yamdabyouin", &grams, &key, 1), vec![1]);
    assert!(matches("", &grams, &key, 1).is_empty());
    assert!(matches("病院", &grams, &key, 1).is_empty());
}

/// Readings longer than [`MAX_QUERY`] are mended near the break, in romaji and kana, with
/// Hepburn's open `n` read both ways.
#[test]
fn long_readings_are_mended_near_the_break() {
    let long = |s: &str| reading_key(s);
    let keys: Vec<String> = [
        "いりょうほうじんしゃだんあおばかいちよだのうしんけいげかびょういん",
        "いりょうほうじんしゃだんあおばかいちよだそうごうびょういん",
        "いっぱんざいだんほうじんしょうじんなかじまちゅうおうびょういん",
        "いっぱんざいだんほうじんせいざんにっぱちょうそうごうびょういん",
        "こうほくびょういん",
    ]
    .iter()
    .map(|k| long(k))
    .collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let grams = index_of(&refs);
    let coded = coded(&refs);
    let key = |d: u32| coded[d as usize].as_slice();
    let found = |q: &str| matches(q, &grams, &key, 1);
    // A letter dropped, a swap, a wrong vowel; early, in the middle, at the end.
    assert_eq!(found("iryouhoujnshadanaobakaichiyodanoushinkeigekabyouin"), vec![0]);
    assert_eq!(found("riyouhoujinshadanaobakaichiyodanoushinkeigekabyouin"), vec![0]);
    assert_eq!(found("iryouhoujinshadanaobakaichiyodasougoubyuoin"), vec![1]);
    assert_eq!(found("iryouhoujinshadanaobakaichiyodasougoubyouen"), vec![1]);
    // ん before な, written `nn` as Hepburn writes it, before and after the slip.
    assert_eq!(found("ippanzaidanhoujnshoujinnakajimachuuoubyouin"), vec![2]);
    assert_eq!(found("ippanzaidanhoujinseizannippachouougoubyouin"), vec![3]);
    // Kana: a swap meeting a long vowel, a wrong vowel, in a long reading.
    assert_eq!(found("こうほくょびういん"), vec![4]);
    assert_eq!(found("いりょうほうじんしゃだんあおばかいちよだのうしんけいげかびょうえん"), vec![0]);
    assert_eq!(found("いりょうほうじんしゃだんあおばかいちよだのしうんけいげかびょういん"), vec![0]);
    // Two slips are not one.
    assert!(found("iryouhoujnshadanaobakaichiyodanoushinkeigekabyouen").is_empty());
}

#[test]
fn mending_pieces() {
    assert_eq!(join_key("たかは", "し"), "たかはし");
    assert_eq!(join_key("ちゆ", "うおう"), "ちゆお", "long vowels collapse against the key");
    assert_eq!(join_key("", "こうほく"), "こほく");
    let romaji = chars("tanabe");
    assert!(Script::Romaji.cut_at(&romaji, 2) && !Script::Romaji.cut_at(&romaji, 3));
    assert!(!Script::Romaji.cut_at(&chars("ohno"), 2), "oh leans back");
    assert!(!Script::Kana.cut_at(&chars("びょう"), 1) && Script::Kana.cut_at(&chars("びょう"), 2));
    assert_eq!(row_mates('か').collect::<String>(), "きくけこ");
    assert_eq!(row_mates('ゆ').collect::<String>(), "やよ");
    assert_eq!(row_mates('ん').count(), 0);
    let mends: Vec<String> =
        window_mends(Script::Romaji, &chars("tnabe"), 1, 1).iter().map(|m| m.iter().collect()).collect();
    assert!(mends.contains(&"tanabe".to_string()), "a letter put back");
    assert!(mends.contains(&"tanbe".to_string()) && mends.contains(&"tabe".to_string()));
    assert!(!mends.iter().any(|m| m == "tnabi"), "a vowel outside the window");
    let kana: Vec<String> =
        window_mends(Script::Kana, &chars("たねべ"), 1, 1).iter().map(|m| m.iter().collect()).collect();
    assert!(kana.contains(&"たなべ".to_string()) && kana.contains(&"たべね".to_string()));
    assert!(!kana.iter().any(|m| m.chars().count() > 3), "no kana put back");
}

#[test]
fn search_helpers() {
    assert_eq!(last_true(0, 10, |n| n <= 7), 7);
    assert_eq!(last_true(0, 10, |_| true), 10);
    assert_eq!(last_true(0, 10, |n| n == 0), 0);
    let k = kana_code::key;
    assert_eq!(common_prefix(&k("たなべ"), &k("たなか")), 2);
    assert_eq!(common_prefix(&k("たか"), &k("たが")), 1);
    assert_eq!(common_prefix(b"", &k("た")), 0);
}

#[test]
fn open_n_read_both_ways() {
    let s = |v: Vec<Vec<char>>| v.into_iter().map(|c| c.into_iter().collect::<String>()).collect::<Vec<_>>();
    assert_eq!(n_places(&chars("shinichi")), vec![(3, 4)]);
    assert_eq!(n_places(&chars("sannomiya")), vec![(2, 4)]);
    assert!(n_places(&chars("kanda")).is_empty() && n_places(&chars("nara")).is_empty());
    assert_eq!(n_readings(&chars("shinichi"), 0, 8)[0].1.iter().collect::<String>(), "shinnichi");
    assert!(n_readings(&chars("shinichi"), 4, 8).is_empty(), "outside the range");
    let both = s(n_spellings(&chars("kinenin"), &n_places(&chars("kinenin"))));
    assert_eq!(both, ["kinenin", "kinnenin", "kinennin", "kinnennin"]);
}

proptest::proptest! {
    #[test]
    fn never_panics(q in "\\PC{0,24}") {
        let grams = {
            let mut g = Postings::default();
            g.freeze();
            g
        };
        let key = |_d: u32| b"".as_slice();
        let _ = matches(&fold(&q), &grams, &key, 1);
        let _ = romaji_stems(&fold(&q), None);
    }

    #[test]
    fn long_queries_never_panic(q in "[a-z'\\-]{0,200}|[ぁ-ゖー]{0,200}") {
        let keys = ["たなべいん", "いりようほじんしやだんやまだびよいん", "しんいち"];
        let grams = index_of(&keys);
        let coded = coded(&keys);
        let key = |d: u32| coded[d as usize].as_slice();
        let found = matches(&q, &grams, &key, 1);
        proptest::prop_assert!(found.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn the_likelier_slip_is_closer() {
    let close = |q: &str, k: &str| closeness(&chars(q), &chars(k));
    // A kana put back (the caller's kana not heard) above one changed for an unrelated kana.
    let dropped = close("ふくまがんかいん", "ふくしまがんかいん");
    assert!(dropped > close("ふくまがんかいん", "ふくだがんかいん"));
    // The whole reading above a longer one the mended query only starts.
    assert!(dropped > close("ふくまがんかいん", "ふくしまがんかいんぶんいん"));
    assert!(is_whole(dropped) && !is_whole(close("ふくまがんかいん", "ふくしまがんかいんぶんいん")));
    // A kana changed within its row or voicing above an unrelated one.
    assert!(close("たねべ", "たなべ") > close("たけべ", "たなべ"));
    assert!(close("たかだ", "たがだ") > close("たまだ", "たがだ"));
    // A kana put back that the vowel typed after it lengthens: にしもいいん (key にしもいん)
    // for にしもりいいん (key にしもりん).
    assert_eq!(close("にしもいん", "にしもりん"), dropped);
    // A wrong vowel whose kana had swallowed the い after it: あきいくりにっく (key
    // あきくりにつく) for あかいくりにっく.
    assert!(is_whole(close("あきくりにつく", "あかいくりにつく")));
    // Two slips, or none of these: not close.
    assert_eq!(close("たねび", "たなべいん"), 0);
    assert_eq!(close("やまだ", "たなべ"), 0);
}
