#!/usr/bin/env python3
"""Main-text extraction benchmark: every extractor variant on one HTML set, in one run.

    .venv/bin/python scripts/bench_html.py ../shared/eval/boilerplate/html_dev.jsonl.gz [--scorer PATH]
        [--only NAME ...] [--json out.json] [--sweep]

Input: JSON Lines (.gz) with {"id", "html", "expected", "lang", "source_benchmark", "url"} per page.
For each variant: bag-of-tokens F1 (the scorer's `score`; CJK by character) overall, per language and per
source benchmark, and pages/s per core = pages / CPU seconds used (this process and its extraction
child; independent of other load on the machine). The last two variants run the whole newsclean pipeline
(reader, extraction in its child process, the text steps; chrome.on_extracted_html none and specific) over
the same file and score its clean records. F1 is also given on two
fixed halves of the set (by a hash of the page id). --sweep moves the chain's thresholds one at a time
instead, and tunes each on one half to score it on the other.
"""
from __future__ import annotations

import argparse
import hashlib
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


# --- ideas measured and not kept: changes to the default chain's choice, measured here only ----------
def _shingles(line: str) -> set:
    """Word pairs (CJK: character pairs) of a line in text order, or its words when it has one."""
    seq = []
    for piece in line.lower().split():
        run = ""
        for ch in piece:
            if "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af":
                seq += [run] if run else []
                seq.append(ch)
                run = ""
            elif ch.isalnum():
                run += ch
        seq += [run] if run else []
    return set(zip(seq, seq[1:])) if len(seq) > 1 else set(seq)


def _unshared_lines(text: str, other: str) -> list[tuple[str, bool]]:
    """Each non-empty line of `text` and whether it is shared: over half of its shingles are in `other`."""
    support = set().union(*(_shingles(line) for line in other.split("\n")))
    return [(line.strip(), len(_shingles(line) & support) * 2 > len(_shingles(line)))
            for line in text.split("\n") if _shingles(line)]


def _shared(line: str, other: str) -> bool:
    return any(shared for _, shared in _unshared_lines(line, other))


_SENTENCE_END = ("." , "!", "?", "。", "！", "？", "…", '"', "”", "»", ")", "）", ":", "：", ";", "；")


def _prose(line: str) -> bool:
    """A dense prose paragraph: 10+ words (25+ CJK characters), ends like a sentence, not a table row/list item."""
    cjk = sum("\u3040" <= ch <= "\u9fff" for ch in line) > len(line) / 3
    n = sum(H._tokens(line).values())
    return (not line.startswith(("|", "- ")) and n >= (25 if cjk else 10) and line.endswith(_SENTENCE_END))


def _both(row, opts=H.HtmlOptions()):
    traf = H.trafilatura_text(row["html"], row.get("url"), opts, fallbacks=False)
    read = H.readability_text(row["html"])
    return traf, read, H.choose_text(traf, read, opts, row["html"])


def _traf_inside_read(traf: str, read: str) -> bool:
    t, r = H._tokens(traf), H._tokens(read)
    return sum(t.values()) > 0 and sum((t & r).values()) >= 0.9 * sum(t.values())


def chain_plus_read_lines(judge):
    """Where trafilatura's text lies inside readability's, add readability's other lines that pass
    `judge(row)` (a line -> bool test made once per page)."""
    def run(row):
        traf, read, (text, method) = _both(row)
        if method == "trafilatura" and _traf_inside_read(traf, read):
            keep = judge(row)
            text = "\n".join([text] + [line for line, shared in _unshared_lines(read, traf) if not shared and keep(line)])
        return text
    return run


def justext_keeps(row):
    good = justext_text(row)
    return lambda line: _shared(line, good)


def chain_plus_headline():
    """Where readability's article is kept, put back trafilatura's first line when it is the page title."""
    def run(row):
        traf, read, (text, method) = _both(row)
        first = next((line for line in traf.split("\n") if line.strip()), "")
        title = H.page_metadata(row["html"], row.get("url")).get("title") or ""
        ft, tt = H._tokens(first), H._tokens(title)
        if method.startswith("readability") and ft and sum((ft & tt).values()) >= 0.6 * sum(ft.values()) \
                and not _shared(first, text):
            text = first + "\n" + text
        return text
    return run


def line_merge():
    """No choice: readability's lines trafilatura confirms, plus dense prose lines only one of them has."""
    def run(row):
        traf, read, _ = _both(row)
        kept = [line for line, shared in _unshared_lines(read, traf) if shared or _prose(line)]
        kept += [line for line, shared in _unshared_lines(traf, read) if not shared and _prose(line)]
        return "\n".join(kept)
    return run


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
    "chain (trafilatura defaults + readability)": lambda: chain_variant(
        favor_precision=False, trafilatura_fallbacks=True, by_position=False, thin_ratio=0.5),
    "chain (trafilatura favor_precision + readability) [previous default]": lambda: chain_variant(
        trafilatura_fallbacks=True, by_position=False, thin_ratio=0.5),
    "previous + position rule": lambda: chain_variant(trafilatura_fallbacks=True, thin_ratio=0.5),
    "previous + position rule, trafilatura without its own fallbacks": lambda: chain_variant(thin_ratio=0.5),
    "default without the position rule": lambda: chain_variant(by_position=False),
    "default with trafilatura's own fallbacks": lambda: chain_variant(trafilatura_fallbacks=True),
    "default with trafilatura include_tables=False": lambda: chain_variant(include_tables=False),
    "chain: position rule, trafilatura without its fallbacks, thin below 75 % [default]": lambda: chain_variant(),
    "default + readability's extra prose lines where trafilatura's text lies inside it":
        lambda: chain_plus_read_lines(lambda row: _prose),
    "default + readability's extra lines jusText keeps (benchmark's stoplist)":
        lambda: chain_plus_read_lines(justext_keeps),
    "default + trafilatura's headline line over readability's article": chain_plus_headline,
    "line merge (confirmed lines + dense prose of either), no choice": line_merge,
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


def run_pipeline(path: str, *settings: str):
    """The newsclean pipeline over the file (html field; ids kept as source_id); preds by source_id."""
    from pipeline.cli import main

    out = tempfile.mkdtemp(prefix="bench_html_")
    started = cpu_seconds()
    code = main(["run", "--quiet", "--input", path, "--output", out, "--set", "quality.min_chars=0",
                 "--set", "input.fields.text=__none__"] + [a for kv in settings for a in ("--set", kv)])
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


def half_of(row) -> str:
    """A or B by a hash of the page id: two fixed halves of the set, for tuning on one and testing on the other."""
    return "AB"[int(hashlib.sha1(row["id"].encode("utf-8")).hexdigest(), 16) % 2]


SWEEP = {"thin_ratio": [0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9], "contained_share": [0.8, 0.85, 0.9, 0.95],
         "min_part": [0.1, 0.15, 0.2, 0.3, 0.4], "disagree_share": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]}


def sweep(rows, scorer) -> None:
    """F1 of the default chain with each threshold moved (others at their defaults), on all pages and on
    each half; then each threshold tuned on one half (best F1, ties to the default) and scored on the other."""
    both = {row["id"]: (H.trafilatura_text(row["html"], row.get("url"), H.HtmlOptions(), fallbacks=False),
                        H.readability_text(row["html"])) for row in rows}
    halves = {h: [row for row in rows if half_of(row) == h] for h in "AB"}
    default = H.HtmlOptions()
    print("| threshold | value | F1 all | F1 half A | F1 half B |\n|---|---|---|---|---|")
    tuned = []
    for name, values in SWEEP.items():
        scores = {}
        for value in values:
            opts = H.HtmlOptions(**{name: value})
            preds = {row["id"]: H.choose_text(*both[row["id"]], opts, row["html"])[0] for row in rows}
            scores[value] = {part: scorer.score(rs, preds)["overall"]["f1"]
                             for part, rs in [("all", rows)] + list(halves.items())}
            mark = " (default)" if value == getattr(default, name) else ""
            print(f"| {name} | {value}{mark} | {scores[value]['all']:.3f} | {scores[value]['A']:.3f} | {scores[value]['B']:.3f} |")
        for on, off in ("AB", "BA"):
            best = max(values, key=lambda v: (round(scores[v][on], 4), -abs(v - getattr(default, name))))
            tuned.append(f"{name} tuned on {on}: {best} -> F1 on {off} {scores[best][off]:.3f}")
    print("\n" + "\n".join(tuned))


def fmt(summary: dict) -> str:
    return f"{summary['f1']:.3f}" if summary.get("n") else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html_set")
    ap.add_argument("--scorer", help="score_boilerplate.py (default: one folder above the data)")
    ap.add_argument("--only", nargs="*", help="substrings of variant names to run")
    ap.add_argument("--no-pipeline", action="store_true", help="skip the whole-pipeline run")
    ap.add_argument("--json", help="write all figures here")
    ap.add_argument("--sweep", action="store_true", help="only the chain's thresholds, moved one at a time")
    args = ap.parse_args(argv)

    scorer = load_scorer(args.scorer or scorer_beside(args.html_set, "score_boilerplate.py"))
    rows = read_jsonl(args.html_set)
    langs = sorted({r["lang"] for r in rows})
    top_langs = [lang for lang in ("zh", "ru", "en", "el", "pl", "de") if lang in langs]
    sources = sorted({r["source_benchmark"] for r in rows})

    if args.sweep:
        sweep(rows, scorer)
        return 0
    halves = {h: [row for row in rows if half_of(row) == h] for h in "AB"}
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
        results[name] = (scorer.score(rows, preds), len(rows) / elapsed,
                         {h: scorer.score(rs, preds)["overall"]["f1"] for h, rs in halves.items()})
        print(f"... {name}: F1 {results[name][0]['overall']['f1']:.3f}", file=sys.stderr, flush=True)

    if not args.no_pipeline and not args.only:
        for label, settings in [("", ()), (", chrome.on_extracted_html=specific", ("chrome.on_extracted_html=specific",))]:
            preds, elapsed, _code = run_pipeline(args.html_set, *settings)
            results[f"newsclean run (chain + text steps, whole pipeline, start-up included{label})"] = (
                scorer.score(rows, preds), len(rows) / elapsed,
                {h: scorer.score(rs, preds)["overall"]["f1"] for h, rs in halves.items()})

    header = ["variant", "F1", "P", "R"] + [f"F1 {lang}" for lang in top_langs] + \
             [f"F1 {s}" for s in sources] + ["F1 half A", "F1 half B", "pages/s/core"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, (res, rate, by_half) in results.items():
        o = res["overall"]
        cells = [name, f"{o['f1']:.3f}", f"{o['precision']:.3f}", f"{o['recall']:.3f}"]
        cells += [fmt(res["by_lang"].get(lang, {})) for lang in top_langs]
        cells += [fmt(res["by_source"].get(s, {})) for s in sources]
        cells += [f"{by_half['A']:.3f}", f"{by_half['B']:.3f}", f"{rate:.1f}"]
        print("| " + " | ".join(cells) + " |")
    print(f"\n{len(rows)} pages; " + ", ".join(f"{lang} {sum(r['lang'] == lang for r in rows)}" for lang in langs)
          + f"; half A {len(halves['A'])}, half B {len(halves['B'])} (by a hash of the id)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({name: {"score": {k: v for k, v in res.items() if k != "per_doc"}, "pages_per_s": rate,
                              "f1_by_half": by_half}
                       for name, (res, rate, by_half) in results.items()}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
