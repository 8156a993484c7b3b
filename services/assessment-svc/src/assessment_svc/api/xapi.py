"""xAPI 1.0.3 Statement Resource at ``/xapi``: store, void and query statements.

Every request must declare ``X-Experience-API-Version: 1.0.x`` and every
response carries ``X-Experience-API-Version: 1.0.3`` (the middleware in
``install``). Statements are answered from the ``statements`` projection, and
``X-Experience-API-Consistent-Through`` says up to when that is complete.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from assessment_svc.adapters import keyring as keys
from assessment_svc.api import xapi_alternate, xapi_documents
from assessment_svc.api import xapi_requests as requests
from assessment_svc.api.lrs_auth import Client, LrsSettings
from assessment_svc.api.xapi_version import Versioned
from assessment_svc.commands import admission, statement_store
from assessment_svc.domain import xapi, xapi_activities
from assessment_svc.domain.xapi_attachments import Part
from assessment_svc.queries import statement_students
from assessment_svc.queries import statements as reads
from assessment_svc.settings import AssessmentSettings
from pathwise_contracts.identity import Identities
from pathwise_runtime.problems import Problem
from pathwise_runtime.service import Runtime

router = APIRouter(prefix="/xapi", tags=["xAPI"])
MAX_LIMIT = 500


def install(app: FastAPI) -> None:
    app.add_middleware(Versioned)
    # Outermost, so what it rewrites meets the version check, the limits and auth.
    limit = AssessmentSettings().http_max_document_bytes
    app.add_middleware(xapi_alternate.AlternateSyntax, max_bytes=limit)
    app.state.lrs_clients = LrsSettings().clients()
    app.include_router(router)
    app.include_router(xapi_documents.router)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _refused(exc: xapi.StatementError) -> Problem:
    return Problem(400, str(exc), slug="invalid-statement", errors=exc.errors)


async def _store(
    request: Request,
    who: Any,
    statements: list[xapi.Statement],
    ids: list[str],
    parts: dict[str, Part],
) -> list[str]:
    runtime = _runtime(request)
    lrs = statement_store.Lrs(
        keyring=keys.keyring(runtime),
        keystore=keys.keystore(runtime),
        source=runtime.source,
        district=who.district,
        authority={
            "objectType": "Agent",
            "account": {"homePage": "urn:pathwise:lrs", "name": who.subject},
        },
    )
    try:
        return await statement_store.store_statements(
            runtime.pool, statements, lrs, ids=ids, parts=parts
        )
    except admission.Conflict as exc:
        raise Problem(409, str(exc), slug="statement-conflict") from exc
    except statement_store.InvalidVoid as exc:
        raise Problem(400, str(exc), slug="invalid-statement", field="object.id") from exc


@router.api_route("/about", methods=["GET", "HEAD"])
async def about() -> dict[str, Any]:
    return {"version": [xapi.VERSION]}


@router.put("/statements", status_code=204)
async def put_statement(who: Client, request: Request, statementId: str | None = None) -> Response:
    """Store one statement under the given id; the same content again is accepted."""
    if statementId is None:
        raise Problem(400, "PUT needs the statementId parameter", field="statementId")
    try:
        statement_id = xapi._uuid(statementId)
    except ValueError as exc:
        raise Problem(400, "statementId must be a UUID", field="statementId") from exc
    body, parts = await requests.read(request)
    if isinstance(body, list):
        raise Problem(400, "PUT takes one statement, not a list", field="body")
    try:
        [statement] = xapi.parse(body)
        requests.check([statement], body, parts)
    except xapi.StatementError as exc:
        raise _refused(exc) from exc
    if statement.id is not None and statement.id != statement_id:
        raise Problem(400, "the statement's id differs from statementId", field="id")
    await _store(request, who, [statement], [statement_id], parts)
    return Response(status_code=204)


@router.post("/statements")
async def post_statements(who: Client, request: Request) -> list[str]:
    """Store one statement or a list; answers their ids in order."""
    body, parts = await requests.read(request)
    try:
        statements = xapi.parse(body)
        requests.check(statements, body, parts)
    except xapi.StatementError as exc:
        raise _refused(exc) from exc
    ids = [s.id or str(uuid.uuid4()) for s in statements]
    return await _store(request, who, statements, ids, parts)


def _cursor(stored: datetime, statement_id: uuid.UUID) -> str:
    raw = f"{stored.isoformat()}|{statement_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(text: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        stored, _, sid = raw.partition("|")
        return datetime.fromisoformat(stored), uuid.UUID(sid)
    except ValueError as exc:
        raise Problem(400, "cursor is not one this LRS gave out", field="cursor") from exc


def _agent_digest(value: str, ids: Identities) -> str:
    _, actor = xapi_documents.agent_of(value)
    digest = actor.identity(ids)
    assert digest is not None  # agent_of refuses an unidentified agent
    return digest


@router.api_route("/statements", methods=["GET", "HEAD"])
async def get_statements(
    who: Client,
    request: Request,
    statementId: str | None = None,
    voidedStatementId: str | None = None,
    agent: str | None = None,
    verb: str | None = None,
    activity: str | None = None,
    registration: str | None = None,
    related_activities: bool = False,
    related_agents: bool = False,
    since: str | None = None,
    until: str | None = None,
    limit: Annotated[int, Query(ge=0)] = 0,
    format: Literal["ids", "exact", "canonical"] = "exact",
    attachments: bool = False,
    ascending: bool = False,
    cursor: str | None = None,
) -> Response:
    """A statement by id, or a page of statements with ``more`` for the next page."""
    pool = _runtime(request).pool
    keyring = keys.keyring(_runtime(request))
    consistent = await reads.consistent_through(pool, who.district)
    headers = {"X-Experience-API-Consistent-Through": consistent.isoformat()}
    languages = _languages(request.headers.get("accept-language", ""))
    single = statementId or voidedStatementId
    if single is not None:
        if statementId and voidedStatementId:
            raise Problem(
                400, "use statementId or voidedStatementId, not both", field="statementId"
            )
        # xAPI 1.0.3: with either id, only attachments and format may come along.
        others = sorted(
            set(request.query_params)
            - {"statementId", "voidedStatementId"}
            - {"attachments", "format"}
        )
        if others:
            raise Problem(
                400,
                f"statementId takes no other parameter than attachments and format; got "
                f"{', '.join(others)}",
                field=others[0],
            )
        name = "statementId" if statementId else "voidedStatementId"
        try:
            wanted = uuid.UUID(single)
        except ValueError as exc:
            raise Problem(400, f"{name} must be a UUID", field=name) from exc
        sealed = await reads.lookup(
            pool, who.district, wanted, voided=voidedStatementId is not None
        )
        if sealed is None:
            raise Problem(404, f"no statement {single}", field=name)
        opened = await reads.documents(_runtime(request), who.district, [sealed])
        if not opened:  # its agent was erased a moment ago
            raise Problem(404, f"no statement {single}", field=name)
        [body] = await _rendered(pool, who.district, opened, format, languages)
        await statement_students.log_shown(request, pool, who, [wanted])
        headers |= _last_modified(body)
        if attachments:
            found = await reads.attachments(_runtime(request), who.district, requests.sha2s(opened))
            return requests.multipart(body, found, headers)
        return JSONResponse(body, headers=headers)
    clauses = ["district_id = $1", "NOT voided"]
    args: list[Any] = [who.district]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if agent is not None:
        digest = _agent_digest(agent, keyring.identities(who.district))
        column = (
            f"{arg(digest)} = ANY(related_agents)" if related_agents else f"agent = {arg(digest)}"
        )
        clauses.append(column)
    if verb is not None:
        clauses.append(f"verb = {arg(verb)}")
    if activity is not None:
        clauses.append(
            f"{arg(activity)} = ANY(related_activities)"
            if related_activities
            else f"activity = {arg(activity)}"
        )
    if registration is not None:
        try:
            clauses.append(f"registration = {arg(uuid.UUID(registration))}")
        except ValueError as exc:
            raise Problem(400, "registration must be a UUID", field="registration") from exc
    if (after := xapi_documents.timestamp_of("since", since)) is not None:
        clauses.append(f"stored > {arg(after)}")
    if (before := xapi_documents.timestamp_of("until", until)) is not None:
        clauses.append(f"stored <= {arg(before)}")
    clauses.append(f"stored <= {arg(consistent)}")
    if cursor is not None:
        at, sid = _uncursor(cursor)
        op = ">" if ascending else "<"
        clauses.append(f"(stored, statement_id) {op} ({arg(at)}, {arg(sid)})")
    page = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
    order = "ASC" if ascending else "DESC"
    rows = await pool.fetch(
        f"""SELECT statement_id, stored, statement FROM statements
             WHERE {" AND ".join(clauses)}
             ORDER BY stored {order}, statement_id {order} LIMIT {arg(page + 1)}""",
        *args,
    )
    more = ""
    if len(rows) > page:
        rows = rows[:page]
        last = rows[-1]
        params = {k: v for k, v in request.query_params.items() if k != "cursor"}
        params["cursor"] = _cursor(last["stored"], last["statement_id"])
        more = "/xapi/statements?" + "&".join(f"{k}={_quote(v)}" for k, v in sorted(params.items()))
    documents = await reads.documents(
        _runtime(request), who.district, [r["statement"] for r in rows]
    )
    statements = await _rendered(pool, who.district, documents, format, languages)
    await statement_students.log_shown(request, pool, who, [r["statement_id"] for r in rows])
    if attachments:
        found = await reads.attachments(_runtime(request), who.district, requests.sha2s(documents))
        return requests.multipart({"statements": statements, "more": more}, found, headers)
    return JSONResponse({"statements": statements, "more": more}, headers=headers)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _last_modified(body: dict[str, Any]) -> dict[str, str]:
    stored = body.get("stored")
    if not isinstance(stored, str):
        return {}
    when = xapi.to_datetime(stored).astimezone(UTC)
    return {"Last-Modified": when.strftime("%a, %d %b %Y %H:%M:%S GMT")}


def _languages(header: str) -> list[str]:
    return [part.split(";")[0].strip() for part in header.split(",") if part.strip()]


async def _rendered(
    pool: asyncpg.Pool,
    district: str,
    documents: list[dict[str, Any]],
    format: str,
    languages: list[str],
) -> list[dict[str, Any]]:
    if format == "ids":
        return [_ids_only(d) for d in documents]
    if format == "canonical":
        ids = set().union(*(xapi_activities.named(d) for d in documents)) if documents else set()
        known = await reads.activity_definitions(pool, district, ids)
        return [_canonical(xapi_activities.canonical(d, known), languages) for d in documents]
    return documents


_AGENT_KEYS = ("objectType", "mbox", "mbox_sha1sum", "openid", "account", "member")


def _ids_only(value: Any, key: str = "") -> Any:
    """``format=ids``: agents by their identifier, activities and verbs by id."""
    if isinstance(value, list):
        return [_ids_only(v, key) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("objectType")
    if key in ("actor", "instructor", "team", "authority", "member") or kind in ("Agent", "Group"):
        return {k: _ids_only(v, "member") for k, v in value.items() if k in _AGENT_KEYS}
    if key == "verb" or (
        key in ("object", "parent", "grouping", "category", "other") and kind in (None, "Activity")
    ):
        return {k: v for k, v in value.items() if k in ("id", "objectType")}
    return {k: _ids_only(v, k) for k, v in value.items()}


_LANGUAGE_MAPS = {"display", "name", "description"}


def _canonical(value: Any, languages: list[str], key: str = "") -> Any:
    """``format=canonical``: each language map reduced to the caller's language."""
    if isinstance(value, list):
        return [_canonical(v, languages, key) for v in value]
    if not isinstance(value, dict):
        return value
    if key in _LANGUAGE_MAPS and value and all(isinstance(v, str) for v in value.values()):
        for wanted in languages:
            for tag, text in value.items():
                if tag.lower() == wanted.lower() or tag.lower().startswith(wanted.lower() + "-"):
                    return {tag: text}
        first = next(iter(value))
        return {first: value[first]}
    return {k: _canonical(v, languages, k) for k, v in value.items()}
