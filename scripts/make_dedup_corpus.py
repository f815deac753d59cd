"""Build a labelled de-duplication test corpus from real news texts (e.g. ../shared/eval).

    python scripts/make_dedup_corpus.py --boilerplate EVAL/boilerplate/text_dev.jsonl.gz \
        --halves EVAL/halves/dev.jsonl.gz --out /tmp/dedup_corpus [--seed 7] [--max-bases N] [--replicas K]

Base articles: the ground-truth main text (`expected`) of the boilerplate set, and the one-language
articles inside the halves set (monolingual negatives, both halves of unperturbed translated-halves
documents, both articles of two-article negatives), one text per (WMT document, language).

For each base the generator writes the base itself and, chosen at random (seeded), zero to three
copies among:
  exact       same text with case, width and spacing changed (full-width punctuation, upper-cased title,
              doubled spaces)
  chrome      2-5 portal lines added at the top and bottom (navigation, share buttons, credits,
              "related" headlines taken from other articles)
  dropped     one paragraph (about a tenth of them for long articles) left out
  punct       punctuation changed (commas, quotes, full stops swapped for other marks or removed)
  syndicated  chrome + dropped + punct together
and hard negatives, which are different articles and must not be merged:
  same_topic  pairs of different base articles in the same language with the most words in common
              (listed in labels, no new file)
  shared_lead a document that starts with the base's title and first paragraph and goes on with the
              body of the base's same-topic neighbour: a hard negative for the base, and labelled a
              copy of the neighbour (whose body it carries)

`--replicas K` adds K-1 enciphered copies of the corpus (every alphabet permuted, CJK/kana/Hangul/Thai
shifted inside their blocks): K times the documents with the same duplicate structure and no shared
words across replicas, for measuring how time and memory grow with the corpus.

Writes OUT/docs/*.txt (one document per file, the pipeline's input format) and OUT/labels.jsonl:
{"file", "group", "kind", "base", "lang"} per document (documents of one group are copies of one
article) plus {"hard_negative": [file_a, file_b], "kind"} lines.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import unicodedata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from evaltools import read_jsonl  # noqa: E402
from pipeline.steps import dedup  # noqa: E402

CHROME_LINES = [
    "Home | News | World | Business | Sport | Culture",
    "Share on Facebook", "Share on X", "Print this article", "Subscribe to our newsletter",
    "Advertisement", "Read more", "Comments (12)", "Editor: M. Keller", "Photo: Reuters",
    "首页 > 新闻 > 国际", "责任编辑：李明", "分享到微信", "返回顶部", "来源：新华网",
    "Главная / Новости", "Поделиться", "Startseite > Politik", "Teilen", "Accueil > Monde", "Partager",
    "ホーム > ニュース", "シェアする", "Domů > Zprávy", "Sdílet",
]
PUNCT_SWAPS = [(",", ";"), (",", ""), ("\u201c", '"'), ("\u201d", '"'), ('"', "\u00ab"), (".", ";"),
               ("\uff0c", ","), ("\u3002", "."), ("\u3001", ","), (":", " -"), ("!", ".")]
WIDTH_MAP = {",": "\uff0c", ".": "\uff0e", "!": "\uff01", "?": "\uff1f", ":": "\uff1a", "(": "\uff08", ")": "\uff09",
             "0": "\uff10", "1": "\uff11", "2": "\uff12", "5": "\uff15"}


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def load_bases(boilerplate: str | None, halves: str | None) -> list[dict]:
    """[{"base", "lang", "paras"}], one per article, in a stable order."""
    bases: dict[str, dict] = {}

    def add(key, lang, paras):
        if key not in bases and len(paras) >= 3 and sum(len(p) for p in paras) >= 300:
            bases[key] = {"base": key, "lang": lang, "paras": paras}

    if boilerplate:
        for row in read_jsonl(boilerplate):
            add(f"bp:{row['id']}", row["lang"], paragraphs(row["expected"]))
    if halves:
        for row in read_jsonl(halves):
            label, meta, kind = row["label"], row["meta"], row["kind"]
            lines = row["text"].split("\n")
            docid = re.sub(r"^wmt\d+:", "", str(meta.get("docid", "")))
            if kind == "neg_monolingual":
                add(f"wmt:{docid}:{label['first_lang']}", label["first_lang"], paragraphs(row["text"]))
            elif kind in ("pos_orig_first", "pos_trans_first") and label.get("split_line"):
                cut = label["split_line"]
                add(f"wmt:{docid}:{label['first_lang']}", label["first_lang"], paragraphs("\n".join(lines[:cut])))
                add(f"wmt:{docid}:{label['second_lang']}", label["second_lang"], paragraphs("\n".join(lines[cut:])))
            elif kind == "neg_two_articles" and meta.get("lang_switch_line"):
                cut = meta["lang_switch_line"]
                other = re.sub(r"^wmt\d+:", "", str(meta.get("other_doc", "")))
                first_doc, second_doc = (docid, other)
                add(f"wmt:{first_doc}:{label['first_lang']}", label["first_lang"], paragraphs("\n".join(lines[:cut])))
                add(f"wmt:{second_doc}:{label['second_lang']}", label["second_lang"],
                    paragraphs("\n".join(lines[cut:])))
    # the same article reached twice through different rows or sets (paragraphs regrouped, title only
    # on one side) is one article: the same title, or the same start with or without the first line
    def squeeze(paras):
        return re.sub(r"\s+", "", dedup.fold_text("".join(paras)))

    seen, unique = set(), []
    for base in sorted(bases.values(), key=lambda b: b["base"]):
        paras = base["paras"]
        keys = {"title:" + squeeze(paras[:1]), squeeze(paras)[:150], squeeze(paras[1:])[:150]}
        if not keys & seen:
            seen |= keys
            unique.append(base)
    return unique


def content_units(paras: list[str]) -> set[str]:
    """Words (or characters for CJK/Thai) longer than stop-word size: a cheap topic fingerprint."""
    folded = dedup.fold_text(" ".join(paras))
    if dedup.shingle_mode(folded) == "char":
        return {ch for ch in folded if dedup.is_no_space_char(ch)} | set(re.findall(r"\d{2,}", folded))
    return {w for w in re.findall(r"\w+", folded) if len(w) >= 5}


def same_topic_neighbours(bases: list[dict]) -> dict[str, str]:
    """base -> the other base of the same language with the highest overlap of content words/characters."""
    by_lang: dict[str, list[dict]] = {}
    for b in bases:
        by_lang.setdefault(b["lang"], []).append(b)
    neighbours = {}
    for group in by_lang.values():
        units = [content_units(b["paras"]) for b in group]
        for i, b in enumerate(group):
            best, best_score = None, 0.0
            for j, other in enumerate(group):
                if i == j or not units[i] or not units[j]:
                    continue
                score = len(units[i] & units[j]) / len(units[i] | units[j])
                if score > best_score:
                    best, best_score = other["base"], score
            if best:
                neighbours[b["base"]] = best
    return neighbours


# --- perturbations -----------------------------------------------------------------------------------
def exact_variant(paras, rng):
    out = []
    for i, p in enumerate(paras):
        if i == 0:
            p = p.upper()
        p = "".join(WIDTH_MAP.get(ch, ch) if rng.random() < 0.5 else ch for ch in p)
        p = p.replace(" ", "  ", rng.randint(0, 3))
        out.append(p)
    return out


def chrome_variant(paras, rng, headlines):
    top = rng.sample(CHROME_LINES, rng.randint(1, 3))
    bottom = rng.sample(CHROME_LINES, rng.randint(1, 2)) + rng.sample(headlines, 2)
    return top + list(paras) + bottom


def dropped_variant(paras, rng):
    n_drop = max(1, len(paras) // 10)
    droppable = list(range(1, len(paras)))
    drop = set(rng.sample(droppable, min(n_drop, len(droppable))))
    return [p for i, p in enumerate(paras) if i not in drop]


def punct_variant(paras, rng):
    swaps = rng.sample(PUNCT_SWAPS, 4)
    out = []
    for p in paras:
        for old, new in swaps:
            p = p.replace(old, new)
        out.append(p)
    return out


def make_variants(base, rng, headlines):
    paras = base["paras"]
    makers = {
        "exact": lambda: exact_variant(paras, rng),
        "chrome": lambda: chrome_variant(paras, rng, headlines),
        "dropped": lambda: dropped_variant(paras, rng),
        "punct": lambda: punct_variant(paras, rng),
        "syndicated": lambda: punct_variant(chrome_variant(dropped_variant(paras, rng), rng, headlines), rng),
    }
    kinds = rng.sample(sorted(makers), rng.choice([0, 1, 1, 2, 2, 3]))
    return [(kind, makers[kind]()) for kind in sorted(kinds)]


def build(bases, out_dir, seed):
    rng = random.Random(seed)
    docs_dir = os.path.join(out_dir, "docs")
    os.makedirs(docs_dir, exist_ok=True)
    neighbours = same_topic_neighbours(bases)
    by_id = {b["base"]: b for b in bases}
    headlines = [b["paras"][0][:120] for b in bases]
    labels, file_of = [], {}
    counter = 0

    def write(paras, group, kind, base):
        nonlocal counter
        name = f"doc{counter:06d}.txt"
        counter += 1
        with open(os.path.join(docs_dir, name), "w", encoding="utf-8") as fh:
            fh.write(unicodedata.normalize("NFC", "\n".join(paras)) + "\n")
        labels.append({"file": name, "group": group, "kind": kind, "base": base["base"], "lang": base["lang"]})
        return name

    order = list(bases)
    rng.shuffle(order)
    for base in order:
        file_of[base["base"]] = write(base["paras"], base["base"], "base", base)
        for kind, paras in make_variants(base, rng, headlines):
            write(paras, base["base"], kind, base)
        neighbour = neighbours.get(base["base"])
        if neighbour and rng.random() < 0.3:
            lead, body = base["paras"][:2], by_id[neighbour]["paras"][2:]
            # the lead borrowed from the base is at most a third of the document
            if len(body) < 3 or 2 * sum(map(len, lead)) > sum(map(len, body)):
                continue
            write(lead + body, neighbour, "shared_lead", by_id[neighbour])
            labels.append({"hard_negative": [file_of[base["base"]], labels[-1]["file"]], "kind": "shared_lead"})
    for base, neighbour in sorted(neighbours.items()):
        if base < neighbour or neighbours.get(neighbour) != base:
            labels.append({"hard_negative": [file_of[base], file_of[neighbour]], "kind": "same_topic"})
    with open(os.path.join(out_dir, "labels.jsonl"), "w", encoding="utf-8") as fh:
        for label in labels:
            fh.write(json.dumps(label, ensure_ascii=False) + "\n")
    return labels


# --- replicas for scaling runs ------------------------------------------------------------------------
_ALPHABETS = ("abcdefghijklmnopqrstuvwxyz", "абвгдежзийклмнопрстуфхцчшщыьэюя", "αβγδεζηθικλμνξοπρστυφχψω")
_BLOCKS = ((0x4E00, 0x9FFF), (0x3041, 0x3096), (0x30A1, 0x30FA), (0xAC00, 0xD7A3), (0x0E01, 0x0E2E))


def cipher(replica: int):
    """A letter substitution for one replica: each alphabet permuted (case kept), CJK/kana/Hangul/Thai
    code points shifted inside their block. Texts keep their lengths, scripts and duplicate structure,
    but share no words (hence no shingles) with the other replicas."""
    rng = random.Random(replica)
    table = {}
    for alphabet in _ALPHABETS:
        shuffled = list(alphabet)
        rng.shuffle(shuffled)
        for a, b in zip(alphabet, shuffled):
            table[ord(a)] = b
            table[ord(a.upper())] = b.upper()
    for lo, hi in _BLOCKS:
        size, shift = hi - lo + 1, rng.randrange(1, hi - lo)
        for cp in range(lo, hi + 1):
            table[cp] = chr(lo + (cp - lo + shift) % size)
    return table


def add_replicas(out_dir, labels, replicas):
    """Enciphered copies of the whole corpus (replica r: files rNN_..., groups ...#rNN): a corpus r times
    as large with the same kinds of duplicates and negatives, for measuring growth with corpus size."""
    docs_dir = os.path.join(out_dir, "docs")
    originals = list(labels)
    for r in range(1, replicas):
        table, prefix = cipher(r), f"r{r:02d}_"
        for label in originals:
            if "file" in label:
                with open(os.path.join(docs_dir, label["file"]), encoding="utf-8") as fh:
                    content = fh.read().translate(table)
                with open(os.path.join(docs_dir, prefix + label["file"]), "w", encoding="utf-8") as fh:
                    fh.write(content)
                labels.append(dict(label, file=prefix + label["file"], group=f"{label['group']}#r{r:02d}"))
            else:
                labels.append(dict(label, hard_negative=[prefix + f for f in label["hard_negative"]]))
    with open(os.path.join(out_dir, "labels.jsonl"), "w", encoding="utf-8") as fh:
        for label in labels:
            fh.write(json.dumps(label, ensure_ascii=False) + "\n")
    return labels


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boilerplate", help="boilerplate text_dev.jsonl.gz (uses `expected`)")
    ap.add_argument("--halves", help="halves dev.jsonl.gz (uses the one-language articles in it)")
    ap.add_argument("--out", required=True, help="output folder (outside the repository)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-bases", type=int, default=0, help="use at most this many base articles (0 = all)")
    ap.add_argument("--replicas", type=int, default=1,
                    help="add enciphered replicas of the corpus (same structure, disjoint words) for scaling runs")
    args = ap.parse_args(argv)
    if not (args.boilerplate or args.halves):
        ap.error("give --boilerplate and/or --halves")
    bases = load_bases(args.boilerplate, args.halves)
    if args.max_bases and len(bases) > args.max_bases:
        bases = random.Random(args.seed).sample(bases, args.max_bases)
        bases.sort(key=lambda b: b["base"])
    labels = build(bases, args.out, args.seed)
    if args.replicas > 1:
        labels = add_replicas(args.out, labels, args.replicas)
    docs = [l for l in labels if "file" in l]
    kinds = {}
    for l in labels:
        kinds[l["kind"]] = kinds.get(l["kind"], 0) + 1
    print(f"{len(bases)} base articles, {len(docs)} documents -> {args.out}/docs; labels: {kinds}")


if __name__ == "__main__":
    main()
