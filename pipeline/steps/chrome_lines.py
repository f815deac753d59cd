"""Cheap per-line features for the chrome cleaner: display width, sentence ends, dates, bullets.

Everything here works on one string with a handful of compiled regexes, in any language: CJK
characters count double in display width (a 20-character Chinese sentence is as wide as a 40-letter
English one), and sentence-final punctuation covers Latin, Greek, Cyrillic, CJK and Arabic marks.
"""
from __future__ import annotations

import re
from functools import partial
from typing import NamedTuple, Sequence

import numpy as np

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
_BYLINE_WORDS = ("by", "von", "par", "por", "di", "door", "przez", "autor", "author", "автор", "от", "από", "του",
                 "της", "作者", "记者", "文", "撰文", "编辑")
_BYLINE = rf"(?:{'|'.join(_BYLINE_WORDS)})(?:\s*[:：]\s*|\s+)\S"
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
_DATE_MARKS_RE = re.compile(r"\d\s*[-/.年]\s*\d")  # in every DATE_RE match
_TIME_MARKS_RE = re.compile(r"\d\s*[:：时]\s*[0-5]\d")  # in every TIME_RE match
# every WORD_DATE_RE match holds one: the last digit of its day before the year, or before the month
# and the year (it is tried at digits only, not at every letter)
_WORD_DATE_TAIL_RE = re.compile(r"\d(?:,?\s+(?:19|20)\d\d(?!\d)|\.?\s+[^\W\d_]{3,12}+\.?,?\s+(?:19|20)\d\d(?!\d))")


def line_features(line: str) -> LineFeatures:
    """The features of one line (surrounding space ignored); page_features for many."""
    return page_features([line])[0]


# --- the features of many lines at once ---------------------------------------------------------
# A page's lines are looked at together, as one array of code points: what a character is (wide,
# digit, letter, a mark some feature needs) comes from a table, per-line counts from sums over each
# line's stretch. Only the lines holding the marks of a rarer feature (digits for dates and times, menu
# separators, URL marks, a bullet or byline's first character) are then looked at alone, with the
# regexes above. (One regex call per line per feature was the cost before, not the loops.)

# Character classes, one bit each. Each is a regex matching one character, so the table and the
# regexes cannot disagree.
_WIDE, _DIGIT, _LETTER, _LEAD, _CLOSER, _FINAL, _COLON, _BEYOND = 1, 2, 4, 8, 16, 32, 64, 128
_CHAR_CLASSES = (
    (_WIDE, WIDE_RE),
    (_DIGIT, DIGIT_RE),
    (_LETTER, LETTER_RE),
    # the first character of a _LEAD_RE match on a stripped line: a bullet mark, a digit or the first
    # letter of a byline word (the same literals under the same case folding)
    (_LEAD, re.compile(r"[-–—•·・●◦▪■□◆◇►▶▸»>*※+\[【]|\d|(?i:"
                       + "|".join(sorted({re.escape(word[0]) for word in _BYLINE_WORDS})) + ")")),
    (_CLOSER, re.compile("[" + re.escape(_CLOSERS) + "]")),
    (_FINAL, re.compile("[" + re.escape("".join(sorted(_FINAL_MARKS))) + "]")),
    (_COLON, re.compile("[:：]")),
)
# Marks of the rarer features, told apart by three neighbouring characters: a code per character (the
# first regex that matches it) in the table's upper bits, and a table of what each triplet of codes
# may be part of. Every _DATE_MARKS_RE / _TIME_MARKS_RE match holds a separator between two digits or
# spaces, every _WORD_DATE_TAIL_RE match a space before "19" or "20", every URL_RE match "@", "://",
# "w." or "." before one of the letters cdgnopr (either case), every SEPARATOR_RE match a "|" or a
# menu separator between spaces.
_MARK_SHIFT = 16
_MARK_CODES = tuple(re.compile(pattern) for pattern in (
    r"\s", "[12]", "[90]", r"\d", r"\.", "/", "-", "年", ":", "[：时]", "@", "[cnordpgCNORDPG]", "[wW]", r"\|",
    "[→>»·]"))
_SPACE, _YEAR_HEAD, _YEAR_NEXT, _OTHER_DIGIT, _PERIOD, _SLASH, _DASH, _YEAR_MARK, _COLON_MARK, _WIDE_COLON, _AT, \
    _URL_LETTER, _W, _BAR, _ARROW = range(1, len(_MARK_CODES) + 1)
_MAY_DATE, _MAY_TIME, _MAY_WORD_DATE, _MAY_URL, _MAY_SEPARATOR = 1, 2, 4, 8, 16
_NCODES = len(_MARK_CODES) + 1


def _triplet_table() -> np.ndarray:
    """What the character in the middle of each triplet of mark codes may be part of (bits _MAY_*)."""
    table = np.zeros(_NCODES ** 3, dtype=np.uint8)
    digit_or_space = {_SPACE, _YEAR_HEAD, _YEAR_NEXT, _OTHER_DIGIT}
    for before in range(_NCODES):
        for at in range(_NCODES):
            for after in range(_NCODES):
                may = 0
                if before in digit_or_space and after in digit_or_space:
                    may |= _MAY_DATE if at in (_PERIOD, _SLASH, _DASH, _YEAR_MARK) else 0
                    may |= _MAY_TIME if at in (_COLON_MARK, _WIDE_COLON) else 0
                if (before, at, after) == (_SPACE, _YEAR_HEAD, _YEAR_NEXT):
                    may |= _MAY_WORD_DATE
                if at == _AT or (at, after) in ((_PERIOD, _URL_LETTER), (_W, _PERIOD), (_COLON_MARK, _SLASH)):
                    may |= _MAY_URL
                if at == _BAR or (before == after == _SPACE and at in (_SLASH, _DASH, _ARROW, _BAR)):
                    may |= _MAY_SEPARATOR
                table[(before * _NCODES + at) * _NCODES + after] = may
    return table


_TRIPLETS = _triplet_table()
_BMP = 0x10000


def _classes_of(ch: str) -> int:
    """The class bits and mark code of one character."""
    bits = sum(bit for bit, pattern in _CHAR_CLASSES if pattern.match(ch))
    code = next((k for k, pattern in enumerate(_MARK_CODES, 1) if pattern.match(ch)), 0)
    return bits | code << _MARK_SHIFT


def _bmp_table() -> np.ndarray:
    """_classes_of every character of the Basic Multilingual Plane, by code point (worked out a class at
    a time), and one more entry that stands for any character beyond it (see _char_classes)."""
    table = np.zeros(_BMP + 1, dtype=np.uint32)
    every = "".join(map(chr, range(_BMP)))

    def code_points(pattern: re.Pattern) -> np.ndarray:
        found = "".join(pattern.findall(every))
        return np.frombuffer(found.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

    for bit, pattern in _CHAR_CLASSES:
        table[code_points(pattern)] |= bit
    for code, pattern in reversed(list(enumerate(_MARK_CODES, 1))):  # the first pattern wins
        where = code_points(pattern)
        table[where] = (table[where] & ((1 << _MARK_SHIFT) - 1)) | code << _MARK_SHIFT
    table[_BMP] = _BEYOND
    return table


_TABLE = _bmp_table()
_ASTRAL_CLASSES: dict[int, int] = {}


def _char_classes(codes: np.ndarray) -> np.ndarray:
    """The class bits and mark code of each code point (characters beyond the BMP, rare, one by one)."""
    classes = _TABLE.take(codes, mode="clip")
    if np.bitwise_or.reduce(classes) & _BEYOND:
        for code in np.unique(codes[codes >= _BMP]).tolist():
            bits = _ASTRAL_CLASSES.get(code)
            if bits is None:
                bits = _ASTRAL_CLASSES[code] = _classes_of(chr(code))
            classes[codes == code] = bits
    return classes


_HEAD = np.arange(16)


def _dates_and_times(text: str, width: int, gates: int) -> tuple[bool, bool, float]:
    """(has a date, has a time, share of the width they take) of a line with digits; `gates`: the
    kinds of dates or times the line may hold (_MAY_DATE, _MAY_TIME, _MAY_WORD_DATE)."""
    at = DIGIT_RE.search(text).start()  # (the date and time matches start at a digit)
    dates = DATE_RE.findall(text, at) if gates & _MAY_DATE and _DATE_MARKS_RE.search(text, at) else []
    if gates & _MAY_WORD_DATE and _WORD_DATE_TAIL_RE.search(text, at):  # (slow)
        dates += WORD_DATE_RE.findall(text)
    times = TIME_RE.findall(text, at) if gates & _MAY_TIME and _TIME_MARKS_RE.search(text, at) else []
    if not (dates or times):
        return False, False, 0.0
    # (display widths; the matches begin and end with a digit, a letter or a CJK mark)
    return bool(dates), bool(times), min(1.0, sum(len(s) if s.isascii() else display_width(s)
                                                  for s in dates + times) / width)


def _verdicts(width, letters, final, inner_punct, bullet, colon_end, date_share, has_date, has_time):
    """(prose, timestamped) of a line, or of many at once (numpy arrays: hence & | ^ for and, or, not).

    Prose reads like running text: a finished sentence of some length, a sentence leading into a list
    ("... here is the list:"), or a long line with inner punctuation. Timestamped: a date with a time,
    or a line that is mostly a date or a time ("Сегодня, 7:37")."""
    prose = ((letters >= 2) & (date_share <= 0.5)
             & ((final & (width >= 12) & ((bullet ^ True) | (width >= 40)))
                | (colon_end & (width >= 50) & (inner_punct >= 1))
                | ((width >= 70) & (inner_punct >= 2)) | ((width >= 120) & (inner_punct >= 1))))
    timestamped = ((has_date & has_time) | (date_share > 0.35)
                   | (has_time & (width <= 20) & (date_share >= 0.25)))
    return prose, timestamped


_new_features = partial(tuple.__new__, LineFeatures)  # (a LineFeatures from a tuple)


def page_features(lines: Sequence[str]) -> list[LineFeatures]:
    """The features of each line (surrounding space ignored), worked out for all lines at once."""
    texts = [line.strip() for line in lines]
    n = len(texts)
    if n == 0:
        return []
    # the lines one after another, each followed by a line break (in no class), and one before the
    # first: line j's stretch is [starts[j], starts[j + 1]), and every line, even an empty one, has one
    codes = np.frombuffer(("\n" + "\n".join(texts) + "\n").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _char_classes(codes)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.cumsum(lengths + 1) - lengths  # (1 + the lines and breaks before)
    present = np.bitwise_or.reduceat(classes, starts)  # the classes found in each line
    width = lengths + np.add.reduceat(classes & _WIDE, starts, dtype=np.int64)
    # letters among the first 16 characters
    head = classes.take(starts[:, None] + _HEAD, mode="clip")
    letters = np.count_nonzero(((head & _LETTER) != 0) & (_HEAD < lengths[:, None]), axis=1)
    last = classes[starts + lengths - 1] * (lengths > 0)  # (an empty line's "last character": none)
    final = (last & _FINAL) != 0
    colon_end = (last & _COLON) != 0
    # what each line may hold, from the triplets of mark codes around each character
    marks = classes >> _MARK_SHIFT
    may = np.zeros(len(codes), dtype=np.uint8)
    may[1:-1] = _TRIPLETS.take((marks[:-2] * _NCODES + marks[1:-1]) * _NCODES + marks[2:])
    may = np.bitwise_or.reduceat(may, starts).tolist()

    # the rarer features, line by line where the marks are
    width_list = width.tolist()
    inner_punct = np.zeros(n, dtype=np.int64)
    long_lines = np.flatnonzero(width >= 50)
    inner_punct[long_lines] = [len(INNER_PUNCT_RE.findall(texts[j])) for j in long_lines.tolist()]
    present = present.tolist()
    dated = [j for j, gates in enumerate(may)
             if gates & (_MAY_DATE | _MAY_TIME | _MAY_WORD_DATE) and present[j] & _DIGIT]
    has_date, has_time, date_share = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n)
    if dated:
        has_date[dated], has_time[dated], date_share[dated] = zip(*(_dates_and_times(texts[j], width_list[j], may[j])
                                                                    for j in dated))
    separators = [0] * n
    url = [False] * n
    for j, gates in enumerate(may):
        if gates & _MAY_URL:
            url[j] = URL_RE.search(texts[j]) is not None
        if gates & _MAY_SEPARATOR:
            separators[j] = len(SEPARATOR_RE.findall(texts[j]))
    bullet, byline = np.zeros(n, dtype=bool), [False] * n
    for j in np.flatnonzero(classes[starts] & _LEAD).tolist():
        lead = _LEAD_RE.match(texts[j])
        if lead is not None:
            bullet[j] = lead.lastgroup == "bullet"
            byline[j] = lead.lastgroup == "byline" and width_list[j] <= 80
    for j in np.flatnonzero((last & _CLOSER) != 0).tolist():
        final[j] = texts[j].rstrip(_CLOSERS)[-1:] in _FINAL_MARKS  # ends_sentence (the text is stripped)
    if n >= 16:  # the verdicts for all lines at once
        prose, timestamped = _verdicts(width, letters, final, inner_punct, bullet, colon_end, date_share, has_date,
                                       has_time)
    else:
        prose, timestamped = np.array(list(map(_verdicts, width.tolist(), letters.tolist(), final.tolist(),
                                               inner_punct.tolist(), bullet.tolist(), colon_end.tolist(),
                                               date_share.tolist(), has_date.tolist(), has_time.tolist()))).T
    rows = zip(width_list, letters.tolist(), final.tolist(), inner_punct.tolist(), has_date.tolist(),
               has_time.tolist(), date_share.tolist(), bullet.tolist(), separators, url, colon_end.tolist(), byline,
               prose.tolist(), timestamped.tolist())
    return list(map(_new_features, rows))



_NOT_ALNUM_RE = re.compile(r"[\W_]+")


_ASCII_NOT_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())


def normalise_line(line: str) -> str:
    """Case-folded letters and digits only: the key used to compare lines (repeats, near-repeats)."""
    if line.isascii():  # the same, faster
        return line.lower().encode("ascii").translate(None, _ASCII_NOT_ALNUM).decode("ascii")
    return _NOT_ALNUM_RE.sub("", line.casefold())


_ASCII_NOT_ALNUM_NOR_BREAK = _ASCII_NOT_ALNUM.replace(b"\n", b"")


def normalise_lines(lines: Sequence[str]) -> list[str]:
    """[normalise_line(line) for line in lines], in one pass over the lines joined by line breaks
    (case folding maps each character alone, so it is the same on the joined text)."""
    joined = "\n".join(lines)
    if joined.isascii():
        joined = joined.lower().encode("ascii").translate(None, _ASCII_NOT_ALNUM_NOR_BREAK).decode("ascii")
    else:  # the letters, digits and line breaks of the case-folded text, by the class table
        codes = np.frombuffer(joined.casefold().encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        kept = codes[((_char_classes(codes) & (_LETTER | _DIGIT)) != 0) | (codes == 10)]
        joined = kept.tobytes().decode("utf-32-le", "surrogatepass")
    keys = joined.split("\n")
    if len(keys) != len(lines):  # (a line holding a line break of its own, or no lines)
        return [normalise_line(line) for line in lines]
    return keys


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
