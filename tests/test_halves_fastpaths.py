"""Fast paths of the halves step against the definitions they replace (random inputs, fixed seeds)."""
import random
import unicodedata

import numpy as np

from pipeline.steps import halves

# full-width forms and other characters _TO_ASCII replaces, characters that compose with what comes
# before or after them (combining marks, Hangul jamo, U+0338 after "<" or its full-width form),
# other compatibility characters (ligatures, circled digits, half-width katakana), plain text
_POOL = ("，：（）！？；％＋＜＞＝ＡＺａｚ０９\u3000…" "\u0301\u0308\u0338\u0327\u1100\u1161\u11a8"
         "ﬁ①№½ｶﾞ\u00b4\u0384" "中国政府経済한국어" "abcxyzAE<>=.,:;!? \t" "éñßΣσς")


def test_nfkc_is_unicodedata_nfkc():
    rng = random.Random(5)
    changed = 0
    for _ in range(20000):
        text = "".join(rng.choice(_POOL) for _ in range(rng.randint(0, 12)))
        expected = unicodedata.normalize("NFKC", text)
        assert halves.nfkc(text) == expected, repr(text)
        changed += expected != text
    assert changed > 10000
    for text in ("＜\u0338", "<\u0338", "Ａ\u0301", "ｅ\u0301", "…\u0301", "\u3000\u0301", "中文：（测试）"):
        assert halves.nfkc(text) == unicodedata.normalize("NFKC", text)


def test_shared_bits_is_the_popcount_of_the_and():
    rng = np.random.RandomState(7)
    for words in (1, 2, 3, 5):
        a = rng.randint(0, 1 << 62, size=(3, 4, 1, words), dtype=np.uint64) * np.uint64(3)
        b = rng.randint(0, 1 << 62, size=(3, 1, 6, words), dtype=np.uint64) * np.uint64(5)
        assert (halves._shared_bits(a, b) == halves._popcount_rows(a & b)).all()
