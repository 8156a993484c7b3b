"""path-svc's settings beyond the runtime's: the districts' school calendars."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from path_svc.domain.school_calendar import (
    DEFAULT_INACTIVE_AFTER,
    Calendars,
    SchoolCalendar,
    calendar,
)


class CalendarSettings(BaseSettings):
    """``PATH_INACTIVE_SCHOOL_DAYS`` for every district, ``PATH_SCHOOL_CALENDARS`` per district.

    The calendars are one JSON object, district id to calendar document, so a
    curriculum office's calendar (holidays, breaks, school week, time zone) can
    be pasted in as it is published; a district not in it gets the default.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    inactive_school_days: int = Field(
        DEFAULT_INACTIVE_AFTER, ge=1, validation_alias="PATH_INACTIVE_SCHOOL_DAYS"
    )
    school_calendars: str = Field("{}", validation_alias="PATH_SCHOOL_CALENDARS")

    def calendars(self) -> Calendars:
        """Every district's calendar; a bad document stops the service at start."""
        documents: Any = json.loads(self.school_calendars or "{}")
        if not isinstance(documents, dict) or not all(
            isinstance(d, dict) for d in documents.values()
        ):
            raise ValueError("PATH_SCHOOL_CALENDARS must map district ids to calendar objects")
        n = self.inactive_school_days
        districts = {}
        for district, doc in documents.items():
            try:
                districts[district] = calendar(doc, _zone(doc), inactive_after=n)
            except ValueError as exc:
                raise ValueError(f"PATH_SCHOOL_CALENDARS[{district!r}]: {exc}") from exc
        return Calendars(default=SchoolCalendar(inactive_after=n), districts=districts)


def _zone(document: dict[str, Any]) -> ZoneInfo:
    name = document.get("timezone", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc
