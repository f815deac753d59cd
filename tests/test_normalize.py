"""Normalisation fixes characters, never the line numbering; ids are stable."""
import random
import unicodedata

from pipeline.document import stable_id
from pipeline.sources import text_document
from pipeline.steps.normalize import nfkc, normalize_text


def test_every_newline_kind_splits_lines_once():
    text = "a\r\nb\rc\nd\u2028e\u2029f\x85g\x0bh\x0ci"
    assert normalize_text(text) == list("abcdefghi")


def test_blank_lines_keep_their_place_and_final_newline_adds_none():
    assert normalize_text("title\n\nbody\n") == ["title", "", "body"]


def test_nfc_and_invisible_characters():
    decomposed = "Vie\u0302\u0323t Nam"  # Vietnamese as some sites send it
    lines = normalize_text("\ufeff" + decomposed + "\u200b\x07\n\t tab\u00a0here \n")
    assert lines[0] == unicodedata.normalize("NFC", "Việt Nam")
    assert lines[1] == "tab here"


def test_joiners_needed_by_scripts_are_kept():
    persian = "می\u200cخواهم"
    assert normalize_text(persian) == [persian]


def test_lone_surrogates_become_replacement_characters():
    assert normalize_text("a\ud800b") == ["a\ufffdb"]


def test_ids_are_stable_and_depend_on_path_and_content():
    data = "hello world".encode()
    assert stable_id("a.txt", data) == stable_id("a.txt", data)
    assert stable_id("a.txt", data) != stable_id("b.txt", data)
    assert stable_id("a.txt", data) != stable_id("a.txt", data + b"!")
    doc = text_document("seeds/x.txt", "line one\r\nline two\r\n".encode("utf-16"))
    assert doc.source == "seeds/x.txt"
    assert doc.lines == ("line one", "line two")
    assert doc.encoding == "utf-16-le"
    assert doc.text == "line one\nline two"


def test_whole_text_normalisation_equals_line_by_line():
    """normalize_text normalises the joined lines at once; it must give what each line alone gives,
    including where a removed character sits between CR and LF (still two breaks, not one CRLF)."""
    import random
    import re

    from pipeline.steps.normalize import normalize_line

    breaks = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")

    def line_by_line(text):
        lines = breaks.split(text)
        if lines[-1] == "":
            lines.pop()
        return [normalize_line(line) for line in lines]

    assert normalize_text("\r\u00ad\nb") == line_by_line("\r\u00ad\nb") == ["", "", "b"]
    alphabet = list("ab \t\u00a0\u2003\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029\x00\x07\x1b\x7f\x9f\ufeff"
                    "\u200b\u00ad\ud800\u200c\u0302\u0323e\u1100\u1161\u11a8\u0308\u212b\u0338\u3099か\U0001F600")
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        assert normalize_text(text) == line_by_line(text), repr(text)


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
        assert nfkc(text) == expected, repr(text)
        changed += expected != text
    assert changed > 10000
    for text in ("＜\u0338", "<\u0338", "Ａ\u0301", "ｅ\u0301", "…\u0301", "\u3000\u0301", "中文：（测试）"):
        assert nfkc(text) == unicodedata.normalize("NFKC", text)
