"""competency: what the signer of a sign-off affirmed (ARRT: independently, consistently, effectively)

Revision ID: 0008
Revises: 0007

Adding a column is not an UPDATE of existing rows' content: the append-only trigger is untouched and the
hash of a row without attestations is computed as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.add_column('competency_signoffs', sa.Column('attestations', sa.JSON(), nullable=False,
                                                       server_default='[]'))
    else:  # SQLite: a plain ADD COLUMN keeps the table (and its trigger); batch mode would rebuild it
        op.execute("ALTER TABLE competency_signoffs ADD COLUMN attestations JSON NOT NULL DEFAULT '[]'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column('competency_signoffs', 'attestations')
    else:
        op.execute("ALTER TABLE competency_signoffs DROP COLUMN attestations")
