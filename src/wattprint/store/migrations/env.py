"""Alembic environment for the ledger.

wattprint runs migrations in code (:func:`wattprint.store.migrate.upgrade`),
handing over an open connection that already holds the migration lock in
``config.attributes["connection"]``; no ``alembic.ini`` is needed. Offline
(``--sql``) mode renders SQL for ``sqlalchemy.url`` when one is configured.
"""

from __future__ import annotations

from alembic import context

from wattprint.store.schema import metadata


def _run() -> None:
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "wattprint migrations need a connection in config.attributes['connection']; "
            "open a wattprint.store.ledger.Ledger to migrate"
        )
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


_run()
