"""Every visible text goes through the catalogue, and the catalogue has every key used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pathwise_contracts import Modality
from portal import accommodations_source, i18n, profile_edit, signin, teacher
from portal.levels import LEVELS

pytestmark = pytest.mark.unit

SOURCE = Path(teacher.__file__).parent
TEMPLATES = sorted((SOURCE / "templates").glob("*.html"))
_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_TEXT_ATTRS = re.compile(r'\b(?:aria-label|title|alt|placeholder|label)="([^"]*)"')
_WORD = re.compile(r"[^\W\d_]")
IDENTIFIERS = frozenset({"America/Chicago"})
"""Not language: an example time-zone id (IANA), the same in every language."""
_STATIC_KEY = re.compile(r"""\bt\(\s*["']([\w.-]+)["']\s*[,)]""")


def literals(template: str) -> list[str]:
    """Text a reader would see that is written in the template instead of looked up."""
    found = [v for v in _TEXT_ATTRS.findall(template) if _WORD.search(_JINJA.sub("", v))]
    text = _TAG.sub(" ", _JINJA.sub(" ", re.sub(r"<script.*?</script>", "", template, flags=re.S)))
    found += [w for w in text.split() if _WORD.search(w)]
    return [w for w in found if w not in IDENTIFIERS]


def test_the_literal_finder_catches_text_and_labels_but_not_lookups() -> None:
    assert literals('<p>{{ t("x") }}</p><p>Hello</p>') == ["Hello"]
    assert literals('<nav aria-label="Main">{{ t("a") }} · — {{ n }}%</nav>') == ["Main"]
    assert literals('<a title="{{ t(\'x\') }}" href="/teacher">{% if a %}—{% endif %}</a>') == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_template_has_an_untranslated_literal(path: Path) -> None:
    assert literals(path.read_text("utf-8")) == []


def test_every_key_used_is_in_the_catalogue() -> None:
    english = i18n.catalog("en")
    sources = [*TEMPLATES, *SOURCE.glob("*.py")]
    used = {k for p in sources for k in _STATIC_KEY.findall(p.read_text("utf-8"))}
    assert sorted(used - set(english)) == []
    families = {
        "modality_name": [m.value for m in Modality],
        "student_modality": [m.value for m in Modality],
        "action": list(teacher.ACTIONS),
        "action_long": list(teacher.ACTIONS),
        "level": list(LEVELS),
        "confidence": ["1", "2", "3", "4"],
        "goal_status": list(profile_edit.GOAL_STATUSES),
        "agreed": sorted(set(profile_edit.AGREED_BY.values())),
        "accommodation": list(accommodations_source.KNOWN),
        "role": list(signin.SIGN_IN_ROLES),
        "teacher.notice_": ["override", "lifted", "profile"],
        "student.notice_": ["choice", "reflection", "profile"],
    }
    for prefix, values in families.items():
        sep = "" if prefix.endswith("_") else "."
        missing = [v for v in values if f"{prefix}{sep}{v}" not in english]
        assert missing == [], prefix


def test_every_language_has_the_teacher_student_and_admin_texts_translated() -> None:
    english = i18n.catalog("en")
    new = [k for k in english if k.split(".")[0] in ("teacher", "student", "admin", "edit")]
    for language in i18n.LANGUAGES:
        if language == "en":
            continue
        same = [k for k in new if i18n.catalog(language)[k] == english[k]]
        assert same == [], language
