"""Projections of path-svc: the tables it builds from the log.

Two consumers: ``intake`` (assessment and profile topics) runs ``learning``
(mastery and evidence), ``learners`` (planning profiles and erasures,
forwarded to path-svc's topic) and the runtime's ``access`` (who may act
on a student); ``planning`` (path topic only) decides paths; ``frameworks``
(path topic) keeps the districts' published frameworks and the one in use.
"""

from path_svc.projections.frameworks import FrameworksProjection
from path_svc.projections.intake import IntakeProjection
from path_svc.projections.learners import LearnerProjection
from path_svc.projections.learning import LearningProjection
from path_svc.projections.planning import PlanningProjection

__all__ = [
    "FrameworksProjection",
    "IntakeProjection",
    "LearnerProjection",
    "LearningProjection",
    "PlanningProjection",
]
