"""Integrations with the tools AI work already runs in.

One module per tool, each importing its tool only inside itself (a missing
tool raises :class:`~wattprint.errors.MissingExtraError` with the pip line):
``mlflow`` (log runs into MLflow, ``autolog``), ``optuna`` (energy per trial,
energy-aware studies and budgets) and the training callbacks and exporters
beside them. Nothing in wattprint imports this package.
"""
