"""The document resources' rules without I/O: ETags, preconditions, POST's merge."""

from __future__ import annotations

import hashlib

import pytest

from assessment_svc.domain.xapi_documents import (
    JSON,
    Document,
    Refused,
    check_preconditions,
    merged,
)

STORED = Document(JSON, b'{"a":1,"b":1}')


def _status(current: Document | None, **headers: str | None) -> int | None:
    try:
        check_preconditions(
            current,
            if_match=headers.get("if_match"),
            if_none_match=headers.get("if_none_match"),
            overwriting_needs_them=bool(headers.get("needs")),
        )
    except Refused as exc:
        return exc.status
    return None


def test_the_etag_is_the_sha1_of_the_content() -> None:
    assert STORED.etag == hashlib.sha1(STORED.content).hexdigest()


@pytest.mark.parametrize(
    ("current", "headers", "status"),
    [
        (STORED, {"if_match": f'"{STORED.etag}"'}, None),
        (STORED, {"if_match": f'W/"{STORED.etag}", "other"'}, None),
        (STORED, {"if_match": "*"}, None),
        (STORED, {"if_match": '"stale"'}, 412),
        (None, {"if_match": "*"}, 412),
        (None, {"if_none_match": "*"}, None),
        (STORED, {"if_none_match": "*"}, 412),
        (STORED, {"needs": "yes"}, 409),
        (None, {"needs": "yes"}, None),
        (STORED, {}, None),
    ],
)
def test_preconditions(
    current: Document | None, headers: dict[str, str], status: int | None
) -> None:
    assert _status(current, **headers) == status


def test_post_merges_top_level_properties_and_stores_a_first_document_as_is() -> None:
    assert merged(STORED, Document(JSON, b'{"b":2,"c":3}')).content == b'{"a":1,"b":2,"c":3}'
    assert merged(None, Document(JSON, b'{"x": [1]}')).content == b'{"x":[1]}'


@pytest.mark.parametrize(
    ("current", "posted"),
    [
        (STORED, Document("text/plain", b"{}")),
        (Document("text/plain", b"raw"), Document(JSON, b"{}")),
        (STORED, Document(JSON, b"[1, 2]")),
        (STORED, Document(JSON, b"{not json")),
    ],
)
def test_post_refuses_anything_but_two_json_objects(current: Document, posted: Document) -> None:
    with pytest.raises(Refused) as refused:
        merged(current, posted)
    assert (refused.value.status, refused.value.field) == (400, "body")
