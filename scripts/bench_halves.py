#!/usr/bin/env python3
"""Benchmark translated-halves detection on a labelled set (e.g. ../shared/eval/halves/dev.jsonl.gz).

For every case: per-line language (pipeline.steps.language, the pipeline's own detector), then
halves.find_translated_halves and, when it finds nothing, halves.find_repeated_copy, exactly as the
pipeline step does. Writes predictions in the scorer's format, runs the scorer that sits next to the
data (score_halves.py one folder up, or --scorer), and prints its figures, the same-language repeat
figures, and the cost of the halves step in ms/document for documents with and without a language
switch (language detection timed apart).

    python scripts/bench_halves.py ../shared/eval/halves/dev.jsonl.gz [--pred preds.jsonl]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline.config import HalvesConfig  # noqa: E402
from evaltools import load_scorer, read_jsonl, scorer_beside  # noqa: E402
from pipeline.steps import halves, language  # noqa: E402


def count_bitext(tally: dict, row: dict, lines: list[str], found, min_score: float) -> None:
    """A bitext record is right when each of its lines pairs, in the gold alignment, with a line of
    the other side of the record."""
    records = halves.bitext_records(row["id"], lines, found, "first", "", "", min_score)
    label = row.get("label", {})
    if not label.get("is_translated_halves"):
        tally["from_negatives"] += len(records)
        return
    gold = {tuple(p) for p in label.get("aligned_pairs") or []}
    for r in records:
        tally["records"] += 1
        tally["right"] += (all(any((a, b) in gold for b in r["tgt_lines"]) for a in r["src_lines"])
                           and all(any((a, b) in gold for a in r["src_lines"]) for b in r["tgt_lines"]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold", help="labelled cases (JSONL, optionally .gz)")
    ap.add_argument("--pred", default=os.path.join(tempfile.gettempdir(), "newsclean_halves_preds.jsonl"),
                    help="where to write predictions (default: the system's temp folder)")
    ap.add_argument("--scorer", help="score_halves.py (default: one folder above the data)")
    ap.add_argument("--min-score", type=float, default=HalvesConfig().min_score)
    ap.add_argument("--backend", default=language.DEFAULT_BACKEND)
    ap.add_argument("--min-lines", type=int, default=HalvesConfig().min_lines)
    args = ap.parse_args(argv)
    cfg = HalvesConfig(min_score=args.min_score, min_lines=args.min_lines)
    scorer_path = args.scorer or scorer_beside(args.gold, "score_halves.py")
    rows = read_jsonl(args.gold)
    time_lang = 0.0
    cost = {"switch": [0, 0.0], "no_switch": [0, 0.0]}
    repeat = {"found": 0, "exact": 0, "n": 0, "fired_elsewhere": 0}
    bitext = {"records": 0, "right": 0, "from_negatives": 0}
    with open(args.pred, "w", encoding="utf-8") as out:
        for row in rows:
            lines = row["text"].split("\n")
            t0 = time.perf_counter()
            codes = [l.lang for l in language.detect_lines(lines, args.backend)]
            t1 = time.perf_counter()
            found = halves.find_translated_halves(lines, codes, min_lines=cfg.min_lines, min_score=cfg.min_score)
            repeated = None if found else halves.find_repeated_copy(lines, codes, min_lines=cfg.min_lines)
            t2 = time.perf_counter()
            time_lang += t1 - t0
            content_langs = {halves.base_lang(c) for c, l in zip(codes, lines) if l.strip()} - {"und"}
            kind = "switch" if len(content_langs) >= 2 else "no_switch"
            cost[kind][0] += 1
            cost[kind][1] += t2 - t1
            if row.get("label", {}).get("same_lang_duplicate"):
                repeat["n"] += 1
                repeat["found"] += repeated is not None
                repeat["exact"] += repeated is not None and repeated.split_line == row["label"]["dup_split_line"]
            elif repeated is not None:
                repeat["fired_elsewhere"] += 1
            if found is not None:
                count_bitext(bitext, row, lines, found, cfg.bitext_min_score)
            out.write(json.dumps({
                "id": row["id"], "is_translated_halves": found is not None,
                "split_line": found.split_line if found else None,
                "aligned_pairs": [list(p) for p in found.pairs] if found else None,
            }) + "\n")
    scorer = load_scorer(scorer_path)
    scorer.main([args.gold, args.pred])
    n = len(rows)
    print(f"same-language repeats: {repeat['found']}/{repeat['n']} found, {repeat['exact']} at the exact line; "
          f"fired on {repeat['fired_elsewhere']} other documents")
    if bitext["records"]:
        print(f"bitext (score >= {cfg.bitext_min_score}): {bitext['records']} records from true positives, "
              f"{bitext['right'] / bitext['records']:.3f} matching the gold alignment; "
              f"{bitext['from_negatives']} from false positives")
    for kind, (count, seconds) in cost.items():
        if count:
            print(f"halves step, documents {'with' if kind == 'switch' else 'without'} a language switch: "
                  f"{count} docs, {1000 * seconds / count:.2f} ms/doc")
    print(f"line language detection (not part of the step): {1000 * time_lang / max(1, n):.2f} ms/doc")
    return 0


if __name__ == "__main__":
    sys.exit(main())
