"""What the benchmark scripts share: reading the public eval sets and loading their own scorers.

The scorers live in the eval folder, one level above each set (eval/score_boilerplate.py next to
eval/boilerplate/…); the scripts use them as they are, so a figure here is the scorer's figure.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import os


def read_jsonl(path: str) -> list[dict]:
    """All records of a JSON Lines file (gzip when the name ends in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def scorer_beside(data_path: str, filename: str) -> str:
    """The scorer one folder above a set: eval/halves/dev.jsonl.gz -> eval/score_halves.py."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(data_path))), filename)


def load_scorer(path: str):
    """Import a scorer script from its path as a module."""
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
