"""Alembic environment: runs on the engine handed over by :class:`ponton.platform.PlatformDB`."""

from alembic import context

from ponton.platform.db import VERSION_TABLE
from ponton.platform.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
