#!/usr/bin/env python3
"""The chrome classifier at a git ref against the working tree: same decisions? how fast is each?

    python scripts/compare_chrome.py [--ref main] [--repeat 3] DATA.jsonl.gz ...

Loads pipeline/steps/chrome*.py as they are at `--ref` (via `git show`, under another package name)
beside the working tree's modules, runs both `classify` over every document of the given sets (the
text field of any record: text_dump, text, html) plus seeds/ and a few pathological pages, and
compares removed lines with their rules, body span, title and metadata. Then times both over the
same documents, interleaved, in one run (CPU time, one core), so machine load affects both alike;
each timed pass starts with an empty line cache, after a garbage collection. Also checks every distinct
line's features alone and each document's lines worked out together (page_features) against the old
per-line features.
Exit status 1 when any decision differs.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import subprocess
import sys
import tempfile
import time

ROOT = __file__.rsplit("/scripts/", 1)[0]
sys.path.insert(0, ROOT)

from evaltools import read_jsonl  # noqa: E402
from pipeline.config import ChromeConfig  # noqa: E402

MODULES = ("chrome", "chrome_lines", "chrome_lexicon")
TEXT_FIELDS = ("text_dump", "text", "html")


def load_at_ref(ref: str):
    """(chrome, chrome_lines, chrome_lexicon) modules as they are at git `ref`, imported as package
    `chrome_at_ref`."""
    folder = tempfile.mkdtemp(prefix="chrome_ref_")
    package = os.path.join(folder, "chrome_at_ref")
    os.makedirs(package)
    open(os.path.join(package, "__init__.py"), "w").close()
    for name in MODULES:
        source = subprocess.run(["git", "-C", ROOT, "show", f"{ref}:pipeline/steps/{name}.py"],
                                check=True, capture_output=True, text=True).stdout
        for other in MODULES:
            source = source.replace(f"pipeline.steps.{other}", f"chrome_at_ref.{other}")
        with open(os.path.join(package, f"{name}.py"), "w", encoding="utf-8") as fh:
            fh.write(source)
    sys.path.insert(0, folder)
    return tuple(importlib.import_module(f"chrome_at_ref.{name}") for name in MODULES)


def pathological_pages() -> list[list[str]]:
    """Pages the README promises to handle in linear time, and repeated-line shapes."""
    sentence = "the quick brown fox jumps over the lazy dog while the reporter, tired, files copy"
    wrapped = [f"{sentence[:62]} {i:07d}" for i in range(20000)]  # ~1.4 MB single hard-wrapped paragraph
    bullets = [f"- Headline number {i} about the market 2024-03-{i % 28 + 1:02d} 12:{i % 60:02d}" for i in range(50000)]
    menu = ["Home | News | Sport | Weather", "Share", "Print", "Related news"]
    mixed = (menu * 50 + ["A long paragraph of the article, with commas, and a full stop at its end."] * 30
             + ["Copyright © 2024 Example", "Related news"] + menu * 50)
    one_line = ["Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 18_000]
    no_spaces = ["新" * 350_000]
    empty = [""] * 100_000 + ["The only sentence of this document, at its very end."]
    return [wrapped, bullets, mixed, one_line, no_spaces, empty]


# Shapes of dates, times, separators, URLs, bullets and marks that the per-line features look for.
EDGE_SHAPES = (
    "12:30", "7:37 PM", "23：59：01", "12时30分", "2024-03-01", "2024年3月1日", "01.03.2024", "3/1/24", "1.3.2024.",
    "16 January 2012", "Jan 16, 2012", "4 янв 2020", "21 Δεκέμβρη 2011", "1999", "2024", "20245", "x2024",
    "a | b", "a|b", "x - y", "a / b", "首页 → 财经", "»", "·", "http://a.b", "HTTPS://X", "www.x", "mail a@b.com",
    "site.com", "x.de.", "(c) 2020", "(C)2020", "© Foo", "COPYRİGHT", "ſhare", "•", "1.", "1、", "[tag]", "【标签】",
    "- item", "Source: AP", "SOURCE : x", "来源：新华社", "稿源", "Πηγή: ΑΠΕ", "Copyright", "copyrıght", "(c)", "By Jane Doe", "作者：李", "Автор: Иван", "ends.", "ends。", "asks?」", "colon:", "冒号：", "", "  ",
    "新闻", "Новости", "Ειδήσεις", "한국어", "ニュース", "½²", "١٢:٣٠", "x_y", "3.14", "a,b", "a, b; c: d. e",
)


def edge_lines() -> list[str]:
    """Every pair of EDGE_SHAPES, glued and spaced, and each shape in a sentence."""
    out = [f"{a}{b}" for a in EDGE_SHAPES for b in EDGE_SHAPES]
    out += [f"{a} {b}" for a in EDGE_SHAPES for b in EDGE_SHAPES]
    out += [f"The minister said on {a} that the plan, agreed {b}, would go ahead." for a in EDGE_SHAPES
            for b in EDGE_SHAPES[::7]]
    return out


def phrase_lines(lexicon) -> list[str]:
    """Lines built around every phrase of the packs: glued to letters, next to phrases of other
    scripts, in capitals, with dates and numbers: the shapes where phrase lookup can go wrong."""
    phrases = sorted({p for items in lexicon.phrases.values() for p in items})
    out = []
    for k, phrase in enumerate(phrases):
        other = phrases[(k * 7919) % len(phrases)]
        out += [phrase, f"x{phrase}", f"{phrase}x", f"{phrase}{other}", f"{other} {phrase}: 2024-03-01 12:00",
                phrase.upper(), f"新闻{phrase}新闻", f"Новости {phrase} | {other}", f"- {phrase} (3)",
                f"{phrase} " + "word " * 12]
    return out


def documents(paths: list[str]) -> list[tuple[str, list[str]]]:
    docs = []
    for path in paths:
        for row in read_jsonl(path):
            text = next((row[k] for k in TEXT_FIELDS if isinstance(row.get(k), str)), None)
            if text is not None:
                docs.append((f"{os.path.basename(path)}:{row.get('id')}", text.split("\n")))
    seeds = os.path.join(ROOT, "seeds")
    for name in sorted(os.listdir(seeds)):
        with open(os.path.join(seeds, name), encoding="utf-8") as fh:
            docs.append((f"seeds/{name}", fh.read().split("\n")))
    return docs


def line_facts(chrome_module, lines_module, lexicon, line: str) -> tuple:
    """A line's features (with the prose/timestamp verdicts), its phrase category alone and as the
    only line of a page (where the copyright sign counts too), its normalised form and source label."""
    f = lines_module.line_features(line)
    units = chrome_module.build_units([line], lexicon)
    return ({**f._asdict(), "prose": f.prose, "timestamped": f.timestamped}, lexicon.match(line),
            units[0].category if units else None, lines_module.normalise_line(line),
            lexicon.label_value(line, "source_label"))


def cold(lexicon):
    """The lexicon with its line cache (if it has one) emptied: timings start from nothing seen. (And
    the garbage collected: a full collection of this script's own large heap, every set loaded, would
    otherwise land in the timed passes of one version or the other, by the rhythm of the loop.)"""
    if hasattr(lexicon, "line_cache"):
        lexicon.line_cache.clear()
    gc.collect()
    return lexicon


def as_tuple(decision) -> tuple:
    return (sorted(decision.removed.items()), decision.body, decision.title, sorted(decision.meta.items()))


def main(argv=None) -> int:
    chrome = importlib.import_module("pipeline.steps.chrome")
    chrome_lexicon = importlib.import_module("pipeline.steps.chrome_lexicon")
    chrome_lines = importlib.import_module("pipeline.steps.chrome_lines")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="*", help="JSON Lines sets (gzip ok) with a text_dump/text/html field")
    ap.add_argument("--ref", default="main", help="git ref of the old code (default: main)")
    ap.add_argument("--repeat", type=int, default=3, help="timing repetitions (best is reported); 0 = no timing")
    ap.add_argument("--timing-set", help="time only the documents of this set (default: the first one)")
    args = ap.parse_args(argv)

    old_chrome, old_lines_mod, old_lexicon_mod = load_at_ref(args.ref)
    old_lexicon, new_lexicon = old_lexicon_mod.load_lexicon(), chrome_lexicon.load_lexicon()
    settings = ChromeConfig()
    docs = documents(args.data)
    pages = pathological_pages()
    distinct = sorted({line for _, lines in docs for line in lines} | set(phrase_lines(new_lexicon)) | set(edge_lines()))
    differ = 0
    for line in distinct:  # the per-line parts alone, on every distinct line (a finer check)
        old_line = line_facts(old_chrome, old_lines_mod, old_lexicon, line)
        new_line = line_facts(chrome, chrome_lines, new_lexicon, line)
        if old_line != new_line:
            differ += 1
            print(f"DIFFERENT line {line[:200]!r}:\n  old {old_line}\n  new {new_line}")
    if hasattr(new_lexicon, "match_many"):  # the page-at-once lookup against line by line
        widths = [chrome_lines.line_features(line).width for line in distinct]
        together = new_lexicon.match_many(distinct, widths)
        for line, width, category in zip(distinct, widths, together):
            if category != old_lexicon.match(line, width):
                differ += 1
                print(f"DIFFERENT line {line[:200]!r}: match_many {category} vs match {old_lexicon.match(line, width)}")
    if hasattr(chrome_lines, "page_features"):  # the features of a page's lines at once against one by one
        for name, lines in docs:
            for line, f in zip(lines, chrome_lines.page_features(lines)):
                if f != old_lines_mod.line_features(line):
                    differ += 1
                    print(f"DIFFERENT line {line[:200]!r} in {name}: page_features {f}")
    print(f"lines: {len(distinct) - differ} identical, {differ} different (features, phrase category)")
    differ_lines, differ = differ, 0
    for name, lines in docs + [(f"pathological/{i}", p) for i, p in enumerate(pages)]:
        old = as_tuple(old_chrome.classify(lines, old_lexicon, settings))
        new = as_tuple(chrome.classify(lines, new_lexicon, settings))
        if old != new:
            differ += 1
            print(f"DIFFERENT {name}: old {str(old)[:300]}\n  new {str(new)[:300]}")
    print(f"decisions: {len(docs) + len(pages) - differ} identical, {differ} different "
          f"({len(docs)} documents + {len(pages)} pathological pages; old = {args.ref})")

    for i, page in enumerate(pages):
        for label, mod, lex in (("old", old_chrome, old_lexicon), ("new", chrome, new_lexicon)):
            lex = cold(lex)
            started = time.process_time()
            mod.classify(page, lex, settings)
            print(f"pathological page {i} ({len(page)} lines, {sum(len(l) + 1 for l in page) / 1e6:.2f} MB): "
                  f"{label} {time.process_time() - started:.2f} s")

    if args.repeat > 0 and args.data:
        timing = args.timing_set or args.data[0]
        prefix = os.path.basename(timing) + ":"
        timed = [lines for name, lines in docs if name.startswith(prefix)]
        size = sum(len("\n".join(lines).encode("utf-8")) for lines in timed)
        best = {"old": float("inf"), "new": float("inf")}
        for _ in range(args.repeat):
            for label, mod, lex in (("old", old_chrome, old_lexicon), ("new", chrome, new_lexicon)):
                lex = cold(lex)
                started = time.process_time()
                for lines in timed:
                    mod.classify(lines, lex, settings)
                best[label] = min(best[label], time.process_time() - started)
        # every short line already in the cache (a site's pages share menus and footers), both interleaved
        warm = [(f"{label}, all lines seen before", mod, lex) for label, mod, lex in
                (("old", old_chrome, old_lexicon), ("new", chrome, new_lexicon)) if hasattr(lex, "line_cache")]
        for _ in range(args.repeat):
            for label, mod, lex in warm:
                gc.collect()
                started = time.process_time()
                for lines in timed:
                    mod.classify(lines, lex, settings)
                best[label] = min(best.get(label, float("inf")), time.process_time() - started)
        for label, seconds in best.items():
            print(f"-- speed {label}: {size / 1e6:.2f} MB in {seconds:.2f} s = "
                  f"{size / 1e6 / seconds:.2f} MB/s (one core, CPU time, {os.path.basename(timing)})")
    return 1 if differ or differ_lines else 0


if __name__ == "__main__":
    sys.exit(main())
