"""Small crawl-format fixtures written into a temporary folder: good pages and each kind of bad input.

`python -m tests.crawl_fixtures DIR` writes them for a manual run (`newsclean run --input DIR`).
"""
from __future__ import annotations

import gzip
import io
import json
import os
import sys

ARTICLE_PARAGRAPHS = [
    "Officials from both countries met in Geneva on Sunday to discuss the proposed peace plan for the region.",
    "The talks lasted more than eight hours, according to two people familiar with them, and ended late at night.",
    "Both delegations said they would return next week to continue working on the remaining points of the text.",
    "Analysts said the meeting was the most serious attempt at a settlement since the conflict began years ago.",
]
ARTICLE_ZH = [
    "美国和乌克兰代表23日在瑞士日内瓦就和平计划进行了会谈，双方讨论了计划的主要条款和后续安排。",
    "会后，双方表示会谈富有成果，将在未来几天继续讨论尚未解决的问题，并尽快向各自领导人汇报。",
]


def article_html(title: str, paragraphs: list[str], charset: str = "utf-8", url: str = "") -> str:
    nav = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(8))
    related = "".join(f'<li><a href="/r{i}">Another headline number {i} about other news</a></li>' for i in range(6))
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title} - Example News</title>'
            f'<meta property="og:site_name" content="Example News">{canonical}'
            f'<meta name="date" content="2024-03-05"></head><body>'
            f'<header><ul class="nav">{nav}</ul></header>'
            f'<article><h1>{title}</h1>{body}</article>'
            f'<aside><h3>Related</h3><ul>{related}</ul></aside>'
            f'<footer>Copyright Example News. All rights reserved.</footer></body></html>')


def warc_bytes(pages: list[tuple[str, bytes, str]], compress: bool) -> tuple[bytes, list[int]]:
    """A WARC (warcinfo + one response per page) and the offset of each response record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=compress)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "tests"}))
    offsets = []
    for url, body, content_type in pages:
        offsets.append(buf.tell())
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                      http_headers=headers))
    return buf.getvalue(), offsets


def write_crawl(root: str) -> dict[str, object]:
    """Write the fixtures; returns facts the tests check (offsets of the broken parts)."""
    os.makedirs(root, exist_ok=True)
    facts: dict[str, object] = {}
    en = article_html("Peace talks in Geneva", ARTICLE_PARAGRAPHS, url="https://news.example.com/geneva")
    zh = article_html("日内瓦和平会谈", ARTICLE_ZH, charset="gb2312")

    # single HTML files: UTF-8, and GB2312 declared in a meta tag
    with open(os.path.join(root, "page.html"), "w", encoding="utf-8") as fh:
        fh.write(en)
    with open(os.path.join(root, "page_gbk.htm"), "wb") as fh:
        fh.write(zh.encode("gb18030"))
    # "HTML" that is not HTML, and deeply nested tags
    with open(os.path.join(root, "not_really.html"), "w", encoding="utf-8") as fh:
        fh.write("Just a plain sentence in a file that claims to be a web page.\n" * 3)
    with open(os.path.join(root, "nested.html"), "w", encoding="utf-8") as fh:
        fh.write("<html><body>" + "<div>" * 5000 + "<p>deep</p>" + "</div>" * 5000 + "</body></html>")

    # JSON Lines: a text record with its own id and url, an html record, then the bad ones
    lines = [
        json.dumps({"id": "a-1", "url": "https://x.example/a1", "text": "\n".join(ARTICLE_PARAGRAPHS)}),
        json.dumps({"id": 2, "html": en}),
        '{"id": "broken", "text": "unterminated',
        json.dumps({"id": "no-text", "title": "a record without text"}),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"id": "a-5", "text": "\n".join(reversed(ARTICLE_PARAGRAPHS))}),
    ]
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    with open(os.path.join(root, "records.jsonl"), "wb") as fh:
        fh.write(payload)
    facts["bad_json_line"] = 3
    facts["bad_json_offset"] = len(("\n".join(lines[:2]) + "\n").encode("utf-8"))

    # the same records, zstd-compressed
    import zstandard

    with open(os.path.join(root, "records_copy.jsonl.zst"), "wb") as fh:
        fh.write(zstandard.ZstdCompressor().compress(payload.replace(b'"a-', b'"z-')))

    # a truncated gzip JSON Lines file: the first records survive
    many = "".join(json.dumps({"id": f"t{i}", "text": f"Record {i}. " + ARTICLE_PARAGRAPHS[i % 4]}) + "\n"
                   for i in range(200)).encode("utf-8")
    whole = gzip.compress(many, mtime=0)
    with open(os.path.join(root, "cut.jsonl.gz"), "wb") as fh:
        fh.write(whole[: len(whole) * 2 // 3])

    # WARC (gzip per record) with a broken record in the middle, a non-HTML response and a good end
    pages = [("https://news.example.com/geneva", en.encode("utf-8"), "text/html; charset=utf-8"),
             ("https://news.example.com/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
             ("https://news.example.com/broken", en.encode("utf-8"), "text/html"),
             ("https://news.example.com/zh", zh.encode("gb18030"), "text/html; charset=GB2312")]
    data, offsets = warc_bytes(pages, compress=False)
    broken = bytearray(data)
    broken[offsets[2]: offsets[2] + 8] = b"WARQ/1.x"  # the record's first line is no WARC header
    with open(os.path.join(root, "crawl.warc"), "wb") as fh:
        fh.write(bytes(broken))
    facts["broken_warc_offset"] = offsets[2]
    gz_data, _ = warc_bytes(pages[:1] + pages[3:], compress=True)
    with open(os.path.join(root, "crawl_ok.warc.gz"), "wb") as fh:
        fh.write(gz_data)

    # a big single-line file (tests run with a low input.max_document_bytes to stand for 100 MB)
    with open(os.path.join(root, "one_line.jsonl"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "huge", "text": "word " * 40_000}) + "\n")
        fh.write(json.dumps({"id": "small", "text": ARTICLE_PARAGRAPHS[0]}) + "\n")
    return facts


if __name__ == "__main__":
    print(json.dumps(write_crawl(sys.argv[1] if len(sys.argv) > 1 else "crawl_fixtures"), indent=1))
