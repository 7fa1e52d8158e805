"""The assessment policy: which planned trainings need an assessment and a justification.

Set in the project file, ``wattprint.toml`` (``[policy]``) or ``pyproject.toml``
(``[tool.wattprint.policy]``)::

    [policy]
    assessment_required_above_kg = 500      # total CO2e of the estimate
    justification_required_above_kg = 2000
    justification_min_words = 30
    plans = ["plans/*.yaml"]                # what `wattprint assess --check` checks
    assessments_dir = "assessments"         # where documents live (default: beside the plan)

A plan whose estimate is above ``assessment_required_above_kg`` needs an
assessment document made from its *current* content (the document carries
the plan's SHA-256; an edited plan makes it stale); above
``justification_required_above_kg`` it also needs ``justification:`` text of
at least ``justification_min_words`` words. :func:`check` is pure: the CLI
reads the files and passes their text in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattprint.assess.spec import AssessSpec
from wattprint.errors import ConfigError

_KEYS = ("assessment_required_above_kg", "justification_required_above_kg",
         "justification_min_words", "plans", "assessments_dir")
#: The digest as Markdown writes it (``<!-- wattprint-plan-sha256: … -->``) or HTML (a meta tag).
_DIGEST = re.compile(r'wattprint-plan-sha256(?::\s*|"\s+content=")([0-9a-f]{64})')


@dataclass(frozen=True)
class Policy:
    """Thresholds and where plans and documents are; ``source`` is the file it came from."""

    assessment_required_above_kg: float | None = None
    justification_required_above_kg: float | None = None
    justification_min_words: int = 30
    plans: tuple[str, ...] = ()
    assessments_dir: str | None = None
    source: str = "default"

    def document_path(self, plan: Path, suffix: str, root: Path) -> Path:
        """Where the assessment document of ``plan`` lives (``.md`` or ``.html``)."""
        folder = plan.parent if self.assessments_dir is None else root / self.assessments_dir
        return folder / f"{plan.stem}.assessment{suffix}"


@dataclass(frozen=True)
class CheckResult:
    """Whether one plan meets the policy, and why not."""

    plan: str
    co2e_kg: float
    assessment_required: bool
    justification_required: bool
    problems: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing the policy requires is missing."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary with stable keys."""
        return {"plan": self.plan, "ok": self.ok, "co2e_kg": self.co2e_kg,
                "assessment_required": self.assessment_required,
                "justification_required": self.justification_required,
                "problems": list(self.problems), "notes": list(self.notes)}


def parse_policy(table: Mapping[str, Any], source: str) -> Policy:
    """Validate a ``[policy]`` table; bad keys or values name the key and ``source``.

    Raises:
        ConfigError: Unknown key, a negative threshold, a justification
            threshold below the assessment threshold, or a bad list.
    """
    for key in table:
        if key not in _KEYS:
            raise ConfigError(f"unknown policy key {key!r} in {source}; known: {', '.join(_KEYS)}")
    values: dict[str, Any] = {"source": source}
    for key in ("assessment_required_above_kg", "justification_required_above_kg"):
        if table.get(key) is not None:
            values[key] = _threshold(table[key], key, source)
    if table.get("justification_min_words") is not None:
        words = table["justification_min_words"]
        if isinstance(words, bool) or not isinstance(words, int) or words < 1:
            raise ConfigError(f"invalid policy.justification_min_words from {source}: "
                              f"expected a whole number >= 1, got {words!r}")
        values["justification_min_words"] = words
    plans = table.get("plans", [])
    if isinstance(plans, str):
        plans = [plans]
    if not isinstance(plans, list) or not all(isinstance(p, str) and p for p in plans):
        raise ConfigError(f"invalid policy.plans from {source}: expected a list of glob "
                          f"patterns like [\"plans/*.yaml\"], got {plans!r}")
    values["plans"] = tuple(plans)
    if table.get("assessments_dir") is not None:
        values["assessments_dir"] = str(table["assessments_dir"])
    policy = Policy(**values)
    a, j = policy.assessment_required_above_kg, policy.justification_required_above_kg
    if a is None and j is None:
        raise ConfigError(f"policy in {source} sets no threshold: give "
                          "assessment_required_above_kg and/or justification_required_above_kg")
    if a is not None and j is not None and j < a:
        raise ConfigError(f"policy in {source}: justification_required_above_kg ({j:g}) is "
                          f"below assessment_required_above_kg ({a:g}); a justification is "
                          "part of an assessment")
    return policy


def load_policy(cwd: Path) -> tuple[Policy, Path] | None:
    """The policy of the nearest project file and the folder it is in, or ``None``."""
    from wattprint.config import find_project_file

    found = find_project_file(cwd)
    if found is None:
        return None
    path, table = found
    section = table.get("policy")
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise ConfigError(f"policy in {path} must be a table ([policy])")
    return parse_policy(section, str(path)), path.parent


def check(policy: Policy, spec: AssessSpec, co2e_kg: float,
          documents: Mapping[str, str | None]) -> CheckResult:
    """Check one plan against the policy.

    Args:
        policy: The thresholds.
        spec: The plan as it is now.
        co2e_kg: Its estimate (operational + embodied CO2e).
        documents: Path → text of each assessment document looked for
            (``None`` when the file does not exist).
    """
    a_kg, j_kg = policy.assessment_required_above_kg, policy.justification_required_above_kg
    needs_doc = a_kg is not None and co2e_kg > a_kg
    needs_why = j_kg is not None and co2e_kg > j_kg
    problems: list[str] = []
    notes: list[str] = []
    if needs_doc:
        problems.extend(_document_problems(spec, documents))
    elif a_kg is not None:
        notes.append(f"{co2e_kg:,.1f} kg CO2e is not above {a_kg:,.6g} kg: no assessment needed")
    if needs_why:
        words = len(spec.justification.split())
        if words == 0:
            problems.append(f"{co2e_kg:,.1f} kg CO2e is above {j_kg:,.6g} kg: a written "
                            "justification is required (add 'justification:' to the plan)")
        elif words < policy.justification_min_words:
            problems.append(f"the justification has {words} words; the policy asks for at "
                            f"least {policy.justification_min_words}")
    return CheckResult(spec.source, co2e_kg, needs_doc, needs_why, tuple(problems), tuple(notes))


def _document_problems(spec: AssessSpec, documents: Mapping[str, str | None]) -> list[str]:
    present = {path: text for path, text in documents.items() if text is not None}
    if not present:
        looked = " or ".join(documents) or "beside the plan"
        return [f"no assessment document ({looked}); make it with "
                f"`wattprint assess {spec.source}`"]
    stale = []
    for path, text in present.items():
        match = _DIGEST.search(text)
        if match and match.group(1) == spec.fingerprint:
            return []
        stale.append(path)
    return [f"the assessment {', '.join(stale)} was made from a different version of the "
            f"plan; re-run `wattprint assess {spec.source}`"]


def _threshold(value: Any, key: str, source: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"invalid policy.{key} from {source}: expected kg CO2e, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"invalid policy.{key} from {source}: expected kg CO2e, "
                          f"got {value!r}") from None
    if number < 0:
        raise ConfigError(f"invalid policy.{key} from {source}: must be >= 0, got {value!r}")
    return number
