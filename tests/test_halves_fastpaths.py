"""Fast paths of the halves step against the definitions they replace (random inputs, fixed seeds)."""
import random
import unicodedata

import numpy as np

from pipeline.steps import halves


def test_shared_bits_is_the_popcount_of_the_and():
    rng = np.random.RandomState(7)
    for words in (1, 2, 3, 5):
        a = rng.randint(0, 1 << 62, size=(3, 4, 1, words), dtype=np.uint64) * np.uint64(3)
        b = rng.randint(0, 1 << 62, size=(3, 1, 6, words), dtype=np.uint64) * np.uint64(5)
        assert (halves._shared_bits(a, b) == halves._popcount_rows(a & b)).all()


def _fold_word_reference(word: str) -> str:
    """_fold_word as it was written before its ASCII fast path."""
    low = word.lower()
    if any("\u0400" <= ch <= "\u04ff" for ch in low):
        low = "".join(halves._CYRILLIC_TO_LATIN.get(ch, ch) for ch in low)
    elif any("\u0370" <= ch <= "\u03ff" for ch in low):
        low = "".join(halves._GREEK_TO_LATIN.get(ch, ch) for ch in unicodedata.normalize("NFD", low))
    low = "".join(ch for ch in unicodedata.normalize("NFKD", low) if not unicodedata.combining(ch))
    for a, b in halves._LATIN_FOLD:
        low = low.replace(a, b)
    return low


def test_fold_word_is_the_reference_fold():
    rng = random.Random(9)
    letters = "abcxyzCKPHWQJZ" "éèñüßøİK" "абвгжщЁЖ" "αβγήώΣς" "\u0301\u0308"
    for _ in range(20000):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(1, 9)))
        assert halves._fold_word.__wrapped__(word) == _fold_word_reference(word), repr(word)


def _names_reference(norm: str, cjk: bool) -> tuple:
    """The names, name words and long words of line_features, by the match-by-match loop it had."""
    names, name_words, long_words = set(), [], set()
    previous_end = 0
    for m in halves._WORD.finditer(norm):
        word = m.group()
        word_start = previous_end
        previous_end = m.end()
        if len(word) >= 6 and not (cjk and halves._CJK_WORDLESS.search(word)):
            long_words.add(word)
        if not cjk:
            if word[0].islower():
                continue
        elif halves._CJK_WORDLESS.search(word):
            continue
        if word.isupper() and len(word) >= 2:
            names.add(halves._fold_word(word))
            continue
        if not cjk:
            if not word[0].isupper():
                continue
            if word_start == 0 or halves._SENTENCE_BREAK.search(norm, word_start, m.start()):
                continue
        folded = halves._fold_word(word)
        if len(folded) >= 4:
            names.add(folded[:halves._NAME_PREFIX])
            name_words.append(word)
    return names, name_words, long_words


def test_line_features_words_are_those_of_the_match_by_match_loop():
    # line_features splits a line into gaps and words once; the gap before a word decides whether
    # it starts a sentence
    rng = random.Random(13)
    pieces = ["The", "minister", "Berlin", "NATO", "said", "U.S.", "Zelensky's", "rock'n'roll", "président",
              "Москва", "Путин", "Αθήνα", "中国政府", "トランプ", "USA", "de", "42", "3,5", ". ", ", ", "; ",
              " (", ") ", " — ", "\u201c", "\u201d", " ", "  ", "!", "? ", "_", "'", "’"]
    for _ in range(5000):
        norm = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 14)))
        cjk = bool(halves._CJK_WORDLESS.search(norm))
        names, name_words, long_words = _names_reference(norm, cjk)
        features = halves.line_features(norm)
        assert features.names == frozenset(names) and list(features.names) == list(frozenset(names)), repr(norm)
        assert features.name_words == tuple(name_words) and features.long_words == frozenset(long_words)
