#!/usr/bin/env python3
"""Main-text extraction benchmark: every extractor variant on one HTML set, in one run.

    .venv/bin/python scripts/bench_html.py ../shared/eval/boilerplate/html_dev.jsonl.gz [--scorer PATH]
        [--only NAME ...] [--json out.json]

Input: JSON Lines (.gz) with {"id", "html", "expected", "lang", "source_benchmark", "url"} per page.
For each variant: bag-of-tokens F1 (the scorer's `score`; CJK by character) overall, per language and per
source benchmark, and pages/s per core = pages / CPU seconds used (this process and its extraction
child; independent of other load on the machine). The last variant runs the whole newsclean pipeline (reader, extraction in its
child process, the text steps) over the same file and scores its clean records.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from evaltools import load_scorer, read_jsonl, scorer_beside  # noqa: E402
from pipeline.steps import html as H  # noqa: E402

JUSTEXT_LANGUAGES = {"en": "English", "de": "German", "ru": "Russian", "el": "Greek", "pl": "Polish",
                     "hr": "Croatian", "pt": "Portuguese", "it": "Italian"}


def trafilatura_variant(**options):
    import trafilatura

    return lambda row: trafilatura.extract(row["html"], url=row.get("url"), **options) or ""


def justext_text(row) -> str:
    """jusText with the page's language stoplist (known from the benchmark; a pipeline would need langid)."""
    import justext

    language = JUSTEXT_LANGUAGES.get(row.get("lang"))
    stoplist = justext.get_stoplist(language) if language else frozenset()
    cjk = row.get("lang") in ("zh", "ja", "ko")
    paragraphs = justext.justext(row["html"].encode("utf-8"), stoplist, encoding="utf-8",
                                 length_low=20 if cjk else 70, length_high=60 if cjk else 200,
                                 stopwords_low=0 if not language else 0.3,
                                 stopwords_high=0 if not language else 0.32)
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def html_text_page(row) -> str:
    import html_text

    return html_text.extract_text(row["html"], guess_layout=True)


def inscriptis_page(row) -> str:
    from inscriptis import get_text

    return get_text(row["html"])


def chain_variant(**options):
    opts = H.HtmlOptions(**options)
    return lambda row: H.extract_text(row["html"], row.get("url"), opts)[0]


def page_in_process():
    opts = H.HtmlOptions()
    return lambda row: "\n".join(H.extract_page(row["html"], row.get("url"), options=opts).lines)


def isolated_chain():
    from pipeline.isolation import IsolatedCall

    call = IsolatedCall(H.extract_page, timeout_s=60, warm_up=H.warm_up)  # started outside the timing below
    call(b"<html><body><p>warm up</p></body></html>")

    def run(row):
        try:
            return "\n".join(call(row["html"], row.get("url")).lines)
        except Exception:
            return ""
    run.close = call.close
    run.child_pids = lambda: [call._proc.pid] if call._proc is not None else []
    return run


VARIANTS = {
    "trafilatura (defaults)": lambda: trafilatura_variant(),
    "trafilatura favor_precision": lambda: trafilatura_variant(favor_precision=True),
    "trafilatura favor_recall": lambda: trafilatura_variant(favor_recall=True),
    "trafilatura include_tables=False": lambda: trafilatura_variant(include_tables=False),
    "trafilatura fast (no fallbacks)": lambda: trafilatura_variant(fast=True),
    "readability-lxml": lambda: (lambda row: H.readability_text(row["html"])),
    "jusText (benchmark's language stoplist)": lambda: justext_text,
    "html-text, whole page": lambda: html_text_page,
    "inscriptis, whole page": lambda: inscriptis_page,
    "chain (trafilatura defaults + readability)": lambda: chain_variant(favor_precision=False),
    "chain (trafilatura favor_precision + readability) [default]": lambda: chain_variant(),
    "extract_page: chain + charset + checks + metadata, in process": page_in_process,
    "extract_page, in the extraction child process": isolated_chain,
}


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc (0 where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_seconds(child_pids=()) -> float:
    """CPU used so far by this process, its finished children and the given live children.

    Pages per second per core are pages / CPU seconds: unlike wall time, this does not depend on what
    else the (shared) machine is doing.
    """
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ru.ru_utime + ru.ru_stime + sum(_proc_cpu(pid) for pid in child_pids)


def run_pipeline(path: str):
    """The newsclean pipeline over the file (html field; ids kept as source_id); preds by source_id."""
    from pipeline.cli import main

    out = tempfile.mkdtemp(prefix="bench_html_")
    started = cpu_seconds()
    code = main(["run", "--quiet", "--input", path, "--output", out, "--set", "quality.min_chars=0",
                 "--set", "input.fields.text=__none__"])
    elapsed = cpu_seconds() - started
    preds = {}
    for kind in ("clean",):
        folder = os.path.join(out, kind)
        for name in os.listdir(folder):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                for line in fh:
                    record = json.loads(line)
                    preds[record["source_id"]] = record["text"]
    return preds, elapsed, code


def fmt(summary: dict) -> str:
    return f"{summary['f1']:.3f}" if summary.get("n") else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html_set")
    ap.add_argument("--scorer", help="score_boilerplate.py (default: one folder above the data)")
    ap.add_argument("--only", nargs="*", help="substrings of variant names to run")
    ap.add_argument("--no-pipeline", action="store_true", help="skip the whole-pipeline run")
    ap.add_argument("--json", help="write all figures here")
    args = ap.parse_args(argv)

    scorer = load_scorer(args.scorer or scorer_beside(args.html_set, "score_boilerplate.py"))
    rows = read_jsonl(args.html_set)
    langs = sorted({r["lang"] for r in rows})
    top_langs = [lang for lang in ("zh", "ru", "en", "el", "pl", "de") if lang in langs]
    sources = sorted({r["source_benchmark"] for r in rows})

    results = {}
    for name, make in VARIANTS.items():
        if args.only and not any(s in name for s in args.only):
            continue
        extract = make()
        pids = getattr(extract, "child_pids", lambda: [])
        for row in rows[:3]:  # warm-up (imports, caches), not timed
            try:
                extract(row)
            except Exception:
                pass
        started = cpu_seconds(pids())
        preds = {}
        for row in rows:
            try:
                preds[row["id"]] = extract(row)
            except Exception:
                preds[row["id"]] = ""
        elapsed = cpu_seconds(pids()) - started
        if hasattr(extract, "close"):
            extract.close()
        results[name] = (scorer.score(rows, preds), len(rows) / elapsed)
        print(f"... {name}: F1 {results[name][0]['overall']['f1']:.3f}", file=sys.stderr, flush=True)

    if not args.no_pipeline and not args.only:
        preds, elapsed, _code = run_pipeline(args.html_set)
        results["newsclean run (chain + text steps, whole pipeline, start-up included)"] = (scorer.score(rows, preds), len(rows) / elapsed)

    header = ["variant", "F1", "P", "R"] + [f"F1 {lang}" for lang in top_langs] + \
             [f"F1 {s}" for s in sources] + ["pages/s/core"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, (res, rate) in results.items():
        o = res["overall"]
        cells = [name, f"{o['f1']:.3f}", f"{o['precision']:.3f}", f"{o['recall']:.3f}"]
        cells += [fmt(res["by_lang"].get(lang, {})) for lang in top_langs]
        cells += [fmt(res["by_source"].get(s, {})) for s in sources]
        cells.append(f"{rate:.1f}")
        print("| " + " | ".join(cells) + " |")
    print(f"\n{len(rows)} pages; " + ", ".join(f"{lang} {sum(r['lang'] == lang for r in rows)}" for lang in langs))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({name: {"score": {k: v for k, v in res.items() if k != "per_doc"}, "pages_per_s": rate}
                       for name, (res, rate) in results.items()}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
