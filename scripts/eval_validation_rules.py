"""How often the clean suite's text checks fire on real pages and documents (public dev sets).

    python scripts/eval_validation_rules.py /work/shared/eval

boilerplate/text_dev.jsonl.gz: the chrome patterns on the ground-truth main text (`expected`: every
hit is a false alarm that would fail a good corpus) and on the naive text dumps (chrome included:
a hit is the suite catching uncleaned output). halves/dev.jsonl.gz: the foreign-script-share bound
per case kind (positives = a document still holding its translated half).
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline.config import Config  # noqa: E402
from pipeline.validation import chrome_lines, foreign_script_share, load_chrome_patterns  # noqa: E402


def _clean_text(text: str) -> str:
    """As the clean output holds text: stripped, non-blank lines."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("eval_dir", help="folder holding boilerplate/ and halves/ (e.g. /work/shared/eval)")
    args = parser.parse_args(argv)
    patterns = load_chrome_patterns()

    pages = [json.loads(line) for line in gzip.open(os.path.join(args.eval_dir, "boilerplate", "text_dev.jsonl.gz"))]
    expected_hits, dump_flagged = collections.Counter(), 0
    expected_lines = flagged_docs = 0
    examples = []
    for page in pages:
        expected = _clean_text(page["expected"])
        expected_lines += expected.count("\n") + 1
        hits = chrome_lines(expected, patterns)
        if hits:
            flagged_docs += 1
            examples += [(page["id"], name, line) for name, line in hits[:2]]
        expected_hits.update(name for name, _ in hits)
        if chrome_lines(_clean_text(page["text_dump"]), patterns):
            dump_flagged += 1
    print(f"boilerplate dev, {len(pages)} pages")
    print(f"  ground-truth main text: {flagged_docs} page(s) flagged ({flagged_docs / len(pages):.1%}), "
          f"{sum(expected_hits.values())} of {expected_lines:,} lines; by pattern: {dict(expected_hits)}")
    for doc_id, name, line in examples[:10]:
        print(f"    {doc_id} [{name}] {line[:100]}")
    print(f"  naive text dumps (uncleaned): {dump_flagged} page(s) flagged ({dump_flagged / len(pages):.1%})")

    bound = Config().validation.max_foreign_script_share
    cases = [json.loads(line) for line in gzip.open(os.path.join(args.eval_dir, "halves", "dev.jsonl.gz"))]
    over = collections.Counter()
    total = collections.Counter()
    for case in cases:
        total[case["kind"]] += 1
        if foreign_script_share(_clean_text(case["text"])) > bound:
            over[case["kind"]] += 1
    print(f"halves dev, {len(cases)} documents: share of each kind over max_foreign_script_share={bound}")
    for kind in sorted(total):
        print(f"  {kind:<28} {over[kind]:>4} / {total[kind]:<4} {over[kind] / total[kind]:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
