"""The sender's words: each message rendered in the guardian's language, titles included.

Competency titles come from path-svc per district (``CompetencyTitles``,
cached); without them a message names the code alone and still goes out.
Every English stand-in (a template or a title missing in the guardian's
language) is counted in ``fallbacks`` and logged; every message that had to
name codes alone because titles were unavailable is counted in
``titles_unavailable`` with the reason. Both are also Prometheus counters
(``notify_language_fallbacks_total`` by requested language,
``notify_titles_unavailable_total`` by reason) on ``/metrics``; not named
``pathwise_*``, which the shared dashboard covers for every service.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Protocol

from notify_svc.adapters.competency_titles import CompetencyTitles
from notify_svc.commands.claims import Job
from notify_svc.domain.competency_names import CompetencyNames
from notify_svc.domain.rules import Rules
from notify_svc.domain.schedule import batched
from notify_svc.domain.sms_text import SmsText, render_sms
from notify_svc.domain.teacher_alert import render_teacher_alert
from notify_svc.domain.templates import Item, Rendered, render, render_digest
from notify_svc.settings import NotifySettings
from pathwise_runtime import metrics

log = logging.getLogger("notify_svc.workers.sender")
SERVICE = "notify-svc"
FALLBACKS = metrics.service_counter(
    "notify_language_fallbacks",
    "Messages with English standing in for the guardian's language (template or title).",
    ["language"],
)
TITLES_UNAVAILABLE = metrics.service_counter(
    "notify_titles_unavailable",
    "Messages naming competencies by code alone because their titles were unavailable.",
    ["reason"],
)


class _Wording(Protocol):
    """What rendering needs of the sender it is part of."""

    _settings: NotifySettings
    _rules: Rules
    _titles: CompetencyTitles | None
    fallbacks: Counter[str]
    titles_unavailable: Counter[str]

    async def _names(self, jobs: list[Job]) -> CompetencyNames | None: ...

    def _fell_back(self, asked: str | None, template: str) -> None: ...

    def _no_titles(self, reason: str) -> None: ...


class Rendering:
    """Mixed into ``Sender``: mail, alert and text bodies for claimed jobs."""

    async def _names(self: _Wording, jobs: list[Job]) -> CompetencyNames | None:
        """The district's titles when the message names a competency; None otherwise."""
        if not any(job.item and (job.item.code or job.item.codes) for job in jobs):
            return None
        if self._titles is None:
            self._no_titles("PATH_URL is not set")
            return None
        try:
            titles = await self._titles.for_district(jobs[0].target.district_id)
        except Exception:  # a name is never worth a message: send it with the codes
            log.exception("competency titles lookup failed; messages name the code only")
            self._no_titles("lookup failed")
            return None
        if titles.names is None:
            self._no_titles(titles.reason or "no titles")
        return titles.names

    def _no_titles(self: _Wording, reason: str) -> None:
        self.titles_unavailable[reason] += 1
        TITLES_UNAVAILABLE.labels(SERVICE, reason).inc()

    def _fell_back(self: _Wording, asked: str | None, template: str) -> None:
        if asked is None:
            return
        self.fallbacks[asked] += 1
        # The primary subtag only: guardians' tags must not grow the label set unbounded.
        FALLBACKS.labels(SERVICE, asked.split("-", 1)[0].lower()[:8]).inc()
        log.warning(
            "translation missing; sent in English",
            extra={"language": asked, "template": template},
        )

    async def _render(self: _Wording, jobs: list[Job], unsubscribe: str | None) -> Rendered:
        """A family's mail about ``jobs``: one fact, a coalesced burst or a digest."""
        items: list[Item] = [job.item for job in jobs if job.item is not None]
        language = jobs[0].language
        names = await self._names(jobs)
        daily = any(
            j.preferences is not None and batched(self._rules[j.kind], j.preferences) for j in jobs
        )
        rendered = (
            render_digest(
                items, language, unsubscribe, "digest" if daily else "coalesced", names=names
            )
            if len(jobs) > 1
            else render(items[0], language, unsubscribe, names=names)
        )
        self._fell_back(rendered.fallback_from, rendered.template)
        return rendered

    async def _render_alert(self: _Wording, job: Job) -> Rendered:
        """A teacher's support alert (English, the competency's English title)."""
        assert job.item is not None
        names = await self._names([job])
        return render_teacher_alert(
            job.item, job.target.student_id, self._settings.teacher_portal, names
        )

    async def _text_of(self: _Wording, jobs: list[Job]) -> SmsText:
        """The text about ``jobs`` in the guardian's language."""
        names = await self._names(jobs)
        text = render_sms(
            [job.item or Item(job.kind) for job in jobs],
            jobs[0].language,
            self._settings.sms_link,
            self._settings.sms_max_segments,
            names,
        )
        self._fell_back(text.fallback_from, text.template)
        return text
