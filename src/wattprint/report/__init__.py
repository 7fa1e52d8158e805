"""Reports over the ledger: SQL aggregates, the dashboard and the audit report.

:mod:`wattprint.report.queries` holds the aggregation (pure SQL over a
connection from :meth:`~wattprint.store.ledger.Ledger.reading`, typed frozen
results); :mod:`wattprint.report.web` is the dashboard (``wattprint
dashboard``, needs the ``dashboard`` extra). Nothing below ``report``
imports it.
"""
