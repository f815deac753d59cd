import os
import struct
import zlib

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(REPO, "seeds")

ARTICLE_EN = (
    "Officials met in Geneva on Sunday to discuss the proposed peace plan.\n"
    "The talks lasted more than eight hours, according to two people familiar with them.\n"
)
ARTICLE_ZH = "美国和乌克兰代表23日在瑞士日内瓦就和平计划进行了会谈。\n会后,双方表示会谈富有成果,将在未来几天继续讨论。\n"
ARTICLE_ZH_HANT = "美國和烏克蘭代表23日在瑞士日內瓦就和平計劃進行了會談。會後雙方表示會談富有成果。\n"


def png_bytes() -> bytes:
    """A real 1x1 PNG image."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# bytes that are not UTF-8 and fit no legacy encoding
UNDECODABLE = bytes(range(0x80, 0x100)) * 20


@pytest.fixture
def corpus(tmp_path):
    """A small input folder with good documents and each kind of bad input."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "en.txt").write_text(ARTICLE_EN, encoding="utf-8")
    (root / "sub" / "zh_gbk.txt").write_bytes(ARTICLE_ZH.encode("gbk"))
    (root / "sub" / "zh_big5.txt").write_bytes(ARTICLE_ZH_HANT.encode("big5"))
    (root / "utf16.txt").write_bytes(ARTICLE_EN.encode("utf-16"))
    (root / "image.png").write_bytes(png_bytes())
    (root / "garbage.txt").write_bytes(UNDECODABLE)
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_text(" \n\t\n\u3000\n", encoding="utf-8")
    (root / "big.txt").write_text("A line of a very large document.\n" * 2000, encoding="utf-8")
    (root / ".hidden.txt").write_text(ARTICLE_EN, encoding="utf-8")
    return root


EXPECTED_REASONS = {
    "image.png": "not_text",
    "garbage.txt": "encoding",
    "empty.txt": "empty",
    "blank.txt": "empty",
    "big.txt": "too_large",
}
EXPECTED_CLEAN = {"en.txt", "zh_gbk.txt", "zh_big5.txt", "utf16.txt"}
