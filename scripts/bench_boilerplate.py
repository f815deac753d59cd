#!/usr/bin/env python3
"""Quality and speed benchmark of the chrome cleaner on text dumps with ground truth.

    python scripts/bench_boilerplate.py PATH/eval/boilerplate/text_dev.jsonl.gz [--preds preds.jsonl]
        [--per-doc per_doc.jsonl] [--lexicon extra.yaml ...]

Runs pipeline.steps.chrome over each record's `text_dump`, writes predictions ({"id","text"}) and
scores them with the eval set's own score_boilerplate.py (bag-of-tokens P/R/F1 per document, CJK by
character, mean over documents; found one folder above the data, or --scorer). Prints F1 overall, per
language and per source benchmark, then the line classifier's throughput in MB/s (one core; each
timed pass starts with an empty line cache).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections import defaultdict

sys.path.insert(0, __file__.rsplit("/scripts/", 1)[0])

from evaltools import load_scorer, read_jsonl, scorer_beside  # noqa: E402
from pipeline.config import ChromeConfig  # noqa: E402
from pipeline.steps.chrome import classify  # noqa: E402
from pipeline.steps.chrome_lexicon import load_lexicon  # noqa: E402


def fmt(name: str, s: dict) -> str:
    return (f"{name:<24} {s['n']:>4}  P={s['precision']:.3f}  R={s['recall']:.3f}  "
            f"F1={s['f1']:.3f}  medF1={s['f1_median']:.3f}")


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
    ap.add_argument("--scorer", help="score_boilerplate.py (default: one folder above the data)")
    args = ap.parse_args(argv)

    scorer = load_scorer(args.scorer or scorer_beside(args.dataset, "score_boilerplate.py"))
    prf, summarise = scorer.prf, scorer.summarise
    rows = read_jsonl(args.dataset)
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
        lexicon.line_cache.clear()  # every pass starts from nothing seen (the scoring pass filled it)
        gc.collect()  # (and no collection of the garbage of the scoring lands in it)
        started = time.process_time()
        for lines in docs:
            classify(lines, lexicon, settings)
        best = min(best, time.process_time() - started)
    print(f"-- speed: line classifier {size / 1e6:.2f} MB in {best:.2f} s = {size / 1e6 / best:.2f} MB/s (one core, CPU time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
