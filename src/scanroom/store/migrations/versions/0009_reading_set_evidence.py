"""reading: a reading set names the competency requirements it counts toward and its pass mark

Revision ID: 0009
Revises: 0004

Test-mode sessions on such a set file interpretation evidence (scanroom.competency.evidence). Existing sets
name none and keep the default pass mark (wAFROC figure of merit 0.70).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reading_sets', sa.Column('requirement_ids', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('reading_sets', sa.Column('pass_fom', sa.Float(), nullable=False, server_default='0.7'))


def downgrade() -> None:
    with op.batch_alter_table('reading_sets') as batch:
        batch.drop_column('pass_fom')
        batch.drop_column('requirement_ids')
