"""Compare variants of a workload on energy and quality: run them, repeatedly, under trackers.

Example::

    from wattprint.optimise.compare import Quality, Variant, compare

    result = compare(
        [Variant("fp32", callable=lambda: evaluate(model)),
         Variant("int8", callable=lambda: evaluate(quantised))],
        repeat=3, quality=Quality("accuracy"), name="quantize", zone="DE",
    )
    for v in result.variants:
        print(v.name, v.energy_kwh.median, v.quality.median,
              v.vs_baseline and v.vs_baseline.describe("accuracy"))

Behaviour that matters:

- **Order.** Repetition ``k`` runs every variant once, the order rotated by
  ``k`` (A B, then B A, ...), so slow drifts of the machine (thermal state,
  other load, caches) spread over all variants instead of favouring one.
- **Measurement.** A callable runs in this process under a
  :class:`~wattprint.Tracker` (this process's tree is attributed); a command
  runs through :func:`wattprint.measure.command.run_command`, the machinery
  of ``wattprint run`` (its whole process tree, its logged metrics). Its
  standard output and error are captured, not shown.
- **Ledger.** Every repetition is a run, tagged ``compare:<name>``,
  ``variant:<variant>``, ``rep:<k>`` and ``compare-id:<id>`` (one id per call),
  with the variant's model name and its quality metric.
- **Failures.** A command that exits non-zero (or a callable that raises) is
  recorded as a failed run; its variant is reported failed (its remaining
  repetitions are skipped) and the others go on. A quality that cannot be
  read (a regex that does not match, a metric never logged) is a mistake in
  the comparison itself: the run is recorded as failed and
  :class:`~wattprint.errors.ConfigError` names the variant.
- **Timeouts.** A repetition still running after its variant's
  ``timeout_s`` is stopped (a command's whole process tree killed, a
  callable interrupted: see :mod:`~wattprint.optimise.compare_timeout`) and
  recorded as a failed run whose error says ``timed out after N s``. Unlike
  a failure it does not stop the variant: the other repetitions run, the
  timed-out ones are left out of the figures and counted per variant.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from wattprint.errors import ConfigError, WattprintError
from wattprint.measure.metrics import check_metric
from wattprint.model import Run, RunStatus
from wattprint.optimise.compare_spec import (
    CompareSpec,
    Quality,
    Variant,
    check_variants,
    shared_quality,
)
from wattprint.optimise.compare_stats import (
    Comparison,
    RepResult,
    interleaved_order,
    summarise,
)
from wattprint.optimise.compare_timeout import (
    RepTimeout,
    TreeWatchdog,
    check_callable_timeouts,
    deadline,
    timed_out_message,
)
from wattprint.optimise.compare_values import seconds

if TYPE_CHECKING:
    from wattprint.config import Settings
    from wattprint.measure.command import ExitHook
    from wattprint.measure.tracker import Tracker
    from wattprint.store.ledger import Ledger

__all__ = ["Comparison", "Quality", "RepResult", "Variant", "compare", "compare_spec",
           "run_setup"]

logger = logging.getLogger(__name__)

#: Characters of a failed command's last line of standard error kept in its error.
_STDERR_TAIL = 300


class _QualityProblem(ConfigError):
    """The quality of a repetition could not be read (raised once its run is recorded)."""


@dataclass(frozen=True)
class _Context:
    name: str
    compare_id: str
    settings: Settings
    ledger: Ledger | None
    save: bool


def compare(
    variants: Sequence[Variant],
    *,
    repeat: int = 3,
    baseline: str | None = None,
    name: str = "compare",
    quality: Quality | None = None,
    project: str | None = None,
    zone: str | None = None,
    pue: float | None = None,
    interval_s: float | None = None,
    timeout_s: float | None = None,
    ledger: Ledger | None = None,
    save: bool = True,
    settings: Settings | None = None,
    on_rep: Callable[[RepResult], None] | None = None,
) -> Comparison:
    """Run each variant ``repeat`` times, interleaved, and compare energy and quality.

    Args:
        variants: At least two, uniquely named.
        repeat: Repetitions per variant.
        baseline: Name of the variant the others are measured against
            (default: the one marked ``baseline=True``, else the first).
        name: The comparison's name (tag ``compare:<name>``).
        quality: The quality of variants that do not give their own.
        project: Ledger project of the runs (default: settings).
        zone: Grid zone of the runs (default: settings).
        pue: Power usage effectiveness (default: settings / zone).
        interval_s: Sampling interval (default: settings).
        timeout_s: Seconds a repetition of a variant without its own
            ``timeout_s`` may run before it is stopped (default: no limit).
        ledger: Ledger to record into (default: the settings' one).
        save: Record the runs (default True).
        settings: Resolved settings (overrides project/zone/pue/interval_s).
        on_rep: Called with each repetition's result as it ends (progress).

    Returns:
        Per variant: energy, CO2e, wall time and quality (median, min–max,
        quartiles), the Pareto front and the saving against the baseline.

    Raises:
        ConfigError: Bad variants (see :func:`check_variants`), ``repeat`` < 1,
            ``timeout_s`` <= 0, a callable's timeout outside the main thread,
            a command that does not exist, or a quality that cannot be read.
    """
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ConfigError(f"repeat must be a whole number >= 1, got {repeat!r}")
    timeout_s = seconds(timeout_s)
    chosen = [replace(v, quality=v.quality or quality,
                      timeout_s=timeout_s if v.timeout_s is None else v.timeout_s)
              for v in variants]
    base = check_variants(chosen, baseline)
    check_callable_timeouts(chosen)
    metric = shared_quality(chosen)
    if settings is None:
        from wattprint.config import load_settings

        settings = load_settings({"project": project, "zone": zone, "pue": pue,
                                  "interval_s": interval_s})
    own_ledger = ledger is None and save
    if own_ledger:
        from wattprint.store.ledger import Ledger

        ledger = Ledger(settings.db).open()
    ctx = _Context(name, uuid.uuid4().hex[:8], settings, ledger, save)
    order = interleaved_order([v.name for v in chosen], repeat)
    try:
        reps = _run_all(chosen, order, ctx, on_rep)
    finally:
        if own_ledger and ledger is not None:
            ledger.close()
    return summarise(name, reps, models={v.name: v.model_name for v in chosen}, baseline=base,
                     metric=metric[0] if metric else None,
                     higher_is_better=metric[1] if metric else True, repeat=repeat,
                     order=order, timeouts={v.name: v.timeout_s for v in chosen})


def compare_spec(spec: CompareSpec, *, repeat: int | None = None, project: str | None = None,
                 timeout_s: float | None = None, setup: bool = True,
                 **options: Any) -> Comparison:
    """Run the comparison a variants file describes (see :func:`compare` for ``options``).

    ``timeout_s`` (``--timeout-s``) replaces every ``timeout_s`` of the file,
    its variants' included. With ``setup`` (default) the file's ``setup``
    command runs first (see :func:`run_setup`).
    """
    variants = spec.variants
    if timeout_s is not None:
        limit = seconds(timeout_s)
        variants = tuple(replace(v, timeout_s=limit) for v in variants)
    if setup and spec.setup:
        logger.info("setup of %s: %s", spec.name, run_setup(spec).strip())
    return compare(variants, repeat=repeat or spec.repeat, baseline=spec.baseline,
                   name=spec.name, project=project or spec.project, zone=spec.zone,
                   pue=spec.pue, interval_s=spec.interval_s, **options)


def run_setup(spec: CompareSpec) -> str:
    """Run the file's ``setup`` command once, in the file's folder, unmeasured; returns its output.

    Raises:
        ConfigError: The command does not exist.
        WattprintError: It exits non-zero (the message has its last line of output).
    """
    if not spec.setup:
        return ""
    try:
        done = subprocess.run(list(spec.setup), cwd=spec.base_dir, capture_output=True,
                              text=True, errors="replace", check=False)
    except FileNotFoundError:
        raise ConfigError(f"{spec.source}: setup command not found: {spec.setup[0]}") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        tail = f": {lines[-1].strip()[:_STDERR_TAIL]}" if lines else ""
        raise WattprintError(f"{spec.source}: setup {shlex.join(spec.setup)!r} exited with "
                             f"{done.returncode}{tail}")
    return done.stdout + done.stderr


def _run_all(variants: Sequence[Variant], order: Sequence[tuple[str, int]], ctx: _Context,
             on_rep: Callable[[RepResult], None] | None) -> list[RepResult]:
    by_name = {v.name: v for v in variants}
    failed: set[str] = set()
    reps: list[RepResult] = []
    for name, rep in order:
        if name in failed:
            continue  # a failed variant's later repetitions would fail the same way
        variant = by_name[name]
        run, timed_out = _run_callable(variant, rep, ctx) if variant.callable else _run_command(
            variant, rep, ctx)
        metric = variant.quality.metric if variant.quality else None
        result = RepResult(variant=name, rep=rep, run_id=run.id, status=run.status,
                           energy_kwh=run.energy_kwh, co2e_kg=run.co2e_kg,
                           duration_s=run.duration_s,
                           quality=run.metrics.get(metric) if metric else None, error=run.error,
                           timed_out=timed_out)
        reps.append(result)
        if timed_out:  # a hung repetition says nothing of the next: they still run
            logger.warning("variant %s timed out in repetition %d: %s", name, rep, run.error)
        elif not result.ok:
            failed.add(name)
            logger.warning("variant %s failed in repetition %d: %s", name, rep, run.error)
        if on_rep is not None:
            on_rep(result)
    return reps


def _tracker(variant: Variant, rep: int, ctx: _Context, command: str = "") -> Tracker:
    from wattprint.measure.tracker import Tracker

    tags = (f"compare:{ctx.name}", f"variant:{variant.name}", f"rep:{rep}",
            f"compare-id:{ctx.compare_id}")
    return Tracker(settings=ctx.settings, experiment=ctx.name, model=variant.model_name,
                   tags=tags, ledger=ctx.ledger, save=ctx.save, command=command)


def _run_callable(variant: Variant, rep: int, ctx: _Context) -> tuple[Run, bool]:
    """Run the callable under a tracker; the run, and whether it timed out."""
    assert variant.callable is not None
    tracker = _tracker(variant, rep, ctx)
    tracker.start()
    try:
        with deadline(variant.timeout_s):
            value = variant.callable()
    except RepTimeout as exc:
        return tracker.stop(RunStatus.FAILED, error=str(exc)), True
    except Exception as exc:  # noqa: BLE001 — the variant failed; the others go on
        return tracker.stop(RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"), False
    except BaseException:
        tracker.stop(RunStatus.INTERRUPTED, error="KeyboardInterrupt")
        raise
    problem = _callable_quality(variant, value, tracker)
    run = tracker.stop(RunStatus.FAILED if problem else RunStatus.FINISHED, error=problem or "")
    if problem:
        raise _QualityProblem(f"{problem} (run {run.id[:8]} recorded as failed)")
    return run, False


def _callable_quality(variant: Variant, value: object, tracker: Tracker) -> str | None:
    """Log the callable's quality with its run; the problem in words, or None."""
    if variant.quality is None:
        return None
    metric = variant.quality.metric
    if value is None:
        if metric in tracker.metrics:
            return None
        return (f"variant {variant.name!r} returned None and logged no metric {metric!r}: "
                f"return the {metric} or call wattprint.log_metric({metric!r}, value)")
    try:
        tracker.log_metric(*check_metric(metric, value))
    except ConfigError:
        return (f"variant {variant.name!r} returned {type(value).__name__} {value!r}, "
                f"not a number for {metric!r}")
    return None


def _run_command(variant: Variant, rep: int, ctx: _Context) -> tuple[Run, bool]:
    """Run the command under a tracker; the run, and whether it timed out."""
    from wattprint.measure.command import run_command
    from wattprint.measure.tracker import LedgerFallbackWarning

    assert variant.command is not None
    cmd = list(variant.command)
    problems: list[str] = []
    watchdog = None if variant.timeout_s is None else TreeWatchdog(variant.timeout_s)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        tracker = _tracker(variant, rep, ctx, command=shlex.join(cmd))
        # Resolve the zone before the command starts: CPU time it uses before the
        # tracker takes its baseline (about 30 ms here) is not counted.
        tracker.locate()
        exited = _exit_hook(variant, tracker, out, err, watchdog, problems)
        try:
            result = run_command(cmd, tracker, cwd=variant.cwd, env=variant.env, stdout=out,
                                 stderr=err, on_exit=exited,
                                 on_start=None if watchdog is None else watchdog.start)
        finally:
            if watchdog is not None:
                watchdog.cancel()
    timed_out = watchdog is not None and watchdog.fired and result.returncode != 0
    for message in result.ledger_warnings:
        warnings.warn(message, LedgerFallbackWarning, stacklevel=4)
    if result.run.status is RunStatus.INTERRUPTED:
        raise KeyboardInterrupt
    if problems:
        raise _QualityProblem(f"{problems[0]} (run {result.run.id[:8]} recorded as failed)")
    return result.run, timed_out


def _exit_hook(variant: Variant, tracker: Tracker, out: IO[bytes], err: IO[bytes],
               watchdog: TreeWatchdog | None, problems: list[str]) -> ExitHook:
    """What a command's run records as its error once it exits (see ``ExitHook``)."""
    def exited(returncode: int) -> str | None:
        if watchdog is not None:
            watchdog.cancel()  # before the pid is reaped (and could be reused)
            if watchdog.fired and returncode != 0:
                return f"{timed_out_message(watchdog.timeout_s)}, process tree killed"
        if returncode != 0:
            return _last_line(err)
        problem = _command_quality(variant, out, tracker)
        if problem:
            problems.append(problem)
        return problem

    return exited


def _command_quality(variant: Variant, out: IO[bytes], tracker: Tracker) -> str | None:
    """Read the command's quality (regex on stdout, else its logged metric); a problem or None."""
    quality = variant.quality
    if quality is None:
        return None
    if quality.regex is None:
        if quality.metric in tracker.metrics:
            return None
        logged = ", ".join(tracker.metrics) or "nothing"
        return (f"variant {variant.name!r} logged no metric {quality.metric!r} (it logged "
                f"{logged}): call wattprint.log_metric({quality.metric!r}, value) in the "
                "command, or give quality.regex to read it from its output")
    out.seek(0)
    text = out.read().decode("utf-8", errors="replace")
    match = quality.pattern().search(text)
    if match is None:
        lines = len(text.splitlines())
        return (f"variant {variant.name!r}: quality regex {quality.regex!r} found no match "
                f"in the command's standard output ({lines} line(s))")
    try:
        tracker.log_metric(*check_metric(quality.metric, float(match.group(1))))
    except (TypeError, ValueError, ConfigError):
        return (f"variant {variant.name!r}: quality regex {quality.regex!r} matched "
                f"{match.group(1)!r}, not a number")
    return None


def _last_line(stream: IO[bytes]) -> str | None:
    """The last non-empty line of a captured stream (a failed command's reason), or None."""
    stream.seek(0)
    lines = [ln.strip() for ln in stream.read().decode("utf-8", errors="replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1][:_STDERR_TAIL] if lines else None
