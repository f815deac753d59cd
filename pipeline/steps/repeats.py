"""Corpus-level repeated lines (C4/CCNet style), the pure half: keys to count and how to remove.

A menu, a footer or a site slogan recurs in many documents of the same site; an article's sentences
do not. The Beam shell (transforms.RemoveCorpusRepeats) counts, per normalised line, in how many
documents of a site (and of the whole corpus) it occurs, with combiners; lines over the thresholds
come back here to be marked removed.
"""
from __future__ import annotations

import hashlib
import posixpath
from typing import Iterable
from urllib.parse import urlparse

from pipeline.document import Document
from pipeline.steps.chrome_lines import normalise_lines

RULE = "corpus.repeated_line"
CORPUS = "*"  # the scope of corpus-wide counts


def site_of(doc: Document) -> str:
    """The site a document belongs to: its URL's host, else the folder it was read from."""
    if doc.url:
        host = urlparse(doc.url).netloc.lower()
        if host:
            return "host:" + host.removeprefix("www.")
    return "dir:" + posixpath.dirname(doc.source.replace("\\", "/"))


def line_key(normalised: str) -> bytes:
    """A short stable digest of a line normalised by chrome_lines.normalise_line (letters and
    digits, case-folded)."""
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest()


def repeat_keys(doc: Document, max_chars: int) -> list[tuple[bytes, list[int]]]:
    """(line key, kept line indices with that key) for every distinct short kept line of `doc`
    (its title and lines without letters or digits left out)."""
    title = (doc.title or "").strip()
    short = []
    for i in doc.kept_indices():
        line = doc.lines[i].strip()
        if len(line) <= max_chars and line != title:
            short.append((i, line))
    keys: dict[bytes, list[int]] = {}
    # the short lines normalised in one pass (normalise_lines: normalise_line of each)
    for (i, _line), normalised in zip(short, normalise_lines([line for _i, line in short])):
        if normalised:
            keys.setdefault(line_key(normalised), []).append(i)
    return sorted(keys.items())


def scoped_key(scope: str, key: bytes) -> bytes:
    """9 bytes: b"*" for the corpus scope or b"s" for a site, then a digest of the scope and line key.

    Compact on purpose: every distinct short kept line of the corpus is counted twice, and the
    counts are grouped (held in memory by the local runner)."""
    flag = b"*" if scope == CORPUS else b"s"
    return flag + hashlib.blake2b(scope.encode("utf-8", "surrogatepass") + b"\0" + key, digest_size=8).digest()


def scoped_keys(doc: Document, max_chars: int) -> Iterable[tuple[bytes, tuple[str, list[int]]]]:
    """(scoped key, (doc id, indices)) for the site scope and the corpus scope."""
    site = site_of(doc)
    for key, indices in repeat_keys(doc, max_chars):
        yield scoped_key(site, key), (doc.id, indices)
        yield scoped_key(CORPUS, key), (doc.id, indices)


def is_frequent(key: bytes, n_docs: int, min_docs_site: int, min_docs_corpus: int) -> bool:
    return n_docs >= (min_docs_corpus if key[:1] == b"*" else min_docs_site)


def remove_repeats(doc: Document, indices: Iterable[int], max_share: float = 0.5) -> Document:
    """Mark the repeated lines removed, unless they are most of the document's text.

    A document made mostly of lines found elsewhere is a copy of another document (syndicated
    news, a re-crawl): that is for duplicate detection to decide, not for line cleaning.
    """
    drop = sorted(set(indices) & set(doc.kept_indices()))
    if not drop:
        return doc
    total = sum(len(doc.lines[i]) for i in doc.kept_indices())
    if sum(len(doc.lines[i]) for i in drop) > max_share * total:
        return doc
    return doc.remove_lines(drop, RULE)
