"""Rows to models: the one codec every service uses to answer from its projections.

A query's columns are named like the model's fields; what differs (a renamed
column, a JSON text column, a nested list) is said once, at the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def from_row(model: type[M], row: Mapping[str, Any], /, **values: Any) -> M:
    """``model`` built from the row's columns named like its fields; ``values`` win."""
    columns = set(row.keys())
    taken = {
        name: row[name] for name in model.model_fields if name in columns and name not in values
    }
    return model(**taken, **values)
