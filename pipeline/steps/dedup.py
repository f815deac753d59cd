"""Corpus-wide de-duplication, the pure part: exact keys, shingles, MinHash, LSH bands, Jaccard, keeper rule.

Exact duplicates share `exact_key(text)`: a hash of the text after Unicode width folding (NFKC:
full-width Latin, digits and punctuation become ASCII), case folding, typographic quotes/dashes
mapped to one form and every run of whitespace (newlines included) made one space.

Near duplicates are found on shingle sets. `shingles(text)` decides per document by script share:
when at least `CHAR_SCRIPT_SHARE` of its letters belong to scripts written without spaces between
words (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan), the shingles are character n-grams of the
letters and digits (spaces and punctuation dropped); otherwise word n-grams of the folded words.
Punctuation never enters a shingle, so re-punctuated copies keep their shingles.
Shingles are hashed to 32 bits (`shingle_hashes`: deterministic in every process, unlike `hash()`).

MinHash uses `num_perm` multiply-shift hash functions whose coefficients come from a fixed seed, so
signatures are the same in every run and worker. LSH cuts a signature into
`bands` bands of `num_perm // bands` rows; documents sharing a band's values become candidates and are
verified by the Jaccard similarity of their shingle sets (exact, or from bottom-k sketches of long texts).

Which copy is kept: in every group of duplicates the kept document is the one with the longest
clean text (`chars`), ties broken by the smallest id; `rank_bytes` orders documents that way (smallest
key = kept).
"""
from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

import numpy as np

from pipeline.steps.normalize import nfkc

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

_QUOTES_DASHES = tuple({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u3001": ",", "\u3002": ".", "\uff61": ".",
}.items())
_WORD = re.compile(r"\w+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_NO_SPACE = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _NO_SPACE_RANGES) + "]+")


def is_no_space_char(ch: str) -> bool:
    return _NO_SPACE.fullmatch(ch) is not None


def _nfkc_casefold(text: str) -> str:
    """NFKC, then casefold (for ASCII text: lower, the same)."""
    return text.lower() if text.isascii() else nfkc(text).casefold()


def fold_text(text: str) -> str:
    """Width-, case- and space-folded text: NFKC, casefold, one form of quotes/dashes, single spaces."""
    return _fold_marks_and_spaces(_nfkc_casefold(text))


def _fold_marks_and_spaces(folded: str) -> str:
    """fold_text's last part, on an already NFKC-casefolded text."""
    if not folded.isascii():  # (the marks are not ASCII)
        for old, new in _QUOTES_DASHES:  # str.replace per mark is much faster than str.translate with a dict
            if old in folded:
                folded = folded.replace(old, new)
    # re.sub(r"\s+", " ", folded).strip(), faster: \s and str.split() take the same characters as spaces
    return " ".join(folded.split())


def _digest(folded_text: str) -> str:
    return hashlib.blake2b(folded_text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def exact_key(text: str) -> str:
    """Key shared by texts that differ only in case, spacing and character width of punctuation/letters."""
    return _digest(fold_text(text))


def exact_key_and_shingle_hashes(text: str, word_ngram: int = 5, char_ngram: int = 5) -> tuple[str, np.ndarray]:
    """(exact_key(text), shingle_hashes(text)), the text case-folded once for both (the pipeline
    needs both for every clean document; NFKC and casefold are most of the exact key's cost)."""
    folded = _nfkc_casefold(text)
    units = _units(text, word_ngram, char_ngram, folded)
    return _digest(_fold_marks_and_spaces(folded)), _hashes_of_units(*units)


def no_space_share(text: str) -> float:
    """Share of the letters and digits of `text` that belong to scripts written without spaces."""
    return _no_space_share_of_letters(_NOT_ALNUM.sub("", text))


def _no_space_share_of_letters(letters: str) -> float:
    if not letters:
        return 0.0
    return (len(letters) - len(_NO_SPACE.sub("", letters))) / len(letters)


def shingle_mode(text: str) -> str:
    """'char' for documents mostly in scripts without spaces, else 'word'."""
    return "char" if no_space_share(text) >= CHAR_SCRIPT_SHARE else "word"


def _units(text: str, word_ngram: int, char_ngram: int, folded: str | None = None) -> tuple[str, object, int]:
    """('char', letters string, n) or ('word', list of words, n) for the shingles of a text
    (`folded`: its _nfkc_casefold, when already made)."""
    # fold_text without its mapping of quotes/dashes and of whitespace: those change no letter,
    # digit or word, so the units are the same
    if folded is None:
        folded = _nfkc_casefold(text)
    if text.isascii():  # NFKC leaves ASCII as it is; no letter of a script without spaces
        return "word", _WORD.findall(folded), word_ngram
    words = _WORD.findall(folded)
    # the letters and digits: every \w character but "_", in order (the words joined)
    letters = "".join(words)
    if "_" in letters:
        letters = letters.replace("_", "")
    if _no_space_share_of_letters(letters) >= CHAR_SCRIPT_SHARE:
        return "char", letters, char_ngram
    return "word", words, word_ngram


def shingles(text: str, word_ngram: int = 5, char_ngram: int = 5) -> set[str]:
    """The shingle set of a text, as strings. A text shorter than one n-gram is a single shingle.

    The readable definition; the pipeline uses `shingle_hashes`, the same set hashed to 32 bits."""
    mode, units, n = _units(text, word_ngram, char_ngram)
    sep = "" if mode == "char" else " "
    if not units:
        return set()
    if len(units) <= n:
        return {sep.join(units)}
    return {sep.join(units[i:i + n]) for i in range(len(units) - n + 1)}


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the 64 output bits (uint64, wrapping)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_NGRAM_WEIGHTS = (np.random.RandomState(MINHASH_SEED + 1).randint(0, 1 << 62, size=64, dtype=np.uint64)
                  << np.uint64(1)) | np.uint64(1)


def shingle_hashes(text: str, word_ngram: int = 5, char_ngram: int = 5) -> np.ndarray:
    """Sorted unique 32-bit hashes (uint32) of `shingles(text)`, computed without building the strings.

    Each unit (a character's code point, or a word's CRC-32) is a 64-bit number; an n-gram's hash is
    the weighted sum of its units with fixed odd weights, mixed by splitmix64, top 32 bits kept.
    Deterministic in every process (no `hash()`), and vectorised with numpy.
    """
    return _hashes_of_units(*_units(text, word_ngram, char_ngram))


def _hashes_of_units(mode: str, units, n: int) -> np.ndarray:
    if not units:
        return np.zeros(0, dtype=np.uint32)
    if mode == "char":
        codes = np.frombuffer(units.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    else:
        # every word's UTF-8 from one encode (words hold no NUL), CRC-32s without a Python loop
        encoded = "\x00".join(units).encode("utf-8", "surrogatepass").split(b"\x00")
        codes = np.fromiter(map(zlib.crc32, encoded), dtype=np.uint64, count=len(units))
    n = min(n, len(codes), len(_NGRAM_WEIGHTS))
    count = len(codes) - n + 1
    with np.errstate(over="ignore"):  # arithmetic mod 2**64 is intended
        # the weighted sum over each window of n units, as n shifted vector products (exact: mod 2**64)
        grams = codes[:count] * _NGRAM_WEIGHTS[0]
        for k in range(1, n):
            grams += codes[k:k + count] * _NGRAM_WEIGHTS[k]
        hashed = _mix64(grams + np.uint64(n)) >> np.uint64(32)
    hashed = np.sort(hashed.astype(np.uint32))
    if len(hashed) > 1:  # sorted unique values, as np.unique gives them (cheaper on short arrays)
        hashed = hashed[np.concatenate(([True], hashed[1:] != hashed[:-1]))]
    return hashed


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
        a = (rng.randint(0, 1 << 62, size=self.num_perm, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
        b = rng.randint(0, 1 << 62, size=self.num_perm, dtype=np.uint64) << np.uint64(2)
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_b", b)

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """MinHash signature (uint32, num_perm values) of a set of 32-bit shingle hashes.

        Permutation i is the multiply-shift hash ((a_i * x + b_i) mod 2**64) >> 32 with a_i odd: a
        universal family on 32-bit keys that needs no modulo by a prime (about 2.5x faster)."""
        if len(hashes) == 0:
            return np.full(self.num_perm, MAX_HASH, dtype=np.uint32)
        hv = hashes.astype(np.uint64)[None, :]
        with np.errstate(over="ignore"):  # wrap-around mod 2**64 is part of the hash family
            # one row per permutation: the minimum runs along contiguous memory (faster than down columns)
            permuted = self._a[:, None] * hv
            permuted += self._b[:, None]
        # >> 32 keeps the order, so it can follow the minimum (one pass less over the matrix)
        return (permuted.min(axis=1) >> np.uint64(32)).astype(np.uint32)

    def band_keys(self, signature: np.ndarray) -> list[bytes]:
        """One key per band: band index (2 bytes) + a hash of the band's rows (little-endian,
        platform-independent); bytes, as every document sends `bands` of them through a GroupByKey."""
        step = 4 * self.rows  # (bytes of a band's rows)
        raw = signature.astype("<u4").tobytes()  # one conversion; each band a slice of its bytes
        blake2b = hashlib.blake2b
        return [
            i.to_bytes(2, "big") + blake2b(raw[i * step:(i + 1) * step], digest_size=8).digest()
            for i in range(self.bands)
        ]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays (1.0 for two empty sets)."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def sketch_jaccard(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Jaccard similarity from bottom-k sketches (the k smallest shingle hashes of each document).

    Exact when both documents have fewer than k shingles (their sketches are the whole sets); else
    the share of the k smallest hashes of the union that both hold, an unbiased estimate whose
    standard error is about sqrt(J(1-J)/k) (0.014 at J = 0.7, k = 1024). A sketch's size is bounded
    whatever the document's length, which keeps verification memory flat.

    Both sketches are sorted and unique, so in their merge a hash both hold sits twice in a row: one
    sort of the two gives the intersection and the union's k smallest hashes (~10x faster than
    union1d + intersect1d + isin, which matters with hundreds of thousands of candidate pairs).
    """
    merged = np.concatenate((a, b))
    merged.sort()
    shared = merged[1:] == merged[:-1]
    if len(a) < k and len(b) < k:  # the whole sets: exact, as `jaccard`
        if not len(merged):
            return 1.0
        inter = int(shared.sum())
        return inter / (len(merged) - inter)
    # one sketch holds k hashes, so the union has at least k: its k smallest end where the
    # (k + 1)-th distinct hash starts
    starts = np.flatnonzero(np.concatenate(([True], ~shared)))
    end = starts[k] if len(starts) > k else len(merged)
    return int(shared[:end].sum()) / k


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that LSH makes two documents of this Jaccard similarity candidates."""
    return 1.0 - (1.0 - similarity ** rows) ** bands


# --- which document is kept --------------------------------------------------------------------------
def rank_bytes(doc_id: str, chars: int) -> bytes:
    """Sort key of the keeper rule — longest clean text first, then the smallest id — as bytes: 4 bytes
    of inverted length, then the id (UTF-8 keeps code-point order). Compact: every document sends its
    rank through several shuffles."""
    return (0xFFFFFFFF - min(chars, 0xFFFFFFFF)).to_bytes(4, "big") + doc_id.encode("utf-8", "surrogatepass")


def id_of_rank(rank: bytes) -> str:
    """The document id inside a rank_bytes value."""
    return rank[4:].decode("utf-8", "surrogatepass")


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
