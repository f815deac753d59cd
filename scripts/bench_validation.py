"""Time `newsclean validate` on a generated output of N clean records (default 100,000).

    python scripts/bench_validation.py [--records 100000] [--keep DIR]

Writes a synthetic output folder (clean/ in 4 shards, rejects/, bitext/; multilingual texts of a
few hundred characters to a few KB, deterministic), then runs the same validation as
`newsclean validate` (suites, results JSON, Data Docs) and prints the time of each phase.
The generated output is good: every suite must pass, so the figure is for a full, passing run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="clean records to generate")
    parser.add_argument("--keep", metavar="DIR", help="write the output here and keep it (default: a temp folder)")
    args = parser.parse_args(argv)
    folder = args.keep or tempfile.mkdtemp(prefix="newsclean-bench-")
    if args.keep and os.path.exists(folder):
        shutil.rmtree(folder)
    try:
        t0 = time.time()
        text_bytes = generate(folder, args.records)
        print(f"generated {args.records:,} clean records ({text_bytes / 1e6:.0f} MB of text), "
              f"{args.records // 20:,} rejects, {args.records // 10:,} bitext pairs in {time.time() - t0:.1f} s")
        config = build_config({"validation": {"allowed_languages": ["en", "zh", "de", "ru"]}})
        t1, c1 = time.time(), time.process_time()
        import great_expectations  # noqa: F401  (timed on its own: paid once per process)
        t2, c2 = time.time(), time.process_time()
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
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
