"""Executors: hand a planned job to whatever runs it.

One small protocol (:class:`~wattprint.schedule.executors.base.Executor`:
``name``, ``submit(plan, command, dry_run=...)``, ``probe()``) and one module
per backend: :mod:`~wattprint.schedule.executors.local` (this machine) and
:mod:`~wattprint.schedule.executors.slurm` (``sbatch --begin``). Ray or
Kubernetes executors would add one module each. Nothing is imported here.
"""
