"""Alembic environment of the ledger; run through :mod:`wattprint.store.migrate`."""
