#!/usr/bin/env python3
"""Check that two checkouts of newsclean give identical per-document outputs (a speed change must not
change a result), and time the steps of each in the same run.

    python scripts/compare_steps.py --eval ../shared/eval --old /tmp/old_checkout [--new .]

Each checkout runs in its own child process (same PYTHONHASHSEED), over:
- the langid cases: `language.detect_text` per text (language, confidence, script);
- the translated-halves dev set: line languages, `find_translated_halves` (split, languages, beads with
  scores, pairs, every evidence figure) and `find_repeated_copy`, then the whole per-document chain;
- the text dumps of the boilerplate dev set and seeds/: the whole per-document chain (clean record,
  audit record, line languages, bitext) and the dedup sketch (shingle hashes, MinHash signature).
Every case's outputs become one JSON line; the lines of the two checkouts are compared and the first
differences printed. Exit status 1 when anything differs.

With --corpus DIR (a corpus written by scripts/bench.py) it also runs bench.py's stage profile (the
pure steps over the first --stage-mb MB, CPU time, after a warm-up on the seeds) in each checkout,
alternating old and new --rounds times, and prints MB/s per stage, so both are measured under the
same load. A cold row times the first document of a fresh process that needs the CC-CEDICT glosses
(seed 000 through the whole chain, after the language models are loaded). With --pipeline-work it
instead runs both checkouts in one process, document by document (the old one's package copied under
another name), timing all the work the pipeline does to a document (see pipeline_work): the finer
figure when the machine's load changes from minute to minute.
"""
from __future__ import annotations

import argparse
import atexit
import dataclasses
import gzip
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rows(path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _jsonable(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "alignment_inputs"}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def dump(eval_dir: str, out_path: str) -> None:
    """Child mode: the outputs of the checkout this process imports, one JSON line per case."""
    from pipeline import sources, steps
    from pipeline.config import load_config
    from pipeline.document import Document, Reject
    from pipeline.steps import dedup, halves, language

    config = load_config(None)
    chain = steps.text_steps(config)
    hasher = dedup.MinHasher(config.dedup.num_perm, config.dedup.bands)
    timing = {"langid": 0.0, "halves.find": 0.0, "chain": 0.0, "dedup": 0.0}
    per_doc = {"switch": [0, 0.0], "no_switch": [0, 0.0]}  # halves CPU per document, as bench_halves splits it

    def run_chain(doc):
        t = time.process_time()
        try:
            doc = steps.apply_steps(doc, chain)
        except Reject as exc:
            timing["chain"] += time.process_time() - t
            return {"reject": [exc.reason, exc.detail]}
        timing["chain"] += time.process_time() - t
        record = {"clean": doc.clean_record(), "audit": doc.audit_record(),
                  "line_langs": [[l.lang, l.confidence, l.script] for l in doc.notes["line_langs"]],
                  "bitext": doc.notes.get("bitext", [])}
        if doc.notes.get("split_off") is not None:
            record["split_off"] = doc.notes["split_off"].clean_record()
        t = time.process_time()
        hashes = dedup.shingle_hashes(record["clean"]["text"], config.dedup.word_ngram, config.dedup.char_ngram)
        record["dedup"] = {"exact": dedup.exact_key(record["clean"]["text"]),
                           "shingles": hashlib.sha1(hashes.tobytes()).hexdigest(), "n": len(hashes),
                           # the signature, not the band keys: their encoding (hex str -> bytes) changed
                           "signature": hasher.signature(hashes).tolist()}
        hasher.band_keys(hasher.signature(hashes))  # timed with the sketch, as in the pipeline
        timing["dedup"] += time.process_time() - t
        return record

    # once-per-process costs (language models, the CC-CEDICT glosses) are not per-document costs
    language.detect_text("warm up the language models")
    halves.chinese_gloss_keys("中国政府")
    with open(out_path, "w", encoding="utf-8") as out:
        def emit(case_id, record):
            out.write(json.dumps({"id": case_id, **_jsonable(record)}, ensure_ascii=False, sort_keys=True) + "\n")

        for row in _rows(os.path.join(eval_dir, "langid", "cases.jsonl.gz")):
            t = time.process_time()
            ll = language.detect_text(row["text"])
            timing["langid"] += time.process_time() - t
            emit("langid:" + row["id"], {"lang": [ll.lang, ll.confidence, ll.script]})

        hcfg = config.halves
        for row in _rows(os.path.join(eval_dir, "halves", "dev.jsonl.gz")):
            lines = row["text"].split("\n")
            codes = [l.lang for l in language.detect_lines(lines)]
            t = time.process_time()
            found = halves.find_translated_halves(lines, codes, min_lines=hcfg.min_lines, min_score=hcfg.min_score)
            repeated = None if found else halves.find_repeated_copy(lines, codes, min_lines=hcfg.min_lines)
            side = halves.original_side(lines, found.first_lines, found.second_lines) if found else None
            spent = time.process_time() - t
            timing["halves.find"] += spent
            content_langs = {halves.base_lang(c) for c, line in zip(codes, lines) if line.strip()} - {"und"}
            kind = per_doc["switch" if len(content_langs) >= 2 else "no_switch"]
            kind[0] += 1
            kind[1] += spent
            doc = Document(id=row["id"], source=row["id"], lines=tuple(lines))
            emit("halves:" + row["id"], {"codes": codes, "found": found, "repeated": repeated, "side": side,
                                          "chain": run_chain(doc)})

        for row in _rows(os.path.join(eval_dir, "boilerplate", "text_dev.jsonl.gz")):
            try:
                doc = sources.text_document(row["id"], row["text_dump"].encode("utf-8"))
            except Reject as exc:
                emit("dump:" + row["id"], {"reject": [exc.reason, exc.detail]})
                continue
            emit("dump:" + row["id"], run_chain(doc))

        seeds = os.path.join(HERE, "seeds")
        for name in sorted(os.listdir(seeds)):
            with open(os.path.join(seeds, name), "rb") as fh:
                emit("seed:" + name, run_chain(sources.text_document(name, fh.read())))
    import pipeline
    timing.update({f"halves ms/doc, {k} ({n} docs)": 1000 * v / max(n, 1) for k, (n, v) in per_doc.items()})
    print(json.dumps({"code": os.path.dirname(pipeline.__file__), **{k: round(v, 3) for k, v in timing.items()}}))


def stage_profile(corpus: str, stage_mb: float) -> None:
    """Child mode: bench.py's stage profile of this checkout, and the cold first zh-en document."""
    from pipeline import sources, steps
    from pipeline.config import load_config
    from pipeline.gc_tuning import tune_gc
    from pipeline.steps import language

    tune_gc()  # the collector as in a cleaning worker, for both checkouts
    # bench.py puts its own checkout first on sys.path; `pipeline` is imported already, from PYTHONPATH
    sys.path.insert(0, os.path.join(HERE, "scripts"))
    import bench

    config = load_config(None)
    language.detect_text("warm up the language models", language.DEFAULT_BACKEND)
    language.detect_text("中文", language.DEFAULT_BACKEND)
    chain = steps.text_steps(config)
    with open(os.path.join(HERE, "seeds", sorted(os.listdir(os.path.join(HERE, "seeds")))[0]), "rb") as fh:
        doc = sources.text_document("seed", fh.read())
    cold = {}
    for name, step in chain:
        t = time.process_time()
        doc = step(doc)
        cold[name] = time.process_time() - t
    seconds, done = bench.stage_profile(bench.corpus_files(corpus), int(stage_mb * 1_000_000))
    import pipeline
    print(json.dumps({"mb": done / 1_000_000, "seconds": seconds, "cold_halves_s": cold["halves.split_halves"],
                      "code": os.path.dirname(pipeline.__file__)}))


def _as_package(checkout: str, name: str) -> str:
    """A copy of `checkout`'s pipeline package importable as `name` (its absolute imports and package
    data rewritten), in a new temporary folder (removed at exit), which is returned (to put on
    sys.path)."""
    folder = tempfile.mkdtemp(prefix="compare_steps_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = os.path.join(folder, name)
    shutil.copytree(os.path.join(checkout, "pipeline"), target,
                    ignore=shutil.ignore_patterns("__pycache__"))
    rewrite = re.compile(r"\b(from|import) pipeline\b|resources\.files\(\"pipeline\"\)")
    for root, _dirs, files in os.walk(target):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(root, file)
                with open(path, encoding="utf-8") as fh:
                    source = fh.read()
                source = rewrite.sub(lambda m: m.group().replace("pipeline", name), source)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(source)
    return folder


def pipeline_work(args) -> None:
    """Both checkouts in ONE process, document by document (which goes first alternates), timing the
    work the pipeline does to each document: the chain of steps, its audit and clean records, the
    dedup keys (exact key, shingles, MinHash band keys) and a pickle round trip (the spill between the
    passes; the gates run again only on documents the corpus repeats change, which this leaves out).
    Machine load falls on both alike;
    with --no-gc the collector is off while timing (its cost otherwise lands on whichever checkout
    happens to trigger a collection)."""
    import gc
    import pickle

    sys.path.insert(0, _as_package(os.path.abspath(args.old), "pipeline_old"))
    sys.path.insert(0, os.path.join(HERE, "scripts"))
    import bench  # (it puts this script's checkout first on sys.path: --new goes before it)

    sys.path.insert(0, os.path.abspath(args.new))
    from pipeline.gc_tuning import tune_gc

    tune_gc()  # the collector as in a cleaning worker

    kits = {}
    for label, package in (("old", "pipeline_old"), ("new", "pipeline")):
        sources = importlib.import_module(f"{package}.sources")
        steps = importlib.import_module(f"{package}.steps")
        dedup = importlib.import_module(f"{package}.steps.dedup")
        config = importlib.import_module(f"{package}.config").load_config(None)
        kits[label] = {"sources": sources, "steps": steps, "dedup": dedup, "config": config,
                       "chain": steps.text_steps(config),
                       "reject": importlib.import_module(f"{package}.document").Reject,
                       "hasher": dedup.MinHasher(config.dedup.num_perm, config.dedup.bands), "seconds": {}}

    def work(kit, path, data):
        seconds = kit["seconds"]
        clock = time.process_time

        def spent(name, since):
            now = clock()
            seconds[name] = seconds.get(name, 0.0) + now - since
            return now

        try:
            doc = kit["sources"].text_document(path, data)
        except kit["reject"]:
            return
        t = clock()
        try:
            for name, step in kit["chain"]:
                doc = step(doc)
                t = spent(name, t)
        except kit["reject"]:
            spent(name, t)
            return
        doc.audit_record()
        doc.removed_counts()
        text = doc.clean_record()["text"]
        t = spent("audit + clean records", t)
        dedup, cfg = kit["dedup"], kit["config"].dedup
        dedup.exact_key(text)
        hashes = dedup.shingle_hashes(text, cfg.word_ngram, cfg.char_ngram)
        kit["hasher"].band_keys(kit["hasher"].signature(hashes))
        t = spent("dedup keys", t)
        pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
        spent("pickle round trip", t)

    seeds = os.path.join(HERE, "seeds")
    for name in sorted(os.listdir(seeds)):  # once-per-process costs (models, CC-CEDICT), untimed
        with open(os.path.join(seeds, name), "rb") as fh:
            data = fh.read()
        for kit in kits.values():
            work(kit, name, data)
            kit["seconds"].clear()
    if args.no_gc:
        gc.collect()
        gc.disable()
    total = count = 0
    for path in bench.corpus_files(args.corpus):
        if total >= args.stage_mb * 1_000_000:
            break
        with open(path, "rb") as fh:
            data = fh.read()
        total += len(data)
        count += 1
        for label in (("old", "new") if count % 2 else ("new", "old")):
            work(kits[label], path, data)
    gc.enable()
    names = list(kits["old"]["seconds"])
    print(f"pipeline work per document, both checkouts in one process, {count} documents ({total / 1e6:.1f} MB) "
          f"of {args.corpus}, CPU seconds{' (garbage collector off)' if args.no_gc else ''} and MB/s:")
    print(f"  {'stage':<28} {'old s':>7} {'new s':>7} {'old MB/s':>9} {'new MB/s':>9}")
    for name in names + ["all"]:
        row = [sum(kits[label]["seconds"].values()) if name == "all" else kits[label]["seconds"].get(name, 0.0)
               for label in ("old", "new")]
        rates = [f"{total / 1e6 / v:9.2f}" if v > 0 else f"{'-':>9}" for v in row]
        print(f"  {name:<28} {row[0]:7.3f} {row[1]:7.3f} {rates[0]} {rates[1]}")


def profile_stages(args) -> None:
    runs: dict[str, list] = {"old": [], "new": []}
    for _round in range(args.rounds):
        for label, repo in (("old", args.old), ("new", args.new)):
            env = {**os.environ, "PYTHONPATH": os.path.abspath(repo), "PYTHONHASHSEED": "0"}
            done = subprocess.run([sys.executable, os.path.abspath(__file__),
                                   "--eval", args.eval, "--old", "-", "--corpus", args.corpus,
                                   "--stage-mb", str(args.stage_mb), "--stage-child"],
                                  env=env, cwd=os.path.abspath(repo), capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(done.stderr[-3000:])
            runs[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
    mb = runs["old"][0]["mb"]
    print("code:", runs["old"][0]["code"], "vs", runs["new"][0]["code"])
    names = list(runs["old"][0]["seconds"])
    print(f"stage profile, first {mb:.1f} MB of {args.corpus}, CPU seconds (fastest of {args.rounds}) and MB/s:")
    print(f"  {'stage':<28} {'old s':>7} {'new s':>7} {'old MB/s':>9} {'new MB/s':>9}")
    totals = {}
    for name in names + ["all steps"]:
        row = []
        for label in ("old", "new"):
            if name == "all steps":
                v = min(sum(r["seconds"].values()) for r in runs[label])
            else:
                v = min(r["seconds"][name] for r in runs[label])
            row.append(v)
            totals[label] = v
        print(f"  {name:<28} {row[0]:7.2f} {row[1]:7.2f} {mb / row[0]:9.2f} {mb / row[1]:9.2f}")
    cold = [min(r["cold_halves_s"] for r in runs[label]) for label in ("old", "new")]
    print(f"  first zh-en document of a process, halves.split_halves: old {cold[0]:.2f} s, new {cold[1]:.2f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", required=True, help="the public dev sets folder (langid/, halves/, boilerplate/)")
    ap.add_argument("--old", required=True, help="checkout of the reference code (e.g. `git worktree add`)")
    ap.add_argument("--new", default=HERE, help="checkout of the changed code (default: this one)")
    ap.add_argument("--work", default="/tmp/newsclean_compare", help="where the two dumps go")
    ap.add_argument("--corpus", help="a corpus folder written by scripts/bench.py: also profile the stages")
    ap.add_argument("--stage-mb", type=float, default=10.0, help="MB of the corpus for the stage profile")
    ap.add_argument("--rounds", type=int, default=2, help="stage profile runs per checkout (alternating)")
    ap.add_argument("--no-compare", action="store_true", help="only the stage profile")
    ap.add_argument("--pipeline-work", action="store_true",
                    help="with --corpus: time both checkouts' work per document in one process, interleaved, "
                         "instead of the stage profile in separate processes")
    ap.add_argument("--no-gc", action="store_true", help="with --pipeline-work: the garbage collector off while timing")
    ap.add_argument("--dump", help=argparse.SUPPRESS)  # child mode: write this checkout's outputs here
    ap.add_argument("--stage-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.dump:
        dump(args.eval, args.dump)
        return 0
    if args.stage_child:
        stage_profile(args.corpus, args.stage_mb)
        return 0
    if args.corpus:
        if args.pipeline_work:
            pipeline_work(args)
        else:
            profile_stages(args)
        if args.no_compare:
            return 0
    os.makedirs(args.work, exist_ok=True)
    paths = {}
    for label, repo in (("old", args.old), ("new", args.new)):
        paths[label] = os.path.join(args.work, f"{label}.jsonl")
        env = {**os.environ, "PYTHONPATH": os.path.abspath(repo), "PYTHONHASHSEED": "0"}
        t = time.time()
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--eval", args.eval, "--old", "-",
                               "--dump", paths[label]], env=env, cwd=os.path.abspath(repo),
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stderr[-3000:])
            return 2
        print(f"{label} ({repo}): CPU seconds {done.stdout.strip()}; {time.time() - t:.1f} s wall")
    with open(paths["old"], encoding="utf-8") as a, open(paths["new"], encoding="utf-8") as b:
        old, new = a.read().splitlines(), b.read().splitlines()
    differ = [(x, y) for x, y in zip(old, new) if x != y]
    print(f"{len(old)} cases old, {len(new)} new, {len(differ)} differ")
    for x, y in differ[:5]:
        print("old:", x[:1500], "\nnew:", y[:1500], "\n")
    return 1 if differ or len(old) != len(new) else 0


if __name__ == "__main__":
    sys.exit(main())
