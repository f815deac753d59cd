"""Cheap per-line features for the chrome cleaner: display width, sentence ends, dates, bullets.

Everything here works on one string with a handful of compiled regexes, in any language: CJK
characters count double in display width (a 20-character Chinese sentence is as wide as a 40-letter
English one), and sentence-final punctuation covers Latin, Greek, Cyrillic, CJK and Arabic marks.
"""
from __future__ import annotations

import re
from typing import NamedTuple

# Wide characters: Hangul Jamo, CJK radicals..Yi, Hangul syllables, compatibility ideographs,
# fullwidth forms, CJK extension B+ (counted as 2 columns, like a terminal does).
WIDE_RE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
                     "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
                     "\U00020000-\U0003fffd]")

# Inner punctuation that prose has and menus, tags and headlines mostly lack.
INNER_PUNCT_RE = re.compile(r"[,，、;；。.!?！？:：](?!\d)\s*\S")  # not decimal points
LETTER_RE = re.compile(r"[^\W\d_]")
DIGIT_RE = re.compile(r"\d")

# Dates and times in the shapes portals print them (digits only, any language).
_DATE = (r"(?:(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}(?:\s*日)?"
         r"|\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*(?:19|20)?\d\d(?!\d))")
_TIME = r"(?<!\d)(?:[01]?\d|2[0-3])\s*[:：时]\s*[0-5]\d(?:\s*[:：分]\s*[0-5]\d(?:\s*秒)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
DATE_RE = re.compile(_DATE)
TIME_RE = re.compile(_TIME)
DATETIME_RE = re.compile(rf"(?P<date>{_DATE})(?:[\sT,]*(?P<time>{_TIME}))?|(?P<time_only>{_TIME})")
# "16 January 2012", "Jan 16, 2012", "4 янв", "21 Δεκέμβρη 2011": a word between numbers.
# (The letters are taken possessively: after 3-12 of them only a dot or a space can follow, so giving
# some back never finds a match; it only cost time at every letter of a line.)
WORD_DATE_RE = re.compile(r"(?<!\d)\d{1,2}\.?\s+[^\W\d_]{3,12}+\.?,?\s+(?:19|20)\d\d(?!\d)"
                          r"|[^\W\d_]{3,12}+\.?\s+\d{1,2},?\s+(?:19|20)\d\d(?!\d)")

YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")

# A list item: bullet glyph, a [tag], or "1." / "1、" numbering at the start.
_BULLET = r"[-–—•·・●◦▪■□◆◇►▶▸»>*※+]\s*(?=\S)|\[[^\]]{1,12}\]|【[^】]{1,12}】|\d{1,2}[.、)]\s*(?=\D)"
BULLET_RE = re.compile(rf"^\s*(?:{_BULLET})")
# Menus printed on one line: "Home | News | Sport", "首页 → 财经 → 生活".
SEPARATOR_RE = re.compile(r"\s[|/→>»·]\s|\s-\s|\|")
# "By Jane Doe", "Von Max Muster", "Автор: ...": a byline (not a title, not a site name).
_BYLINE = (r"(?:by|von|par|por|di|door|przez|autor|author|автор|от|από|του|της|作者|记者|文|撰文|编辑)"
           r"(?:\s*[:：]\s*|\s+)\S")
BYLINE_RE = re.compile(rf"^\s*{_BYLINE}", re.I)
# Both at once (a list item starts with a mark or digit, a byline with a letter: never both).
_LEAD_RE = re.compile(rf"^\s*(?:(?P<bullet>{_BULLET})|(?P<byline>(?i:{_BYLINE})))")
URL_RE = re.compile(r"https?://|www\.|\S@\S+\.\w|\.(?:com|net|org|cn|ru|de|pl|gr)\b", re.I)


def display_width(text: str) -> int:
    """Terminal columns: wide (CJK) characters count 2, everything else 1; surrounding space ignored."""
    text = text.strip()
    return len(text) + len(WIDE_RE.findall(text))


_CLOSERS = "\"'”’»」』）)]】"
_FINAL_MARKS = frozenset(".!?…。！？؟।")


def ends_sentence(text: str) -> bool:
    """The line ends like a sentence: a full stop, ?, !, ellipsis or their CJK forms (quotes allowed after)."""
    return text.rstrip().rstrip(_CLOSERS)[-1:] in _FINAL_MARKS


class LineFeatures(NamedTuple):  # a tuple: cheap to build for every line of a page
    width: int
    letters: int         # letters among the first 16 characters (enough to tell words from numbers)
    final: bool          # ends with sentence-final punctuation
    inner_punct: int     # commas / stops inside the line (counted on lines of width >= 50 only)
    has_date: bool
    has_time: bool
    date_share: float    # share of the line's width taken by dates/times (1.0 = a bare timestamp)
    bullet: bool
    separators: int      # menu separators ("|", " - ", " → ")
    url: bool
    colon_end: bool
    byline: bool
    # Reads like running text: a finished sentence of some length, or a long line with inner punctuation.
    prose: bool
    # A date with a time, or a line that is mostly a date or a time ("Сегодня, 7:37").
    timestamped: bool


# Cheap exact gates: a regex runs only on lines holding a character every one of its matches needs.
_NON_WIDE_RUNS_RE = re.compile("[^" + WIDE_RE.pattern[1:-1] + "]+")
_NON_LETTER_RUNS_RE = re.compile(r"[\W\d_]+")
_ASCII_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())
_DATE_MARKS_RE = re.compile(r"\d\s*[-/.年]\s*\d")  # in every DATE_RE match
_TIME_MARKS_RE = re.compile(r"\d\s*[:：时]\s*[0-5]\d")  # in every TIME_RE match
# every WORD_DATE_RE match holds one: the last digit of its day before the year, or before the month
# and the year (it is tried at digits only, not at every letter)
_WORD_DATE_TAIL_RE = re.compile(r"\d(?:,?\s+(?:19|20)\d\d(?!\d)|\.?\s+[^\W\d_]{3,12}+\.?,?\s+(?:19|20)\d\d(?!\d))")
_SPACED_SEPARATOR_RE = re.compile(r"\s[/→>»·-]\s")  # every SEPARATOR_RE match without a "|" is one
# every URL_RE match has one (case-insensitive matching folds none of these letters to other ones)
_URL_MARKS_RE = re.compile(r"\.[cnordpgCNORDPG]|://|@|w\.|W\.")
# in every match of DIGIT_RE, SEPARATOR_RE and _URL_MARKS_RE
_MARKS_RE = re.compile(r"[\d|/→>»·\-@:.]")
_EMPTY_FEATURES = LineFeatures(0, 0, False, 0, False, False, 0.0, False, 0, False, False, False, False, False)
_new_features = tuple.__new__


def line_features(line: str) -> LineFeatures:
    text = line.strip()
    if not text:
        return _EMPTY_FEATURES
    width = len(text)
    if not text.isascii():
        width += len(_NON_WIDE_RUNS_RE.sub("", text))
    has_date = has_time = False
    date_share = 0.0
    # Most lines have no mark at all; the tests below look from the first mark (or digit) on, where
    # all their matches start (the "w." of a URL and the space before a separator one character
    # before; the regexes' look-behinds still see the text before where they start).
    mark = _MARKS_RE.search(text)
    first_mark = -1 if mark is None else mark.start()
    digit = None if mark is None else mark if mark.group().isdecimal() else DIGIT_RE.search(text, first_mark)
    if digit is not None:
        at = digit.start()
        dates = DATE_RE.findall(text, at) if _DATE_MARKS_RE.search(text, at) else []
        if _WORD_DATE_TAIL_RE.search(text, at):  # (slow)
            dates += WORD_DATE_RE.findall(text)
        times = TIME_RE.findall(text, at) if _TIME_MARKS_RE.search(text, at) else []
        has_date, has_time = bool(dates), bool(times)
        if dates or times:
            # (display widths; the matches begin and end with a digit, a letter or a CJK mark)
            date_share = min(1.0, sum(len(s) if s.isascii() else display_width(s) for s in dates + times) / width)
    head = text[:16]
    if head.isalpha():
        letters = len(head)
    elif head.replace(" ", "").isalpha():  # words and spaces only
        letters = len(head) - head.count(" ")
    elif head.isascii():  # (the same as below, faster)
        letters = len(head.encode("ascii").translate(None, _ASCII_NOT_LETTERS))
    else:
        letters = len(_NON_LETTER_RUNS_RE.sub("", head))
    final = text.rstrip(_CLOSERS)[-1:] in _FINAL_MARKS  # ends_sentence(text): text is stripped
    inner_punct = len(INNER_PUNCT_RE.findall(text)) if width >= 50 else 0
    lead = _LEAD_RE.match(text)
    bullet = lead is not None and lead.lastgroup == "bullet"
    colon_end = text.endswith((":", "："))
    if letters < 2 or date_share > 0.5:
        prose = False
    elif final and width >= 12 and not (bullet and width < 40):
        prose = True
    elif colon_end and width >= 50 and inner_punct >= 1:
        prose = True  # "... here is the list:" introduces part of the article
    else:
        prose = (width >= 70 and inner_punct >= 2) or (width >= 120 and inner_punct >= 1)
    return _new_features(LineFeatures, (
        width,
        letters,
        final,
        inner_punct,
        has_date,
        has_time,
        date_share,
        bullet,
        len(SEPARATOR_RE.findall(text, max(0, first_mark - 1)))
        if mark and ("|" in text or _SPACED_SEPARATOR_RE.search(text, max(0, first_mark - 1))) else 0,
        mark is not None and _URL_MARKS_RE.search(text, max(0, first_mark - 1)) is not None
        and URL_RE.search(text) is not None,
        colon_end,
        lead is not None and width <= 80 and lead.lastgroup == "byline",
        prose,
        ((has_date and has_time) or date_share > 0.35 or (has_time and width <= 20 and date_share >= 0.25)),
    ))


_NOT_ALNUM_RE = re.compile(r"[\W_]+")


_ASCII_NOT_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())


def normalise_line(line: str) -> str:
    """Case-folded letters and digits only: the key used to compare lines (repeats, near-repeats)."""
    if line.isascii():  # the same, faster
        return line.lower().encode("ascii").translate(None, _ASCII_NOT_ALNUM).decode("ascii")
    return _NOT_ALNUM_RE.sub("", line.casefold())


def is_near_repeat(short: str, long: str, min_chars: int = 4) -> bool:
    """`short` (normalised) is a prefix, or most of its characters in order, of `long` (normalised).

    A sidebar repeats a headline shortened ("headline + shortened headline"), an aggregator list cuts
    the article's own title: both are near-repeats of another line.
    """
    if len(short) < min_chars or not long:
        return False
    if long.startswith(short) or short in long:
        return True
    # in-order character overlap, tolerant of dropped punctuation/quotes/words
    pos, hits = 0, 0
    for ch in short:
        found = long.find(ch, pos)
        if found >= 0:
            hits += 1
            pos = found + 1
    return hits >= 0.85 * len(short)


# Month names (prefixes, case-folded) in the languages of the built-in packs, for "14 March 2024".
MONTHS = {
    1: ("jan", "jän", "janv", "ene", "gen", "янв", "січ", "sty", "ιαν", "sij"),
    2: ("feb", "fév", "fev", "фев", "лют", "lut", "φεβ", "velj"),
    3: ("mar", "mär", "мар", "бер", "μαρ", "ožu"),
    4: ("apr", "avr", "abr", "апр", "кві", "kwi", "απρ", "trav"),
    5: ("may", "mai", "mag", "мая", "май", "тра", "maj", "μα", "svib"),
    6: ("jun", "juin", "giu", "июн", "чер", "cze", "ιουν", "lip"),
    7: ("jul", "juil", "lug", "июл", "лип", "ιουλ", "srp"),
    8: ("aug", "août", "ago", "авг", "сер", "sie", "αυγ", "kol"),
    9: ("sep", "set", "сен", "вер", "wrz", "σεπ", "ruj"),
    10: ("oct", "okt", "out", "ott", "окт", "жов", "paź", "οκτ", "lis"),
    11: ("nov", "ноя", "лис", "lis", "νοε", "νοέ", "stu"),
    12: ("dec", "dez", "déc", "dic", "дек", "гру", "gru", "δεκ", "pro"),
}
_MONTH_PREFIXES = sorted(((p, m) for m, ps in MONTHS.items() for p in ps), key=lambda x: -len(x[0]))


def month_number(word: str) -> int | None:
    """1-12 for a month name in one of the known languages ('March', 'марта', 'Δεκέμβρη'), else None."""
    w = word.casefold().strip(".,")
    w = w.replace("έ", "ε").replace("ά", "α").replace("ί", "ι").replace("ή", "η").replace("ύ", "υ").replace("ό", "ο")
    for prefix, month in _MONTH_PREFIXES:
        if w.startswith(prefix):
            return month
    return None
