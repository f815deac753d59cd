"""Typed configuration: defaults here, documented in configs/default.yaml, overridden by a YAML file
given with --config, then by CLI flags and `--set section.key=value`.

An unknown key or a bad value is an error that names the key (ConfigError).
"""
from __future__ import annotations

import copy
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


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


class QualityConfig(_Section):
    min_chars: int = Field(20, ge=0)
    """A document with fewer characters of clean text goes to rejects (too_short); 0 disables."""


class HtmlConfig(_Section):
    extractor: Literal["chain", "trafilatura", "readability"] = "chain"
    """chain = trafilatura, with readability-lxml's article when trafilatura's is thin or wraps it."""
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


class Config(_Section):
    input: InputConfig = Field(default_factory=InputConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    html: HtmlConfig = Field(default_factory=HtmlConfig)


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

