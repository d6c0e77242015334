"""Alembic environment: runs migrations on the connection that planner.db hands over."""

from alembic import context

from planner.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the core always passes a connection
    raise RuntimeError("run migrations through planner.db.upgrade() or `python -m planner db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
