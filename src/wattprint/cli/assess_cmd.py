"""``wattprint assess``: carbon impact assessments of planned trainings, and the policy gate."""

from __future__ import annotations

import glob
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from wattprint.cli.common import json_option, parse_when, print_json
from wattprint.errors import ConfigError

#: Exit code when ``--check`` finds a plan that does not meet the policy (as a budget hold).
POLICY_NOT_MET_EXIT = 3


@click.command()
@click.argument("plans", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True,
              help="Check the plans (default: the policy's `plans`) against the policy; "
                   "exit 3 when one does not meet it.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the documents (default: the policy's assessments_dir, else "
                   "beside the plan).")
@click.option("--format", "formats", type=click.Choice(["md", "html", "both"]), default="both",
              show_default=True, help="Documents to write.")
@click.option("--now", "now_text", default=None,
              help="Assess as of this instant (ISO; default: now).")
@click.option("--series", "series_files", multiple=True,
              help="CSV/Parquet intensity series for the schedule search (repeatable); "
                   "default: the configured provider chain.")
@click.option("--column", default=None, help="Intensity column of --series files.")
@json_option
def assess(plans: tuple[Path, ...], check: bool, out_dir: Path | None, formats: str,
           now_text: str | None, series_files: tuple[str, ...], column: str | None,
           as_json: bool) -> int:
    """Assess a planned training: estimate, cleanest zone and time, alternatives.

    Writes PLAN.assessment.md and PLAN.assessment.html. With --check, nothing
    is written: each plan above the policy's threshold must have an up-to-date
    assessment (and, above the second threshold, a justification), or the
    command exits 3 — a gate for CI pipelines.

    \b
    Examples:
      wattprint assess plans/llm-7b.yaml
      wattprint assess plans/llm-7b.yaml --format md --out docs/assessments
      wattprint assess --check                  the plans named by [policy] plans
      wattprint assess --check plans/*.yaml --json
    """
    from wattprint.assess.policy import load_policy

    found = load_policy(Path.cwd())
    if check:
        return _check(plans, found, as_json)
    if not plans:
        raise ConfigError("give a plan file (wattprint assess plan.yaml), or --check")
    now = parse_when(now_text, "--now") or datetime.now(timezone.utc)
    reports = [_assess_one(p, found, out_dir, formats, now, series_files, column)
               for p in plans]
    if as_json:
        print_json(reports[0] if len(reports) == 1 else {"assessments": reports})
        return 0
    for report in reports:
        _print_report(report)
    return 0


def _assess_one(path: Path, found: Any, out_dir: Path | None, formats: str, now: datetime,
                series_files: tuple[str, ...], column: str | None) -> dict[str, Any]:
    from wattprint.assess.assessment import build_assessment, estimate_for, planning_window
    from wattprint.assess.policy import check
    from wattprint.assess.render import document, to_html, to_markdown
    from wattprint.assess.spec import load_spec

    spec = load_spec(path)
    estimate = estimate_for(spec)  # bad workload input fails here, before any provider call
    series: dict[str, Any] = {}
    notes: list[str] = []
    if spec.schedule is not None:
        from wattprint.cli.plan_cmd import provider_for
        from wattprint.schedule.inputs import gather_series

        start, end = planning_window(spec, estimate, now)
        provider = provider_for(series_files, column, spec.schedule.zones)
        series, notes = gather_series(provider, spec.schedule.zones, start, end)
    result = build_assessment(spec, series, now, notes=notes)
    policy, root = found if found else (None, Path.cwd())
    status = None
    if policy is not None:
        # The document being written is the assessment: only the justification can be missing.
        status = check(policy, spec, result.co2e_kg,
                       {"this document": f"wattprint-plan-sha256: {spec.fingerprint}"})
    doc = document(result, policy, status)
    written = []
    for suffix, render in ((".md", to_markdown), (".html", to_html)):
        if formats not in ("both", suffix[1:]):
            continue
        target = _target(path, suffix, out_dir, policy, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(doc), "utf-8")
        written.append(str(target))
    data = result.to_dict()
    data["documents"] = written
    data["policy"] = None if status is None else status.to_dict()
    return data


def _target(plan: Path, suffix: str, out_dir: Path | None, policy: Any, root: Path) -> Path:
    if out_dir is not None:
        return out_dir / f"{plan.stem}.assessment{suffix}"
    if policy is not None:
        return policy.document_path(plan, suffix, root)  # type: ignore[no-any-return]
    return plan.parent / f"{plan.stem}.assessment{suffix}"


def _print_report(data: dict[str, Any]) -> None:
    est = data["estimate"]
    click.echo(f"{data['name']} ({data['plan']})")
    click.echo(f"  estimate        {est['energy_kwh']:,.1f} kWh, {data['co2e_kg']:,.1f} kg CO2e "
               f"({est['co2e_kg']:,.1f} operational + {est['embodied_co2e_kg']:,.1f} embodied), "
               f"{est['water_total_l']:,.0f} L water")
    sched = data["schedule"]
    if sched is not None:
        best, base = sched["best"], sched["baseline"]
        click.echo(f"  cleanest        {best['zone']} from {best['start']}: "
                   f"{best['co2e_kg']:,.1f} kg vs {base['co2e_kg']:,.1f} kg in {base['zone']} "
                   f"at {base['start']} (−{sched['saving_pct']:.1f} %)")
    for alt in data["alternatives"]:
        click.echo(f"  alternative     {alt['name']}: {alt['energy_kwh']:,.4g} kWh "
                   f"({alt['saving_pct']:.4g} % less energy)")
    status = data["policy"]
    if status is not None:
        verdict = "meets the policy" if status["ok"] else "does not meet the policy"
        click.echo(f"  policy          {verdict}")
        for problem in status["problems"]:
            click.echo(f"    - {problem}")
    for path in data["documents"]:
        click.echo(f"  wrote           {path}")


def _check(plans: tuple[Path, ...], found: Any, as_json: bool) -> int:
    from wattprint.assess.assessment import estimate_for
    from wattprint.assess.policy import check
    from wattprint.assess.spec import load_spec

    if found is None:
        raise ConfigError("--check needs a policy: add a [policy] table to wattprint.toml (or "
                          "[tool.wattprint.policy] to pyproject.toml) with "
                          "assessment_required_above_kg")
    policy, root = found
    paths = list(plans) or _policy_plans(policy, root)
    results = []
    for path in paths:
        spec = load_spec(path)
        co2e = estimate_for(spec).total_co2e_kg
        docs = {str(p): (p.read_text("utf-8") if p.is_file() else None)
                for p in (policy.document_path(path, s, root) for s in (".md", ".html"))}
        results.append(check(policy, spec, co2e, docs))
    ok = all(r.ok for r in results)
    if as_json:
        print_json({"ok": ok, "policy": policy.source, "plans": [r.to_dict() for r in results]})
    else:
        for r in results:
            click.echo(f"{'PASS' if r.ok else 'FAIL'} {r.plan}: {r.co2e_kg:,.1f} kg CO2e")
            for line in (*r.problems, *r.notes):
                click.echo(f"     {line}")
        click.echo(f"{sum(r.ok for r in results)} of {len(results)} plans meet the policy "
                   f"of {policy.source}", err=True)
    return 0 if ok else POLICY_NOT_MET_EXIT


def _policy_plans(policy: Any, root: Path) -> list[Path]:
    if not policy.plans:
        raise ConfigError(f"no plans to check: name plan files, or set policy.plans in "
                          f"{policy.source} (e.g. plans = [\"plans/*.yaml\"])")
    paths = sorted({_relative(Path(p)) for pattern in policy.plans
                    for p in glob.glob(str(root / pattern), recursive=True)})
    if not paths:
        raise ConfigError(f"policy.plans in {policy.source} ({', '.join(policy.plans)}) "
                          "matches no file")
    return paths


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it (shorter messages)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
