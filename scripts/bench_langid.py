#!/usr/bin/env python3
"""Benchmark newsclean's language identification on a labelled set (e.g. shared/eval/langid).

Usage: scripts/bench_langid.py CASES.jsonl.gz [--backend NAME ...] [--baseline] [--scorer PATH]
       [--preds-dir DIR] [--json OUT] [--halves shared/eval/halves/dev.jsonl.gz]

For every backend: accuracy overall, per granularity (paragraph / sentence / short) and per language,
the zh-Hans / zh-Hant distinction, and throughput (texts/s on all cases, MB/s of UTF-8 on the
paragraph cases), all measured in this one run on one core (tools take turns, the fastest pass
counts). `--baseline` adds plain seeded langdetect
(no script pass) for comparison. Accuracy uses the eval set's own scorer (score_langid.py, found next
to the cases' folder or given with --scorer).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from evaltools import load_scorer, read_jsonl, scorer_beside  # noqa: E402
from pipeline.steps import language  # noqa: E402


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


def one_pass(predict, texts, reps=1):
    start = time.perf_counter()
    preds = [predict(t) for t in texts]
    for _ in range(reps - 1):
        for t in texts:
            predict(t)
    return preds, (time.perf_counter() - start) / reps


def measure(tools, texts, paragraphs, rounds, min_pass_s=0.5):
    """Predictions on all texts and the fastest pass of each tool, over `rounds` rounds in which
    every tool takes its turn (the machine is shared: interleaving spreads other work evenly over
    the tools, the minimum is the figure least disturbed by it). A paragraph pass repeats the
    paragraphs until it lasts about `min_pass_s`; slow tools run all texts once."""
    preds, secs_all, secs_para, reps = {}, {}, {}, {}
    for label, predict, _slow in tools:
        for t in texts[:5]:  # warm up: models load
            predict(t)
        _out, secs = one_pass(predict, paragraphs)
        reps[label] = max(1, int(min_pass_s / max(secs, 1e-6)))
    for rnd in range(rounds):
        for label, predict, slow in tools:
            if rnd == 0 or not slow:
                out, secs = one_pass(predict, texts)
                preds.setdefault(label, out)
                secs_all[label] = min(secs, secs_all.get(label, float("inf")))
            _out, secs = one_pass(predict, paragraphs, reps[label])
            secs_para[label] = min(secs, secs_para.get(label, float("inf")))
    return preds, secs_all, secs_para


def score_runs(path):
    """Language runs on a translated-halves set (shared/eval/halves/dev.jsonl.gz): how many positives
    give exactly two runs in the two languages and switch at the gold line, how many one-language
    negatives give one run."""
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh if line.strip()]
    pos = two = exact = mono = one = 0
    for doc in docs:
        label = doc["label"]
        runs = language.language_runs(language.detect_lines(doc["text"].split("\n")))
        if label["is_translated_halves"]:
            pos += 1
            langs = [r["lang"].split("-")[0] for r in runs]
            if langs == [label["first_lang"].split("-")[0], label["second_lang"].split("-")[0]]:
                two += 1
                exact += runs[1]["start"] == label["split_line"]
        elif doc["kind"] in ("neg_monolingual", "neg_same_lang_dup"):
            mono += 1
            one += len(runs) == 1
    print(f"runs on {path}: translated halves {pos}: two runs in the right languages {two} "
          f"({two / max(pos, 1):.3f}), switch at the gold line {exact} ({exact / max(pos, 1):.3f}); "
          f"one-language documents {mono}: one run {one} ({one / max(mono, 1):.3f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases")
    ap.add_argument("--backend", action="append", help="backend(s) to measure (default: all)")
    ap.add_argument("--baseline", action="store_true", help="also measure plain seeded langdetect")
    ap.add_argument("--scorer", help="path to score_langid.py (default: next to the cases' folder)")
    ap.add_argument("--preds-dir", help="write each tool's predictions here as {id, pred} JSON Lines")
    ap.add_argument("--json", help="write all figures here")
    ap.add_argument("--languages", action="store_true", help="print accuracy per language")
    ap.add_argument("--rounds", type=int, default=3, help="timing rounds (default 3)")
    ap.add_argument("--halves", metavar="PATH", help="also score language runs on a translated-halves set")
    args = ap.parse_args(argv)
    if args.halves:
        score_runs(args.halves)

    scorer_path = args.scorer or scorer_beside(args.cases, "score_langid.py")
    scorer = load_scorer(scorer_path)
    cases = read_jsonl(args.cases)
    texts = [c["text"] for c in cases]
    paragraphs = [c["text"] for c in cases if c["granularity"] == "paragraph"]
    para_mb = sum(len(t.encode("utf-8")) for t in paragraphs) / 1e6

    tools = [(f"newsclean[{name}]", (lambda name: lambda t: language.detect_text(t, name).lang)(name),
              name == "langdetect")
             for name in (args.backend or list(language.BACKENDS))]
    if args.baseline:
        tools.append(("langdetect (plain, seeded)", PlainLangdetect(), True))
    all_preds, all_secs, para_secs = measure(tools, texts, paragraphs, args.rounds)

    results = {}
    for label, _predict, _slow in tools:
        preds, secs_all, secs_para = all_preds[label], all_secs[label], para_secs[label]
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
    base = results.get("langdetect (plain, seeded)")
    if base:
        print("paragraph MB/s relative to plain langdetect in this run: " + ", ".join(
            f"{label} {res['mb_per_s_paragraphs'] / base['mb_per_s_paragraphs']:.1f}x"
            for label, res in results.items() if res is not base))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
