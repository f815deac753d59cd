"""Reading bytes: encodings detected, binary and undecodable input refused with a reason."""
import codecs

import pytest

from pipeline.document import Reject
from pipeline.steps.decode import decode_bytes, sniff_binary
from tests.conftest import ARTICLE_EN, ARTICLE_ZH, ARTICLE_ZH_HANT, UNDECODABLE, png_bytes

RUSSIAN = "Правительство объявило о новых мерах поддержки экономики, заявил премьер-министр.\n"
JAPANESE = "日本政府は二十四日、新しい経済対策を発表した。首相は記者会見で物価高への対応を急ぐと述べた。\n"
KOREAN = "정부는 24일 새로운 경제 대책을 발표했다. 총리는 기자회견에서 물가 대응을 서두르겠다고 말했다.\n"


@pytest.mark.parametrize("text,encoding,expected", [
    (ARTICLE_EN, "utf-8", "utf-8"),
    (ARTICLE_ZH, "utf-8", "utf-8"),
    (ARTICLE_ZH, "utf-8-sig", "utf-8-bom"),
    (ARTICLE_ZH, "utf-16", "utf-16-le"),
    (ARTICLE_ZH, "utf-16-be", None),
    (ARTICLE_EN, "utf-16-le", "utf-16-le"),  # no BOM: found by the NUL pattern
    (ARTICLE_ZH * 3, "gb18030", None),
    (ARTICLE_ZH * 3, "gbk", None),
    (ARTICLE_ZH_HANT * 3, "big5", None),
    (JAPANESE * 2, "shift_jis", None),
    (KOREAN * 2, "euc-kr", None),
    (RUSSIAN * 2, "cp1251", None),
])
def test_decodes_common_encodings_to_the_same_text(text, encoding, expected):
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    decoded, used = decode_bytes(data)
    assert decoded == text
    if expected:
        assert used == expected


def test_forced_encoding_is_used_and_wrong_one_is_reported():
    assert decode_bytes(ARTICLE_ZH.encode("gbk"), "gb18030")[0] == ARTICLE_ZH
    with pytest.raises(Reject) as err:
        decode_bytes(ARTICLE_ZH.encode("gbk"), "utf-8")
    assert err.value.reason == "encoding"
    with pytest.raises(Reject) as err:
        decode_bytes(b"abc", "no-such-codec")
    assert "unknown encoding" in err.value.detail


def test_utf8_with_a_few_corrupt_bytes_stays_utf8():
    data = (ARTICLE_ZH * 20).encode("utf-8") + b"\xff" + ARTICLE_ZH.encode("utf-8")
    text, used = decode_bytes(data)
    assert text.startswith(ARTICLE_ZH) and "\ufffd" in text
    assert used.startswith("utf-8 (1 invalid")


@pytest.mark.parametrize("data,reason", [
    (png_bytes(), "not_text"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "not_text"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_text"),
    (b"some text\x00\x00\x01\x02 with NULs" * 10, "not_text"),
    (UNDECODABLE, "encoding"),
    (b"", "empty"),
])
def test_bad_bytes_are_rejected_with_a_reason(data, reason):
    with pytest.raises(Reject) as err:
        decode_bytes(data)
    assert err.value.reason == reason
    assert err.value.detail


def test_short_ascii_signatures_do_not_make_text_binary():
    assert sniff_binary(b"MZ is a river in the news today") is None
    assert sniff_binary(b"ID3 tags explained") is None
    assert decode_bytes(b"MZ is a river in the news today\n")[0].startswith("MZ")
