#!/usr/bin/env python3
"""Rebuilds data/reading/onyomi.tsv, the kanji -> on'yomi table behind reading.rs's fallback.

Sources (permissive, nothing downloaded at build or run time of madoguchi):
  * Unicode's Unihan database (Unicode 15.0.0, Unicode License v3; see
    data/reading/LICENSE-unicode.txt), as Debian ships it: `apt-get install unicode-data` puts
    Unihan_Readings.txt.bz2 (field kJapaneseOn) and Unihan_OtherMappings.txt.bz2 (kJis0,
    kJoyoKanji, kJinmeiyoKanji) in /usr/share/unicode.
  * Optional, for the order of a kanji's readings: IPAdic (mecab-ipadic 2.7.0, the source of
    table.tsv; `apt-get install mecab-ipadic`). Unihan lists a kanji's on'yomi in no particular
    order (大 TAI DAI, 行 KOU GYOU); each reading is ranked by how many two-kanji IPAdic words
    (common nouns, organisations) it spells together with an on'yomi of the other kanji.

What is kept: kanji of JIS X 0208 (levels 1 and 2), joyo or jinmeiyo kanji that have an
on'yomi; at most MAX_READINGS readings each, in katakana, best first. Unihan's romanisation
(Hepburn, long vowels as OU/UU) is turned into katakana; its few SHY/CHY spellings are read
as SH/CH.

The script also prints how often the best on'yomi of both kanji, joined with and without the
usual sound change (a small ッ for a final ツ/チ before k/s/t/h, ク before k), spell a two-kanji
IPAdic word: the measurement behind reading.rs's `join_on`.

It also writes data/reading/given_names.txt: the two- and three-kanji words IPAdic knows only as
given names (人名,名: 成仁 シゲヒト) and that table.tsv reads by that name, not by on'yomi, kanji
that all have an on'yomi. Before 病院, 医院, 診療所 or クリニック such a word is more likely a sino-Japanese
word (成仁病院 セイジン) than a person's name, and reading.rs adds its on'yomi reading then.

Usage: python3 scripts/build_onyomi_table.py [--unihan DIR] [--ipadic DIR] [--table FILE] [--out FILE] [--names FILE]
"""
import argparse
import bz2
import collections
import csv
import os
import sys
import unicodedata
import zipfile

MAX_READINGS = 3
RANK_FILES = ["Noun.csv", "Noun.verbal.csv", "Noun.adjv.csv", "Noun.adverbal.csv", "Noun.org.csv"]
# The IPAdic files build_reading_table.py reads (a word in any of them as something other than a
# given name is not "only a given name").
TABLE_FILES = [
    "Noun.csv", "Noun.name.csv", "Noun.place.csv", "Noun.verbal.csv",
    "Noun.adjv.csv", "Noun.adverbal.csv", "Noun.number.csv", "Noun.others.csv", "Noun.proper.csv",
    "Suffix.csv", "Prefix.csv",
]

KANA = {
    "A": "ア", "I": "イ", "U": "ウ", "E": "エ", "O": "オ",
    "KA": "カ", "KI": "キ", "KU": "ク", "KE": "ケ", "KO": "コ",
    "GA": "ガ", "GI": "ギ", "GU": "グ", "GE": "ゲ", "GO": "ゴ",
    "SA": "サ", "SHI": "シ", "SU": "ス", "SE": "セ", "SO": "ソ",
    "ZA": "ザ", "JI": "ジ", "ZU": "ズ", "ZE": "ゼ", "ZO": "ゾ",
    "TA": "タ", "CHI": "チ", "TSU": "ツ", "TE": "テ", "TO": "ト",
    "DA": "ダ", "DI": "ヂ", "DU": "ヅ", "DE": "デ", "DO": "ド",
    "NA": "ナ", "NI": "ニ", "NU": "ヌ", "NE": "ネ", "NO": "ノ",
    "HA": "ハ", "HI": "ヒ", "FU": "フ", "HU": "フ", "HE": "ヘ", "HO": "ホ",
    "BA": "バ", "BI": "ビ", "BU": "ブ", "BE": "ベ", "BO": "ボ",
    "PA": "パ", "PI": "ピ", "PU": "プ", "PE": "ペ", "PO": "ポ",
    "MA": "マ", "MI": "ミ", "MU": "ム", "ME": "メ", "MO": "モ",
    "YA": "ヤ", "YU": "ユ", "YO": "ヨ",
    "RA": "ラ", "RI": "リ", "RU": "ル", "RE": "レ", "RO": "ロ",
    "WA": "ワ", "WI": "ヰ", "WE": "ヱ", "WO": "ヲ",
    "N": "ン",
}
for cons, base in (("K", "キ"), ("G", "ギ"), ("SH", "シ"), ("J", "ジ"), ("CH", "チ"), ("N", "ニ"),
                   ("H", "ヒ"), ("B", "ビ"), ("P", "ピ"), ("M", "ミ"), ("R", "リ")):
    for v, small in (("A", "ャ"), ("U", "ュ"), ("O", "ョ")):
        KANA[(cons if cons in ("SH", "J", "CH") else cons + "Y") + v] = base + small
    if cons in ("SH", "J", "CH"):
        KANA[cons + "E"] = base + "ェ"


def to_katakana(romaji):
    """Unihan's on'yomi romanisation (e.g. KYOU, SHOU, JIN) as katakana; None if it does not parse."""
    s = romaji.upper().replace("SHY", "SH").replace("CHY", "CH")
    out = []
    i = 0
    while i < len(s):
        for n in (3, 2, 1):
            part = s[i:i + n]
            if part == "N" and i + 1 < len(s) and s[i + 1] in "AIUEOY":
                continue  # N before a vowel starts a syllable (NA, NYO), not ン
            if part in KANA:
                out.append(KANA[part])
                i += n
                break
        else:
            return None
    return "".join(out)


def open_unihan(unihan, name):
    """Lines of Unihan_<name>.txt from DIR (plain, .bz2) or from DIR/Unihan.zip."""
    plain = os.path.join(unihan, name)
    if os.path.exists(plain):
        return open(plain, encoding="utf-8").read().splitlines()
    if os.path.exists(plain + ".bz2"):
        return bz2.open(plain + ".bz2", "rt", encoding="utf-8").read().splitlines()
    with zipfile.ZipFile(os.path.join(unihan, "Unihan.zip")) as z:
        return z.read(name).decode("utf-8").splitlines()


def fields(lines, wanted):
    out = collections.defaultdict(dict)
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        cp, field, value = line.split("\t", 2)
        if field in wanted:
            out[chr(int(cp[2:], 16))][field] = value
    return out


def geminated(reading):
    """The reading's form before a k/s/t/h-initial reading (一 イチ → イッ), or None."""
    if reading[-1:] in ("ツ", "チ", "ク", "キ"):
        return reading[:-1] + "ッ"
    return None


def join(first, second, sound_change):
    """Two on'yomi as one word, with or without the usual gemination (学 ガク + 校 → ガッコウ)."""
    if sound_change and len(first) > 1:
        g = geminated(first)
        row = "カキクケコサシスセソタチツテトハヒフヘホ"
        if g and second[:1] in row:
            if first[-1] in "ツチ":
                if second[0] in "ハヒフヘホ":
                    return g + chr(ord(second[0]) + 2) + second[1:]  # ハ → パ
                return g + second
            if second[0] in "カキクケコ":
                return g + second
    return first + second


def ipadic_two_kanji_words(ipadic):
    """(surface, reading) of IPAdic's two-kanji words in the files used for ranking."""
    words = {}
    for f in RANK_FILES:
        path = os.path.join(ipadic, f)
        if not os.path.exists(path):
            continue
        with open(path, encoding="euc_jp", errors="replace") as fh:
            for row in csv.reader(fh):
                if len(row) < 12:
                    continue
                surface = unicodedata.normalize("NFKC", row[0])
                reading = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in row[11])
                if len(surface) == 2 and all("\u4e00" <= c <= "\u9fff" for c in surface):
                    words.setdefault(surface, set()).add(reading)
    return words


def is_sino_reading(surface, reading, on):
    """Whether some choice of on'yomi, joined with or without the sound change, spells `reading`."""
    spelled = {""}
    for c in surface:
        spelled = {p + r for p in spelled for r in on[c]} | {join(p, r, True) for p in spelled if p for r in on[c]}
    return reading in spelled


def given_name_words(ipadic, table_path, on):
    """Two- and three-kanji words IPAdic has only as given names, read so by table.tsv."""
    kinds, given = {}, {}
    for f in TABLE_FILES:
        with open(os.path.join(ipadic, f), encoding="euc_jp", errors="replace") as fh:
            for row in csv.reader(fh):
                if len(row) < 12:
                    continue
                surface = unicodedata.normalize("NFKC", row[0])
                is_given = row[6] == "人名" and row[7] == "名"
                kinds.setdefault(surface, set()).add(is_given)
                if is_given:
                    given.setdefault(surface, set()).add("".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in row[11]))
    table = {}
    with open(table_path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#") and "\t" in line:
                w, r = line.rstrip("\n").split("\t", 1)
                table[w] = r.split(",")[0]
    out = []
    for surface, ks in kinds.items():
        if ks != {True} or not 2 <= len(surface) <= 3 or not all(c in on for c in surface):
            continue
        reading = table.get(surface)
        if reading in given.get(surface, ()) and not is_sino_reading(surface, reading, on):
            out.append(surface)
    return sorted(out)


def main():
    here = os.path.dirname(__file__)
    ap = argparse.ArgumentParser()
    ap.add_argument("--unihan", default="/usr/share/unicode")
    ap.add_argument("--ipadic", default="/usr/share/mecab/dic/ipadic")
    ap.add_argument("--table", default=os.path.join(here, "..", "data", "reading", "table.tsv"))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "reading", "onyomi.tsv"))
    ap.add_argument("--names", default=os.path.join(here, "..", "data", "reading", "given_names.txt"))
    a = ap.parse_args()

    readings = fields(open_unihan(a.unihan, "Unihan_Readings.txt"), {"kJapaneseOn"})
    sets = fields(open_unihan(a.unihan, "Unihan_OtherMappings.txt"), {"kJis0", "kJoyoKanji", "kJinmeiyoKanji"})
    on = {}
    unparsed = 0
    for kanji, f in readings.items():
        if kanji not in sets:
            continue
        kana = []
        for r in f["kJapaneseOn"].split():
            k = to_katakana(r)
            if k is None:
                unparsed += 1
            elif k not in kana:
                kana.append(k)
        if kana:
            on[kanji] = kana

    words = ipadic_two_kanji_words(a.ipadic) if os.path.isdir(a.ipadic) else {}
    score = collections.Counter()
    for surface, rs in words.items():
        x, y = surface
        for rx in on.get(x, []):
            for ry in on.get(y, []):
                if any(join(rx, ry, s) in rs for s in (False, True)):
                    score[(x, rx)] += 1
                    score[(y, ry)] += 1
    for kanji, kana in on.items():
        # Stable: readings no word shows keep Unihan's order.
        kana.sort(key=lambda r: -score[(kanji, r)])
        del kana[MAX_READINGS:]

    if words:
        both = [(s, rs) for s, rs in words.items() if all(c in on for c in s)]
        for sc in (False, True):
            hit = sum(1 for s, rs in both if join(on[s[0]][0], on[s[1]][0], sc) in rs)
            print(f"best on'yomi joined {'with' if sc else 'without'} sound change: {hit}/{len(both)} two-kanji IPAdic words "
                  f"({hit / max(1, len(both)):.3f})", file=sys.stderr)

    with open(a.out, "w", encoding="utf-8", newline="\n") as out:
        out.write("# kanji\ton'yomi (katakana, best first). Built by scripts/build_onyomi_table.py from Unihan kJapaneseOn "
                  "(Unicode 15.0.0, see LICENSE-unicode.txt; modified: filtered, converted to katakana"
                  + (", reordered by IPAdic word counts" if words else "") + ").\n")
        for kanji in sorted(on):
            out.write(kanji + "\t" + ",".join(on[kanji]) + "\n")
    print(f"{len(on)} kanji ({unparsed} readings not parsed) -> {a.out} ({os.path.getsize(a.out)} bytes)", file=sys.stderr)

    if words:
        names = given_name_words(a.ipadic, a.table, on)
        with open(a.names, "w", encoding="utf-8", newline="\n") as out:
            out.write("# Words IPAdic (see LICENSE-ipadic.txt) has only as given names and table.tsv reads so. "
                      "Built by scripts/build_onyomi_table.py.\n")
            for w in names:
                out.write(w + "\n")
        print(f"{len(names)} given-name words -> {a.names} ({os.path.getsize(a.names)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
