"""The administrator's list of bundled frameworks: every file, the default marked."""

from __future__ import annotations

import pytest

from path_svc.api.bundled_frameworks import bundled
from path_svc.domain import catalogue

pytestmark = pytest.mark.unit


def test_every_bundled_framework_is_listed_once_with_its_languages() -> None:
    names = catalogue.names()
    assert set(names) == {"grade3-math", "ccssm-3-5", "ccssm-k8", "ela-k8"}
    assert not any("." in n and n.split(".")[-1] in ("es", "ar", "params") for n in names)
    listed = {f.name: f for f in bundled()}
    assert [n for n, f in listed.items() if f.default] == ["grade3-math"]
    assert set(listed["ela-k8"].languages) == {"en", "es", "vi", "zh-Hans", "ar"}
    assert all(f.competencies > 0 for f in listed.values())
