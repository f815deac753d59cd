"""HTML page -> main-text lines and metadata. Pure: bytes or str in, an Extraction out; no Beam, no I/O.

Extraction runs trafilatura first (its precision mode; in the chain without its own fallback
extractors, since readability is the fallback) and readability-lxml as the second opinion, then keeps
one of them by how they agree (`choose_text`):

- trafilatura's text is thin (under 75 % of readability's tokens): readability's is taken;
- readability's article is (nearly all) inside trafilatura's text and is a real part of it: the rest of
  trafilatura's text is page chrome around the same article, so readability's is taken, less the few
  lines of it trafilatura does not have (`confirmed_lines`);
- the two found different things (each shares less than half of its tokens with the other): the one
  that sits earlier in the page is taken (`earlier_in_page`). An article comes before its comments, its
  footer and the legal notice under it, which is where the wrong pick of either extractor lies;
- otherwise trafilatura's (readability's choice is a part of it, or the two overlap loosely).

The choice was measured on the public boilerplate dev set (scripts/bench_html.py; figures in the
README): it beats both extractors alone. Metadata (title, date, site name, canonical url) comes from
trafilatura's metadata extraction, with the <title> tag (beautifulsoup4) as the title fallback.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from pipeline.document import Reject
from pipeline.steps.decode import decode_bytes
from pipeline.steps.normalize import normalize_text

EXTRACTORS = ("chain", "trafilatura", "readability")

# charset=... in an HTTP Content-Type header or a <meta> tag
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_META = re.compile(rb"<meta\b[^>]*>", re.I)
# Something that looks like markup: an element or a doctype/comment near the top.
_MARKUP = re.compile(r"<(?:!doctype|!--|html|head|body|div|p|span|a|table|article|section|br|meta|title)\b",
                     re.I)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
# Elements without an end tag, or whose end tag is optional (old pages leave <p> and <li> open);
# they do not count for nesting depth.
_NO_DEPTH = frozenset(
    "area base br col embed hr img input link meta param source track wbr "
    "p li dt dd tr td th option thead tbody tfoot colgroup rt rp optgroup".split()
)


@dataclass(frozen=True)
class HtmlOptions:
    extractor: str = "chain"
    favor_precision: bool = True
    include_tables: bool = True
    max_depth: int = 250
    # chain thresholds (see choose_text)
    thin_ratio: float = 0.75
    contained_share: float = 0.9
    min_part: float = 0.2
    disagree_share: float = 0.5
    # the chain's switches, kept for measuring (scripts/bench_html.py): the position rule for two
    # extractions that disagree, and trafilatura's own fallbacks (its readability port and jusText)
    by_position: bool = True
    trafilatura_fallbacks: bool = False


@dataclass(frozen=True)
class Extraction:
    lines: tuple[str, ...]
    encoding: str
    method: str  # which extractor's text was kept
    title: Optional[str] = None
    date: Optional[str] = None
    site: Optional[str] = None
    url: Optional[str] = None
    meta: dict = field(default_factory=dict)


# --- charset ---------------------------------------------------------------------------------------
def _codec(name: bytes | str | None) -> Optional[str]:
    if not name:
        return None
    import codecs

    label = name.decode("ascii", "ignore") if isinstance(name, bytes) else name
    label = label.strip().lower()
    if label in ("gb2312", "gbk", "x-gbk"):  # pages labelled GB2312/GBK routinely use GB18030 characters
        label = "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(data: bytes, content_type: Optional[str] = None) -> Optional[str]:
    """The charset the HTTP Content-Type header or a <meta> tag in the first 8 KiB declares, if known."""
    if content_type:
        m = _CHARSET.search(content_type.encode("latin-1", "ignore"))
        if m and _codec(m.group(1)):
            return _codec(m.group(1))
    for meta in _META.finditer(data[:8192]):
        m = _CHARSET.search(meta.group(0))
        if m and _codec(m.group(1)):
            return _codec(m.group(1))
    return None


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def decode_html(data: bytes, content_type: Optional[str] = None, encoding: str = "auto") -> tuple[str, str]:
    """Page bytes -> (text, encoding): forced codec, else BOM, then HTTP header / meta charset, then detection.

    A declared charset that does not decode the bytes is ignored (pages lie about it); detection decides.
    """
    if encoding != "auto" or data[:4] in (b"\xef\xbb\xbf", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") \
            or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return decode_bytes(data, encoding)
    declared = declared_charset(data, content_type)
    if declared and declared not in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):  # a meta tag read as
        try:                                                                           # ASCII is not UTF-16
            return data.decode(declared), declared
        except UnicodeDecodeError:
            pass
    return decode_bytes(data, "auto")


# --- structure checks --------------------------------------------------------------------------------
def looks_like_html(text: str) -> bool:
    return _MARKUP.search(text[:65536]) is not None


def nesting_depth(text: str, stop_at: int = 1 << 30) -> int:
    """Deepest element nesting (end-tag-optional and void elements left out); stops once over stop_at."""
    depth = deepest = 0
    for m in _TAG.finditer(text):
        name = m.group(2).lower()
        if name in _NO_DEPTH or m.group(3):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
    return deepest


# --- extractors ------------------------------------------------------------------------------------
def trafilatura_text(html: str, url: Optional[str], options: HtmlOptions, fallbacks: bool = True) -> str:
    """trafilatura's main text; fallbacks=False skips its own second extractors (`fast`), which the
    chain does not need: readability is its fallback (same choices on the dev set, ~40 % less CPU)."""
    import trafilatura

    return trafilatura.extract(
        html, url=url, favor_precision=options.favor_precision, include_tables=options.include_tables,
        include_comments=False, deduplicate=False, fast=not fallbacks,
    ) or ""


def readability_text(html: str) -> str:
    """readability-lxml's article, one block per line (html-text keeps the paragraph breaks)."""
    import html_text
    from readability import Document as ReadabilityDocument

    try:
        summary = ReadabilityDocument(html).summary(html_partial=True)
    except Exception:  # readability raises on pages it cannot parse (empty body, odd markup)
        return ""
    return html_text.extract_text(summary, guess_layout=True)


def _tokens(text: str) -> Counter:
    """Bag of tokens for comparing two extractions: CJK characters one by one, other words whole."""
    out: list[str] = []
    for piece in text.lower().split():
        run = []
        for ch in piece:
            if "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff":
                if run:
                    out.append("".join(run))
                    run = []
                out.append(ch)
            elif ch.isalnum():
                run.append(ch)
        if run:
            out.append("".join(run))
    return Counter(out)


def choose_text(traf: str, read: str, options: HtmlOptions, html: Optional[str] = None) -> tuple[str, str]:
    """(text, method) from trafilatura's and readability's outputs by how they agree (module docstring).

    `html` (the page) is needed only by the position rule, for two outputs that disagree.
    """
    t, r = _tokens(traf), _tokens(read)
    nt, nr = sum(t.values()), sum(r.values())
    if nt < options.thin_ratio * nr:
        return read, "readability.thin_trafilatura"
    common = sum((t & r).values())
    if nr and common >= options.contained_share * nr and nr >= options.min_part * nt:
        return confirmed_lines(read, t), "readability.inside_trafilatura"
    if options.by_position and html and nr and common < options.disagree_share * min(nt, nr):
        if earlier_in_page(html, read, traf):
            return read, "readability.earlier_in_page"
    return traf, "trafilatura"


_LIST_MARK = re.compile(r"^(?:[-*•·#>]+\s+)+")


def text_position(page: str, text: str) -> Optional[float]:
    """Where `text` sits in `page` (both whitespace-collapsed), 0 = top, 1 = bottom: the length-weighted
    median of where its lines are found. None when no line of 8+ characters is found.

    A line is looked up by the start (30 characters) of its longest table cell, without list marks, so
    trafilatura's "| a | b |" table rows and "- item" lists are found too.
    """
    found = []
    for line in text.split("\n"):
        cell = max((" ".join(c.split()) for c in line.split("|")), key=len, default="")
        cell = _LIST_MARK.sub("", cell)
        if len(cell) < 8:
            continue
        at = page.find(cell[:30])
        if at >= 0:
            found.append((at / max(len(page), 1), len(cell)))
    if not found:
        return None
    half, seen = sum(w for _, w in found) / 2, 0
    for at, weight in sorted(found):
        seen += weight
        if seen >= half:
            return at
    return None  # not reached


def earlier_in_page(html: str, first: str, second: str) -> bool:
    """Whether `first` sits before `second` in the page's text (both found in it)."""
    import html_text

    try:
        page = " ".join(html_text.extract_text(html, guess_layout=False).split())
    except Exception:  # a page lxml cannot read as a whole: no position, trafilatura's text stays
        return False
    a, b = text_position(page, first), text_position(page, second)
    return a is not None and b is not None and a < b


def confirmed_lines(text: str, support: Counter) -> str:
    """The lines of `text` whose tokens are mostly (over half) found in `support`.

    When readability's article lies inside trafilatura's text, the few readability lines trafilatura
    does not have are the ones it judged boilerplate (a footer under a short article); both agree on the rest.
    """
    kept = []
    for line in text.split("\n"):
        tokens = _tokens(line)
        n = sum(tokens.values())
        if n == 0 or sum((tokens & support).values()) * 2 > n:
            kept.append(line)
    return "\n".join(kept)


def page_metadata(html: str, url: Optional[str]) -> dict:
    """title, date, site, url from trafilatura's metadata extraction; <title> when it finds no title."""
    meta: dict = {}
    try:
        from trafilatura import extract_metadata

        # extensive=False: dates from markup, JSON-LD and the URL, without htmldate's slow full-text
        # search (it cost more than the text extraction itself)
        found = extract_metadata(html, default_url=url, extensive=False)
        if found is not None:
            meta = {"title": found.title, "date": found.date, "site": found.sitename, "url": found.url}
    except Exception:  # metadata is a bonus: a page whose metadata cannot be read still has text
        meta = {}
    if not meta.get("title"):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(html[:200_000], "lxml")
        if soup.title and soup.title.string:
            meta["title"] = soup.title.string.strip() or None
    return {k: (v.strip() if isinstance(v, str) else v) or None for k, v in meta.items()}


def extract_text(html: str, url: Optional[str], options: HtmlOptions) -> tuple[str, str]:
    """(main text, method) with the configured extractor."""
    if options.extractor == "trafilatura":
        return trafilatura_text(html, url, options), "trafilatura"
    if options.extractor == "readability":
        return readability_text(html), "readability"
    traf = trafilatura_text(html, url, options, fallbacks=options.trafilatura_fallbacks)
    return choose_text(traf, readability_text(html), options, html)


def extract_page(data: bytes | str, url: Optional[str] = None, content_type: Optional[str] = None,
                 options: HtmlOptions = HtmlOptions(), encoding: str = "auto") -> Extraction:
    """A page (bytes, or text already decoded) -> Extraction. Raises Reject when there is no page or no text."""
    if isinstance(data, bytes):
        html, used = decode_html(data, content_type, encoding)
    else:
        html, used = data, "unicode"
    # characters XML cannot hold (C0 controls, lone surrogates): lxml's cleaner refuses the whole page
    html = _NOT_XML.sub("", html)
    if not html.strip():
        raise Reject("empty", "the page is empty")
    if not looks_like_html(html):
        raise Reject("not_html", "no HTML markup in the first 64 KiB (plain text or another format?)")
    depth = nesting_depth(html, stop_at=options.max_depth)
    if depth > options.max_depth:
        raise Reject("too_nested", f"elements nested deeper than html.max_depth={options.max_depth}")
    text, method = extract_text(html, url, options)
    lines = tuple(normalize_text(text))
    if not any(lines):
        raise Reject("no_main_text", f"no main text found in {len(html)} characters of HTML")
    meta = page_metadata(html, url)
    return Extraction(lines=lines, encoding=used, method=method, title=meta.get("title"),
                      date=meta.get("date"), site=meta.get("site"), url=meta.get("url") or url)


def warm_up() -> None:
    """Import the extractors (done once per extraction process, before its first page)."""
    import html_text  # noqa: F401
    import trafilatura  # noqa: F401
    from bs4 import BeautifulSoup  # noqa: F401
    from readability import Document  # noqa: F401
