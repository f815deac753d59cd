"""Config: documented defaults, overrides, and errors that name the key."""
import os

import pytest
import yaml

from pipeline.config import Config, ConfigError, build_config, field_docs, load_config, parse_set_option
from tests.conftest import REPO

DEFAULT_YAML = os.path.join(REPO, "configs", "default.yaml")


def _flatten(data, prefix=""):
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_default_yaml_documents_every_field_with_its_default():
    with open(DEFAULT_YAML, encoding="utf-8") as fh:
        documented = _flatten(yaml.safe_load(fh))
    assert documented == field_docs()
    assert load_config(DEFAULT_YAML) == Config()


def test_every_key_in_default_yaml_has_a_comment():
    with open(DEFAULT_YAML, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and line.startswith("  ") and ":" in stripped:
            assert lines[i - 1].strip().startswith("#"), f"undocumented key: {stripped}"


def test_overrides_apply_in_order():
    config = build_config({"quality": {"min_chars": 5}}, [parse_set_option("quality.min_chars=50"),
                                                         {"output": {"dir": "elsewhere"}}])
    assert config.quality.min_chars == 50
    assert config.output.dir == "elsewhere"
    assert config.input.paths == ["seeds"]


@pytest.mark.parametrize("data,named", [
    ({"input": {"pathz": ["x"]}}, "input.pathz: unknown key"),
    ({"qualty": {}}, "qualty: unknown key"),
    ({"quality": {"min_chars": -1}}, "quality.min_chars"),
    ({"runner": {"workers": "many"}}, "runner.workers"),
    ({"input": {"paths": []}}, "input.paths"),
])
def test_bad_config_names_the_key(data, named):
    with pytest.raises(ConfigError) as err:
        build_config(data)
    assert named in str(err.value)


def test_yaml_with_python_tags_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(bad))
    assert "not valid YAML" in str(err.value)


def test_set_option_needs_key_and_value():
    with pytest.raises(ConfigError):
        parse_set_option("quality.min_chars")
    assert parse_set_option("input.paths=[a, b]") == {"input": {"paths": ["a", "b"]}}
