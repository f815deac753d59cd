#!/usr/bin/env python3
"""Quality and speed benchmark of the chrome cleaner on text dumps with ground truth.

    python scripts/bench_boilerplate.py PATH/eval/boilerplate/text_dev.jsonl.gz [--preds preds.jsonl]
        [--per-doc per_doc.jsonl] [--lexicon extra.yaml ...]

Runs pipeline.steps.chrome over each record's `text_dump`, writes predictions ({"id","text"}) and
scores them with the metric of the eval set's score_boilerplate.py (bag-of-tokens P/R/F1 per
document, CJK by character, mean over documents), re-implemented identically below so the project
does not depend on the eval folder. Prints F1 overall, per language and per source benchmark, then
the line classifier's throughput in MB/s (one core).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from statistics import mean, median

sys.path.insert(0, __file__.rsplit("/scripts/", 1)[0])

from pipeline.config import ChromeConfig  # noqa: E402
from pipeline.steps.chrome import classify  # noqa: E402
from pipeline.steps.chrome_lexicon import load_lexicon  # noqa: E402


# --- the metric (same as score_boilerplate.py) --------------------------------------------------
def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FA1F
        or 0xF900 <= o <= 0xFAFF or 0x3040 <= o <= 0x309F or 0x30A0 <= o <= 0x30FF
        or 0x31F0 <= o <= 0x31FF or 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF
        or 0x3130 <= o <= 0x318F
    )


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def tokens(text: str) -> list[str]:
    """NFKC + casefold; CJK characters one by one, other scripts by whitespace, edge punctuation stripped."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for piece in text.split():
        run: list[str] = []
        for ch in piece + "\x00":
            if ch == "\x00" or _is_cjk(ch):
                if run:
                    i, j = 0, len(run)
                    while i < j and _is_punct(run[i]):
                        i += 1
                    while j > i and _is_punct(run[j - 1]):
                        j -= 1
                    if i < j:
                        out.append("".join(run[i:j]))
                    run = []
                if ch != "\x00" and not (0x3000 <= ord(ch) <= 0x303F):
                    out.append(ch)
            else:
                run.append(ch)
    return out


def prf(pred: str, expected: str) -> tuple[float, float, float]:
    p_tok, e_tok = Counter(tokens(pred)), Counter(tokens(expected))
    np_, ne = sum(p_tok.values()), sum(e_tok.values())
    if np_ == 0 and ne == 0:
        return 1.0, 1.0, 1.0
    if np_ == 0 or ne == 0:
        return 0.0, 0.0, 0.0
    common = sum((p_tok & e_tok).values())
    p, r = common / np_, common / ne
    return p, r, (0.0 if common == 0 else 2 * p * r / (p + r))


def summarise(rows: list[dict]) -> dict:
    return {
        "n": len(rows),
        "precision": mean(r["precision"] for r in rows),
        "recall": mean(r["recall"] for r in rows),
        "f1": mean(r["f1"] for r in rows),
        "f1_median": median(r["f1"] for r in rows),
    }


def fmt(name: str, s: dict) -> str:
    return (f"{name:<24} {s['n']:>4}  P={s['precision']:.3f}  R={s['recall']:.3f}  "
            f"F1={s['f1']:.3f}  medF1={s['f1_median']:.3f}")


# --- the run ------------------------------------------------------------------------------------
def read_jsonl(path: str):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def clean_text(lines: list[str], decision) -> str:
    return "\n".join(l for i, l in enumerate(lines) if i not in decision.removed and l.strip())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", help="text_dev.jsonl.gz (records with id, lang, source_benchmark, text_dump, expected)")
    ap.add_argument("--preds", default=os.path.join(tempfile.gettempdir(), "newsclean_bench_preds.jsonl"),
                    help="where to write predictions (default: the system's temp folder)")
    ap.add_argument("--per-doc", help="write per-document scores here (jsonl)")
    ap.add_argument("--lexicon", nargs="*", default=[], help="extra phrase packs")
    ap.add_argument("--repeat", type=int, default=3, help="timing repetitions (best is reported)")
    args = ap.parse_args(argv)

    rows = list(read_jsonl(args.dataset))
    lexicon = load_lexicon(args.lexicon)
    settings = ChromeConfig()
    docs = [r["text_dump"].split("\n") for r in rows]

    per_doc = []
    with open(args.preds, "w", encoding="utf-8") as out:
        for row, lines in zip(rows, docs):
            text = clean_text(lines, classify(lines, lexicon, settings))
            out.write(json.dumps({"id": row["id"], "text": text}, ensure_ascii=False) + "\n")
            p, r, f = prf(text, row.get("expected") or "")
            per_doc.append({"id": row["id"], "lang": row.get("lang", "und"),
                            "source_benchmark": row.get("source_benchmark", "?"),
                            "precision": p, "recall": r, "f1": f})

    uncleaned = []
    for row in rows:
        p, r, f = prf(row["text_dump"], row.get("expected") or "")
        uncleaned.append({"precision": p, "recall": r, "f1": f})
    print(fmt("no cleaning (baseline)", summarise(uncleaned)))
    print(fmt("ALL", summarise(per_doc)))
    for key, title in (("lang", "by language"), ("source_benchmark", "by source")):
        print(f"-- {title}")
        groups = defaultdict(list)
        for d in per_doc:
            groups[d[key]].append(d)
        for k in sorted(groups):
            print(fmt(k, summarise(groups[k])))
    if args.per_doc:
        with open(args.per_doc, "w", encoding="utf-8") as fh:
            for d in per_doc:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")

    size = sum(len(r["text_dump"].encode("utf-8")) for r in rows)
    best = float("inf")
    for _ in range(max(1, args.repeat)):
        started = time.process_time()
        for lines in docs:
            classify(lines, lexicon, settings)
        best = min(best, time.process_time() - started)
    print(f"-- speed: line classifier {size / 1e6:.2f} MB in {best:.2f} s = {size / 1e6 / best:.2f} MB/s (one core, CPU time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
