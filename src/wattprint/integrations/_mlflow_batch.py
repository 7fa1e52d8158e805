"""Send figures to MLflow within its batch and value limits (see :mod:`.mlflow`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wattprint.errors import WattprintError

if TYPE_CHECKING:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient


def write(client: MlflowClient, run_id: str, *, metrics: Sequence[Metric] = (),
          params: Sequence[Param] = (), tags: Sequence[RunTag] = ()) -> None:
    """Log everything into ``run_id``, in as many batches as MLflow's caps need.

    MLflow caps a batch (1000 metrics, 100 params, 100 tags, 1000 in all): a
    machine with many devices, or a run's power trace, needs several.

    Raises:
        WattprintError: MLflow refused a batch (the message has its words).
    """
    per_metric = limit("MAX_METRICS_PER_BATCH", 1000)
    per_param = limit("MAX_PARAMS_TAGS_PER_BATCH", 100)
    total = limit("MAX_ENTITIES_PER_BATCH", 1000)
    if len(metrics) <= per_metric and max(len(params), len(tags)) <= per_param and (
        len(metrics) + len(params) + len(tags) <= total
    ):
        batches = [(list(metrics), list(params), list(tags))]
    else:
        n = min(per_metric, total)
        batches = [(m, [], []) for m in chunks(metrics, n)]
        batches += [([], p, []) for p in chunks(params, per_param)]
        batches += [([], [], t) for t in chunks(tags, per_param)]
    try:
        for m, p, t in batches:
            client.log_batch(run_id, metrics=m, params=p, tags=t)
    except Exception as e:  # MlflowException and the REST client's errors
        raise WattprintError(f"MLflow refused the wattprint figures for run {run_id}: {e}") from e


def chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``items`` in lists of at most ``n``."""
    return [list(items[i:i + n]) for i in range(0, len(items), n)]


def limit(name: str, default: int) -> int:
    """MLflow's own limit ``name``, or ``default`` where that MLflow does not name it."""
    from mlflow.utils import validation

    return int(getattr(validation, name, default))


def clip(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters, an ellipsis marking the cut."""
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
