"""A small corpus of bad input, written by code (nothing binary is checked in).

It adds to what tests/conftest.py (`corpus`: binary, undecodable, empty, blank, too large) and
tests/crawl_fixtures.py (not HTML, too nested, bad JSON, no text field, truncated gzip, broken WARC
record, an over-long line) already write, the failure modes those lack, plus bad *settings*:

    python -m tests.bad_inputs DIR     # writes DIR/in/... and DIR/settings/..., prints the expectations

`write_bad_inputs(root)` returns {file name: expected reject reason} for the input files and the paths
of the bad settings files.
"""
from __future__ import annotations

import gzip
import json
import os
import sys

from tests.crawl_fixtures import ARTICLE_PARAGRAPHS, article_html

ARTICLE = "\n".join(ARTICLE_PARAGRAPHS) + "\n"
FAULT_MARKER = "INJECTED-FAULT-7f3a"

# A phrase that, read as a regex, backtracks for hours on a line of 30 'a's that ends in '!'.
CATASTROPHIC = "(a+)+$"


def write_bad_inputs(root: str) -> dict[str, object]:
    inp = os.path.join(root, "in")
    settings = os.path.join(root, "settings")
    os.makedirs(inp, exist_ok=True)
    os.makedirs(settings, exist_ok=True)
    expected: dict[str, str] = {}

    def put(name: str, data: bytes, reason: str | None) -> None:
        with open(os.path.join(inp, name), "wb") as fh:
            fh.write(data)
        if reason:
            expected[name] = reason

    # corrupt compressed data after good records: a second gzip member whose deflate body is garbage
    good = "".join(json.dumps({"id": f"g{i}", "text": ARTICLE_PARAGRAPHS[i % 4] + f" Item {i}."}) + "\n"
                   for i in range(50)).encode("utf-8")
    member = gzip.compress(good.replace(b'"g', b'"h'), mtime=0)
    damaged = member[:12] + b"\xff" * 16 + member[28:]
    put("corrupt.jsonl.gz", gzip.compress(good, mtime=0) + damaged, "bad_compression")
    import zstandard

    # two zstd frames, the second with a damaged header (zstd has no checksum by default, so damage
    # inside a frame's data would decode to garbage: then the JSON lines are bad_json)
    frame = zstandard.ZstdCompressor().compress(good.replace(b'"g', b'"z'))
    put("corrupt.jsonl.zst", frame + b"\x00\x01\x02\x03" + frame[4:], "bad_compression")
    # a page with markup and no text anywhere
    put("no_text.html", b"<html><head><title></title></head><body><div><img src='a.png'></div></body></html>",
        "no_main_text")
    # too short once cleaned, and a language outside language.allowed (the test allows en)
    put("short.txt", "Hi.\n".encode("utf-8"), "too_short")
    put("chinese.txt", ("美国和乌克兰代表23日在瑞士日内瓦就和平计划进行了会谈，双方讨论了计划的主要条款。\n"
                        "会后，双方表示会谈富有成果，将在未来几天继续讨论尚未解决的问题。\n").encode("utf-8"),
        "language")
    # a step that fails (NEWSCLEAN_INJECT_FAULT=raise:FAULT_MARKER in the test)
    put("fault.txt", (ARTICLE_PARAGRAPHS[0] + f" {FAULT_MARKER}\n" + ARTICLE_PARAGRAPHS[1] + "\n").encode(), "error")
    # JSON Lines: nesting deeper than the parser's recursion limit, lone surrogates in id/url/keys
    lines = [
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"\ud800key": "no text here"}),
        json.dumps({"id": "sur\udc00", "url": "http://x.example/\ud800", "text": ARTICLE_PARAGRAPHS[2]}),
    ]
    put("odd.jsonl", ("\n".join(lines) + "\n").encode("utf-8"), None)
    expected["odd.jsonl"] = "bad_json+no_text_field+clean"
    # a file name that is not UTF-8 (Linux file names are bytes)
    with open(os.path.join(os.fsencode(inp), b"caf\xe9-latin1-name.txt"), "wb") as fh:
        fh.write(ARTICLE.encode("utf-8"))
    expected[os.fsdecode(b"caf\xe9-latin1-name.txt")] = "clean"
    # control characters, bidi overrides, lone CR line breaks and a BOM in the middle
    put("controls.txt", ("\ufeff" + ARTICLE_PARAGRAPHS[0] + "\x00\x07\u202e\r" + ARTICLE_PARAGRAPHS[1]
                         + "\u200d\u2028" + ARTICLE_PARAGRAPHS[2] + "\ufeff\n").encode("utf-8"), "clean")
    # a page whose good article is fine (so the folder also has something clean)
    put("good.html", article_html("Peace talks in Geneva", ARTICLE_PARAGRAPHS).encode("utf-8"), "clean")

    # --- bad settings ----------------------------------------------------------------------------------
    files = {}
    files["lexicon_regexes"] = os.path.join(settings, "regex_phrases.yaml")
    with open(files["lexicon_regexes"], "w", encoding="utf-8") as fh:
        fh.write("# phrases are literal text: regex syntax in them is matched as characters\n"
                 f"phrases:\n  share:\n    - '{CATASTROPHIC}'\n    - '(.*a){{20}}'\n    - '(?:a|aa)*b'\n")
    files["lexicon_unsafe_yaml"] = os.path.join(settings, "unsafe_pack.yaml")
    with open(files["lexicon_unsafe_yaml"], "w", encoding="utf-8") as fh:
        fh.write("phrases: !!python/object/apply:os.system ['echo pwned']\n")
    files["config_unsafe_yaml"] = os.path.join(settings, "unsafe_config.yaml")
    with open(files["config_unsafe_yaml"], "w", encoding="utf-8") as fh:
        fh.write("quality: !!python/object/new:type ['X', [], {}]\n")
    # validation chrome patterns with a catastrophic regex (a copy of the suites folder is made by the test)
    files["catastrophic_pattern"] = f"patterns:\n  - name: evil\n    why: test\n    regex: '{CATASTROPHIC}'\n"
    return {"expected": expected, "settings": files, "input": inp}


if __name__ == "__main__":
    facts = write_bad_inputs(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs")
    print(json.dumps(facts, indent=1, ensure_ascii=True))
