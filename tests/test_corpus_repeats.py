"""The corpus-level pass: lines recurring across documents of a site are removed, audited, counted."""
from __future__ import annotations

import glob
import json
import os

from pipeline import runner
from pipeline.config import load_config
from pipeline.document import Document
from pipeline.steps import repeats

MENU = "Subscribe to the Valley Courier newsletter"
FOOTER = "Valley Courier, 12 Mill Lane, Ashford. Call 01234 567890."

ARTICLES = [
    ("Library extends opening hours",
     "The town library will open until nine in the evening from next month, the council said on Monday.",
     "Staff numbers will rise by two, paid for by a grant from the county arts fund."),
    ("Bridge repairs to finish early",
     "Repairs to the old river bridge are expected to finish three weeks ahead of schedule, engineers said.",
     "Traffic lights on the approach roads will be removed once the final inspection is complete."),
    ("School wins robotics prize",
     "Pupils from Ashford Secondary won the regional robotics final with a machine that sorts recycling.",
     "The team will travel to the national final in Birmingham in June, the head teacher said."),
    ("Market moves for the summer",
     "The Saturday market will move to the station car park for the summer while the square is resurfaced.",
     "Stallholders said they hoped shoppers would follow them to the new site."),
]


def write_corpus(folder) -> None:
    for n, (title, p1, p2) in enumerate(ARTICLES):
        text = "\n".join([MENU, title, p1, p2, FOOTER]) + "\n"
        (folder / f"doc{n}.txt").write_text(text, encoding="utf-8")
    # a short one that falls below quality.min_chars once the shared footer goes
    (folder / "short.txt").write_text(
        "\n".join(["Weather today", "Sunny spells with light winds, rain later in the evening.", FOOTER]) + "\n",
        encoding="utf-8")


def read_jsonl(folder) -> list[dict]:
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        with open(path, encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def test_repeated_lines_are_removed_audited_and_counted(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    write_corpus(corpus)
    out = tmp_path / "out"
    config = load_config(None, [{"input": {"paths": [str(corpus)]}, "output": {"dir": str(out)},
                                 "quality": {"min_chars": 100},
                                 "chrome": {"repeats_min_docs_site": 3}}])
    summary = runner.run(config, [], input_bytes=1)

    clean = {os.path.basename(r["source"]): r for r in read_jsonl(out / "clean")}
    assert set(clean) == {f"doc{n}.txt" for n in range(4)}
    for n, (title, p1, p2) in enumerate(ARTICLES):
        assert clean[f"doc{n}.txt"]["text"] == "\n".join([title, p1, p2])
    rejects = read_jsonl(out / "rejects")
    assert [(os.path.basename(r["source"]), r["reason"]) for r in rejects] == [("short.txt", "too_short")]

    audit = {os.path.basename(r["source"]): r["removed"] for r in read_jsonl(out / "audit")}
    # the footer reads like a sentence, so the page structure keeps it; the corpus count does not
    for n in range(4):
        assert {"rule": repeats.RULE, "line": 4, "text": FOOTER} in audit[f"doc{n}.txt"]
    assert 0 in {r["line"] for r in audit["doc0.txt"]}  # the menu, by whichever rule came first
    assert summary["removed_lines_by_rule"][repeats.RULE] >= 5
    assert summary["accounting_ok"]


def test_site_of_prefers_the_url_host():
    doc = Document(id="a", source="crawl/x/1.txt", lines=("x",), url="https://www.Example.com/news/1")
    assert repeats.site_of(doc) == "host:example.com"
    assert repeats.site_of(doc.replace(url=None)) == "dir:crawl/x"


def test_a_copy_of_another_document_is_not_hollowed_out():
    doc = Document(id="a", source="a", lines=("Menu", "A long paragraph of the article itself, copied.", "Footer"))
    assert repeats.remove_repeats(doc, [1]) is doc
    assert repeats.remove_repeats(doc, [0, 2]).removed == {0: repeats.RULE, 2: repeats.RULE}
