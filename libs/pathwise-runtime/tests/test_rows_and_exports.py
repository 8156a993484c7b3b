"""The shared row codec and records export, without I/O."""

from __future__ import annotations

import csv
import io
import json

import pytest
from pydantic import BaseModel

from pathwise_runtime.exports import attachment, csv_cell
from pathwise_runtime.rows import from_row

pytestmark = pytest.mark.unit


class Entry(BaseModel):
    entry_id: str
    status: str
    reason: str | None = None


def test_from_row_takes_columns_by_field_name_and_values_win() -> None:
    row = {"entry_id": "e1", "status": "sent", "error": "bounced", "extra": 1}
    assert from_row(Entry, row, reason=row["error"]) == Entry(
        entry_id="e1", status="sent", reason="bounced"
    )
    assert from_row(Entry, row, status="failed").status == "failed"


def test_csv_export_neutralises_formulas_and_names_the_file() -> None:
    rows = [{"a": "=SUM(A1)", "b": True}, {"a": None, "b": 3}]
    response = attachment(rows, ["a", "b"], "csv", "log/of x", key="entries")
    assert response.headers["content-disposition"] == 'attachment; filename="log_of_x.csv"'
    parsed = list(csv.reader(io.StringIO(bytes(response.body).decode())))
    assert parsed == [["a", "b"], ["'=SUM(A1)", "true"], ["", "3"]]
    assert csv_cell("-1") == "'-1"


def test_json_export_lists_columns_and_records() -> None:
    response = attachment([{"a": 1}], ["a"], "json", "x", key="entries")
    assert response.media_type == "application/json"
    assert json.loads(bytes(response.body)) == {"columns": ["a"], "entries": [{"a": 1}]}
