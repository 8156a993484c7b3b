"""Tables notify-svc builds from the log: whom to tell about what and when
(``planning``), and what became of each message (``delivery_log``)."""

from notify_svc.projections.delivery_log import DeliveryLogProjection
from notify_svc.projections.planning import (
    PLANNED_CHANNEL,
    PlanningProjection,
    notification_id,
    student_lock_key,
)

__all__ = [
    "PLANNED_CHANNEL",
    "DeliveryLogProjection",
    "PlanningProjection",
    "notification_id",
    "student_lock_key",
]
