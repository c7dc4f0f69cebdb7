#!/usr/bin/env python3
"""Builds the FAQ's meaning data and its public measuring sets (issue 24, item 5).

Run once by a developer; the outputs are committed and nothing is downloaded at build or run
time. Inputs (public repositories' files, paths given on the command line):

  SYNONYMS  SudachiDict's src/main/text/synonyms.txt (Apache-2.0, WorksApplications/SudachiDict)
  JGLUE     the JGLUE repository's datasets/ folder (CC BY-SA 4.0, yahoojapan/JGLUE)

Outputs:
  data/faq/synonyms.tsv        one synonym group per line, its words tab-separated
  benches/faq/jsts.{jsonl,tsv} JSTS sentence pairs judged paraphrases (label >= 4): the second
                               sentence is an entry, the first the question that should find it
  benches/faq/jsquad.{jsonl,tsv} JSQuAD: each paragraph an entry, each question asked of it
"""
import csv, json, sys, zlib
from pathlib import Path

def is_hira(s):
    return all('\u3041' <= c <= '\u309f' or c == 'ー' for c in s)

def synonyms(src, out):
    groups = {}
    for row in csv.reader(open(src, encoding='utf-8')):
        if len(row) < 9:
            continue
        group, expand, word = row[0], row[2] or '0', row[8].strip()
        # 2: deleted. 1: never a trigger (marked `~`: an entry's word still meets a question's
        # trigger word of its group, never the other way). A word must say something alone:
        # two characters at least, three when all hiragana (short kana hide inside longer words).
        if expand == '2' or len(word) < 2 or (is_hira(word) and len(word) < 3):
            continue
        if '\t' in word or word.startswith('~'):
            continue
        word = ('~' + word) if expand == '1' else word
        groups.setdefault(group, [])
        if word not in groups[group]:
            groups[group].append(word)
    lines = ['\t'.join(ws) for ws in groups.values() if len(ws) >= 2 and any(w[0] != '~' for w in ws)]
    header = ('# Synonym groups from SudachiDict synonyms.txt (WorksApplications/SudachiDict, Apache '
              'License 2.0, see SUDACHI-LICENSE), reduced by scripts/faq-meaning-data.py: 2+ characters '
              '(3+ when all hiragana), groups of 2+ words; `~` marks a word that is no trigger.\n')
    Path(out).write_text(header + '\n'.join(lines) + '\n', encoding='utf-8')
    print(f'{out}: {len(lines)} groups')

def split_of(key):
    return 'tune' if zlib.crc32(key.encode()) % 2 == 0 else 'heldout'

HEAD = ('# {what} Columns: split (tune = may be used to choose parameters; heldout = never tuned '
        'on), query, expected ids.\nsplit\tquery\texpected\n')

def jsts(jglue, out_dir, limit=800):
    pairs = []
    for name in ['valid-v1.3.json', 'train-v1.3.json']:
        for line in open(Path(jglue) / 'jsts-v1.3' / name, encoding='utf-8'):
            r = json.loads(line)
            if r['label'] >= 4.0 and r['sentence1'] != r['sentence2']:
                pairs.append((name[:5] + r['sentence_pair_id'], r['sentence1'], r['sentence2']))
    pairs = pairs[:limit]
    seen, entries, cases = {}, [], []
    for pid, s1, s2 in pairs:
        if s2 not in seen:
            seen[s2] = f'jsts-{pid}'
            entries.append({'id': seen[s2], 'question': s2, 'answer': s2, 'category': '', 'keywords': []})
        cases.append((split_of(pid), s1, seen[s2]))
    write(out_dir, 'jsts', entries, cases,
          'JGLUE JSTS (yahoojapan/JGLUE, CC BY-SA 4.0): pairs of image captions judged paraphrases '
          '(label >= 4); the first sentence asks for the second.')

def jsquad(jglue, out_dir, limit=300):
    data = json.load(open(Path(jglue) / 'jsquad-v1.3' / 'valid-v1.3.json', encoding='utf-8'))['data']
    entries, cases = [], []
    for article in data:
        for p in article['paragraphs']:
            if len(entries) >= limit:
                break
            title, _, text = p['context'].partition(' [SEP] ')
            eid = f'jsquad-{len(entries)}'
            entries.append({'id': eid, 'question': title, 'answer': text, 'category': title, 'keywords': []})
            for q in p['qas']:
                cases.append((split_of(q['id']), q['question'].replace('\t', ' '), eid))
    write(out_dir, 'jsquad', entries, cases,
          'JGLUE JSQuAD v1.3 validation (yahoojapan/JGLUE, CC BY-SA 4.0): each paragraph of the '
          'first articles is an entry (title as question and category), each question asked of '
          'it should find it.')

def write(out_dir, name, entries, cases, what):
    out = Path(out_dir)
    with open(out / f'{name}.jsonl', 'w', encoding='utf-8') as f:
        for e in entries:
            f.write(json.dumps(e, ensure_ascii=False) + '\n')
    with open(out / f'{name}.tsv', 'w', encoding='utf-8') as f:
        f.write(HEAD.format(what=what))
        for split, q, eid in cases:
            f.write(f'{split}\t{q}\t{eid}\n')
    print(f'{name}: {len(entries)} entries, {len(cases)} questions')

if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: faq-meaning-data.py SYNONYMS_TXT JGLUE_DATASETS_DIR')
    root = Path(__file__).resolve().parent.parent
    synonyms(sys.argv[1], root / 'data/faq/synonyms.tsv')
    jsts(sys.argv[2], root / 'benches/faq')
    jsquad(sys.argv[2], root / 'benches/faq')
