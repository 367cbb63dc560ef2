"""classroom: an exam names the competency requirements its scored attempts count toward

Revision ID: 0010
Revises: 0005

Scored attempts of such an exam file exam evidence (scanroom.competency.evidence). Existing exams name none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('classroom_exams', sa.Column('requirement_ids', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('classroom_exams') as batch:
        batch.drop_column('requirement_ids')
