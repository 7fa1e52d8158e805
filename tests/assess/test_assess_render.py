from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import numpy as np

from wattprint.assess.assessment import build_assessment
from wattprint.assess.policy import check, parse_policy
from wattprint.assess.render import document, to_html, to_markdown
from wattprint.assess.spec import parse_spec
from wattprint.intensity.series import IntensitySeries

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _result(**extra: Any) -> Any:
    data: dict[str, Any] = {"name": "vit <b>large</b>", "project": "vision",
                            "justification": "<script>alert(1)</script> | needed",
                            "workload": {"device": "A100 80GB", "count": 8, "hours": 4,
                                         "zone": "DE"},
                            "schedule": {"zones": ["DE", "FR"], "deadline": "24h"}}
    data.update(extra)
    series = {z: IntensitySeries(z, NOW, 3600, np.full(24, v), source=f"src {z}")
              for z, v in (("DE", 400.0), ("FR", 50.0))}
    return build_assessment(parse_spec(data, source="plans/vit.yaml"), series, NOW)


def test_markdown_has_every_section_and_the_plan_digest() -> None:
    result = _result()
    text = to_markdown(document(result))
    assert text.startswith(f"<!-- wattprint-plan-sha256: {result.spec.fingerprint} -->")
    for title in ("## Summary", "## Estimate", "## When and where", "## Alternatives",
                  "## Justification", "## Notes"):
        assert title in text
    assert "| FR (best) |" in text and "| DE (baseline) |" in text
    assert "87.5 %" in text  # 400 → 50 g/kWh
    assert "<script>" not in text and "&lt;script>" in text and "\\| needed" in text


def test_html_escapes_plan_text_and_draws_one_bar_per_option() -> None:
    result = _result()
    page = to_html(document(result))
    assert f'content="{result.spec.fingerprint}"' in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "vit &lt;b&gt;large&lt;/b&gt;" in page
    bars = len(re.findall(r"<rect ", page))
    assert bars == 2 + len(result.alternatives)  # as planned, cleanest, alternatives
    assert "http" not in page.split("<body>")[0]  # no external resources in the head


def test_policy_section_says_whether_the_plan_meets_it() -> None:
    result = _result(justification="")
    policy = parse_policy({"assessment_required_above_kg": 0,
                           "justification_required_above_kg": 1}, "wattprint.toml")
    status = check(policy, result.spec, result.co2e_kg,
                   {"this": f"wattprint-plan-sha256: {result.spec.fingerprint}"})
    text = to_markdown(document(result, policy, status))
    assert "## Policy" in text and "does not meet the policy yet" in text
    assert "a written justification is required" in text
