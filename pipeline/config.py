"""Typed configuration: defaults here, documented in configs/default.yaml, overridden by a YAML file
given with --config, then by CLI flags and `--set section.key=value`.

An unknown key or a bad value is an error that names the key (ConfigError).
"""
from __future__ import annotations

import copy
import warnings
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ConfigError(ValueError):
    """A configuration problem, with a message that names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_attribute_docstrings=True)


class JsonFieldsConfig(_Section):
    text: str = "text"
    """Field holding a record's plain text."""
    html: str = "html"
    """Field holding a record's HTML (used when the text field is missing or empty)."""
    id: str = "id"
    """Field holding the record's own id (kept as source_id)."""
    url: str = "url"
    """Field holding the page URL."""


class InputConfig(_Section):
    paths: list[str] = Field(default_factory=lambda: ["seeds"], min_length=1)
    """Files, folders (read recursively) or globs; local paths or any Beam filesystem (gs://...)."""
    encoding: str = "auto"
    """'auto' detects per file; a codec name (e.g. gb18030) forces it for every file."""
    max_document_bytes: int = Field(16 * 1024 * 1024, gt=0)
    """A document larger than this goes to rejects with reason too_large."""
    skip_hidden: bool = True
    """When reading a folder, skip files and folders whose name starts with '.'."""
    format: Literal["auto", "text", "html", "jsonl", "warc"] = "auto"
    """'auto' picks the reader by extension (.html/.htm, .jsonl/.json, .warc, else text; after .gz/.zst)."""
    fields: JsonFieldsConfig = Field(default_factory=JsonFieldsConfig)
    """JSON Lines field names."""
    split_bytes: int = Field(64 * 1024 * 1024, ge=0)
    """Uncompressed JSON Lines files larger than this are read in byte ranges of this size; 0 = never split."""


class OutputConfig(_Section):
    dir: str = "out"
    """Output folder (local or gs://...); clean/, rejects/, audit/, report/ are written inside."""
    shards: int = Field(0, ge=0)
    """Files per output kind; 0 = automatic, one per 64 MiB of input."""
    compress: bool = False
    """Write .jsonl.gz instead of .jsonl."""


class RunnerConfig(_Section):
    name: str = "DirectRunner"
    """Beam runner. DirectRunner = Beam's local FnApiRunner (no Prism download); or DataflowRunner, ..."""
    workers: int = Field(1, ge=1)
    """Local worker processes (DirectRunner only)."""
    beam_options: list[str] = Field(default_factory=list)
    """Beam pipeline options (`--flag=value`) applied before the command line's own, which win;
    where a config file keeps a remote runner's settings (machine type, autoscaling, disk, ...)."""


class QualityConfig(_Section):
    min_chars: int = Field(20, ge=0)
    """A document with fewer characters of clean text goes to rejects (too_short); 0 disables."""


class LanguageConfig(_Section):
    backend: Literal["cld2+py3langid", "cld2", "py3langid", "langdetect"] = "cld2+py3langid"
    """Statistical detector for scripts shared by several languages (Latin, Cyrillic, Arabic, ...);
    the script pass settles CJK, Thai, Greek, Hebrew, ... before it."""
    prior_weight: float = Field(0.3, ge=0.0, le=2.0)
    """Exponent of the web-share prior on the backend's probabilities (0 = none): between close
    languages (id/ms, da/no, hi/ne) the more common one wins unless the text clearly says otherwise."""
    allowed: list[str] = Field(default_factory=list)
    """Languages kept (e.g. [zh, en]; 'zh' admits zh-Hans and zh-Hant); others go to rejects with
    reason language. Empty = every language, including und."""
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    """A document whose main language has a lower confidence goes to rejects (language); 0 disables."""


class ChromeConfig(_Section):
    enabled: bool = True
    """Strip portal chrome (headers, menus, datelines, credits, sidebars, latest-news lists) from text."""
    on_extracted_html: Literal["all", "specific", "none"] = "none"
    """On text already extracted from HTML: all rules; only the specific ones (sidebars, lists, datelines,
    phrase-pack lines), not the generic "outside the densest prose run" header/footer rule; or none
    (measured best on the HTML dev set: F1 0.945 none, 0.938 specific, 0.919 all)."""
    builtin_lexicons: bool = True
    """Use the built-in multilingual phrase packs (pipeline/data/lexicons/*.yaml)."""
    extra_lexicons: list[str] = Field(default_factory=list)
    """More phrase packs (YAML, same format; per language or per site), e.g. configs/lexicons/example-site.yaml."""
    min_body_score: int = Field(60, ge=0)
    """A document whose densest run of prose scores less (about its display width) is left untouched."""
    end_marker_penalty: int = Field(150, ge=0)
    """Cost of an end marker line (editor credit, related news, comments, copyright) inside a body run."""
    timestamp_penalty: int = Field(200, ge=0)
    """Extra cost of a timestamped line (sidebars and feeds print one per item)."""
    repeated_line_penalty: int = Field(120, ge=0)
    """Extra cost of a short line repeated within the document (rubric labels, share bars)."""
    isolated_prose_weight: float = Field(0.35, ge=0, le=1)
    """Weight of a prose line standing alone between non-prose lines (a teaser in a headline list)."""
    tail_weight: float = Field(0.5, ge=0, le=1)
    """Weight of prose at the very end of the page (falls linearly from 1 at mid-page)."""
    max_title_distance: int = Field(12, ge=0)
    """How many lines above the body the title may be."""
    max_inline_block: int = Field(2, ge=0)
    """Inside the body, a run of more short non-prose lines than this is removed (kept: subheadings)."""
    corpus_repeats: bool = True
    """Corpus pass: remove lines that recur across many documents of the same site (menus, footers)."""
    repeats_min_docs_site: int = Field(3, ge=2)
    """A line found in at least this many documents of one site (URL host, else input folder) is removed."""
    repeats_min_docs_corpus: int = Field(20, ge=2)
    """A line found in at least this many documents of the whole corpus is removed."""
    repeats_max_chars: int = Field(200, ge=1)
    """Only lines up to this many characters are counted (long paragraphs are content, not chrome)."""

class DedupConfig(_Section):
    enabled: bool = True
    """Corpus-wide de-duplication of the clean documents; removed ones go to duplicates/."""
    exact: bool = True
    """Remove exact duplicates (same text after case, space and character-width folding)."""
    near: bool = True
    """Remove near duplicates (MinHash + LSH candidates verified by the Jaccard similarity of shingles)."""
    threshold: float = Field(0.7, gt=0, le=1)
    """Two documents whose shingle sets have at least this Jaccard similarity are near duplicates."""
    word_ngram: int = Field(5, ge=1)
    """Shingle size in words, for texts in scripts written with spaces."""
    char_ngram: int = Field(5, ge=1)
    """Shingle size in characters, for texts mostly in CJK, Thai and other scripts without spaces."""
    num_perm: int = Field(128, ge=1)
    """MinHash permutations (signature length)."""
    bands: int = Field(32, ge=1)
    """LSH bands; each has num_perm // bands rows. More bands find lower similarities (more candidates)."""
    verify_shingles: int = Field(1024, ge=16)
    """Shingle hashes kept per document to verify candidate pairs: exact Jaccard below this many
    shingles, a bottom-k estimate above (standard error about 0.014 at 0.7). Bounds memory per document."""
    max_rounds: int = Field(8, ge=1)
    """Label-propagation rounds that resolve clusters (chains longer than this may stay split)."""

    @model_validator(mode="after")
    def _bands_fit(self):
        if self.bands > self.num_perm:
            raise ValueError(f"bands ({self.bands}) must not exceed num_perm ({self.num_perm})")
        return self

class HtmlConfig(_Section):
    extractor: Literal["chain", "trafilatura", "readability"] = "chain"
    """chain = trafilatura, with readability-lxml's article when trafilatura's is thin or wraps it, or
    when the two disagree and readability's sits earlier in the page."""
    favor_precision: bool = True
    """trafilatura's precision mode (measured better on the dev set)."""
    include_tables: bool = True
    """Keep text in tables."""
    max_bytes: int = Field(8 * 1024 * 1024, gt=0)
    """A page larger than this goes to rejects (too_large) without being parsed."""
    max_depth: int = Field(250, gt=0)
    """A page with elements nested deeper goes to rejects (too_nested); lxml stops at 255 anyway."""
    timeout_s: float = Field(30.0, gt=0)
    """Seconds one page may take to extract; a slower page goes to rejects (timeout)."""
    isolate: bool = True
    """Extract in a child process per worker, so a page over timeout_s can be stopped (killed, restarted)."""

# `validate` is the key users write; it shadows pydantic's deprecated BaseModel.validate classmethod,
# which nothing here calls (configs are built with model_validate).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "validate"', category=UserWarning)

    class ValidationConfig(_Section):
        validate: Union[bool, Literal["warn"]] = True
        """After `newsclean run`: true validates the outputs and fails the run (exit 4) when a suite fails;
        warn validates and reports without failing; false skips validation."""
        allowed_languages: list[str] = Field(default_factory=list)
        """Languages a clean document may have; empty = the language step's allowed set, if configured."""
        min_lang_confidence: Optional[float] = Field(None, ge=0, le=1)
        """Lowest lang_confidence a clean document may have; null = language.min_confidence (the gate)."""
        max_chars: int = Field(1_000_000, gt=0)
        """Longest clean text (characters) a document may have; the shortest is quality.min_chars."""
        max_foreign_script_share: float = Field(0.2, ge=0, le=1)
        """Largest share of a clean text in lines of another script than its main one (a translated half)."""
        min_bitext_length_ratio: float = Field(0.33, gt=0)
        """Smallest UTF-8 length ratio src/tgt of a bitext pair."""
        max_bitext_length_ratio: float = Field(3.0, gt=0)
        """Largest UTF-8 length ratio src/tgt of a bitext pair."""
        batch_records: int = Field(2_000, gt=0)
        """Records validated at once (whole output files per batch); bounds the memory validation needs."""

class HalvesConfig(_Section):
    enabled: bool = True
    """Look for translated halves ([article][its translation], either order) and same-language repeats."""
    keep: str = Field("original", min_length=2)
    """Which half stays: 'original' (the half that looks like the source), a language code such as
    'en' (that half when present, else the original), or 'both' (two linked documents)."""
    min_lines: int = Field(2, ge=1)
    """Content lines each half needs; a single foreign line is a quote or a caption far more often."""
    min_score: float = 0.0
    """Decision bar on the evidence score (log-odds that the halves say the same thing); higher = stricter."""
    bitext_min_score: float = Field(0.35, ge=0.0, le=1.0)
    """Aligned pairs written to bitext/ need at least this score (length fit and shared names/numbers)."""
    repeated: bool = True
    """Also drop the second copy of an article repeated in the same language (rule halves.repeated)."""


class Config(_Section):
    input: InputConfig = Field(default_factory=InputConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    language: LanguageConfig = Field(default_factory=LanguageConfig)
    chrome: ChromeConfig = Field(default_factory=ChromeConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    html: HtmlConfig = Field(default_factory=HtmlConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    halves: HalvesConfig = Field(default_factory=HalvesConfig)


def _format_validation_error(err: ValidationError, origin: str) -> str:
    problems = []
    for e in err.errors():
        key = ".".join(str(part) for part in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            problems.append(f"{key}: unknown key")
        else:
            problems.append(f"{key}: {e['msg']} (got {e.get('input')!r})")
    return f"{origin}: " + "; ".join(problems)


def _deep_merge(base: dict, update: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_set_option(assignment: str) -> dict:
    """'quality.min_chars=50' -> {'quality': {'min_chars': 50}} (the value is read as YAML)."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected section.key=value")
    path, raw = assignment.split("=", 1)
    keys = [k for k in path.strip().split(".") if k]
    if not keys:
        raise ConfigError(f"--set {assignment!r}: empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as err:
        raise ConfigError(f"--set {path}: value is not valid YAML: {err}") from None
    nested: Any = value
    for key in reversed(keys):
        nested = {key: nested}
    return nested


def load_yaml(path: str) -> dict:
    """Read a YAML config file safely (no Python tags)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML (only plain YAML is accepted): {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(data).__name__}")
    return data


def build_config(file_data: Optional[dict] = None, overrides: Optional[list[dict]] = None,
                 origin: str = "config") -> Config:
    """Defaults <- file data <- each override, validated once at the end."""
    data: dict = {}
    if file_data:
        data = _deep_merge(data, file_data)
    for override in overrides or []:
        data = _deep_merge(data, override)
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err, origin)) from None


def load_config(path: Optional[str] = None, overrides: Optional[list[dict]] = None) -> Config:
    return build_config(load_yaml(path) if path else None, overrides, origin=path or "config")


def field_docs(model: type[BaseModel] = Config, prefix: str = "") -> dict[str, Any]:
    """{dotted key: default} for every leaf field; used to check configs/default.yaml stays complete."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.update(field_docs(annotation, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = info.get_default(call_default_factory=True)
    return out

