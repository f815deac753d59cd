"""Corpus-wide de-duplication, the pure part: exact keys, shingles, MinHash, LSH bands, Jaccard, keeper rule.

Exact duplicates share `exact_key(text)`: a hash of the text after Unicode width folding (NFKC:
full-width Latin, digits and punctuation become ASCII), case folding, typographic quotes/dashes
mapped to one form and every run of whitespace (newlines included) made one space.

Near duplicates are found on shingle sets. `shingles(text)` decides per document by script share:
when at least `CHAR_SCRIPT_SHARE` of its letters belong to scripts written without spaces between
words (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan), the shingles are character n-grams of the
letters and digits (spaces and punctuation dropped); otherwise word n-grams of the folded words.
Punctuation never enters a shingle, so re-punctuated copies keep their shingles.
Shingles are hashed to 32 bits with CRC-32 (deterministic in every process, unlike `hash()`).

MinHash uses `num_perm` universal hash functions `(a*x + b) mod (2**61 - 1)` whose coefficients come
from a fixed seed, so signatures are the same in every run and worker. LSH cuts a signature into
`bands` bands of `num_perm // bands` rows; documents sharing a band's values become candidates and are
verified by the exact Jaccard similarity of their shingle sets.

Which copy is kept: in every group of duplicates the kept document is the one with the longest
clean text (`chars`), ties broken by the smallest id; `rank_key` orders documents that way (smallest
key = kept).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Iterable

import numpy as np

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)
MINHASH_SEED = 20240601

#: A document whose letters are at least this share "scriptio continua" is shingled by characters.
CHAR_SCRIPT_SHARE = 0.3

# Scripts written without spaces between words: character n-grams are the only usable unit.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),   # Thai, Lao
    (0x0F00, 0x0FFF),   # Tibetan
    (0x1000, 0x109F),   # Myanmar
    (0x1780, 0x17FF),   # Khmer
    (0x2E80, 0x2FDF),   # CJK radicals
    (0x3040, 0x30FF),   # Hiragana, Katakana
    (0x3100, 0x312F),   # Bopomofo
    (0x31F0, 0x31FF),   # Katakana extensions
    (0x3400, 0x4DBF),   # CJK extension A
    (0x4E00, 0x9FFF),   # CJK unified ideographs
    (0xF900, 0xFAFF),   # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK extensions B-G
)

_QUOTES_DASHES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u3001": ",", "\u3002": ".", "\uff61": ".",
})
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_ALNUM = re.compile(r"[^\W_]")
_NO_SPACE = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _NO_SPACE_RANGES) + "]")


def is_no_space_char(ch: str) -> bool:
    return _NO_SPACE.match(ch) is not None


def fold_text(text: str) -> str:
    """Width-, case- and space-folded text: NFKC, casefold, one form of quotes/dashes, single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES_DASHES)
    return _SPACES.sub(" ", folded).strip()


def exact_key(text: str) -> str:
    """Key shared by texts that differ only in case, spacing and character width of punctuation/letters."""
    return hashlib.blake2b(fold_text(text).encode("utf-8"), digest_size=16).hexdigest()


def no_space_share(text: str) -> float:
    """Share of the letters and digits of `text` that belong to scripts written without spaces."""
    alnum = len(_ALNUM.findall(text))
    if not alnum:
        return 0.0
    return len(_NO_SPACE.findall(text)) / alnum


def shingle_mode(text: str) -> str:
    """'char' for documents mostly in scripts without spaces, else 'word'."""
    return "char" if no_space_share(text) >= CHAR_SCRIPT_SHARE else "word"


def shingles(text: str, word_ngram: int = 5, char_ngram: int = 5) -> set[str]:
    """The shingle set of a text (strings). A text shorter than one n-gram is a single shingle."""
    folded = fold_text(text)
    if shingle_mode(folded) == "char":
        letters = "".join(_ALNUM.findall(folded))
        n = char_ngram
        if len(letters) <= n:
            return {letters} if letters else set()
        return {letters[i:i + n] for i in range(len(letters) - n + 1)}
    words = _WORD.findall(folded)
    n = word_ngram
    if len(words) <= n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def hash_shingles(items: Iterable[str]) -> np.ndarray:
    """Sorted unique 32-bit CRC-32 hashes of the shingles (uint32), the compact form used for Jaccard."""
    hashed = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in items), dtype=np.uint32)
    return np.unique(hashed)


@dataclass(frozen=True)
class MinHasher:
    """MinHash signatures and LSH band keys with fixed-seed permutations."""

    num_perm: int = 128
    bands: int = 32
    seed: int = MINHASH_SEED

    def __post_init__(self):
        if self.num_perm < 1 or self.bands < 1 or self.bands > self.num_perm:
            raise ValueError(f"need 1 <= bands <= num_perm, got bands={self.bands}, num_perm={self.num_perm}")
        rng = np.random.RandomState(self.seed)
        a = rng.randint(1, (1 << 61) - 1, size=self.num_perm, dtype=np.uint64)
        b = rng.randint(0, (1 << 61) - 1, size=self.num_perm, dtype=np.uint64)
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_b", b)

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """MinHash signature (uint32, num_perm values) of a set of 32-bit shingle hashes."""
        if len(hashes) == 0:
            return np.full(self.num_perm, MAX_HASH, dtype=np.uint32)
        hv = hashes.astype(np.uint64)[:, None]
        with np.errstate(over="ignore"):  # wrap-around mod 2**64 is part of the hash family
            permuted = ((hv * self._a + self._b) % MERSENNE_PRIME) & MAX_HASH
        return permuted.min(axis=0).astype(np.uint32)

    def band_keys(self, signature: np.ndarray) -> list[str]:
        """One key per band: band index + a hash of the band's rows (little-endian, platform-independent)."""
        r = self.rows
        sig = signature.astype("<u4")
        return [
            f"{i:03d}:" + hashlib.blake2b(sig[i * r:(i + 1) * r].tobytes(), digest_size=8).hexdigest()
            for i in range(self.bands)
        ]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays (1.0 for two empty sets)."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that LSH makes two documents of this Jaccard similarity candidates."""
    return 1.0 - (1.0 - similarity ** rows) ** bands


# --- which document is kept --------------------------------------------------------------------------
def rank_key(doc_id: str, chars: int) -> tuple[int, str]:
    """Sort key of the keeper rule: longest clean text first, then the smallest id."""
    return (-chars, doc_id)


def choose_keeper(members: Iterable[tuple[str, int]]) -> str:
    """Id of the kept document among (id, chars) members."""
    return min(members, key=lambda m: rank_key(m[0], m[1]))[0]


def bucket_pairs(members: list[tuple[int, str]], max_all_pairs: int = 32) -> list[tuple[tuple[int, str], tuple[int, str]]]:
    """Candidate pairs from one LSH bucket of rank keys, each pair (better, worse).

    A bucket of up to `max_all_pairs` documents gives every pair. A larger bucket (many documents
    sharing one band, e.g. very short near-identical texts) would give quadratically many pairs; it
    gives each member paired with the bucket's best member and with its predecessor in rank order
    (2 pairs per member), which keeps the component connected for documents similar to their
    neighbours and bounds the work linearly.
    """
    ordered = sorted(set(members))
    if len(ordered) <= max_all_pairs:
        return [(ordered[i], ordered[j]) for i in range(len(ordered)) for j in range(i + 1, len(ordered))]
    pairs = {(ordered[0], m) for m in ordered[1:]}
    pairs.update((ordered[i - 1], ordered[i]) for i in range(2, len(ordered)))
    return sorted(pairs)


def duplicate_record(doc_id: str, source: str, duplicate_of: str, method: str, similarity: float) -> dict:
    """The record written to duplicates/."""
    return {"id": doc_id, "source": source, "duplicate_of": duplicate_of, "method": method,
            "similarity": round(float(similarity), 4)}
