"""Integer keys of posts for co-post detection: the hash of the normalised text and of the account.

Existing posts get their keys in chunks of BACKFILL_ROWS, in the migration's transaction (nothing is lost: only the
two new columns are written).

Revision ID: 0014_post_keys
Revises: 0013_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_post_keys"
down_revision = "0013_sessions"
branch_labels = None
depends_on = None

BACKFILL_ROWS = 50_000


def upgrade() -> None:
    op.add_column("posts", sa.Column("text_hash", sa.BigInteger(), nullable=True))
    op.add_column("posts", sa.Column("author_key", sa.BigInteger(), nullable=True))
    _backfill(op.get_bind())
    op.create_index("ix_posts_text_hash", "posts", ["text_hash"], unique=False)


def _backfill(conn) -> None:
    last = -1
    while True:
        rows = conn.execute(
            sa.text("SELECT id, platform, author_id, text FROM posts WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BACKFILL_ROWS},
        ).all()
        if not rows:
            return
        # Imported only when there are posts: a new workspace (the first page of a new install) loads no pandas.
        from planner.postkeys import author_keys, text_hashes

        ids, platforms, authors, texts = zip(*rows, strict=True)
        conn.execute(
            sa.text("UPDATE posts SET text_hash = :h, author_key = :a WHERE id = :id"),
            [
                {"h": int(h), "a": int(a), "id": i}
                for i, h, a in zip(
                    ids, text_hashes(list(texts)), author_keys(list(platforms), list(authors)), strict=True
                )
            ],
        )
        last = ids[-1]


def downgrade() -> None:
    op.drop_index("ix_posts_text_hash", table_name="posts")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("author_key")
        batch.drop_column("text_hash")
