"""Benchmark corpus de-duplication on labelled corpora from scripts/make_dedup_corpus.py.

    python scripts/bench_dedup.py --boilerplate EVAL/boilerplate/text_dev.jsonl.gz \
        --halves EVAL/halves/dev.jsonl.gz --work /tmp/dedup_bench [--sizes 0x1,0x4] [--set dedup.threshold=0.8]

For each size (BASESxREPLICAS: base articles, 0 = all, times enciphered replicas) it generates a corpus, runs `newsclean run` on it in a
fresh process (dedup on, then off, to isolate its cost) and prints:
- pair precision: pairs of documents the run put in one group (a kept document and everything
  marked a duplicate of it, transitively) that are copies of one article in the labels;
- pair recall on the labelled copy pairs whose exact shingle Jaccard is at or above the configured
  threshold ("pairs above the configured similarity"), and on all labelled copy pairs, per kind;
- hard negatives merged: same-topic different articles and shared-lead articles put in one group;
- CPU time (robust on a shared machine), wall time and peak memory (max RSS) of the run with and
  without dedup, and the pure core's shingle+MinHash speed, so growth with corpus size can be read
  off the sizes.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from pipeline.config import build_config, parse_set_option  # noqa: E402
from pipeline.steps import dedup  # noqa: E402
from scripts import make_dedup_corpus  # noqa: E402

RUN_CHILD = """
import json, resource, sys, time
from pipeline.cli import main
started = time.time()
code = main(sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"code": code, "wall_s": time.time() - started, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "max_rss_mb": usage.ru_maxrss / 1024}))
"""


def run_pipeline(docs_dir, out_dir, sets):
    argv = ["run", "--input", docs_dir, "--output", out_dir, "--quiet"]
    for s in sets:
        argv += ["--set", s]
    done = subprocess.run([sys.executable, "-c", RUN_CHILD, *argv], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pipeline failed:\n{done.stderr[-3000:]}")
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    with open(os.path.join(out_dir, "report", "summary.json"), encoding="utf-8") as fh:
        stats["summary"] = json.load(fh)
    return stats


def read_records(out_dir, kind):
    """Records of one output kind, plain or gzip-compressed (`--set output.compress=true`)."""
    rows = []
    for path in sorted(glob.glob(os.path.join(out_dir, kind, "part-*.jsonl*"))):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh)
    return rows


def predicted_groups(out_dir):
    """file -> representative file, from clean/ + duplicates/ (union of id -> duplicate_of links)."""
    file_of = {}
    parent = {}
    for r in read_records(out_dir, "clean") + read_records(out_dir, "duplicates"):
        file_of[r["id"]] = os.path.basename(r["source"])
        parent.setdefault(r["id"], r["id"])
    dups = read_records(out_dir, "duplicates")

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in dups:
        a, b = find(r["id"]), find(r["duplicate_of"])
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {file_of[i]: file_of[find(i)] for i in parent}, dups


def evaluate(corpus_dir, out_dir, cfg):
    with open(os.path.join(corpus_dir, "labels.jsonl"), encoding="utf-8") as fh:
        labels = [json.loads(line) for line in fh]
    docs = [l for l in labels if "file" in l]
    negatives = [l for l in labels if "hard_negative" in l]
    texts = {}
    for d in docs:
        with open(os.path.join(corpus_dir, "docs", d["file"]), encoding="utf-8") as fh:
            texts[d["file"]] = fh.read()
    started = time.time()
    hasher = dedup.MinHasher(cfg.num_perm, cfg.bands)
    hashes = {}
    for name, text in texts.items():
        hashes[name] = dedup.shingle_hashes(text, cfg.word_ngram, cfg.char_ngram)
        hasher.band_keys(hasher.signature(hashes[name]))
    core_s = time.time() - started

    kind_of = {d["file"]: d["kind"] for d in docs}
    groups = defaultdict(list)
    for d in docs:
        groups[d["group"]].append(d["file"])
    true_pairs = {}
    for members in groups.values():
        for a, b in itertools.combinations(sorted(members), 2):
            true_pairs[(a, b)] = dedup.jaccard(hashes[a], hashes[b])

    rep, dups = predicted_groups(out_dir)
    clusters = defaultdict(list)
    for name, r in rep.items():
        clusters[r].append(name)
    pred_pairs = {tuple(sorted(p)) for members in clusters.values() for p in itertools.combinations(members, 2)}
    # documents a gate rejected (too short, language) are in no group: pairs and negatives with such a
    # document are left out rather than counted as missed or as merged
    true_pairs = {p: j for p, j in true_pairs.items() if p[0] in rep and p[1] in rep}
    correct = pred_pairs & set(true_pairs)
    above = {p for p, j in true_pairs.items() if j >= cfg.threshold}
    per_kind = defaultdict(lambda: [0, 0])
    for (a, b) in true_pairs:
        kind = kind_of[a] if kind_of[b] == "base" else kind_of[b] if kind_of[a] == "base" else "copy-copy"
        per_kind[kind][1] += 1
        per_kind[kind][0] += (a, b) in pred_pairs
    neg_merged = defaultdict(lambda: [0, 0])
    for n in negatives:
        pair = tuple(sorted(n["hard_negative"]))
        if pair[0] not in rep or pair[1] not in rep:
            continue
        neg_merged[n["kind"]][1] += 1
        neg_merged[n["kind"]][0] += rep.get(pair[0]) == rep.get(pair[1])
    false_pairs = sorted(pred_pairs - set(true_pairs))
    return {
        "docs": len(docs),
        "docs_rejected": sum(1 for d in docs if d["file"] not in rep),
        "chars": sum(len(t) for t in texts.values()),
        "core_docs_per_s": len(docs) / core_s,
        "predicted_pairs": len(pred_pairs),
        "precision": len(correct) / len(pred_pairs) if pred_pairs else 1.0,
        "recall_above_threshold": len(pred_pairs & above) / len(above) if above else 1.0,
        "pairs_above_threshold": len(above),
        "recall_all_labelled": len(correct) / len(true_pairs) if true_pairs else 1.0,
        "labelled_pairs": len(true_pairs),
        "recall_by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_kind.items())},
        "jaccard_min_by_kind": _min_by_kind(true_pairs, kind_of),
        "hard_negatives_merged": {k: f"{v[0]}/{v[1]}" for k, v in sorted(neg_merged.items())},
        "hard_negative_max_jaccard": max((dedup.jaccard(hashes[n["hard_negative"][0]], hashes[n["hard_negative"][1]])
                                          for n in negatives), default=0.0),
        "false_pairs_sample": false_pairs[:5],
        "methods": {m: sum(1 for d in dups if d["method"] == m) for m in ("exact", "near")},
    }


def _min_by_kind(true_pairs, kind_of):
    out = {}
    for (a, b), j in true_pairs.items():
        if "base" in (kind_of[a], kind_of[b]):
            kind = kind_of[b] if kind_of[a] == "base" else kind_of[a]
            out[kind] = round(min(out.get(kind, 1.0), j), 3)
    return dict(sorted(out.items()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boilerplate", required=True)
    ap.add_argument("--halves", required=True)
    ap.add_argument("--work", required=True, help="scratch folder for corpora and outputs (outside the repo)")
    ap.add_argument("--sizes", default="0x1,0x4",
                    help="corpora to build, comma-separated: BASESxREPLICAS (bases 0 = all; replicas are"
                         " enciphered copies, see make_dedup_corpus.py)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--set", action="append", default=[], help="config override for the runs, KEY=VALUE")
    args = ap.parse_args(argv)
    cfg = build_config(None, [parse_set_option(s) for s in args.set]).dedup
    rows_per_band = cfg.num_perm // cfg.bands
    print(f"dedup config: {cfg.model_dump()}; LSH candidate probability at the threshold: "
          f"{dedup.candidate_probability(cfg.threshold, cfg.bands, rows_per_band):.4f}")
    rows = []
    for spec in args.sizes.split(","):
        bases, _, replicas = spec.partition("x")
        tag = spec.replace(",", "_")
        corpus = os.path.join(args.work, f"corpus_{tag}")
        shutil.rmtree(corpus, ignore_errors=True)
        make_dedup_corpus.main(["--boilerplate", args.boilerplate, "--halves", args.halves, "--out", corpus,
                                "--seed", str(args.seed), "--max-bases", bases, "--replicas", replicas or "1"])
        docs_dir = os.path.join(corpus, "docs")
        on = run_pipeline(docs_dir, os.path.join(args.work, f"out_{tag}"), args.set)
        off = run_pipeline(docs_dir, os.path.join(args.work, f"off_{tag}"), args.set + ["dedup.enabled=false"])
        result = evaluate(corpus, os.path.join(args.work, f"out_{tag}"), cfg)
        assert on["summary"]["accounting_ok"], "accounting identity failed"
        result.update(wall_s_on=round(on["wall_s"], 1), wall_s_off=round(off["wall_s"], 1),
                      cpu_s_on=round(on["cpu_s"], 1), cpu_s_off=round(off["cpu_s"], 1),
                      rss_mb_on=round(on["max_rss_mb"]), rss_mb_off=round(off["max_rss_mb"]),
                      duplicates_written=on["summary"]["duplicates"], spec=spec, dedup_counters=on["summary"]["dedup"])
        rows.append(result)
        print(json.dumps(result, indent=1, ensure_ascii=False))
    print("\n| corpus | docs (rejected by a gate) | chars | precision | recall (J >= thr) | recall (all copies) | hard negatives merged |"
          " CPU time dedup on / off | dedup CPU per 1k docs | wall time on / off | max RSS on / off | core docs/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        merged = ", ".join(f"{k} {v}" for k, v in r["hard_negatives_merged"].items())
        print(f"| {r['spec']} | {r['docs']} ({r['docs_rejected']}) | {r['chars'] / 1e6:.1f} M | {r['precision']:.4f} | {r['recall_above_threshold']:.4f}"
              f" ({r['pairs_above_threshold']}) | {r['recall_all_labelled']:.4f} ({r['labelled_pairs']}) | {merged} |"
              f" {r['cpu_s_on']} s / {r['cpu_s_off']} s | {(r['cpu_s_on'] - r['cpu_s_off']) / r['docs'] * 1000:.2f} s |"
              f" {r['wall_s_on']} s / {r['wall_s_off']} s |"
              f" {r['rss_mb_on']} / {r['rss_mb_off']} MB | {r['core_docs_per_s']:.0f} |")


if __name__ == "__main__":
    main()
