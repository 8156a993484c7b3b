"""The administrator's list of bundled frameworks: every file, the default marked."""

from __future__ import annotations

import pytest

from path_svc.api.bundled_frameworks import bundled, bundled_names

pytestmark = pytest.mark.unit


def test_every_bundled_framework_is_listed_once_with_its_languages() -> None:
    names = bundled_names()
    assert {"grade3-math", "ccssm-k8", "ela-k8"} <= set(names)
    assert not any("." in n and n.split(".")[-1] in ("es", "ar", "params") for n in names)
    listed = {f.name: f for f in bundled()}
    assert [n for n, f in listed.items() if f.default] == ["grade3-math"]
    assert set(listed["ela-k8"].languages) == {"en", "es", "vi", "zh-Hans", "ar"}
    assert all(f.competencies > 0 for f in listed.values())
