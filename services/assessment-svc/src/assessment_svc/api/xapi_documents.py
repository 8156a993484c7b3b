"""xAPI 1.0.3 document resources and the Agents and Activities resources at ``/xapi``.

``/activities/state``, ``/activities/profile`` and ``/agents/profile`` store
the documents content keeps a learner's place in (cmi5, SCORM wrappers, H5P):
PUT replaces, POST merges JSON objects, GET answers one document (with its
ETag) or the ids at an address (``since`` filters), DELETE removes.
Concurrency follows Communication 3.1: ``If-Match``/``If-None-Match`` are
honoured everywhere, and a profile PUT over an existing document needs one.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from assessment_svc.adapters import keyring as keys
from assessment_svc.api.lrs_auth import Client
from assessment_svc.commands.xapi_documents import DocumentStore
from assessment_svc.domain import xapi, xapi_activities
from assessment_svc.domain.xapi_documents import (
    Address,
    Document,
    Refused,
    Resource,
    check_preconditions,
    merged,
)
from assessment_svc.domain.xapi_values import _iri
from assessment_svc.queries import statements as statement_reads
from pathwise_runtime.problems import Problem

router = APIRouter(prefix="/xapi", tags=["xAPI documents"])
_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def _store(request: Request) -> DocumentStore:
    runtime = request.app.state.runtime
    return DocumentStore(runtime.pool, keys.keystore(runtime))


def _param(request: Request, name: str, *, required: bool) -> str | None:
    value = request.query_params.get(name)
    if value is None and required:
        raise Problem(400, f"{name} is required", field=name)
    return value


def _activity(request: Request) -> str:
    value = _param(request, "activityId", required=True)
    assert value is not None
    try:
        return _iri(value)
    except ValueError as exc:
        raise Problem(400, f"activityId {exc}", field="activityId") from exc


def agent_of(value: str) -> tuple[dict[str, Any], xapi.Agent | xapi.Group]:
    """The ``agent`` parameter (JSON), as sent and validated; shared by every resource."""
    try:
        raw = json.loads(value)
        actor = (
            xapi.Group.model_validate(raw)
            if isinstance(raw, dict) and raw.get("objectType") == "Group"
            else xapi.Agent.model_validate(raw)
        )
    except ValueError as exc:
        raise Problem(
            400, f"agent must be an Agent or identified Group: {exc}", field="agent"
        ) from exc
    if not actor.ifis():
        raise Problem(400, "agent must be identified", field="agent")
    return raw, actor


def timestamp_of(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return xapi.to_datetime(xapi._timestamp(value))
    except ValueError as exc:
        raise Problem(400, f"{name} must be an ISO 8601 timestamp", field=name) from exc


def _agent(request: Request) -> tuple[dict[str, Any], xapi.Agent | xapi.Group]:
    value = _param(request, "agent", required=True)
    assert value is not None
    return agent_of(value)


def _identity(request: Request, who: Any) -> str:
    _, actor = _agent(request)
    digest = actor.identity(keys.identities(request.app.state.runtime, who.district))
    assert digest is not None
    return digest


def _since(request: Request) -> datetime | None:
    return timestamp_of("since", request.query_params.get("since"))


def _registration(request: Request) -> str:
    value = request.query_params.get("registration")
    if value is None:
        return ""
    try:
        return str(uuid.UUID(xapi._uuid(value)))
    except ValueError as exc:
        raise Problem(400, "registration must be a UUID", field="registration") from exc


def _refusal(exc: Refused) -> Problem:
    return Problem(exc.status, str(exc), field=exc.field)


def _http_date(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


async def _serve(
    request: Request, who: Any, at: Address, id_name: str, *, profile: bool
) -> Response:
    """One resource, every method; ``at.document_id`` empty when the id was left out."""
    store, method = _store(request), request.method
    district = who.district
    if method in ("GET", "HEAD"):
        if not at.document_id:
            return JSONResponse(await store.ids(district, at, _since(request)))
        found = await store.get(district, at)
        if found is None:
            raise Problem(404, f"no document {at.document_id!r} here", field=id_name)
        document, updated = found
        return Response(
            document.content,
            media_type=document.content_type,
            headers={"ETag": f'"{document.etag}"', "Last-Modified": _http_date(updated)},
        )
    if_match = request.headers.get("if-match")
    if_none_match = request.headers.get("if-none-match")

    def preconditions(current: Document | None, needs: bool = False) -> None:
        try:
            check_preconditions(
                current,
                if_match=if_match,
                if_none_match=if_none_match,
                overwriting_needs_them=needs,
            )
        except Refused as exc:
            raise _refusal(exc) from exc

    if method == "DELETE":
        if profile and not at.document_id:
            raise Problem(400, f"{id_name} is required", field=id_name)
        await store.delete(district, at, preconditions if at.document_id else None)
        return Response(status_code=204)
    if not at.document_id:
        raise Problem(400, f"{id_name} is required", field=id_name)
    posted = Document(
        request.headers.get("content-type", "application/octet-stream"), await request.body()
    )

    def change(current: Document | None) -> Document:
        preconditions(current, needs=profile and method == "PUT")
        if method == "PUT":
            return posted
        try:
            return merged(current, posted)
        except Refused as exc:
            raise _refusal(exc) from exc

    await store.write(district, at, change, datetime.now(UTC))
    return Response(status_code=204)


def _one(request: Request, name: str, *, required: bool) -> str:
    return _param(request, name, required=required) or ""


@router.api_route("/activities/state", methods=_METHODS)
async def state(who: Client, request: Request) -> Response:
    """A learner's state in an activity (bookmarks, suspend data), per registration."""
    writing = request.method in ("PUT", "POST")
    at = Address(
        Resource.STATE,
        activity_id=_activity(request),
        identity=_identity(request, who),
        registration=_registration(request),
        document_id=_one(request, "stateId", required=writing),
    )
    return await _serve(request, who, at, "stateId", profile=False)


@router.api_route("/activities/profile", methods=_METHODS)
async def activity_profile(who: Client, request: Request) -> Response:
    """Documents about an activity, shared by all its learners (not personal, not sealed)."""
    writing = request.method in ("PUT", "POST", "DELETE")
    at = Address(
        Resource.ACTIVITY_PROFILE,
        activity_id=_activity(request),
        document_id=_one(request, "profileId", required=writing),
    )
    return await _serve(request, who, at, "profileId", profile=True)


@router.api_route("/agents/profile", methods=_METHODS)
async def agent_profile(who: Client, request: Request) -> Response:
    """Documents about a learner across activities (preferences), sealed under their key."""
    writing = request.method in ("PUT", "POST", "DELETE")
    at = Address(
        Resource.AGENT_PROFILE,
        identity=_identity(request, who),
        document_id=_one(request, "profileId", required=writing),
    )
    return await _serve(request, who, at, "profileId", profile=True)


def _person(raw: dict[str, Any]) -> dict[str, Any]:
    """The Person object: this LRS keeps no one's identifiers in clear to combine, so a
    Person is the agent asked for, each property as a list."""
    out: dict[str, Any] = {"objectType": "Person"}
    for name in ("name", *_IFIS):
        if raw.get(name) is not None:
            out[name] = [raw[name]]
    return out


@router.api_route("/agents", methods=["GET", "HEAD"])
async def agents(who: Client, request: Request) -> dict[str, Any]:
    raw, actor = _agent(request)
    if isinstance(actor, xapi.Group):
        raise Problem(400, "agent must be an Agent, not a Group", field="agent")
    return _person(raw)


@router.api_route("/activities", methods=["GET", "HEAD"])
async def activities(who: Client, request: Request) -> dict[str, Any]:
    """The Activity object by id, with the canonical definition its district's
    statements gave (the id alone for an activity no statement defined)."""
    activity = _activity(request)
    pool = request.app.state.runtime.pool
    found = await statement_reads.activity_definitions(pool, who.district, [activity])
    return xapi_activities.activity_object(activity, found.get(activity))
