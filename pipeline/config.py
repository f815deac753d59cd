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


class InputConfig(_Section):
    paths: list[str] = Field(default_factory=lambda: ["seeds"], min_length=1)
    """Files, folders (read recursively) or globs; local paths or any Beam filesystem (gs://...)."""
    encoding: str = "auto"
    """'auto' detects per file; a codec name (e.g. gb18030) forces it for every file."""
    max_document_bytes: int = Field(16 * 1024 * 1024, gt=0)
    """A document larger than this goes to rejects with reason too_large."""
    skip_hidden: bool = True
    """When reading a folder, skip files and folders whose name starts with '.'."""


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


class LanguageConfig(_Section):
    backend: Literal["cld2+py3langid", "cld2", "py3langid", "langdetect"] = "cld2+py3langid"
    """Statistical detector for scripts shared by several languages (Latin, Cyrillic, Arabic, ...);
    the script pass settles CJK, Thai, Greek, Hebrew, ... before it."""
    allowed: list[str] = Field(default_factory=list)
    """Languages kept (e.g. [zh, en]; 'zh' admits zh-Hans and zh-Hant); others go to rejects with
    reason language. Empty = every language, including und."""
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)
    """A document whose main language has a lower confidence goes to rejects (language); 0 disables."""


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

