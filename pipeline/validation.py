"""Great Expectations suites over the written outputs: results table, results JSON, Data Docs.

Validation reads what the pipeline WROTE (OUTPUT/<kind>/part-*.jsonl[.gz]) through Beam's
filesystems, so it checks exactly what a user gets, on a local folder or gs://, after any runner.
The suites are JSON in expectations/ (Great Expectations 1.x format); values that depend on the run
(allowed languages, quality.min_chars, reject reasons, chrome patterns) are suite parameters filled
in here. Columns a later step will add (lang_confidence, bitext/) are reported as "skipped" with the
reason, never as passed.

Great Expectations takes seconds to import, so it is imported only inside `run_suites`.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from apache_beam.io.filesystems import FileSystems

from pipeline.document import REJECT_REASONS

SUITES = ("clean", "rejects", "bitext")
# An output kind whose suite passes with no records at all (clean must hold something).
MAY_BE_EMPTY = {"rejects", "bitext"}
CHROME_PATTERNS_FILE = "chrome_patterns.yaml"
SUITES_ENV = "NEWSCLEAN_EXPECTATIONS"
PASSED, FAILED, SKIPPED, NO_RECORDS = "passed", "failed", "skipped", "no records"
_HERE = os.path.dirname(os.path.abspath(__file__))


# --- finding the suites ------------------------------------------------------------------------
def suites_dir() -> str:
    """The folder holding the suite JSON files.

    $NEWSCLEAN_EXPECTATIONS if set; else expectations/ of a source checkout (editable install,
    tests); else the copy setup.py ships inside the package (pipeline/_expectations/).
    """
    candidates = [
        os.environ.get(SUITES_ENV),
        os.path.join(os.path.dirname(_HERE), "expectations"),
        os.path.join(_HERE, "_expectations"),
    ]
    for folder in candidates:
        if folder and os.path.isfile(os.path.join(folder, "clean.json")):
            return folder
    raise FileNotFoundError(
        "expectation suites not found (looked in: " + ", ".join(c for c in candidates if c) + ")")


def load_suite(name: str, folder: Optional[str] = None) -> dict:
    with open(os.path.join(folder or suites_dir(), f"{name}.json"), encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class ChromePattern:
    name: str
    why: str
    regex: str  # one-line pattern, unanchored

    @property
    def line_regex(self) -> str:
        """Matches a whole line inside a multi-line text."""
        return f"(?m)^(?:{self.regex})$"


def _phrases_regex(phrases: dict[str, list[str]]) -> str:
    words = sorted({p.strip() for ps in phrases.values() for p in ps if p.strip()}, key=lambda p: (-len(p), p))
    alternation = "|".join(re.escape(w).replace(r"\ ", r"[^\S\n]+") for w in words)
    return rf"[(（\[【]?[^\S\n]*(?i:{alternation})[^\S\n]*[:：]?[^\S\n]*[)）\]】]?"


def nested_repeat(regex: str) -> bool:
    """True if a repeated part of the pattern itself holds an unbounded repeat (`(a+)+`, `(\\w+\\s?)*`,
    `(.*x){20}`): the shape that backtracks catastrophically on a line that almost matches."""
    from re import _constants as c, _parser as parser

    repeats = {c.MAX_REPEAT, c.MIN_REPEAT} | ({c.POSSESSIVE_REPEAT} if hasattr(c, "POSSESSIVE_REPEAT") else set())

    def walk(items, inside: bool) -> bool:
        for op, av in items:
            if op in repeats:
                low, high, sub = av
                if inside and high == c.MAXREPEAT:
                    return True
                if walk(sub, inside or high > 1):
                    return True
            elif op is c.SUBPATTERN and walk(av[-1], inside):
                return True
            elif op is c.BRANCH and any(walk(b, inside) for b in av[1]):
                return True
            elif op in (c.ASSERT, c.ASSERT_NOT) and walk(av[1], inside):
                return True
        return False

    return walk(parser.parse(regex), False)


def load_chrome_patterns(folder: Optional[str] = None) -> list[ChromePattern]:
    """expectations/chrome_patterns.yaml -> compiled-checked patterns (a bad entry names itself)."""
    import yaml

    with open(os.path.join(folder or suites_dir(), CHROME_PATTERNS_FILE), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    patterns = []
    for entry in data["patterns"]:
        if "regex" in entry:
            regex = entry["regex"]
        elif "phrases" in entry:
            regex = _phrases_regex(entry["phrases"])
        else:
            raise ValueError(f"{CHROME_PATTERNS_FILE}: pattern {entry.get('name')!r} has neither regex nor phrases")
        pattern = ChromePattern(entry["name"], entry.get("why", ""), regex)
        try:
            re.compile(pattern.line_regex)
        except re.error as err:
            raise ValueError(f"{CHROME_PATTERNS_FILE}: pattern {pattern.name!r}: {err}") from None
        if nested_repeat(pattern.line_regex):
            raise ValueError(f"{CHROME_PATTERNS_FILE}: pattern {pattern.name!r} repeats a part that itself "
                             "repeats without bound (like (a+)+): it can take hours on one line; refused")
        patterns.append(pattern)
    return patterns


def chrome_lines(text: str, patterns: list[ChromePattern]) -> list[tuple[str, str]]:
    """(pattern name, line) for every line of `text` that a chrome pattern matches."""
    found = []
    for pattern in patterns:
        for m in re.finditer(pattern.line_regex, text):
            found.append((pattern.name, m.group(0).split("\n", 1)[0]))
    return found


def chrome_regex_list(patterns: list[ChromePattern]) -> list[str]:
    """The regex list `no_chrome_lines` hands Great Expectations: ONE multi-line regex, `(?m)^(?:a|b|...)$`.

    A text fails when some line matches some pattern. `^(?:a|b)$` matches at a position exactly when
    `^(?:a)$` or `^(?:b)$` does (the regex engine backtracks into every alternative), so the
    rows that fail are those of the per-pattern list, found in one scan of each text instead of one
    per pattern. The failing examples still name the pattern (`chrome_lines`). A pattern with a
    capturing group keeps its own entry, as before: joined, its group numbers would shift and a
    backreference (\\1, (?(1)...)) would point at another pattern's group.
    """
    has_groups = [re.compile(p.regex).groups > 0 for p in patterns]
    joinable = [p for p, grouped in zip(patterns, has_groups) if not grouped]
    alone = [p.line_regex for p, grouped in zip(patterns, has_groups) if grouped]
    if len(joinable) < 2:
        return [p.line_regex for p in patterns]
    return ["(?m)^(?:" + "|".join(f"(?:{p.regex})" for p in joinable) + ")$"] + alone


# --- derived columns ---------------------------------------------------------------------------
# Letters by script family, with the UTF-8 width of a typical letter: weighting by bytes makes a
# Chinese half (1 character ~ 3 Latin letters of information) count about as much as its English
# translation, so a surviving translated half shows as ~0.5 whatever the pair.
_SCRIPTS = (  # name, UTF-8 width, code point ranges (inclusive); the ranges never overlap
    ("Latin", 1, ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF))),
    ("Cyrillic", 2, ((0x400, 0x52F),)),
    ("Greek", 2, ((0x370, 0x3FF),)),
    ("Arabic", 2, ((0x600, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8FF))),
    ("Hebrew", 2, ((0x590, 0x5FF),)),
    ("Han", 3, ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))),
    ("Kana", 3, ((0x3040, 0x30FF),)),
    ("Hangul", 3, ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))),
    ("Devanagari", 3, ((0x900, 0x97F),)),
    ("Thai", 3, ((0xE00, 0xE7F),)),
)
_HAN, _KANA = (next(i for i, s in enumerate(_SCRIPTS) if s[0] == name) for name in ("Han", "Kana"))


JAPANESE_KANA_SHARE = 0.25


@functools.lru_cache(maxsize=None)
def _script_tables():
    """(script number + 1 of every BMP code point, 0 = none; the scripts' widths). All ranges are in
    the BMP, so an astral code point, clipped to U+FFFF (a noncharacter), has no script."""
    import numpy as np

    table = np.zeros(0x10000, dtype=np.uint8)
    for number, (name, _width, ranges) in enumerate(_SCRIPTS, 1):
        for low, high in ranges:
            if table[low:high + 1].any():
                raise ValueError(f"script {name}: range {low:#x}-{high:#x} overlaps another script")
            table[low:high + 1] = number
    assert table[0xFFFF] == 0
    return table, np.array([width for _name, width, _ranges in _SCRIPTS], dtype=np.int64)


def foreign_script_share(text: str) -> float:
    """Share of the letters (weighted by UTF-8 width) in lines whose main script is not the text's.

    0.0 for single-script text; a Chinese half followed by its English translation gives ~0.5. A
    line's main script is the one with the most weight in it (on a tie the first in _SCRIPTS), so
    Latin names inside Chinese sentences do not count as foreign. A line whose CJK characters are at
    least a quarter kana is Japanese (Han + kana), otherwise Chinese, so a Japanese half and a
    Chinese half differ too. Same-script pairs (German and French) are out of reach of a script check.

    Computed with numpy over the code points (one table look-up each, counts per line and script
    by bincount): validation runs it on every clean text.
    """
    if not isinstance(text, str) or text.isascii():  # ASCII letters are all Latin
        return 0.0
    import numpy as np

    table, widths = _script_tables()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    scripts = table[np.minimum(points, 0xFFFF)]
    if np.count_nonzero(np.bincount(scripts)[1:]) < 2:  # no letters, or one script in the whole text
        return 0.0
    letters = np.flatnonzero(scripts)
    scripts = scripts[letters].astype(np.intp) - 1
    line = np.cumsum(points == 10)[letters]  # line number of each letter
    row = np.cumsum(np.diff(line, prepend=-1) != 0) - 1  # the same, counting lines with letters only
    n_rows, n_scripts = int(row[-1]) + 1, len(_SCRIPTS)
    weights = np.bincount(row * n_scripts + scripts, minlength=n_rows * n_scripts)
    weights = weights.reshape(n_rows, n_scripts) * widths
    kana, han = weights[:, _KANA].copy(), weights[:, _HAN].copy()
    mixed = kana > 0  # Japanese prose is Han + kana (kana ~ half); a few kana in Han text stay Han
    japanese = mixed & (kana >= JAPANESE_KANA_SHARE * (kana + han))
    weights[japanese, _KANA], weights[japanese, _HAN] = (kana + han)[japanese], 0
    chinese = mixed & ~japanese
    weights[chinese, _HAN], weights[chinese, _KANA] = (kana + han)[chinese], 0
    totals = weights.sum(axis=1)
    by_script = np.bincount(weights.argmax(axis=1), weights=totals, minlength=n_scripts)
    return round(1 - int(by_script.max()) / int(totals.sum()), 4)  # sums of integers: exact


def _utf8_len(value) -> Optional[int]:
    return len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else None


def add_derived_columns(kind: str, df) -> None:
    """Columns the suites check that are computed from the records (in place)."""
    if kind == "clean" and "text" in df.columns:
        df["foreign_script_share"] = [foreign_script_share(t) for t in df["text"]]
    if kind == "bitext":
        if {"src_lang", "tgt_lang"} <= set(df.columns):
            df["languages_differ"] = [
                bool(a) and bool(b) and a != b for a, b in zip(df["src_lang"], df["tgt_lang"])]
        if {"src", "tgt"} <= set(df.columns):
            ratios = []
            for src, tgt in zip(df["src"], df["tgt"]):
                a, b = _utf8_len(src), _utf8_len(tgt)
                ratios.append(round(a / b, 4) if a and b else None)
            df["length_ratio"] = ratios


# --- parameters from the config ----------------------------------------------------------------
def _language_step_allowed(config) -> Optional[list[str]]:
    """The language step's allowed set, when that step is configured (language.allowed)."""
    section = getattr(config, "language", None)
    for name in ("allowed", "allowed_languages"):
        value = getattr(section, name, None)
        if value:
            return list(value)
    return None


def allowed_languages_regex(allowed: list[str]) -> str:
    """A language tag equal to an allowed tag or extending it by subtags (BCP 47 prefix match)."""
    tags = "|".join(re.escape(tag) for tag in sorted(set(allowed), key=lambda t: (-len(t), t)))
    return rf"^(?:{tags})(?:-[A-Za-z0-9]+)*$"


def suite_parameters(config=None, patterns: Optional[list[ChromePattern]] = None) -> dict[str, Any]:
    """Values for the suites' {"$PARAMETER": name} placeholders; None = not configured (skip)."""
    from pipeline.config import Config

    config = config or Config()
    v = config.validation
    allowed = list(v.allowed_languages) or _language_step_allowed(config)
    patterns = patterns if patterns is not None else load_chrome_patterns()
    return {
        "allowed_languages": allowed,
        "allowed_languages_regex": allowed_languages_regex(allowed) if allowed else None,
        "min_lang_confidence": (v.min_lang_confidence if v.min_lang_confidence is not None
                                else config.language.min_confidence),
        "min_chars": max(1, config.quality.min_chars),
        "max_chars": v.max_chars,
        "max_foreign_script_share": v.max_foreign_script_share,
        "min_bitext_length_ratio": v.min_bitext_length_ratio,
        "max_bitext_length_ratio": v.max_bitext_length_ratio,
        "reject_reasons": sorted(REJECT_REASONS),
        "chrome_patterns": chrome_regex_list(patterns),
    }


# --- reading outputs ---------------------------------------------------------------------------
def _join(base: str, *parts: str) -> str:
    from pipeline.sinks import join

    return join(base, *parts)


def output_files(out_dir: str, kind: str) -> list[str]:
    pattern = _join(out_dir, kind, "part-*.jsonl*")
    try:
        matched = FileSystems.match([pattern])[0].metadata_list
    except Exception:  # BeamIOError when the folder does not exist
        return []
    return sorted(m.path for m in matched if m.path.endswith((".jsonl", ".jsonl.gz")))


def _read_file(path: str) -> list[dict]:
    with FileSystems.open(path) as fh:  # .gz decompressed by extension
        data = fh.read().decode("utf-8")
    records = []
    # split at "\n" only: splitlines() would also cut at U+2028, U+0085, ... which JSON written with
    # ensure_ascii=False keeps unescaped inside strings
    for number, line in enumerate(data.split("\n"), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not a JSON record: {err}") from None
    return records


def read_batches(files: list[str], batch_records: int) -> Iterator[list[dict]]:
    """The records of `files` (through Beam's filesystems) in batches of whole files, each closed
    once it holds at least `batch_records` records."""
    batch: list[dict] = []
    for path in files:
        batch.extend(_read_file(path))
        if len(batch) >= batch_records:
            yield batch
            batch = []
    if batch:
        yield batch


# --- running the suites ------------------------------------------------------------------------
def _parameter_names(value) -> list[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return [value["$PARAMETER"]]
        return [n for v in value.values() for n in _parameter_names(v)]
    if isinstance(value, list):
        return [n for v in value for n in _parameter_names(v)]
    return []


def skip_reason(expectation: dict, columns: set, parameters: dict) -> Optional[str]:
    """Why an expectation cannot run on this output yet (None = it runs)."""
    kwargs, meta = expectation["kwargs"], expectation.get("meta", {})
    for key in ("column", "column_A", "column_B"):
        column = kwargs.get(key)
        if column is not None and column not in columns:
            derived = meta.get("derived_from")
            if derived:
                return f"needs column(s) {', '.join(derived)}, not in the output yet"
            return f"column {column} not in the output yet"
    for name in _parameter_names(kwargs) + meta.get("requires_parameters", []):
        if parameters.get(name) is None:
            return f"parameter {name} not configured"
    return None


def _short(value, limit: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _examples(expectation: dict, result: dict, patterns: list[ChromePattern], texts: dict,
              sources: Optional[dict] = None) -> list[str]:
    """Readable failing examples: `id (source): value`, or for chrome the offending line and its pattern."""
    column = expectation["kwargs"].get("column")
    rows = result.get("partial_unexpected_index_list") or []
    out = []
    if rows:
        for row in rows:
            doc_id = row.get("id", "?")
            where = f"{doc_id} ({sources[doc_id]})" if sources and sources.get(doc_id) else doc_id
            if expectation["meta"].get("name") == "no_chrome_lines":
                hits = chrome_lines(texts.get(doc_id, ""), patterns)
                out += [f"{where}: [{name}] {_short(line)}" for name, line in hits[:1]]
            elif expectation["type"] == "expect_column_values_to_be_unique" and column == "text":
                out.append(f"{where}: the same text as another document")  # (compared by hash)
            else:
                out.append(f"{where}: {column} = {_short(row.get(column))}")
    elif result.get("partial_unexpected_list"):
        out = [f"{column} = {_short(v)}" for v in result["partial_unexpected_list"]]
    elif "observed_value" in result:
        out = [f"observed: {_short(result['observed_value'])}"]
    return out


def _new_context(docs_dir: str):
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX sets this module's logger to INFO at import; it announces a temporary folder we never use.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.add_data_docs_site(site_name="newsclean", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    return gx, context


def _text_key(text) -> Optional[str]:
    """What corpus-wide text uniqueness compares: a 128-bit hash instead of the text itself."""
    if not isinstance(text, str):
        return None
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class _SuiteRun:
    """One suite over one output: expectations run batch by batch and merged into one verdict.

    Expectations with meta.scope == "corpus" (unique ids, unique texts, row count) need every
    record at once; they run after the batches over a small frame of ids and text hashes, so the
    memory needed is one batch plus ~100 bytes per record, whatever the size of the corpus.
    """

    def __init__(self, gx, context, datasource, kind: str, spec: dict, parameters: dict,
                 patterns: list[ChromePattern], examples: int):
        self.gx, self.context, self.datasource = gx, context, datasource
        self.kind, self.spec, self.parameters = kind, spec, parameters
        self.patterns, self.examples = patterns, examples
        self.outcomes: dict[str, list[dict]] = {}
        self.skips: dict[str, str] = {}
        self.skipped_batches: dict[str, int] = {}
        self.keys: dict[str, list] = {"id": [], "text": []}
        self.columns: set = set()
        self._definitions: dict[tuple, Any] = {}

    def _definition(self, scope: str, expectations: list[dict]):
        """A GX validation definition for this scope and set of expectations (created once)."""
        key = (scope, tuple(e["meta"]["name"] for e in expectations))
        if key not in self._definitions:
            n = len(self._definitions)
            name = self.spec["name"] + ("_corpus" if scope == "corpus" else "")
            if any(d.name == name for d in self._definitions.values()):  # batches differing in columns
                name += f"_{n}"
            suite = self.context.suites.add(self.gx.ExpectationSuite(
                name=name, expectations=[dict(e, meta=dict(e["meta"])) for e in expectations],
                meta=self.spec.get("meta"), notes=self.spec.get("notes")))
            asset = self.datasource.add_dataframe_asset(name=f"{self.kind}_{n}")
            batch = asset.add_batch_definition_whole_dataframe(f"{self.kind}_{scope}")
            self._definitions[key] = self.context.validation_definitions.add(
                self.gx.ValidationDefinition(name=name, data=batch, suite=suite))
        return self._definitions[key]

    def _run(self, scope: str, df, texts: dict, sources: Optional[dict] = None) -> None:
        columns = set(df.columns)
        runnable = []
        for expectation in self.spec["expectations"]:
            meta = expectation.setdefault("meta", {})
            meta.setdefault("name", expectation["type"])
            if (meta.get("scope") == "corpus") != (scope == "corpus"):
                continue
            reason = skip_reason(expectation, columns, self.parameters)
            if reason:
                self.skips.setdefault(meta["name"], reason)
                self.skipped_batches[meta["name"]] = self.skipped_batches.get(meta["name"], 0) + 1
            else:
                runnable.append(expectation)
        if not runnable:
            return
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": self.examples}
        if "id" in columns:
            result_format["unexpected_index_column_names"] = ["id"]
        result = self._definition(scope, runnable).run(
            batch_parameters={"dataframe": df}, expectation_parameters=self.parameters, result_format=result_format)
        by_name = {r.expectation_config.meta.get("name"): r for r in result.results}
        for expectation in runnable:
            r = by_name.get(expectation["meta"]["name"])
            info = (r.exception_info or {}) if r is not None else {}
            outcome: dict[str, Any] = {}
            if r is None or info.get("raised_exception"):
                outcome["error"] = _short(info.get("exception_message", "no result"), 300)
            else:
                res = r.result or {}
                outcome.update(success=bool(r.success), unexpected_count=res.get("unexpected_count"),
                               element_count=res.get("element_count"),
                               examples=[] if r.success else _examples(expectation, res, self.patterns, texts, sources))
            self.outcomes.setdefault(expectation["meta"]["name"], []).append(outcome)

    def add_batch(self, records: list[dict]) -> None:
        import pandas as pd

        df = pd.DataFrame.from_records(records)
        records.clear()  # the frame holds the data now: peak memory ~ one copy of a batch, not two
        add_derived_columns(self.kind, df)
        self.columns |= set(df.columns)
        n = len(df)
        self.keys["id"] += list(df["id"]) if "id" in df.columns else [None] * n
        self.keys["text"] += [_text_key(t) for t in df["text"]] if "text" in df.columns else [None] * n
        texts = dict(zip(df["id"], df["text"])) if {"id", "text"} <= set(df.columns) else {}
        sources = dict(zip(df["id"], df["source"])) if {"id", "source"} <= set(df.columns) else {}
        self._run("batch", df, texts, sources)

    def finish(self, entry: dict) -> None:
        """The corpus-scope pass, then one verdict per expectation into entry["expectations"]."""
        import pandas as pd

        present = [k for k in ("id", "text") if k in self.columns]
        keys = pd.DataFrame({k: self.keys[k] for k in present}, index=range(len(self.keys["id"])))
        self._run("corpus", keys, {})
        self.keys = {}
        for expectation in self.spec["expectations"]:
            meta = expectation["meta"]
            item = {"name": meta["name"], "type": expectation["type"],
                    "column": expectation["kwargs"].get("column"), "why": meta.get("why", "")}
            entry["expectations"].append(item)
            outcomes = self.outcomes.get(meta["name"])
            if not outcomes:
                item.update(status=SKIPPED, reason=self.skips.get(meta["name"], "no records"))
                continue
            errors = [o["error"] for o in outcomes if "error" in o]
            if self.skipped_batches.get(meta["name"]):  # a column some output files have and others lack
                errors.append(f"{self.skips[meta['name']]} in {self.skipped_batches[meta['name']]} of "
                              f"{self.skipped_batches[meta['name']] + len(outcomes)} batches (other batches have it)")
            if errors:
                item.update(status=FAILED, error=errors[0], unexpected_count=None, examples=[])
                continue
            counts = [o["unexpected_count"] for o in outcomes if o["unexpected_count"] is not None]
            elements = sum(o["element_count"] or 0 for o in outcomes)
            unexpected = sum(counts) if counts else None
            item.update(
                status=PASSED if all(o["success"] for o in outcomes) else FAILED,
                unexpected_count=unexpected,
                unexpected_percent=round(100 * unexpected / elements, 4) if unexpected is not None and elements else
                (0.0 if unexpected == 0 else None),
                examples=[x for o in outcomes for x in o["examples"]][:self.examples])


def run_suites(out_dir: str, config=None, examples: int = 3, data_docs: bool = True) -> dict:
    """Validate OUTPUT_DIR against every suite; returns the results (see write_results)."""
    from pipeline.config import Config

    started = time.time()
    batch_records = (config or Config()).validation.batch_records
    folder = suites_dir()
    patterns = load_chrome_patterns(folder)
    parameters = suite_parameters(config, patterns)
    local_docs = not _is_remote(out_dir)
    docs_target = _join(out_dir, "report", "data_docs")
    if local_docs:
        docs_dir = os.path.abspath(docs_target)
        if data_docs and os.path.isdir(docs_dir):
            shutil.rmtree(docs_dir)  # only our own Data Docs folder: no stale pages of an earlier run
    else:  # built here, copied next to the outputs afterwards
        docs_dir = tempfile.mkdtemp(prefix="newsclean-docs-") if data_docs else tempfile.gettempdir()
    gx, context = _new_context(docs_dir)
    datasource = context.data_sources.add_pandas("newsclean")

    suites_out = []
    for kind in SUITES:
        spec = load_suite(kind, folder)
        files = output_files(out_dir, kind)
        entry = {"name": spec["name"], "output": kind, "files": len(files), "records": 0, "batches": 0,
                 "status": PASSED, "expectations": []}
        suites_out.append(entry)
        suite_run = _SuiteRun(gx, context, datasource, kind, spec, parameters, patterns, examples)
        languages: dict[str, int] = {}
        for records in read_batches(files, batch_records):
            entry["records"] += len(records)
            entry["batches"] += 1
            if kind == "clean":
                for r in records:
                    lang = r.get("lang") or "und"
                    languages[lang] = languages.get(lang, 0) + 1
            suite_run.add_batch(records)  # empties `records`
        if kind == "clean":
            entry["languages"] = dict(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0])))
        if not entry["records"] and kind in MAY_BE_EMPTY:
            entry["status"] = NO_RECORDS
            continue
        suite_run.finish(entry)
        if any(i["status"] == FAILED for i in entry["expectations"]):
            entry["status"] = FAILED

    docs_index = None
    if data_docs:
        context.build_data_docs(site_names=["newsclean"])
        if local_docs:
            docs_index = os.path.join(docs_target, "index.html")
        else:
            _copy_tree(docs_dir, docs_target)
            shutil.rmtree(docs_dir, ignore_errors=True)
            docs_index = _join(docs_target, "index.html")
    return {
        "ok": all(s["status"] != FAILED for s in suites_out),
        "output": out_dir,
        "suites_dir": folder,
        "seconds": round(time.time() - started, 3),
        "records": sum(s["records"] for s in suites_out),
        "suites": suites_out,
        "data_docs": docs_index,
    }


def _is_remote(path: str) -> bool:
    return "://" in path


def _copy_tree(local_dir: str, target: str) -> None:
    """Copy a local folder to any Beam filesystem path (Data Docs to gs://...)."""
    for root, _dirs, files in os.walk(local_dir):
        for name in files:
            src = os.path.join(root, name)
            rel = os.path.relpath(src, local_dir).replace(os.sep, "/")
            with open(src, "rb") as fh, FileSystems.create(_join(target, *rel.split("/"))) as out:
                out.write(fh.read())


# --- presenting --------------------------------------------------------------------------------
def failed_expectations(results: dict) -> list[str]:
    """'suite.expectation' for every failed expectation."""
    return [f"{s['name']}.{e['name']}" for s in results["suites"] for e in s["expectations"]
            if e["status"] == FAILED]


def format_table(results: dict) -> str:
    """Pass/fail per expectation with failing-row counts and examples."""
    lines = [f"newsclean validate {results['output']}  ({results['records']:,} records, "
             f"{results['seconds']:.1f} s)"]
    for s in results["suites"]:
        lines.append("")
        lines.append(f"suite {s['name']}: {s['status'].upper()}  ({s['records']:,} records in {s['files']} file(s))")
        for e in s["expectations"]:
            status = e["status"]
            if status == SKIPPED:
                detail = e["reason"]
            elif e.get("error"):
                detail = f"error: {e['error']}"
            elif e.get("unexpected_count") is not None:
                detail = f"{e['unexpected_count']:,} failing row(s)"
            else:
                detail = ""
            lines.append(f"  {status.upper():<8} {e['name']:<24} {e['type']:<46} {detail}")
            for example in e.get("examples", []):
                lines.append(f"           e.g. {example}")
    verdict = "PASSED" if results["ok"] else "FAILED: " + ", ".join(failed_expectations(results))
    lines.append("")
    lines.append(f"validation {verdict}")
    if results.get("data_docs"):
        lines.append(f"Data Docs: {results['data_docs']}")
    return "\n".join(lines)


def summary_entry(results: dict) -> dict:
    """The validation part of report/summary.json."""
    counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
    for s in results["suites"]:
        for e in s["expectations"]:
            counts[e["status"]] += 1
    return {
        "ok": results["ok"],
        "expectations_passed": counts[PASSED],
        "expectations_failed": counts[FAILED],
        "expectations_skipped": counts[SKIPPED],
        "failed": failed_expectations(results),
        "suites": {s["name"]: s["status"] for s in results["suites"]},
        "seconds": results["seconds"],
        "data_docs": results.get("data_docs"),
    }


def validate_output(out_dir: str, config=None, examples: int = 3, data_docs: bool = True) -> dict:
    """Run the suites and write report/validation.json (+ Data Docs); returns the results."""
    results = run_suites(out_dir, config, examples=examples, data_docs=data_docs)
    results["results_json"] = write_results(out_dir, results)
    return results


class ValidationProcess:
    """`validate_output` in a child process, started before the job.

    The child imports Great Expectations and pandas (3-5 s) while the job runs, instead of after it,
    and validation's memory is its own: the launcher's peak and validation's do not add up (a process
    keeps the memory it freed). `run` hands it the job and returns the results; `close` stops a child
    that was never used (the job failed, or validation is off). A plain `python -c` child talking
    pickle over its stdin/stdout: unlike multiprocessing's spawn it never re-imports the caller's
    main script.
    """

    def __init__(self):
        import subprocess
        import sys

        self._process = subprocess.Popen(
            [sys.executable, "-c", "from pipeline.validation import serve_validation; serve_validation()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self, out_dir: str, config=None, examples: int = 3) -> dict:
        import pickle

        try:
            pickle.dump((out_dir, config, examples), self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._process.stdin.close()
            status, payload = pickle.load(self._process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as err:
            raise RuntimeError(f"the validation process ended without results ({type(err).__name__}: {err}); "
                               "`newsclean validate OUTPUT_DIR` runs it on its own") from err
        finally:
            self.close()
        if status != "ok":
            raise RuntimeError(f"validation failed in its process:\n{payload}")
        return payload

    def close(self) -> None:
        for stream in (self._process.stdin, self._process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=30)
        except Exception:
            self._process.kill()
            self._process.wait()


def serve_validation() -> None:
    """The child's side of ValidationProcess: import, read one job from stdin, answer on stdout."""
    import pickle
    import sys

    answer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever the libraries print goes to stderr
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    from pipeline.gc_tuning import tune_gc

    tune_gc()
    import great_expectations  # noqa: F401  (the slow import, done while the job runs)
    import pandas  # noqa: F401

    try:
        job = pickle.load(sys.stdin.buffer)
    except EOFError:  # closed without a job: the run failed or needs no validation
        job = None
    if job is not None:
        try:
            result = ("ok", validate_output(*job))
        except BaseException:  # the parent reports it; nothing may be lost silently
            import traceback

            result = ("error", traceback.format_exc())
        pickle.dump(result, answer, protocol=pickle.HIGHEST_PROTOCOL)
        answer.close()
    # Everything is written and answered: skip the interpreter's teardown, which frees Great
    # Expectations' and pandas' objects one by one (~1 s the launcher would wait for).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def write_results(out_dir: str, results: dict) -> str:
    """OUTPUT/report/validation.json; returns its path."""
    path = _join(out_dir, "report", "validation.json")
    with FileSystems.create(path) as fh:
        fh.write((json.dumps(results, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return path
