"""Append-only audit log of security-relevant events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from scanroom.store.models import AuditEvent


def record(db: Session, action: str, *, actor_id: int | None = None, target: str = "",
           ip_address: str = "", **details: Any) -> AuditEvent:
    event = AuditEvent(action=action, actor_id=actor_id, target=target, ip_address=ip_address,
                       details=details)
    db.add(event)
    return event
