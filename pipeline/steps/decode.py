"""Bytes -> text: refuse binary files, find the encoding, decode.

Order matters: a byte-order mark is the strongest evidence, then file signatures of binary formats,
then UTF-16 without a BOM (NUL bytes in every other position), then strict UTF-8 (what nearly all
modern dumps are), then UTF-8 with a few corrupt bytes (common in scraped dumps; decoding such a file
as a legacy code page would garble every non-ASCII character), and last charset-normalizer for
legacy encodings (GB18030/GBK, Big5, Shift_JIS, EUC-KR, Windows-125x, …).
"""
from __future__ import annotations

import codecs
from typing import Optional

from pipeline.document import Reject

# (signature, offset, description) of common binary formats found in crawl folders.
# Signatures of 3 ASCII letters or fewer could begin a text file; those count only with a NUL byte
# in the first KiB (real files of those formats have many).
BINARY_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", 0, "PNG image"),
    (b"\xff\xd8\xff", 0, "JPEG image"),
    (b"GIF87a", 0, "GIF image"),
    (b"GIF89a", 0, "GIF image"),
    (b"%PDF-", 0, "PDF document"),
    (b"PK\x03\x04", 0, "ZIP archive (or docx/xlsx/jar)"),
    (b"\x1f\x8b", 0, "gzip stream (compressed data with a name Beam did not recognise)"),
    (b"BZh", 0, "bzip2 stream"),
    (b"\xfd7zXZ\x00", 0, "xz stream"),
    (b"(\xb5/\xfd", 0, "zstd stream"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7-Zip archive"),
    (b"Rar!\x1a\x07", 0, "RAR archive"),
    (b"\x7fELF", 0, "ELF executable"),
    (b"MZ", 0, "Windows executable"),
    (b"SQLite format 3\x00", 0, "SQLite database"),
    (b"\xca\xfe\xba\xbe", 0, "Java class / Mach-O"),
    (b"\x00asm", 0, "WebAssembly module"),
    (b"RIFF", 0, "RIFF media (WAV/AVI/WebP)"),
    (b"OggS", 0, "Ogg media"),
    (b"ID3", 0, "MP3 audio"),
    (b"fLaC", 0, "FLAC audio"),
    (b"ftyp", 4, "MP4/MOV media"),
    (b"wOFF", 0, "WOFF font"),
    (b"wOF2", 0, "WOFF2 font"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "MS Office (OLE) document"),
]

BOMS = [  # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

# UTF-8 with at most this share of invalid bytes is decoded as UTF-8 with U+FFFD replacements.
MAX_UTF8_ERROR_SHARE = 0.005


def sniff_binary(data: bytes) -> Optional[str]:
    """Name of the binary format `data` starts with, or None."""
    for signature, offset, description in BINARY_SIGNATURES:
        if data[offset:offset + len(signature)] != signature:
            continue
        weak = len(signature) <= 3 and signature.isascii()
        if weak and b"\x00" not in data[:1024]:
            continue
        return description
    return None


def _utf16_without_bom(data: bytes) -> Optional[str]:
    """UTF-16 text without a BOM has NULs in nearly every other byte (for Latin text)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _decode_strict(data: bytes, encoding: str) -> Optional[str]:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """Decode a whole document. Returns (text, encoding name); raises Reject when it is not text.

    `encoding` forces a codec (e.g. "gb18030") instead of detection.
    """
    if not data:
        raise Reject("empty", "the file is empty (0 bytes)")

    if encoding != "auto":
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise Reject("encoding", f"unknown encoding {encoding!r} in input.encoding") from None
        except UnicodeDecodeError as err:
            raise Reject("encoding", f"not valid {encoding}: {err.reason} at byte {err.start}") from None

    for bom, name in BOMS:
        if data.startswith(bom):
            text = _decode_strict(data[len(bom):], name)
            if text is None:
                raise Reject("encoding", f"starts with a {name} byte-order mark but is not valid {name}")
            return text, name + "-bom" if name == "utf-8" else name

    binary = sniff_binary(data)
    if binary:
        raise Reject("not_text", f"binary file: {binary}")

    utf16 = _utf16_without_bom(data)
    if utf16:
        text = _decode_strict(data, utf16)
        if text is not None:
            return text, utf16

    if b"\x00" in data:
        raise Reject("not_text", f"binary file: {data.count(0)} NUL bytes in {len(data)} bytes")

    text = _decode_strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"

    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if 0 < invalid <= MAX_UTF8_ERROR_SHARE * len(data):
        return text, f"utf-8 ({invalid} invalid byte sequences replaced)"

    import charset_normalizer  # imported here: only legacy-encoded files pay for it

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise Reject(
            "encoding",
            f"undecodable bytes: not UTF-8 ({invalid} invalid sequences in {len(data)} bytes) "
            "and no legacy encoding fits",
        )
    return str(best), best.encoding
