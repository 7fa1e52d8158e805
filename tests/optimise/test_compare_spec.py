"""The variants file and the Variant/Quality values: each bad input is a ConfigError saying so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wattprint.errors import ConfigError
from wattprint.optimise.compare_spec import (
    Quality,
    Variant,
    check_variants,
    load_spec,
    parse_spec,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "compare"


def _two(**top: Any) -> dict[str, Any]:
    return {"variants": [{"name": "a", "command": "python a.py"},
                         {"name": "b", "command": ["python", "b.py"]}], **top}


def test_full_file_parses_with_defaults_merged(tmp_path: Path) -> None:
    path = tmp_path / "variants.yaml"
    path.write_text("""
name: quantize
description: fp32 vs int8
project: vision
repeat: 5
zone: DE
pue: 1.2
interval_s: 0.5
setup: python prepare.py --fast
quality: {metric: accuracy, regex: 'accuracy=([0-9.]+)'}
variants:
  - name: fp32
    command: python infer.py --precision fp32
    baseline: true
    model: mlp-fp32
    env: {OMP_NUM_THREADS: 1}
  - name: int8
    command: [python, infer.py, --precision, int8]
    cwd: sub
    quality: {regex: 'acc ([0-9.]+)'}
""")
    spec = load_spec(path)
    assert (spec.name, spec.description, spec.project, spec.repeat) == (
        "quantize", "fp32 vs int8", "vision", 5)
    assert (spec.zone, spec.pue, spec.interval_s) == ("DE", 1.2, 0.5)
    assert spec.setup == ("python", "prepare.py", "--fast")
    assert spec.base_dir == tmp_path.resolve()
    fp32, int8 = spec.variants
    assert fp32.command == ("python", "infer.py", "--precision", "fp32")
    assert fp32.baseline and fp32.model_name == "mlp-fp32" and int8.model_name == "int8"
    assert fp32.env == {"OMP_NUM_THREADS": "1"} and fp32.cwd == tmp_path.resolve()
    assert int8.cwd == tmp_path.resolve() / "sub"
    assert fp32.quality == Quality("accuracy", True, "accuracy=([0-9.]+)")
    # A variant's quality overrides only the keys it gives.
    assert int8.quality == Quality("accuracy", True, "acc ([0-9.]+)")
    assert check_variants(spec.variants) == "fp32"


def test_json_file_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "cmp.json"
    path.write_text(json.dumps(_two()))
    spec = load_spec(path)
    assert (spec.name, spec.repeat, spec.baseline, spec.project) == ("cmp", 3, None, None)
    assert all(v.quality is None for v in spec.variants)
    assert check_variants(spec.variants) == "a"  # the first, when none is named


def test_the_shipped_example_files_are_valid() -> None:
    quantize = load_spec(EXAMPLES / "quantize.yaml")
    assert [v.name for v in quantize.variants] == ["fp32", "int8"]
    assert quantize.variants[0].quality is not None and quantize.variants[0].quality.regex
    distill = load_spec(EXAMPLES / "distill.yaml")
    assert len(distill.variants) == 3 and all(
        v.quality == Quality("accuracy") for v in distill.variants)


@pytest.mark.parametrize(("data", "message"), [
    (_two(variant=[]), "unknown key 'variant'; known: name, description"),
    ({"variants": [{"name": "a", "comand": "x"}, {"name": "b", "command": "y"}]},
     "unknown key 'variants[0].comand'"),
    (_two(quality={"metric": "acc", "higher": True}), "unknown key 'quality.higher'"),
    ({"name": "x"}, "no variants: give a list under 'variants'"),
    ({"variants": []}, "no variants"),
    ({"variants": "a"}, "variants: expected a list"),
    ({"variants": [{"name": "a", "command": "x"}]}, "only one variant ('a')"),
    ({"variants": [{"name": "a", "command": "x", "baseline": True},
                   {"name": "b", "command": "y", "baseline": True}]},
     "two baselines: a and b are both marked baseline"),
    ({"baseline": "a", "variants": [{"name": "a", "command": "x"},
                                    {"name": "b", "command": "y", "baseline": True}]},
     "two baselines: 'a' is named as baseline but 'b' is marked baseline"),
    (_two(baseline="c"), "baseline 'c' is not a variant; variants: a, b"),
    ({"variants": [{"name": "a", "command": "x"}, {"name": "a", "command": "y"}]},
     "variant names must be unique: a used twice"),
    ({"variants": [{"command": "x"}, {"name": "b", "command": "y"}]},
     "variants[0].name is required"),
    ({"variants": [{"name": "a"}, {"name": "b", "command": "y"}]},
     "variant 'a': command is required"),
    ({"variants": [{"name": "a", "command": 3}, {"name": "b", "command": "y"}]},
     "variant 'a': command: expected a string or a list"),
    ({"variants": [{"name": "a", "command": []}, {"name": "b", "command": "y"}]},
     "variant 'a': the command is empty"),
    (_two(quality={"regex": "x=(.*)"}), "quality.metric is required"),
    (_two(quality={"metric": "acc", "regex": "acc=[0-9]+"}), "needs a group around the number"),
    (_two(quality={"metric": "acc", "regex": "acc=([0-9]"}), "is not a valid regular expression"),
    (_two(quality={"metric": "acc", "higher_is_better": "yes"}),
     "higher_is_better must be true or false"),
    ({"variants": [{"name": "a", "command": "x", "quality": {"metric": "acc"}},
                   {"name": "b", "command": "y"}]},
     "variant 'b' has no quality while 'a' measures 'acc'"),
    ({"variants": [{"name": "a", "command": "x", "quality": {"metric": "acc"}},
                   {"name": "b", "command": "y", "quality": {"metric": "loss"}}]},
     "variants must compare one quality metric"),
    (_two(repeat=0), "repeat: expected a whole number >= 1, got 0"),
    (_two(repeat="3"), "repeat: expected a whole number >= 1"),
    (_two(pue=0.5), "pue: expected a number >= 1"),
    (_two(interval_s=0.001), "interval_s: expected a number >= 0.01"),
    (_two(setup=[]), "setup: expected a command"),
    (_two(timeout_s=0), "timeout_s: expected a number of seconds > 0, got 0"),
    (_two(timeout_s=-5), "timeout_s: expected a number of seconds > 0, got -5"),
    (_two(timeout_s="10m"), "timeout_s: expected a number of seconds > 0, got '10m'"),
    (_two(timeout_s=True), "timeout_s: expected a number of seconds > 0, got True"),
    (_two(timeout_s=float("inf")), "timeout_s: expected a number of seconds > 0, got inf"),
    ({"variants": [{"name": "a", "command": "x", "timeout_s": 0},
                   {"name": "b", "command": "y"}]},
     "variant 'a': timeout_s: expected a number of seconds > 0, got 0"),
    ({"variants": [{"name": "a", "command": "x", "timeout_s": [5]},
                   {"name": "b", "command": "y"}]},
     "variant 'a': timeout_s: expected a number of seconds > 0, got [5]"),
    ({"variants": [{"name": "a", "command": "x", "env": {"A": [1]}},
                   {"name": "b", "command": "y"}]}, "env.A: expected text or a number"),
    ({"variants": [{"name": "a", "command": "x", "baseline": "yes"},
                   {"name": "b", "command": "y"}]}, "baseline: expected true or false"),
])
def test_bad_files_say_what_is_wrong(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(data, source="v.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("v.yaml: ")


def test_timeout_s_top_level_is_the_default_a_variant_overrides_it_null_removes_it() -> None:
    spec = parse_spec({"timeout_s": 60, "variants": [
        {"name": "a", "command": "x"}, {"name": "b", "command": "y", "timeout_s": 1.5},
        {"name": "c", "command": "z", "timeout_s": None}]})
    assert spec.timeout_s == 60.0
    assert [v.timeout_s for v in spec.variants] == [60.0, 1.5, None]
    assert all(v.timeout_s is None for v in parse_spec(_two()).variants)
    with pytest.raises(ConfigError, match=r"variant 'a': timeout_s: expected a number of "
                                          r"seconds > 0, got -1"):
        Variant("a", command=["x"], timeout_s=-1)


def test_unreadable_or_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read variants file"):
        load_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("variants: [\n")
    with pytest.raises(ConfigError, match="cannot parse variants file"):
        load_spec(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping of keys"):
        load_spec(listed)


def test_variant_values_validate_on_construction() -> None:
    with pytest.raises(ConfigError, match="give either a command or a callable"):
        Variant("a")
    with pytest.raises(ConfigError, match="give either a command or a callable"):
        Variant("a", command=["x"], callable=lambda: 1.0)
    with pytest.raises(ConfigError, match="non-empty name"):
        Variant(" ", command=["x"])
    with pytest.raises(ConfigError, match="quality.regex reads a command's output"):
        Variant("a", callable=lambda: 1.0, quality=Quality("acc", regex="acc=(.*)"))
    with pytest.raises(ConfigError, match="command arguments must be text"):
        Variant("a", command=["python", 3])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="metric must be a non-empty name"):
        Quality("")
    assert Variant("a", command="python -c 'print(1)'").command == ("python", "-c", "print(1)")


def test_check_variants_without_enough_variants() -> None:
    with pytest.raises(ConfigError, match="no variants to compare"):
        check_variants([])
