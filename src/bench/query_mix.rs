//! The fresh-query mix: what operators and scripts really send, each query different from the
//! last (a repeated query would only measure the narrowing cache): halves of names, reading
//! prefixes in hiragana, romaji prefixes, code prefixes, the last four digits of a phone, a
//! city followed by a reading. `bench search` draws it from the demo data in process,
//! `bench load` from the server's own answers over HTTP.

use crate::search::normalize::katakana_to_hiragana;
use crate::search::romaji;

/// What one institution gives the mix.
#[derive(Debug, Clone)]
pub struct MixSource {
    pub name: String,
    pub name_kana: Option<String>,
    pub code: String,
    pub city: String,
    pub phone: Option<String>,
}

/// The query classes, in the order they are dealt.
pub const CLASSES: [&str; 6] = ["name half", "kana", "romaji", "code", "phone 4", "city+kana"];

/// Up to `per_class` queries of every class, dealt round-robin (class, query), no query twice.
/// Lengths vary with the position so that prefixes are not all the same length.
pub fn build(sources: &[MixSource], per_class: usize) -> Vec<(&'static str, String)> {
    let mut per: Vec<Vec<String>> = vec![Vec::new(); CLASSES.len()];
    let mut seen = std::collections::HashSet::new();
    for (i, s) in sources.iter().enumerate() {
        for (class, list) in per.iter_mut().enumerate() {
            if list.len() >= per_class {
                continue;
            }
            if let Some(q) = query(class, i, s)
                && seen.insert(q.clone())
            {
                list.push(q);
            }
        }
        if per.iter().all(|l| l.len() >= per_class) {
            break;
        }
    }
    let longest = per.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::new();
    for n in 0..longest {
        for (class, list) in per.iter().enumerate() {
            if let Some(q) = list.get(n) {
                out.push((CLASSES[class], q.clone()));
            }
        }
    }
    out
}

fn query(class: usize, i: usize, s: &MixSource) -> Option<String> {
    let hiragana = || -> Option<String> {
        s.name_kana
            .as_ref()
            .map(|k| k.chars().map(katakana_to_hiragana).filter(|c| !c.is_whitespace()).collect())
    };
    let take = |text: &str, n: usize| -> String { text.chars().take(n).collect() };
    let q = match class {
        0 => {
            let facility = s.name.split_whitespace().last().unwrap_or(&s.name);
            let n = facility.chars().count();
            take(facility, n.div_ceil(2).max(2))
        }
        1 => take(&hiragana()?, 3 + i % 3),
        2 => take(&romaji::to_romaji(s.name_kana.as_deref()?), 4 + i % 5),
        3 => take(&s.code, 5 + i % 3),
        4 => {
            let digits: String = s.phone.as_deref()?.chars().filter(char::is_ascii_digit).collect();
            digits.get(digits.len().checked_sub(4)?..)?.to_string()
        }
        _ => {
            if s.city.is_empty() {
                return None;
            }
            format!("{} {}", s.city, take(&hiragana()?, 2 + i % 2))
        }
    };
    (!q.trim().is_empty()).then_some(q)
}

/// CPU time this thread has used, in nanoseconds (0 where the clock is not available): a
/// measure a busy machine's preemption does not inflate.
pub fn thread_cpu_ns() -> u64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec into the valid pointer it is given.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64);
        }
    }
    0
}

/// The resident memory of process `pid` (`/proc/PID/status` VmRSS) in bytes, on Linux.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(i: usize) -> MixSource {
        MixSource {
            name: format!("医療法人社団 青空会 さくら{i}内科クリニック"),
            name_kana: Some(format!("サクラ{i}ナイカクリニック")),
            code: format!("{:010}", (i as u64 + 1) * 1_234_567_891 % 10_000_000_000),
            city: ["三鷹市", "府中市", "酒田市", "港区", "杉並区", "足立区"][i % 6].to_string(),
            phone: Some(format!("0422-40-{:04}", i % 10_000)),
        }
    }

    #[test]
    fn every_class_is_dealt_and_no_query_repeats() {
        let sources: Vec<MixSource> = (0..50).map(source).collect();
        let mix = build(&sources, 10);
        for class in CLASSES {
            assert!(mix.iter().filter(|(c, _)| *c == class).count() >= 5, "{class}: {mix:?}");
        }
        let mut queries: Vec<&String> = mix.iter().map(|(_, q)| q).collect();
        let n = queries.len();
        queries.sort();
        queries.dedup();
        assert_eq!(queries.len(), n);
        assert!(mix.iter().any(|(c, q)| *c == "phone 4" && q.len() == 4));
        assert!(mix.iter().any(|(c, q)| *c == "city+kana" && q.starts_with("三鷹市 さ")));
        assert!(mix.iter().any(|(c, q)| *c == "name half" && q.starts_with("さくら")));
    }

    #[test]
    fn rss_of_this_process_is_read() {
        assert!(rss_bytes(std::process::id()).unwrap_or(1) > 0);
        let a = thread_cpu_ns();
        let mut x = 0u64;
        for i in 0..100_000u64 {
            x = x.wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(x);
        assert!(thread_cpu_ns() >= a);
    }
}
