"""Time `newsclean validate` on a generated output of N clean records (default 100,000).

    python scripts/bench_validation.py [--records 100000] [--keep DIR] [--baseline REF [--rounds 3]]

Writes a synthetic output folder (clean/ in 4 shards, rejects/, bitext/; multilingual texts of a
few hundred characters to a few KB, deterministic), then runs the same validation as
`newsclean validate` (suites, results JSON, Data Docs) and prints the time of each phase.
The generated output is good: every suite must pass, so the figure is for a full, passing run.

--baseline REF also validates the output with pipeline/validation.py and expectations/ of git REF
(e.g. main), in the same process, alternating with the current code for --rounds rounds: CPU
seconds of each (the smallest of the rounds) and whether the verdicts (every expectation's status,
failing-row count and examples) are identical. --output DIR validates an existing output instead
of generating one.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline import validation  # noqa: E402
from pipeline.config import build_config  # noqa: E402

LATIN_WORDS = ("government minister talks city council report market growth company people year week "
               "police court school health water energy price election vote team season station").split()
GERMAN_WORDS = "Regierung Minister Stadt Bericht Markt Wachstum Unternehmen Menschen Jahr Woche Gericht".split()
RUSSIAN_WORDS = "правительство министр город отчёт рынок рост компания люди год неделя суд школа".split()
CHINESE_CHARS = "政府部长会谈城市报告市场增长公司人们今年本周警方法院学校健康能源价格选举表示进行发展经济合作国际问题"


def sentence(rng: random.Random, lang: str) -> str:
    if lang == "zh":
        body = "".join(rng.choice(CHINESE_CHARS) for _ in range(rng.randint(18, 60)))
        if rng.random() < 0.2:
            body += f"(Reuters {rng.randint(1, 999)})"
        return body + "。"
    words = {"en": LATIN_WORDS, "de": GERMAN_WORDS, "ru": RUSSIAN_WORDS}[lang]
    text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 30)))
    return text[0].upper() + text[1:] + f" {rng.randint(1, 2025)}."


def generate(folder: str, n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    langs = ["en", "zh", "de", "ru"]
    shards = 4
    os.makedirs(os.path.join(folder, "clean"))
    os.makedirs(os.path.join(folder, "rejects"))
    os.makedirs(os.path.join(folder, "bitext"))
    files = [open(os.path.join(folder, "clean", f"part-{i:05d}-of-{shards:05d}.jsonl"), "w", encoding="utf-8")
             for i in range(shards)]
    total = 0
    for i in range(n):
        lang = langs[i % len(langs)]
        lines = [f"{i} " + sentence(rng, lang)] + [sentence(rng, lang) for _ in range(rng.randint(2, 12))]
        text = "\n".join(lines)
        total += len(text.encode("utf-8"))
        record = {"id": f"{i:016x}", "source": f"in/{i}.txt", "url": None, "lang": lang,
                  "lang_confidence": round(0.8 + 0.2 * rng.random(), 3), "script": "Hans" if lang == "zh" else "Latn",
                  "title": lines[0][:60], "date": None, "site": None, "text": text, "chars": len(text),
                  "lines_in": len(lines) + 3, "encoding": "utf-8", "removed": {"chrome.share": 1}}
        files[i % shards].write(json.dumps(record, ensure_ascii=False) + "\n")
    for f in files:
        f.close()
    with open(os.path.join(folder, "rejects", "part-00000-of-00001.jsonl"), "w", encoding="utf-8") as fh:
        for i in range(n // 20):
            fh.write(json.dumps({"id": f"r{i:015x}", "source": f"in/r{i}.bin", "reason": "not_text",
                                 "detail": "binary file: PNG image", "bytes": 100}) + "\n")
    with open(os.path.join(folder, "bitext", "part-00000-of-00001.jsonl"), "w", encoding="utf-8") as fh:
        for i in range(n // 10):
            src, tgt = sentence(rng, "zh"), sentence(rng, "en")
            while not 0.5 < len(src.encode()) / len(tgt.encode()) < 2:  # a translation, not a fragment
                tgt = sentence(rng, "en")
            fh.write(json.dumps({"id": f"{i:016x}-0", "doc_id": f"{i:016x}", "src_lang": "zh", "tgt_lang": "en",
                                 "src": src, "tgt": tgt, "src_lines": [1],
                                 "tgt_lines": [9], "score": 0.9}, ensure_ascii=False) + "\n")
    return total


def baseline_module(ref: str, folder: str):
    """pipeline/validation.py of git `ref`, importable beside the current one, with that ref's
    expectations/ (the module finds them next to its own folder)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(os.path.join(folder, "module"))
    os.makedirs(os.path.join(folder, "expectations"))
    names = subprocess.run(["git", "ls-tree", "--name-only", ref, "expectations/"], cwd=root, check=True,
                           capture_output=True, text=True).stdout.split()
    for path, target in [("pipeline/validation.py", "module/validation.py")] + [(n, n) for n in names]:
        content = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=root, check=True, capture_output=True).stdout
        with open(os.path.join(folder, target), "wb") as fh:
            fh.write(content)
    spec = importlib.util.spec_from_file_location("validation_baseline", os.path.join(folder, "module", "validation.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def verdicts(results: dict) -> list:
    return [(s["name"], s["status"], s["records"], e["name"], e["status"], e.get("unexpected_count"),
             e.get("examples"), e.get("reason"), e.get("error")) for s in results["suites"] for e in s["expectations"]]


def compare(folder: str, config, ref: str, rounds: int) -> bool:
    """Current validation vs `ref`'s on the same output, alternating; prints CPU seconds."""
    with tempfile.TemporaryDirectory(prefix="newsclean-baseline-") as tmp:
        modules = {ref: baseline_module(ref, tmp), "current": validation}
        validation.validate_output(folder, config)  # warm-up: first-use costs paid by neither
        seconds: dict[str, list[float]] = {name: [] for name in modules}
        found: dict[str, list] = {}
        for r in range(rounds):
            for name in (list(modules) if r % 2 == 0 else list(modules)[::-1]):
                c = time.process_time()
                results = modules[name].validate_output(folder, config)
                seconds[name].append(time.process_time() - c)
                found[name] = verdicts(results)
    same = found[ref] == found["current"]
    for name, values in seconds.items():
        print(f"validation with {name}: {min(values):.2f} s CPU (rounds: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"verdicts identical: {same}")
    return same


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="clean records to generate")
    parser.add_argument("--keep", metavar="DIR", help="write the output here and keep it (default: a temp folder)")
    parser.add_argument("--output", metavar="DIR", help="validate this existing output (default config) instead")
    parser.add_argument("--baseline", metavar="REF", help="also time the validation of git REF (e.g. main)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --baseline comparison")
    args = parser.parse_args(argv)
    folder = args.output or args.keep or tempfile.mkdtemp(prefix="newsclean-bench-")
    if args.keep and not args.output and os.path.exists(folder):
        shutil.rmtree(folder)
    try:
        if args.output:
            config = build_config({})
        else:
            t0 = time.time()
            text_bytes = generate(folder, args.records)
            print(f"generated {args.records:,} clean records ({text_bytes / 1e6:.0f} MB of text), "
                  f"{args.records // 20:,} rejects, {args.records // 10:,} bitext pairs in {time.time() - t0:.1f} s")
            config = build_config({"validation": {"allowed_languages": ["en", "zh", "de", "ru"]}})
        t1, c1 = time.time(), time.process_time()
        import great_expectations  # noqa: F401  (timed on its own: paid once per process)
        t2, c2 = time.time(), time.process_time()
        if args.baseline:
            return 0 if compare(folder, config, args.baseline, args.rounds) else 1
        results = validation.validate_output(folder, config)
        t3, c3 = time.time(), time.process_time()
        # CPU time beside wall time: on a shared machine the wall time also measures the neighbours
        print(f"import great_expectations: {t2 - t1:.1f} s wall, {c2 - c1:.1f} s CPU")
        print(f"validation (read, derive, 3 suites, results JSON, Data Docs): {t3 - t2:.1f} s wall, "
              f"{c3 - c2:.1f} s CPU")
        print(f"total as `newsclean validate` pays it: {t3 - t1:.1f} s wall, {c3 - c1:.1f} s CPU  -> "
              f"{'PASSED' if results['ok'] else 'FAILED: ' + ', '.join(validation.failed_expectations(results))}")
        return 0 if results["ok"] else 1
    finally:
        if not args.keep and not args.output:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
