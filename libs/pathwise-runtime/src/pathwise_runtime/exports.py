"""Records exports as a download, in CSV or JSON: one way for every service.

A records request (FERPA inspection, a district's audit) gets the same file
shape from whichever service holds the rows; CSV cells are neutralised so a
spreadsheet never runs one as a formula (OWASP CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from starlette.responses import Response

Format = Literal["csv", "json"]


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def safe_filename(name: str) -> str:
    """``name`` with anything but letters, digits, '-', '_' and '.' replaced."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def attachment(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    format: Format | str,
    name: str,
    *,
    key: str,
) -> Response:
    """``records`` as a downloadable ``name.csv`` or ``name.json`` (``{"columns", key}``)."""
    if format == "json":
        body = json.dumps({"columns": list(columns), key: list(records)}, indent=1)
        media, suffix = "application/json", "json"
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([csv_cell(r[c]) for c in columns] for r in records)
        body, media, suffix = out.getvalue(), "text/csv; charset=utf-8", "csv"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{safe_filename(name)}.{suffix}"'},
    )
