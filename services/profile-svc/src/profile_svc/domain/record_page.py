"""The student's record as one page a family can read, keep and print.

One self-contained HTML file (styles inline, no scripts, nothing fetched), in
the family's language where Pathwise has it (``lang`` and, for Arabic,
``dir="rtl"``), laid out for paper as well as screens. It shows the same
document the JSON export gives, part by part; every value is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from profile_svc.domain.record_labels import LABELS, RTL

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:2px solid #333;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #999;padding:.3rem .45rem;text-align:start;vertical-align:top}
th{background:#eee}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600}.meta{color:#333}code{font-size:.85em;word-break:break-all}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}
tr{break-inside:avoid}}
"""


def _e(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value)) or "—"
    return escape(str(value))


def _table(t: Mapping[str, str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    if not body:
        return f"<p>{escape(t['none'])}</p>"
    head = "".join(f'<th scope="col">{escape(t[c])}</th>' for c in columns)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(t: Mapping[str, str], key: str, content: str) -> str:
    heading = f'<h2 id="h-{key}">{escape(t[key])}</h2>'
    return f'<section aria-labelledby="h-{key}">{heading}{content}</section>'


def _profile(t: Mapping[str, str], p: Mapping[str, Any]) -> str:
    plans = [plan.get("kind", "") for plan in p.get("accommodation_plans", [])]
    items = [
        ("strengths", p.get("strengths")),
        ("needs", p.get("needs")),
        ("interests", p.get("interests")),
        ("accommodations", [*p.get("accommodation_requirements", []), *plans]),
        ("goals", [g.get("title") or g.get("goal_id") for g in p.get("goals", [])]),
    ]
    listed = "".join(f"<dt>{escape(t[k])}</dt><dd>{_e(v)}</dd>" for k, v in items)
    reflections = _table(
        t,
        ("when", "reflections"),
        ([r.get("recorded_at"), r.get("text")] for r in p.get("reflections", [])),
    )
    guardians = _table(
        t,
        ("who", "relationship", "language"),
        (
            [g.get("guardian_id"), g.get("relationship"), g.get("language")]
            for g in p.get("guardians", [])
        ),
    )
    return (
        f"<dl>{listed}</dl><h3>{escape(t['reflections'])}</h3>{reflections}"
        f"<h3>{escape(t['guardians'])}</h3>{guardians}"
    )


def render(doc: Mapping[str, Any], lang: str) -> str:
    """The page for the export ``doc`` (the JSON document), in ``lang`` (a key of LABELS)."""
    t = LABELS[lang]
    p = doc["profile"]
    learning, assessments = doc["learning"], doc["assessments"]
    by = doc["exported_by"]
    head = (
        f"<h1>{escape(t['title'])}: {_e(p.get('display_name') or doc['student_id'])}</h1>"
        f"<p>{escape(t['intro'])}</p><dl class=meta>"
        f"<dt>{escape(t['student'])}</dt><dd>{_e(doc['student_id'])}</dd>"
        f"<dt>{escape(t['school'])}</dt><dd>{_e(p.get('school_id'))}</dd>"
        f"<dt>{escape(t['grade'])}</dt><dd>{_e(p.get('grade'))}</dd>"
        f"<dt>{escape(t['exported'])}</dt><dd>{_e(doc['exported_at'])} {escape(t['by'])} "
        f"{_e(by['kind'])} {_e(by['id'])}</dd></dl>"
    )
    consent = _table(
        t,
        ("when", "who", "channel", "status"),
        (
            [c["given_at"], c["guardian_id"], c["channel"], t["yes"] if c["granted"] else t["no"]]
            for c in doc["consent_history"]
        ),
    )
    results = _table(
        t,
        ("when", "competency", "score", "source", "status"),
        (
            [
                r.get("occurred_at"),
                r.get("competency_id"),
                f"{r.get('score')} / {r.get('max_score')}",
                r.get("source"),
                t["voided"] if r.get("voided") else "",
            ]
            for r in assessments["results"]
        ),
    )
    statements = _table(
        t,
        ("when", "about", "status"),
        (
            [
                s.get("timestamp"),
                (s.get("object") or {}).get("id"),
                ((s.get("verb") or {}).get("display") or {}).get("en-US")
                or (s.get("verb") or {}).get("id"),
            ]
            for s in assessments["statements"]
        ),
    )
    mastery = _table(
        t,
        ("competency", "estimate", "attempts", "mastered"),
        (
            [
                m.get("competency_id"),
                f"{m.get('p_mastery', 0):.2f}",
                m.get("attempts"),
                m.get("mastered_at") or m.get("mastered"),
            ]
            for m in learning["mastery"]
        ),
    )
    steps = (learning.get("path") or {}).get("steps", [])
    path = _table(
        t,
        ("competency", "how", "why"),
        ([s.get("competency_id"), s.get("modality"), s.get("reason")] for s in steps),
    )
    history = _table(
        t,
        ("version", "when", "added", "removed", "why"),
        (
            [
                h.get("version"),
                h.get("replanned_at"),
                h.get("added"),
                h.get("removed"),
                h.get("reason"),
            ]
            for h in learning["history"]
        ),
    )
    messages = _table(
        t,
        ("when", "channel", "about", "status"),
        (
            [m["at"], m["channel"], m.get("summary") or m.get("template"), m["status"]]
            for m in doc["messages"]
        ),
    )
    access = _table(
        t,
        ("when", "who", "service", "part", "purpose"),
        (
            [
                a["at"],
                f"{a['role']} {a['actor']}",
                a.get("service"),
                a.get("section"),
                a.get("purpose"),
            ]
            for a in doc["access_log"]
        ),
    )
    body = head + "".join(
        _section(t, key, content)
        for key, content in (
            ("profile", _profile(t, p)),
            ("consent", consent),
            ("results", results),
            ("statements", statements),
            ("mastery", mastery),
            ("path", path),
            ("history", history),
            ("messages", messages),
            ("access", access),
        )
    )
    direction = "rtl" if lang in RTL else "ltr"
    title = f"{t['title']} {doc['student_id']}"
    return (
        f'<!DOCTYPE html><html lang="{escape(lang)}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
