"""Strip portal chrome and sidebar headline lists from text dumps, on sites never seen before.

How a document is read (structure decides, phrase packs add evidence):
1. Every line gets cheap features (chrome_lines.py): display width (CJK counts double), whether it
   ends like a sentence, inner punctuation, dates/times, bullets, menu separators; and a phrase-pack
   category when it is a short line holding a known chrome phrase (chrome_lexicon.py).
2. The main body is the densest run of prose: each prose line scores its width, every other line a
   penalty (heavier for timestamps, bullets and chrome phrases, heaviest for end markers such as an
   editor credit or "related news"); the best-scoring run of lines (maximum subarray) is the body.
   A run of prose after an end marker (comments, another article's teaser) is cut off.
3. Edges decide with context: inside the body a short line between paragraphs stays (a subheading),
   bare datelines, chrome phrases and blocks of 3+ short lines go; outside the body everything goes,
   each line named by what it is (dateline, sidebar of timestamped headlines, latest-news list, ...).
4. The title (the headline just above the body, usually above the dateline) is kept as the first
   line; title, date and site/source recovered from chrome lines go to metadata.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from typing import Optional

from pipeline.config import ChromeConfig
from pipeline.document import Document
from pipeline.steps.chrome_lexicon import END_CATEGORIES, Lexicon
from pipeline.steps.chrome_lines import (
    BYLINE_RE, DATETIME_RE, TIME_RE, WIDE_RE, WORD_DATE_RE, LineFeatures, is_near_repeat, month_number, page_features,
    normalise_line, normalise_lines,
)




# A hard-wrapped paragraph is joined up to about this size (re-reading a growing unit at every join
# would be quadratic on a page that is one endless wrapped paragraph).
MAX_UNIT_CHARS = 4000

COPYRIGHT_SIGN_RE = re.compile(r"©|\(c\)\s*(?:19|20)\d\d|\bcopyright\b", re.I)


# Rule names, one per kind of line removed.
HEADER = "chrome.header"
FOOTER = "chrome.footer"
DATELINE = "chrome.dateline"
INLINE_BLOCK = "chrome.inline_block"
SIDEBAR = "sidebar.timestamped_headline"
LATEST_LIST = "aggregator.latest_list"
BYLINE = "chrome.byline"


def chrome_rule(category: str) -> str:
    return LATEST_LIST if category == "latest_list" else f"chrome.{category}"


@dataclass(slots=True)
class Line:
    """One unit of the page: an input line, or several when a paragraph was hard-wrapped."""

    indices: range       # its input lines (consecutive)
    text: str
    f: LineFeatures
    category: Optional[str]
    prose: bool         # f.prose and f.timestamped, read many times per unit by the body search
    timestamped: bool
    repeated: bool = False  # the same short line occurs elsewhere in the document (rubric labels)

    @property
    def index(self) -> int:
        return self.indices[0]


def _continues(prev: str, prev_fact: tuple, cur: str, cur_fact: tuple, wrap: int) -> bool:
    """`cur` carries on the sentence of `prev` (a paragraph hard-wrapped at a fixed width), `prev`
    being a line that can run on (not final, 30+ columns, no bullet or timestamp: see _line_facts).

    Sure signs: `cur` starts in lower case, or `prev` ends with a comma or hyphen. On a page that is
    hard-wrapped (`wrap` > 0, its wrap width), also: `prev` fills the line to about that width.
    """
    head = cur.lstrip()[:1]
    if head.islower():
        return True
    if prev.rstrip()[-1:] in (",", "-", "‐", "–", "，", "、") and head.isalnum():
        return True
    prev_f, cur_f = prev_fact[0], cur_fact[0]
    return (wrap > 0 and 0.8 * wrap <= prev_f.width <= 1.15 * wrap and cur_f.letters > 0
            and not cur_f.bullet and not cur_f.timestamped
            and normalise_line(cur) not in normalise_line(prev))  # a breadcrumb, then its own last part


def _wrap_width(raw_lines, facts) -> int:
    """The width a hard-wrapped page breaks its lines at (median width of lines followed by a
    lower-case continuation), or 0 when fewer than 4 such breaks suggest the page is not wrapped."""
    widths = sorted(prev[0].width for prev, cur, text in zip(facts, facts[1:], raw_lines[1:])
                    if cur is not None and prev is not None and prev[4] and text.lstrip()[:1].islower())
    return widths[len(widths) // 2] if len(widths) >= 4 else 0


# What build_units works out for one line depends only on its text and the phrase packs, and menus,
# labels and footers recur from page to page of a site: short lines' results are kept in the
# lexicon's line cache (emptied when it holds CACHE_MAX_LINES lines).
CACHE_MAX_LINES = 20_000  # about 7 MB
CACHE_MAX_CHARS = 200


def _line_facts(raw_lines, skip: frozenset[int], lexicon: Lexicon) -> list[Optional[tuple]]:
    """What build_units needs of every line (None for blank and skipped lines), from the cache when
    seen before: (features, phrase category, repeat key (lines up to 40 columns), can run on into the
    next line (not final, 30+ columns, no bullet or timestamp), could be a wrapped line (not final,
    30+ columns)). The lines not seen before are worked out together (page_features, match_many)."""
    cache = lexicon.line_cache
    if len(cache) >= CACHE_MAX_LINES:
        cache.clear()
    new = dict.fromkeys([text for text in raw_lines if text not in cache])  # (each text once)
    if new:
        texts = [text for text in new if text.strip()]
        features = page_features(texts)
        widths = [f.width for f in features]
        categories = lexicon.match_many(texts, widths)
        short = [k for k, width in enumerate(widths) if width <= 40]
        keys: list[Optional[str]] = [None] * len(texts)
        for k, key in zip(short, normalise_lines([texts[k] for k in short])):
            keys[k] = key
        for text, f, category, key in zip(texts, features, categories, keys):
            # (every COPYRIGHT_SIGN_RE match holds "©", "(" or "yr" ignoring case, and only Y and R lower
            # to y and r: a cheap test first)
            if category is None and ("©" in text or "(" in text or "yr" in text or "YR" in text or "Yr" in text
                                     or "yR" in text) and COPYRIGHT_SIGN_RE.search(text):
                category = "copyright"
            wraps = not f.final and f.width >= 30
            new[text] = (f, category, key, wraps and not f.bullet and not f.timestamped, wraps)
        cache.update(new)
    facts: list = list(map(cache.__getitem__, raw_lines))
    for text in new:
        if len(text) > CACHE_MAX_CHARS:  # (kept only while this page needed it)
            del cache[text]
    for i in skip:
        if i < len(facts):
            facts[i] = None
    return facts


def build_units(raw_lines, lexicon: Lexicon, skip: frozenset[int] = frozenset()) -> list[Line]:
    """Non-blank lines as units, hard-wrapped paragraph lines joined into one unit.

    A line carries on the sentence of the one before (a paragraph hard-wrapped at a fixed width) when
    that one can run on (not final, 30+ columns, no bullet or timestamp) and this one starts in lower
    case, or that one ends with a comma or hyphen and this one starts with a letter or digit, or the
    page is hard-wrapped and that one fills the line (_continues).
    """
    facts = _line_facts(raw_lines, skip, lexicon)
    wrap = _wrap_width(raw_lines, facts)
    units: list[Line] = []
    joined: list[Line] = []  # units of several lines: their features are worked out once, at the end
    counts: dict[str, int] = {}
    short: list[tuple[Line, str]] = []
    may_run_on = False  # the line before can go on in this one
    last = prev = None
    for i, fact in enumerate(facts):
        if fact is None:
            may_run_on = False
            continue
        if may_run_on and len(last.text) < MAX_UNIT_CHARS \
                and _continues(raw_lines[i - 1], prev, raw_lines[i], fact, wrap):
            if len(last.indices) == 1:
                joined.append(last)
            last.indices = range(last.indices.start, i + 1)
            last.text = last.text.rstrip() + " " + raw_lines[i].strip()
        else:
            f = fact[0]
            last = Line(range(i, i + 1), raw_lines[i], f, fact[1], f.prose, f.timestamped)
            units.append(last)
            key = fact[2]
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
                short.append((last, key))
        may_run_on = fact[3]
        prev = fact
    for unit, jf in zip(joined, page_features([unit.text for unit in joined])):
        unit.f = jf
        unit.category, unit.prose, unit.timestamped = lexicon.match(unit.text, jf.width), jf.prose, jf.timestamped
    for unit, key in short:
        if counts[key] > 1 and len(unit.indices) == 1 and not unit.prose:
            unit.repeated = True
    return units


def _ends_article(line: Line) -> bool:
    """An end marker (editor credit, related news, comments, copyright), unless it recurs in the
    page: a "related" box repeated between paragraphs is inline furniture, not the end."""
    return line.category in END_CATEGORIES and not line.repeated


def _values(lines: list[Line], settings: ChromeConfig) -> list[float]:
    """Prose scores its width (discounted when it stands alone between non-prose lines, as the teasers
    of a headline list do); everything else costs a penalty."""
    values: list[float] = []
    append = values.append
    n = len(lines)
    drop = 1 - settings.tail_weight
    isolated = settings.isolated_prose_weight
    end_marker, repeated, timestamp = (settings.end_marker_penalty, settings.repeated_line_penalty,
                                       settings.timestamp_penalty)
    prose = [line.prose for line in lines]
    prose.append(False)  # (read as prose[pos + 1] past the end, and as prose[-1] before the start)
    introduced = False  # inside a list introduced by a sentence ending in a colon
    for pos, line in enumerate(lines):
        f = line.f
        category = line.category
        lead_in = f.colon_end and _introduces_list(line)
        introduced = introduced and f.bullet and category is None and not line.timestamped
        ends = category is not None and _ends_article(line)
        if introduced or (lead_in and not prose[pos]):
            append(0.0)  # an in-article list costs nothing; it stays only between prose
        elif prose[pos] and not ends:
            # mild position prior: prose in the last half of the page (footers, comments, legal
            # notices) counts less, down to `tail_weight` at the very end
            late = max(0.0, (pos / n - 0.5) * 2)
            v = float(min(f.width, 800)) * (1 - drop * late)
            append(v * isolated if not prose[pos - 1] and not prose[pos + 1] else v)
        elif ends:
            append(-end_marker)
        else:  # what a non-prose line costs the run of lines it sits in
            cost = 20 + min(f.width, 60) * 0.5
            if category is not None:
                cost += 40
            if line.repeated and category != "advertisement":
                cost += repeated
            if line.timestamped:
                cost += timestamp
            if f.bullet:
                cost += 20
            if f.separators >= 2 or f.url:
                cost += 20
            append(-cost)
        introduced = introduced or lead_in
    return values


def _introduces_list(line: Line) -> bool:
    """'The bins will be collected on alternate weeks:' - a sentence leading into a list."""
    f = line.f
    if not f.colon_end:
        return False
    wide = f.width > len(line.text.strip())
    return (line.category is None and f.width >= 30 and not f.bullet
            and (wide or len(line.text.split()) >= 4))


def find_body(lines: list[Line], settings: ChromeConfig) -> Optional[tuple[int, int]]:
    """(first, last) positions in `lines` of the best-scoring run (maximum subarray), or None."""
    values = _values(lines, settings)
    best, best_span = 0.0, None
    run, start = 0.0, 0
    for pos, v in enumerate(values):
        if run <= 0:
            run, start = v, pos
        else:
            run += v
        if run > best:
            best, best_span = run, (start, pos)
    if best_span is None or best < settings.min_body_score:
        return None
    first, last = best_span
    # Prose after an end marker (editor credit, "related", comments) belongs to something else,
    # once the body before the marker is substantial.
    prose_before = 0.0
    total = sum(max(0.0, v) for v in values[first:last + 1])
    for pos in range(first, last + 1):
        line = lines[pos]
        if _ends_article(line) and not line.prose and prose_before >= max(200.0, 0.4 * total):
            last = pos - 1
            break
        prose_before += max(0.0, values[pos])
    while last > first and not lines[last].prose:
        last -= 1
    return first, last


def _headline_like(line: Line) -> bool:
    """Could be a title: a line of words, not a label, timestamp, byline, list item, URL or menu."""
    f = line.f
    text = line.text.strip()
    if not (f.letters >= 4 and f.width <= 240 and line.category is None and not line.timestamped
            and not f.bullet and not f.byline and f.separators < 2 and not f.url):
        return False
    if text.endswith((":", "：", ",", "，", "|")):
        return False
    wide = f.width > len(text)
    if f.width < (16 if wide else 20):
        return False
    # a CJK menu printed on one line: many short items separated by spaces (CJK words are not)
    parts = text.split()
    return not (wide and len(parts) >= 5 and f.width / len(parts) <= 10)


def find_title(lines: list[Line], first: int, settings: ChromeConfig) -> Optional[int]:
    """Position of the headline above the body (or the body's first line when it is one), or None.

    Preference: the nearest headline-like line just above a dateline; else the nearest headline-like
    line above the body; else the body's first line when it reads like a headline followed by prose.
    """
    lo = max(0, first - settings.max_title_distance)
    above = list(range(first - 1, lo - 1, -1))
    for pos in above:  # headline above a dateline (skipping labels and short bits between them)
        if lines[pos].timestamped or (lines[pos].f.has_date and lines[pos].f.width < 60):
            for cand in range(pos - 1, max(lo, pos - 4) - 1, -1):
                if _headline_like(lines[cand]):
                    return cand
            break
    for pos in above:
        line = lines[pos]
        if line.category in ("related", "latest_list"):
            break  # a "related stories" block sits between the title and the body
        if _headline_like(line) and not line.f.final:
            return pos
    head = lines[first]
    if (first + 1 < len(lines) and _headline_like(head) and not head.f.final
            and head.f.width <= 120 and lines[first + 1].prose):
        return first
    return None


def _is_sidebar_pair(lines: list[Line], pos: int) -> bool:
    """A timestamped line, or a headline followed by its own shortened copy with a timestamp."""
    line = lines[pos]
    if line.timestamped:
        return True
    if pos + 1 < len(lines) and lines[pos + 1].timestamped:
        # a headline whose timestamped follower sits among other timestamped items (the cheap test)
        if not line.prose and sum(l.timestamped for l in lines[max(0, pos - 6):pos + 8]) >= 3:
            return True
        nxt = DATETIME_RE.sub("", lines[pos + 1].text)
        return is_near_repeat(normalise_line(nxt), normalise_line(line.text))
    return False


def _name_outside(lines: list[Line], positions: list[int], default: str, runs: list[int]) -> dict[int, str]:
    """Rule names for lines outside the body: by phrase category, sidebar pairs, lists (`runs`: the
    bullet run lengths), else `default`."""
    names: dict[int, str] = {}
    in_list = False
    n = len(lines)
    for pos in positions:
        line = lines[pos]
        if line.category == "latest_list":
            in_list = True
        elif not line.f.bullet and line.category is None and not line.timestamped:
            in_list = in_list and line.f.width <= 4
        # (the cheap half of _is_sidebar_pair first: most lines are not next to a timestamp)
        if line.timestamped or (pos + 1 < n and lines[pos + 1].timestamped and _is_sidebar_pair(lines, pos)):
            names[pos] = SIDEBAR
        elif line.category is not None:
            names[pos] = chrome_rule(line.category)
        elif line.f.bullet and (in_list or runs[pos] >= 3):
            names[pos] = LATEST_LIST
        else:
            names[pos] = default
    # a short heading right above a latest-news list belongs to the list (renaming a heading does not
    # make the line above it one: only the lines named so above are looked at)
    for pos in [p - 1 for p, name in names.items() if name == LATEST_LIST]:
        if names.get(pos) in (default, FOOTER, HEADER) and not lines[pos].f.bullet and lines[pos].f.width <= 40:
            names[pos] = LATEST_LIST
    return names


def _bullet_runs(lines: list[Line]) -> list[int]:
    """For every position, the length of the run of consecutive bullet lines it belongs to (0 if none)."""
    runs: list[int] = []
    for bullet, group in groupby(line.f.bullet for line in lines):
        size = len(list(group))
        runs.extend([size if bullet else 0] * size)
    return runs


def _name_inside(lines: list[Line], first: int, last: int, settings: ChromeConfig) -> dict[int, str]:
    """Lines to remove inside the body: chrome phrases, bare datelines, blocks of short non-prose lines."""
    names: dict[int, str] = {}
    pos = first
    while pos <= last:
        if lines[pos].prose:
            pos += 1
            continue
        end = pos
        while end + 1 <= last and not lines[end + 1].prose:
            end += 1
        block = range(pos, end + 1)
        for p in block:
            line = lines[p]
            if line.category is not None:
                names[p] = chrome_rule(line.category)
            elif line.timestamped or (line.f.has_date and line.f.date_share > 0.5):
                names[p] = DATELINE
            elif line.f.byline:
                names[p] = BYLINE
            elif line.f.letters == 0 or line.f.url:
                names[p] = INLINE_BLOCK
        # a list of items inside the article (ingredients, key points) stays; other blocks go
        items = block[1:] if _introduces_list(lines[block[0]]) else block
        listed = len(items) > 0 and all(lines[p].f.bullet and lines[p].f.width >= 20 and not lines[p].f.url
                                        for p in items)
        if len(block) > settings.max_inline_block and not listed:
            for p in block:
                names.setdefault(p, INLINE_BLOCK)
        pos = end + 1
    return names


# --- metadata ---------------------------------------------------------------------------------


def normalise_date(text: str) -> Optional[str]:
    """The first date(+time) in a line as 'YYYY-MM-DD[ HH:MM[:SS]]' (day-first for dd.mm.yyyy), or None."""
    for m in DATETIME_RE.finditer(text):
        if not m.group("date"):
            continue
        nums = re.findall(r"\d+", m.group("date"))
        if len(nums) != 3:
            continue
        if len(nums[0]) == 4:
            y, mo, d = nums
        else:
            d, mo, y = nums
            if len(y) == 2:
                y = "20" + y
            if int(mo) > 12 and int(d) <= 12:  # US order mm/dd/yyyy
                d, mo = mo, d
        if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
            continue
        out = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
        if m.group("time"):
            t = re.findall(r"\d+", m.group("time"))
            out += " " + ":".join(f"{int(x):02d}" for x in t[:3])
        return out
    m = WORD_DATE_RE.search(text)
    if m:
        words = re.findall(r"[^\W\d_]+", m.group(0))
        nums = re.findall(r"\d+", m.group(0))
        month = month_number(words[0]) if words else None
        if month and len(nums) == 2:
            day, year = (int(nums[0]), int(nums[1])) if len(nums[1]) == 4 else (int(nums[1]), int(nums[0]))
            if 1 <= day <= 31:
                out = f"{year:04d}-{month:02d}-{day:02d}"
                t = TIME_RE.search(text[m.end():])
                if t:
                    out += " " + ":".join(f"{int(x):02d}" for x in re.findall(r"\d+", t.group(0))[:3])
                return out
    return None


def _site_from_dateline(text: str) -> Optional[str]:
    """The name printed after a dateline's date, set apart by a wide gap or a bar:
    '2025-11-24 22:19  某某网' -> '某某网'; 'Published 14 March 2024 09:42' -> None."""
    ends = [m.end() for m in DATETIME_RE.finditer(text)] + [m.end() for m in WORD_DATE_RE.finditer(text)]
    if not ends:
        return None
    rest = text[max(ends):]
    gap = re.match(r"(?:\s{2,}|\s*[|｜/·•]\s*|\s*\u3000\s*)(.+)$", rest)
    if not gap:
        return None
    candidate = re.split(r"\s{2,}|\s[|｜/]\s", gap.group(1).strip())[0].strip(" :：()（）[]【】")
    if WIDE_RE.search(candidate.split()[0] if candidate.split() else ""):
        # CJK site names have no spaces: what follows is a credit or a widget ("编辑：…", "参与互动(0)")
        candidate = candidate.split()[0]
    if (not candidate or BYLINE_RE.match(candidate) or len(candidate) > 24
            or re.search(r"[。！？.!?]$", candidate) or not re.search(r"[^\W\d_]", candidate)
            or _STANDALONE_NUMBER_RE.search(candidate) or re.search(r"[=&?]", candidate)):
        return None
    return candidate


# A count standing as a word ("Updated 14 hours ago", "5 min read", "3 comments") is not a site name;
# digits inside a name ("163.com", "36氪") are.
_STANDALONE_NUMBER_RE = re.compile(r"(?:^|\s)\d+(?:[.,:]\d+)?(?=\s|$)")


def recover_metadata(lines: list[Line], first: int, last: int, title: Optional[int],
                     lexicon: Lexicon) -> dict[str, str]:
    """date and site from datelines and source labels near the body."""
    meta: dict[str, str] = {}
    top = title if title is not None else first
    near = list(range(max(0, top - 6), min(len(lines), first + 3)))
    after = list(range(last + 1, min(len(lines), last + 8)))
    for pos in near + after:
        line = lines[pos]
        if pos in range(first, last + 1) and line.prose:
            continue
        if "date" not in meta and line.f.has_date:
            date = normalise_date(line.text)
            if date:
                meta["date"] = date
                if line.f.width <= 80 and line.category is None:
                    site = _site_from_dateline(line.text)
                    if site:
                        meta.setdefault("site_guess", site)
        if "site" not in meta:
            value = lexicon.label_value(line.text, "source_label")
            if value:
                value = DATETIME_RE.sub(" ", value).split("  ")[0].strip()
                value = re.split(r"\s", value)[0] if len(value) > 24 else value
                if value:
                    meta["site"] = value
    if "site" not in meta and "site_guess" in meta:
        meta["site"] = meta["site_guess"]
    meta.pop("site_guess", None)
    return meta


# --- the step ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    removed: dict[int, str]   # line index -> rule
    body: Optional[tuple[int, int]]  # first/last line index of the body
    title: Optional[int]      # line index of the title
    meta: dict[str, str]


def classify(raw_lines: tuple[str, ...] | list[str], lexicon: Lexicon,
             settings: ChromeConfig = ChromeConfig(), skip: frozenset[int] = frozenset()) -> Decision:
    """Decide, for every non-blank line, whether it is chrome (and which rule) or article."""
    lines = build_units(raw_lines, lexicon, skip)
    span = find_body(lines, settings)
    if span is None:
        return Decision({}, None, None, {})
    first, last = span
    title = find_title(lines, first, settings)
    names: dict[int, str] = {}
    runs = _bullet_runs(lines)
    names.update(_name_outside(lines, [p for p in range(0, first) if p != title], HEADER, runs))
    names.update(_name_outside(lines, list(range(last + 1, len(lines))), FOOTER, runs))
    # the dateline: a dated line just above the body (below or near the title), not a sidebar item
    top = title if title is not None and title < first else first
    for pos in range(max(0, top - 3), first):
        line = lines[pos]
        if pos != title and line.f.has_date and line.f.width <= 80 and line.category in (None, "source_label") \
                and not (pos > 0 and names.get(pos - 1) == SIDEBAR and pos - 1 != title
                         and _is_sidebar_pair(lines, pos - 1) and not lines[pos - 1].timestamped):
            names[pos] = DATELINE
        elif pos != title and line.f.byline and names.get(pos) == HEADER:
            names[pos] = BYLINE
    names.update(_name_inside(lines, first if title != first else first + 1, last, settings))
    names.pop(title, None)
    meta = recover_metadata(lines, first, last, title, lexicon)
    if title is not None:
        meta["title"] = lines[title].text.strip()
    removed = {i: rule for p, rule in names.items() for i in lines[p].indices}
    return Decision(removed, (lines[first].index, lines[last].indices[-1]),
                    lines[title].index if title is not None else None, meta)


# Rules that only say "outside (or between) the article's prose", not what the line is. Text that an
# HTML extractor already cut to the main content keeps such lines (chrome.on_extracted_html: specific).
GENERIC_RULES = frozenset({HEADER, FOOTER, INLINE_BLOCK})


def strip_chrome(doc: Document, lexicon: Lexicon, settings: ChromeConfig = ChromeConfig()) -> Document:
    """The pipeline step: mark chrome lines removed and fill title/date/site (kept when already set)."""
    extracted = bool(doc.extra.get("html_extractor"))
    if extracted and settings.on_extracted_html == "none":
        return doc
    decision = classify(doc.lines, lexicon, settings, skip=frozenset(doc.removed))
    if decision.body is None:
        return doc
    by_rule: dict[str, list[int]] = {}
    for index, rule in sorted(decision.removed.items()):
        if extracted and settings.on_extracted_html == "specific" and rule in GENERIC_RULES:
            continue
        by_rule.setdefault(rule, []).append(index)
    meta = decision.meta
    return doc.replace(
        removed=doc.removed_with(by_rule),
        title=doc.title or meta.get("title"),
        date=doc.date or meta.get("date"),
        site=doc.site or meta.get("site"),
    )
