"""Kafka topics: the log that is Pathwise's source of truth.

Every topic is keyed by student id so all of one student's events stay in order
on one partition. Retention of the event topics is forever (-1) because
projections are rebuilt by replaying them from the beginning (the ingest
topic, raw input and not events, expires); compaction is never used, since events
are facts, not snapshots, and compaction would silently drop history.
"""

from __future__ import annotations

from dataclasses import dataclass

FOREVER = -1
DLQ_RETENTION_MS = 14 * 24 * 60 * 60 * 1000
_CLEANUP_POLICIES = frozenset({"delete", "compact", "compact,delete"})


@dataclass(frozen=True)
class Topic:
    """A topic's name and the settings it must be created with."""

    name: str
    partitions: int
    retention_ms: int
    cleanup_policy: str = "delete"
    key: str = "student_id"

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("topic name must not be empty")
        if self.partitions < 1:
            raise ValueError(f"{self.name}: partitions must be >= 1")
        if self.retention_ms != FOREVER and self.retention_ms <= 0:
            raise ValueError(f"{self.name}: retention_ms must be -1 (forever) or positive")
        if self.cleanup_policy not in _CLEANUP_POLICIES:
            raise ValueError(f"{self.name}: unknown cleanup_policy {self.cleanup_policy!r}")

    @property
    def dlq(self) -> str:
        """Name of the dead-letter topic that receives this topic's poison messages."""
        return f"{self.name}.dlq"

    def dlq_topic(self) -> Topic:
        """The dead-letter topic: same partitioning, kept long enough to triage."""
        return Topic(
            name=self.dlq,
            partitions=self.partitions,
            retention_ms=DLQ_RETENTION_MS,
            key=self.key,
        )


ASSESSMENT_EVENTS = Topic("assessment.events.v1", partitions=12, retention_ms=FOREVER)
PROFILE_EVENTS = Topic("profile.events.v1", partitions=12, retention_ms=FOREVER)
PATH_EVENTS = Topic("path.events.v1", partitions=12, retention_ms=FOREVER)
NOTIFY_EVENTS = Topic("notify.events.v1", partitions=12, retention_ms=FOREVER)
# Reads of a student's record (FERPA's record of disclosures), one topic per service
# that answers them: named after the service, so its credential alone may write it
# (a service can never log a read in another's name), and apart from the domain events
# so their consumers never page through the far more frequent reads.
PROFILE_ACCESS = Topic("profile.access.v1", partitions=12, retention_ms=FOREVER)
ASSESSMENT_ACCESS = Topic("assessment.access.v1", partitions=12, retention_ms=FOREVER)
PATH_ACCESS = Topic("path.access.v1", partitions=12, retention_ms=FOREVER)
NOTIFY_ACCESS = Topic("notify.access.v1", partitions=12, retention_ms=FOREVER)
ACCESS_TOPICS = (PROFILE_ACCESS, ASSESSMENT_ACCESS, PATH_ACCESS, NOTIFY_ACCESS)
# Raw results from bulk producers in a standard's own format (the content-type
# header names it); assessment-svc turns them into events. Not CloudEvents.
# Keyed by the student's id in the producer's system, so their results stay in order.
# The documents name students in clear (an mbox, a studentUniqueId), so they are
# not part of the log of truth: once admitted, what counts is on assessment.events.v1
# (sealed, keyed digests), and the raw records expire after a week, long enough to
# ride out an outage of assessment-svc.
SUBMISSIONS_RETENTION_MS = 7 * 24 * 60 * 60 * 1000
ASSESSMENT_SUBMISSIONS = Topic(
    "assessment.submissions.v1", partitions=12, retention_ms=SUBMISSIONS_RETENTION_MS
)

TOPICS: tuple[Topic, ...] = (
    ASSESSMENT_EVENTS,
    PROFILE_EVENTS,
    PATH_EVENTS,
    NOTIFY_EVENTS,
    ASSESSMENT_SUBMISSIONS,
    *ACCESS_TOPICS,
)


def all_topics() -> tuple[Topic, ...]:
    """The event topics followed by their dead-letter topics, for provisioning."""
    return TOPICS + tuple(topic.dlq_topic() for topic in TOPICS)
