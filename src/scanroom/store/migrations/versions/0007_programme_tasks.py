"""competency: the practical tasks a programme sets its trainees

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('competency_programme_frameworks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_ids', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('competency_programme_frameworks', schema=None) as batch_op:
        batch_op.drop_column('task_ids')
