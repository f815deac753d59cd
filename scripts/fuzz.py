"""Coverage-guided fuzzing of the readers and the text steps with atheris (not part of `make test`).

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python scripts/fuzz.py TARGET --seconds 600 [--corpus DIR] [--crashes DIR]

Targets (each one process; run one at a time on a shared machine):
  decode  bytes -> decode_bytes + normalize_text (the plain-text reader's whole path)
  jsonl   bytes -> JSON Lines records (readers.jsonl_records), each record to a Document
  warc    bytes -> WARC records (readers.warc_records), plain and gzip-compressed
  html    bytes -> extract_page (charset, markup sniffing, nesting depth, trafilatura + readability)
  steps   bytes -> Document -> the default per-document chain (language, chrome, halves, gates),
          checking that kept + removed lines are exactly the input's lines and a second run agrees
  dedup   bytes -> fold/shingle/MinHash of the text (the dedup step's pure core)

An expected outcome (a Reject, a BadRecord) is not a finding; any other exception is, and atheris
stops with the input written to --crashes (TARGET-crash-<sha1>). `--replay FILE` runs the target once
on such a file with a plain traceback; each crash found so far is a regression test in tests/.
libFuzzer's final stats (`stat::number_of_executed_units`) are the executions in the README's
Hardening section. An empty --corpus folder is first filled with real inputs (seeds/, tests' crawl
fixtures).
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import atheris  # noqa: E402

# coverage from the project and the WARC parser only (instrumenting Beam/pydantic costs minutes)
with atheris.instrument_imports(include=["pipeline", "warcio"]):
    from pipeline import readers, sources  # noqa: E402
    from pipeline.config import Config  # noqa: E402
    from pipeline.document import Document, Reject  # noqa: E402
    from pipeline.steps import dedup, text_steps  # noqa: E402
    from pipeline.steps import html as html_step  # noqa: E402
    from pipeline.steps.decode import decode_bytes  # noqa: E402
    from pipeline.steps.normalize import normalize_text  # noqa: E402

CONFIG = Config()
STEPS = None  # built on first use (loads the phrase packs)


def check_lines(before: Document, after: Document) -> None:
    """No line lost or invented: the steps keep the input's lines, and every non-blank one is kept or
    removed under a rule (what the clean text + audit rebuild)."""
    assert after.lines == before.lines, "a step changed the document's lines"
    assert all(0 <= i < len(after.lines) for i in after.removed), "removed index out of range"
    kept = set(after.kept_indices())
    assert not kept & set(after.removed), "a line both kept and removed"
    for i, line in enumerate(before.lines):
        assert i in kept or i in after.removed or not line.strip(), f"line {i} neither kept nor removed"


def run_steps(doc: Document):
    global STEPS
    if STEPS is None:
        STEPS = text_steps(CONFIG)
    for _name, step in STEPS:
        doc = step(doc)
    return doc


def target_decode(data: bytes) -> None:
    try:
        text, _ = decode_bytes(data)
    except Reject:
        return
    lines = normalize_text(text)
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert normalize_text("".join(line + "\n" for line in lines)) == lines, "normalisation is not idempotent"


def target_jsonl(data: bytes) -> None:
    for item in readers.jsonl_records(io.BytesIO(data), readers.JsonFields(), 4096):
        if isinstance(item, readers.Record) and item.kind == "text":
            try:
                sources.record_document("fuzz.jsonl", item)
            except Reject:
                pass


def target_warc(data: bytes) -> None:
    for stream in (io.BytesIO(data), readers.GuardedStream(gzip.GzipFile(fileobj=io.BytesIO(data)))):
        for item in readers.warc_records(stream, 4096):
            assert isinstance(item, (readers.Record, readers.BadRecord))


def target_html(data: bytes) -> None:
    try:
        html_step.extract_page(data[:65536], "http://example.com/a")
    except Reject:
        pass


def target_steps(data: bytes) -> None:
    try:
        doc = sources.text_document("fuzz.txt", data)
    except Reject:
        return
    for attempt in range(2):
        try:
            out = run_steps(doc)
        except Reject as r:
            out = r.reason
        if attempt == 0:
            first = out
        else:
            same = (first == out) if isinstance(out, str) else (
                isinstance(first, Document) and first.removed == out.removed and first.extra == out.extra)
            assert same, "second run differs"
    if isinstance(first, Document):
        check_lines(doc, first)


def target_dedup(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    dedup.exact_key(text)
    hashes = dedup.shingle_hashes(text)
    dedup.MinHasher(num_perm=16, bands=4).signature(hashes) if len(hashes) else None


def seed_corpus(target: str, folder: str, max_len: int) -> None:
    """Start from real inputs of the target's kind, cut to max_len bytes."""
    import tempfile

    from tests.crawl_fixtures import write_crawl

    wanted = {"decode": (".txt",), "steps": (".txt",), "dedup": (".txt",), "jsonl": (".jsonl", ".zst"),
              "warc": (".warc", ".warc.gz"), "html": (".html", ".htm")}[target]
    with tempfile.TemporaryDirectory() as tmp:
        write_crawl(tmp)
        paths = [os.path.join(tmp, n) for n in sorted(os.listdir(tmp))]
        paths += [os.path.join(ROOT, "seeds", n) for n in sorted(os.listdir(os.path.join(ROOT, "seeds")))]
        for k, path in enumerate(p for p in paths if p.endswith(wanted)):
            with open(path, "rb") as fh:
                data = fh.read()
            if path.endswith(".zst"):
                import zstandard
                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
            with open(os.path.join(folder, f"seed-{k}"), "wb") as out:
                out.write(data[:max_len])


TARGETS = {"decode": target_decode, "jsonl": target_jsonl, "warc": target_warc, "html": target_html,
           "steps": target_steps, "dedup": target_dedup}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("target", choices=sorted(TARGETS))
    ap.add_argument("--seconds", type=int, default=300, help="stop after this many seconds (default 300)")
    ap.add_argument("--corpus", help="folder of seed inputs (also receives new interesting inputs)")
    ap.add_argument("--crashes", default="fuzz-crashes", help="where crashing inputs are written")
    ap.add_argument("--max-len", type=int, default=8192, help="longest input tried (bytes)")
    ap.add_argument("--replay", help="run the target once on this file (a crash input) and exit")
    args = ap.parse_args()

    fn = TARGETS[args.target]
    if args.replay:
        with open(args.replay, "rb") as fh:
            fn(fh.read())
        print("no crash")
        return

    def one(data: bytes) -> None:
        fn(data)

    os.makedirs(args.crashes, exist_ok=True)
    libfuzzer_args = [sys.argv[0], f"-max_total_time={args.seconds}", f"-max_len={args.max_len}",
                      f"-artifact_prefix={os.path.join(args.crashes, args.target)}-", "-timeout=60",
                      "-rss_limit_mb=3000", "-print_final_stats=1"]
    if args.corpus:
        os.makedirs(args.corpus, exist_ok=True)
        if not os.listdir(args.corpus):
            seed_corpus(args.target, args.corpus, args.max_len)
        libfuzzer_args.append(args.corpus)
    atheris.Setup(libfuzzer_args, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
