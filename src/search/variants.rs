//! Variant kanji (異体字) folding: 嶋 and 島 are the same name to a caller on the phone.
//!
//! Every pair maps a variant to the form most often used today; keys and queries are both
//! folded, so a query in either form finds a name written in either form.
//!
//! Sources: the old forms (旧字体 / 康熙字典体) printed in brackets beside their current forms in
//! the 常用漢字表 (Agency for Cultural Affairs, 2010 notice, 付表 "括弧内の字体"), the 人名用漢字
//! 別表第二 (Ministry of Justice, 戸籍法施行規則) variant pairs, and the surname variants most
//! often met in registration data (髙, 﨑, 嶋, 邉, 齋 ...) as listed in JIS X 0213:2004's
//! 包摂規準 notes. A few pairs are not strict variants but are written interchangeably in
//! surnames (斉/斎, 龍/竜, 渕/淵) and callers cannot tell them apart by ear.

/// (variant, folded form). Keep sorted by the folded form for reading; lookup is by `fold_char`.
pub const VARIANT_PAIRS: &[(char, char)] = &[
    ('亞', '亜'),
    ('惡', '悪'),
    ('壓', '圧'),
    ('圍', '囲'),
    ('醫', '医'),
    ('榮', '栄'),
    ('衞', '衛'),
    ('驛', '駅'),
    ('圓', '円'),
    ('鹽', '塩'),
    ('應', '応'),
    ('櫻', '桜'),
    ('假', '仮'),
    ('會', '会'),
    ('繪', '絵'),
    ('擴', '拡'),
    ('學', '学'),
    ('嶽', '岳'),
    ('樂', '楽'),
    ('氣', '気'),
    ('舊', '旧'),
    ('擧', '挙'),
    ('曉', '暁'),
    ('區', '区'),
    ('徑', '径'),
    ('經', '経'),
    ('螢', '蛍'),
    ('縣', '県'),
    ('廣', '広'),
    ('黃', '黄'),
    ('國', '国'),
    ('黑', '黒'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('碕', '崎'),
    ('實', '実'),
    ('寫', '写'),
    ('壽', '寿'),
    ('將', '将'),
    ('條', '条'),
    ('乘', '乗'),
    ('讓', '譲'),
    ('眞', '真'),
    ('愼', '慎'),
    ('靜', '静'),
    ('齊', '斎'),
    ('齋', '斎'),
    ('斉', '斎'),
    ('淺', '浅'),
    ('澁', '渋'),
    ('瀨', '瀬'),
    ('莊', '荘'),
    ('藏', '蔵'),
    ('增', '増'),
    ('曾', '曽'),
    ('澤', '沢'),
    ('瀧', '滝'),
    ('團', '団'),
    ('髙', '高'),
    ('晝', '昼'),
    ('廳', '庁'),
    ('鐵', '鉄'),
    ('傳', '伝'),
    ('燈', '灯'),
    ('當', '当'),
    ('德', '徳'),
    ('讀', '読'),
    ('冨', '富'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('濱', '浜'),
    ('濵', '浜'),
    ('拂', '払'),
    ('佛', '仏'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('寶', '宝'),
    ('豐', '豊'),
    ('萬', '万'),
    ('彌', '弥'),
    ('藥', '薬'),
    ('與', '与'),
    ('遙', '遥'),
    ('來', '来'),
    ('賴', '頼'),
    ('龍', '竜'),
    ('兩', '両'),
    ('禮', '礼'),
    ('齒', '歯'),
    ('關', '関'),
    ('惠', '恵'),
    ('藪', '薮'),
    ('籔', '薮'),
    ('槇', '槙'),
    ('檜', '桧'),
    ('峯', '峰'),
    ('舘', '館'),
    ('栁', '柳'),
    ('桒', '桑'),
    ('渕', '淵'),
    ('邨', '村'),
    ('聰', '聡'),
    ('晉', '晋'),
    ('圖', '図'),
    ('辯', '弁'),
    ('瓣', '弁'),
    ('辨', '弁'),
    ('發', '発'),
    ('纖', '繊'),
    ('莖', '茎'),
    ('鷗', '鴎'),
    ('蘆', '芦'),
    ('凜', '凛'),
    ('驒', '騨'),
    ('冰', '氷'),
];

/// The folded form of one character (itself when it has no variant).
pub fn fold_char(c: char) -> char {
    // Only CJK ideographs can have a variant; they are looked up in a sorted copy built once.
    if !('\u{3400}'..='\u{FAFF}').contains(&c) {
        return c;
    }
    match sorted().binary_search_by_key(&c, |&(v, _)| v) {
        Ok(i) => sorted()[i].1,
        Err(_) => c,
    }
}

fn sorted() -> &'static [(char, char)] {
    static SORTED: std::sync::OnceLock<Vec<(char, char)>> = std::sync::OnceLock::new();
    SORTED.get_or_init(|| {
        let mut v: Vec<(char, char)> = VARIANT_PAIRS.iter().copied().filter(|(a, b)| a != b).collect();
        v.sort_unstable();
        v.dedup_by_key(|p| p.0);
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_at_least_sixty_real_pairs_and_no_chains() {
        let pairs: Vec<_> = VARIANT_PAIRS.iter().filter(|(a, b)| a != b).collect();
        assert!(pairs.len() >= 60, "only {} pairs", pairs.len());
        for (v, f) in &pairs {
            // A folded form must not itself be folded again (fold is idempotent).
            assert_eq!(fold_char(*f), *f, "{v} → {f} chains");
        }
    }

    #[test]
    fn folds_the_issue_examples() {
        for (v, f) in [('嶋', '島'), ('﨑', '崎'), ('髙', '高'), ('邊', '辺'), ('邉', '辺'), ('齋', '斎')]
        {
            assert_eq!(fold_char(v), f);
        }
        for (v, f) in [('齊', '斎'), ('澤', '沢'), ('濱', '浜'), ('廣', '広'), ('國', '国'), ('櫻', '桜')]
        {
            assert_eq!(fold_char(v), f);
        }
        for (v, f) in [('藪', '薮'), ('曾', '曽')] {
            assert_eq!(fold_char(v), f);
        }
        assert_eq!(fold_char('島'), '島');
        assert_eq!(fold_char('a'), 'a');
    }
}
