#!/usr/bin/env python3
"""Benchmark newsclean's language identification on a labelled set (e.g. shared/eval/langid).

Usage: scripts/bench_langid.py CASES.jsonl.gz [--backend NAME ...] [--baseline] [--scorer PATH]
       [--preds-dir DIR] [--json OUT]

For every backend: accuracy overall, per granularity (paragraph / sentence / short) and per language,
the zh-Hans / zh-Hant distinction, and throughput (texts/s on all cases, MB/s of UTF-8 on the
paragraph cases), all measured in this one run on one core. `--baseline` adds plain seeded langdetect
(no script pass) for comparison. Accuracy uses the eval set's own scorer (score_langid.py, found next
to the cases' folder or given with --scorer).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pipeline.steps import language  # noqa: E402


def load_cases(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_scorer(path):
    spec = importlib.util.spec_from_file_location("score_langid", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PlainLangdetect:
    """langdetect alone, seeded: the baseline the brief started from."""

    def __init__(self):
        from langdetect import DetectorFactory, detect
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0
        self._detect, self._error = detect, LangDetectException

    def __call__(self, text):
        try:
            return self._detect(text)
        except self._error:
            return None


def timed(predict, texts, repeat_until=1.0):
    """Predictions and seconds per pass (passes repeated until `repeat_until` s for stable figures)."""
    preds = [predict(t) for t in texts[:5]]  # warm up: models load
    start = time.perf_counter()
    preds = [predict(t) for t in texts]
    elapsed = time.perf_counter() - start
    passes = 1
    while elapsed * passes < repeat_until and elapsed < repeat_until:
        start2 = time.perf_counter()
        for t in texts:
            predict(t)
        elapsed = (elapsed * passes + time.perf_counter() - start2) / (passes + 1)
        passes += 1
    return preds, elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases")
    ap.add_argument("--backend", action="append", help="backend(s) to measure (default: all)")
    ap.add_argument("--baseline", action="store_true", help="also measure plain seeded langdetect")
    ap.add_argument("--scorer", help="path to score_langid.py (default: next to the cases' folder)")
    ap.add_argument("--preds-dir", help="write each tool's predictions here as {id, pred} JSON Lines")
    ap.add_argument("--json", help="write all figures here")
    ap.add_argument("--languages", action="store_true", help="print accuracy per language")
    args = ap.parse_args(argv)

    scorer_path = args.scorer or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.cases))),
                                              "score_langid.py")
    scorer = load_scorer(scorer_path)
    cases = load_cases(args.cases)
    texts = [c["text"] for c in cases]
    paragraphs = [c["text"] for c in cases if c["granularity"] == "paragraph"]
    para_mb = sum(len(t.encode("utf-8")) for t in paragraphs) / 1e6

    tools = [(f"newsclean[{name}]", (lambda name: lambda t: language.detect_text(t, name).lang)(name))
             for name in (args.backend or list(language.BACKENDS))]
    if args.baseline:
        tools.append(("langdetect (plain, seeded)", PlainLangdetect()))

    results = {}
    for label, predict in tools:
        preds, secs_all = timed(predict, texts)
        _p, secs_para = timed(predict, paragraphs)
        res = scorer.score(cases, {c["id"]: p for c, p in zip(cases, preds)})
        han_only = [(c, p) for c, p in zip(cases, preds)
                    if language.dominant_script(language.script_counts(c["text"]))[0] == "Hani"]
        res["han_only_as_ko_ja"] = sum(1 for _c, p in han_only if p and p.split("-")[0] in ("ko", "ja"))
        res["texts_per_s"] = len(texts) / secs_all
        res["mb_per_s_paragraphs"] = para_mb / secs_para
        results[label] = res
        zh = res["zh_script"]
        print(f"{label}: accuracy {res['accuracy']:.4f}  "
              + "  ".join(f"{g} {v['acc']:.4f}" for g, v in res["by_granularity"].items())
              + f"  macroF1 {res['macro_f1']:.4f}")
        print(f"    zh script right {zh.get('right_script', 0)}/{zh['n']} "
              f"({zh.get('right_script', 0) / max(zh['n'], 1):.3f}), wrong {zh.get('wrong_script', 0)}, "
              f"not zh {zh.get('not_zh', 0)}; Han-only texts called ko/ja: {res['han_only_as_ko_ja']}")
        print(f"    {res['texts_per_s']:,.0f} texts/s (all {len(texts)} cases), "
              f"{res['mb_per_s_paragraphs']:.2f} MB/s on the {len(paragraphs)} paragraphs ({para_mb:.2f} MB)")
        if args.languages:
            print("    per language: " + ", ".join(f"{k} {v['acc']:.3f}" for k, v in res["by_lang"].items()))
        if args.preds_dir:
            os.makedirs(args.preds_dir, exist_ok=True)
            safe = "".join(ch if ch.isalnum() else "_" for ch in label)
            with open(os.path.join(args.preds_dir, safe + ".jsonl"), "w", encoding="utf-8") as fh:
                for c, p in zip(cases, preds):
                    fh.write(json.dumps({"id": c["id"], "pred": p}, ensure_ascii=False) + "\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
