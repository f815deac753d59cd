"""End-to-end speed and memory of `newsclean run`, with a reference run on the same corpus.

    python scripts/bench.py --eval /work/shared/eval --work /tmp/newsclean_bench --mb 40 \
        [--workers 1,2] [--datatrove-python /tmp/dtvenv/bin/python] [--html-pages 60]

1. Generates (once per size, under --work, never inside the repository) a corpus of about --mb MB of
   plain-text files from the seeds and the public dev sets: text dumps of news pages (60 %),
   translated-halves documents (25 %), the seeds (5 %) and copies of earlier documents (10 %: exact,
   or with one line changed). Every sampled document is lightly perturbed (numbers re-drawn, about a
   third of its longer lines replaced by lines of other documents of the same language), so copies of
   a source are not all near duplicates of each other. Seeded: the same arguments give the same corpus.
2. Stage profile, in this process, on one core and the first --stage-mb MB: reading + decoding, each
   per-document step of the chain, and the dedup sketch (shingles + MinHash), in MB/s of input (after
   an untimed warm-up on the seeds: model loading and the CC-CEDICT index are paid once per process).
3. `newsclean run` end to end (start-up, graph, corpus passes, writing and validation included) in a
   fresh process for each --workers value; peak memory is the high-water mark (VmHWM) of every process
   of the run's tree, sampled twice a second: the launcher, each Beam worker process and the
   validation process separately.
4. A reference on the same files in the same run: DataTrove's Gopher repetition + Gopher quality + C4
   quality filters (English word tokenizer) when --datatrove-python names a Python with datatrove and
   spacy installed; and always a plain-Python baseline: read, decode UTF-8, seeded langdetect per
   document. Figures are then ratios on the same machine under the same load.
5. With --html-pages N: N pages sampled from the HTML dev set through `newsclean run` (1 worker) and
   through trafilatura alone (extract, precision mode) in this process: pages/s.

CPU seconds are the steady figure on a shared machine; wall time shows what a user waits.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

MB = 1_000_000
KIND_WEIGHTS = (("dump", 0.60), ("halves", 0.25), ("seed", 0.05), ("copy", 0.10))
DIGITS = re.compile(r"\d+")


# --- corpus ------------------------------------------------------------------------------------------
def _jsonl(path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_sources(eval_dir: str) -> dict:
    """Source documents by kind, each (language key, text)."""
    dumps = [(r.get("lang") or "und", r["text_dump"]) for r in _jsonl(os.path.join(eval_dir, "boilerplate", "text_dev.jsonl.gz"))]
    halves = [(r.get("pair") or "und", r["text"]) for r in _jsonl(os.path.join(eval_dir, "halves", "dev.jsonl.gz"))]
    seeds_dir = os.path.join(REPO, "seeds")
    seeds = []
    for name in sorted(os.listdir(seeds_dir)):
        with open(os.path.join(seeds_dir, name), encoding="utf-8", errors="replace") as fh:
            seeds.append(("seed", fh.read()))
    return {"dump": dumps, "halves": halves, "seed": seeds}


def perturb(text: str, lang: str, pool: dict, rng: random.Random) -> str:
    """Numbers re-drawn; about a third of the lines over 60 characters swapped for lines of the same
    language from other documents (a crawl's pages of one site share structure, not paragraphs)."""
    lines = text.split("\n")
    candidates = pool.get(lang) or ()
    out = []
    for line in lines:
        if len(line) > 60 and candidates and rng.random() < 0.33:
            line = rng.choice(candidates)
        line = DIGITS.sub(lambda m: "".join(rng.choice("0123456789") for _ in m.group()), line)
        out.append(line)
    return "\n".join(out)


def make_corpus(eval_dir: str, target: str, mb: float, seed: int = 9) -> dict:
    """Write about `mb` MB of .txt files under target/ (1,000 a folder); returns counts by kind."""
    marker = os.path.join(target, ".complete.json")
    if os.path.exists(marker):
        with open(marker, encoding="utf-8") as fh:
            return json.load(fh)
    shutil.rmtree(target, ignore_errors=True)
    rng = random.Random(seed)
    sources = load_sources(eval_dir)
    pool: dict = {}
    for lang, text in sources["dump"]:
        pool.setdefault(lang, []).extend(line for line in text.split("\n") if len(line) > 60)
    kinds, weights = zip(*KIND_WEIGHTS)
    written, counts, recent = 0, {k: 0 for k in kinds}, []
    i = 0
    while written < mb * MB:
        kind = rng.choices(kinds, weights)[0]
        if kind == "copy" and recent:
            text = rng.choice(recent)
            if rng.random() < 0.5:  # near copy: one line re-drawn
                lines = text.split("\n")
                j = rng.randrange(len(lines))
                lines[j] = DIGITS.sub(lambda m: str(rng.randrange(10 ** len(m.group()))), lines[j]) + " ·"
                text = "\n".join(lines)
        else:
            kind = "dump" if kind == "copy" else kind
            lang, text = rng.choice(sources[kind])
            text = perturb(text, lang, pool, rng)
            recent = (recent + [text])[-200:]
        data = text.encode("utf-8")
        folder = os.path.join(target, f"{i // 1000:04d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{kind}-{i:06d}.txt"), "wb") as fh:
            fh.write(data)
        written += len(data)
        counts[kind] += 1
        i += 1
    info = {"files": i, "bytes": written, "kinds": counts}
    with open(marker, "w", encoding="utf-8") as fh:
        json.dump(info, fh)
    return info


def corpus_files(target: str) -> list[str]:
    out = []
    for folder, _dirs, names in os.walk(target):
        out += [os.path.join(folder, n) for n in names if not n.startswith(".")]
    return sorted(out)


# --- memory of a process tree ------------------------------------------------------------------------
def _children_of() -> dict:
    parents: dict = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(pid))
    return parents


def _hwm_mb(pid: int):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class TreeMemory(threading.Thread):
    """Samples the peak RSS (VmHWM) of a process and all its descendants twice a second."""

    def __init__(self, root: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peaks: dict = {}  # pid -> (peak MB, role)
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            tree, todo = [], [self.root]
            parents = _children_of()
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo += parents.get(pid, [])
            for pid in tree:
                hwm = _hwm_mb(pid)
                if hwm is None:
                    continue
                role = self.peaks.get(pid, (0, None))[1] or _role(pid, self.root)
                self.peaks[pid] = (max(hwm, self.peaks.get(pid, (0, ""))[0]), role)
            self.stop.wait(self.interval)

    def by_role(self) -> dict:
        out: dict = {}
        for peak, role in self.peaks.values():
            out.setdefault(role, []).append(round(peak))
        return {role: sorted(v, reverse=True) for role, v in out.items()}


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "launcher"
    cmd = _cmdline(pid)
    if "sdk_worker" in cmd or "worker_pool" in cmd:
        return "beam_worker"
    if "serve_validation" in cmd:
        return "validation"
    if "multiprocessing" in cmd or "spawn" in cmd:
        return "child"
    return "other"


RUN_CHILD = """
import json, resource, sys, time
from pipeline.cli import main
started = time.time()
code = main(sys.argv[1:])
self_, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall_s": time.time() - started,
                  "cpu_s": self_.ru_utime + self_.ru_stime + kids.ru_utime + kids.ru_stime}))
"""


def run_newsclean(inputs: str, out_dir: str, workers: int, extra: list[str]) -> dict:
    argv = ["run", "--input", inputs, "--output", out_dir, "--workers", str(workers), "--quiet", *extra]
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-c", RUN_CHILD, *argv], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeMemory(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.stop.set()
    sampler.join()
    wall = time.time() - started
    if proc.returncode != 0 or not stdout.strip():
        raise SystemExit(f"newsclean run failed ({proc.returncode}):\n{stderr[-3000:]}")
    stats = json.loads(stdout.strip().splitlines()[-1])
    stats["wall_s"] = wall  # process start-up and imports included
    stats["memory_mb"] = sampler.by_role()
    with open(os.path.join(out_dir, "report", "summary.json"), encoding="utf-8") as fh:
        stats["summary"] = json.load(fh)
    return stats


# --- stage profile (pure steps, this process, one core) ----------------------------------------------
def stage_profile(files: list[str], limit_bytes: int) -> tuple[dict, int]:
    from pipeline import sources, steps
    from pipeline.config import load_config
    from pipeline.document import Reject
    from pipeline.gc_tuning import tune_gc
    from pipeline.steps import dedup

    tune_gc()  # the collector as in a cleaning worker (with the defaults it costs several times more)
    config = load_config(None)
    chain = steps.text_steps(config)
    seconds = {"read+decode": 0.0, **{name: 0.0 for name, _ in chain}, "dedup.sketch": 0.0}
    hasher = dedup.MinHasher(config.dedup.num_perm, config.dedup.bands)
    # warm up once-per-process costs (language models, the CC-CEDICT index) on the seeds, untimed:
    # a worker pays them once, not per MB
    seeds = os.path.join(REPO, "seeds")
    for name in sorted(os.listdir(seeds)):
        with open(os.path.join(seeds, name), "rb") as fh:
            try:
                steps.apply_steps(sources.text_document(name, fh.read()), chain)
            except Reject:
                pass
    total = 0
    for path in files:
        if total >= limit_bytes:
            break
        t = time.process_time()
        with open(path, "rb") as fh:
            data = fh.read()
        total += len(data)
        try:
            doc = sources.text_document(path, data)
        except Reject:
            continue
        seconds["read+decode"] += time.process_time() - t
        try:
            for name, step in chain:
                t = time.process_time()
                doc = step(doc)
                seconds[name] += time.process_time() - t
        except Reject:
            seconds[name] += time.process_time() - t
            continue
        t = time.process_time()
        text = doc.clean_record()["text"]
        hashes = dedup.shingle_hashes(text, config.dedup.word_ngram, config.dedup.char_ngram)
        if len(hashes):
            hasher.band_keys(hasher.signature(hashes))
        seconds["dedup.sketch"] += time.process_time() - t
    return seconds, total


# --- references ----------------------------------------------------------------------------------------
DATATROVE_CHILD = r"""
import json, sys, time
t0 = time.process_time(); w0 = time.time()
from datatrove.data import Document
from datatrove.pipeline.filters import GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter
files = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
def docs():
    for i, path in enumerate(files):
        with open(path, "rb") as fh:
            yield Document(text=fh.read().decode("utf-8", "replace"), id=str(i), metadata={"language": "en"})
stream = docs()
for f in (GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False)):
    stream = f.run(stream)
kept = sum(1 for _ in stream)
print(json.dumps({"cpu_s": time.process_time() - t0, "wall_s": time.time() - w0, "kept": kept}))
"""

PLAIN_CHILD = r"""
import json, sys, time
t0 = time.process_time(); w0 = time.time()
from langdetect import DetectorFactory, detect
DetectorFactory.seed = 0
langs = {}
for line in open(sys.argv[1], encoding="utf-8"):
    with open(line.rstrip("\n"), "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    try:
        lang = detect(text)
    except Exception:
        lang = "und"
    langs[lang] = langs.get(lang, 0) + 1
print(json.dumps({"cpu_s": time.process_time() - t0, "wall_s": time.time() - w0, "langs": len(langs)}))
"""


def run_reference(python: str, code: str, file_list: str) -> dict:
    done = subprocess.run([python, "-c", code, file_list], capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- HTML ----------------------------------------------------------------------------------------------
def html_bench(eval_dir: str, work: str, pages: int, seed: int = 9) -> dict:
    rng = random.Random(seed)
    records = list(_jsonl(os.path.join(eval_dir, "boilerplate", "html_dev.jsonl.gz")))
    chosen = [rng.choice(records) for _ in range(pages)]
    folder = os.path.join(work, f"html-{pages}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    size = 0
    for i, r in enumerate(chosen):
        data = r["html"].encode("utf-8")
        size += len(data)
        with open(os.path.join(folder, f"page-{i:05d}.html"), "wb") as fh:
            fh.write(data)
    import trafilatura

    t = time.process_time()
    for r in chosen:
        trafilatura.extract(r["html"], favor_precision=True, include_tables=True)
    trafilatura_cpu = time.process_time() - t
    run = run_newsclean(folder, os.path.join(work, "out-html"), 1, ["--set", "validation.validate=false"])
    return {"pages": pages, "mb": size / MB, "trafilatura_pages_per_cpu_s": pages / trafilatura_cpu,
            "newsclean": run}


# --- report --------------------------------------------------------------------------------------------
def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((l.split(":", 1)[1].strip() for l in fh if l.startswith("model name")), "")
    except OSError:
        pass
    with open("/proc/meminfo") as fh:
        mem = int(fh.readline().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores ({model}), {mem:.1f} GB RAM, Python {sys.version.split()[0]}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", required=True, help="the public dev sets folder (boilerplate/, halves/)")
    ap.add_argument("--work", required=True, help="where corpora and outputs go (outside the repository)")
    ap.add_argument("--mb", type=float, nargs="*", default=[40.0],
                    help="corpus sizes in MB (one run each); none: only the HTML comparison")
    ap.add_argument("--workers", default="1,2", help="worker counts for newsclean run, comma-separated")
    ap.add_argument("--stage-mb", type=float, default=8.0, help="MB of the corpus for the stage profile")
    ap.add_argument("--datatrove-python", help="a Python with datatrove (+ spacy) installed, for the reference")
    ap.add_argument("--html-pages", type=int, default=0, help="also time N HTML pages against trafilatura alone")
    ap.add_argument("--no-stages", action="store_true", help="skip the stage profile")
    ap.add_argument("--no-refs", action="store_true", help="skip the reference runs (e.g. for a memory-only size)")
    ap.add_argument("--json", help="write every figure here too")
    args = ap.parse_args(argv)
    work = os.path.abspath(args.work)
    if work == REPO or work.startswith(REPO + os.sep):
        ap.error("--work must be outside the repository")
    os.makedirs(work, exist_ok=True)
    workers = [int(w) for w in args.workers.split(",") if w]
    results = {"machine": machine(), "load_before": os.getloadavg(), "sizes": []}
    print(f"machine: {results['machine']}; load average {results['load_before'][0]:.2f}")

    for mb in args.mb:
        target = os.path.join(work, f"corpus-{mb:g}mb")
        info = make_corpus(args.eval, target, mb)
        files = corpus_files(target)
        mbytes = info["bytes"] / MB
        print(f"\ncorpus {target}: {info['files']} files, {mbytes:.1f} MB ({info['kinds']})")
        entry = {"mb": mbytes, "files": info["files"], "kinds": info["kinds"], "runs": {}, "refs": {}}

        if not args.no_stages:
            seconds, done = stage_profile(files, int(args.stage_mb * MB))
            entry["stages"] = {k: done / MB / v if v else None for k, v in seconds.items()}
            print(f"stage profile, one core, first {done / MB:.1f} MB (MB/s of input, CPU time):")
            for name, v in seconds.items():
                print(f"  {name:<28} {done / MB / v:8.2f} MB/s   {v:6.2f} s")
            chain = sum(seconds.values())
            print(f"  {'all steps':<28} {done / MB / chain:8.2f} MB/s   {chain:6.2f} s")

        for n in workers:
            stats = run_newsclean(target, os.path.join(work, f"out-{mb:g}-w{n}"), n, [])
            s = stats["summary"]
            mbs = mbytes / stats["wall_s"]
            entry["runs"][n] = stats
            print(f"newsclean run --workers {n}: {stats['wall_s']:.1f} s wall, {stats['cpu_s']:.1f} s CPU; "
                  f"{info['files'] / stats['wall_s']:.0f} docs/s, {mbs:.2f} MB/s, {mbs / n:.2f} MB/s per core, "
                  f"{mbytes / stats['cpu_s']:.2f} MB per CPU-second; peak MB by process {stats['memory_mb']}; "
                  f"clean {s['clean']}, rejected {s['rejected']}, duplicates {s['duplicates']}, "
                  f"accounting {'OK' if s['accounting_ok'] else 'FAILED'}")
        if 1 in entry["runs"] and 2 in entry["runs"]:
            speedup = entry["runs"][1]["wall_s"] / entry["runs"][2]["wall_s"]
            entry["speedup_2_workers"] = speedup
            print(f"--workers 2 vs 1: {speedup:.2f}x wall")

        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("\n".join(files) + "\n")
            file_list = fh.name
        refs = [("plain Python: read + decode + langdetect per document", sys.executable, PLAIN_CHILD)]
        if args.no_refs:
            refs = []
        elif args.datatrove_python:
            refs.insert(0, ("DataTrove: Gopher repetition + Gopher quality + C4 filters", args.datatrove_python,
                            DATATROVE_CHILD))
        for label, python, code in refs:
            ref = run_reference(python, code, file_list)
            entry["refs"][label] = ref
            if "error" in ref:
                print(f"reference {label}: {ref['error']}")
                continue
            per_cpu = mbytes / ref["cpu_s"]
            line = f"reference {label}: {ref['wall_s']:.1f} s wall, {per_cpu:.2f} MB per CPU-second"
            if 1 in entry["runs"]:
                ours = mbytes / entry["runs"][1]["cpu_s"]
                line += f"; newsclean (1 worker, end to end) / reference = {ours / per_cpu:.2f}x per CPU-second"
            print(line)
        os.unlink(file_list)
        results["sizes"].append(entry)

    if len(results["sizes"]) > 1:  # memory as the input grows, per worker count
        for n in workers:
            peaks = [(e["mb"], max(max(v) for v in e["runs"][n]["memory_mb"].values())) for e in results["sizes"] if n in e["runs"]]
            (mb0, peak0), (mb1, peak1) = peaks[0], peaks[-1]
            print(f"peak memory of the largest process, --workers {n}: "
                  + ", ".join(f"{mb:.0f} MB input -> {peak:.0f} MB" for mb, peak in peaks)
                  + f" (x{peak1 / peak0:.2f} for x{mb1 / mb0:.1f} input)")

    if args.html_pages:
        h = html_bench(args.eval, work, args.html_pages)
        run = h["newsclean"]
        ours = h["pages"] / run["cpu_s"]
        print(f"\nHTML, {h['pages']} pages ({h['mb']:.1f} MB): trafilatura alone {h['trafilatura_pages_per_cpu_s']:.1f} "
              f"pages per CPU-second; newsclean run (extraction chain + cleaning, 1 worker, end to end) "
              f"{ours:.1f} pages per CPU-second ({ours / h['trafilatura_pages_per_cpu_s']:.2f}x), "
              f"{h['pages'] / run['wall_s']:.1f} pages/s wall; peak MB {run['memory_mb']}")
        results["html"] = h
    results["load_after"] = os.getloadavg()
    print(f"\nload average after: {results['load_after'][0]:.2f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
