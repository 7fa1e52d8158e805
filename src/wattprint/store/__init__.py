"""The ledger and its formats: schema, migrations, JSON, CSV/Parquet, imports.

Modules: :mod:`~wattprint.store.ledger` (the :class:`Ledger`),
:mod:`~wattprint.store.serialize` (the public JSON shape, fallback files),
:mod:`~wattprint.store.export` (CSV/Parquet), :mod:`~wattprint.store.importers`
(CodeCarbon ``emissions.csv``). Nothing is imported here, so importing one
module does not pull in SQLAlchemy for the others.
"""
