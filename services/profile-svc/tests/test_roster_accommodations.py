"""Accommodations from a roster: catalogue codes only, rejected whole otherwise, details kept."""

from __future__ import annotations

from datetime import date

import pytest

from pathwise_contracts import AccommodationsChanged, EncryptedValue
from pathwise_contracts.accommodations import KNOWN
from pathwise_devstack import sample_district
from profile_svc.domain.oneroster import Package, parse, read_zip
from profile_svc.domain.plan_codes import accommodation_codes
from profile_svc.domain.roster import accommodation_events, plan
from profile_svc.domain.stream import StreamState, evolve

pytestmark = pytest.mark.unit
TODAY = date(2026, 1, 1)
COLUMN = "metadata.pathwise.accommodations"
SEALED = EncryptedValue(kid="dek:" + "0" * 32, alg="A256GCM", nonce="A" * 16, ct="A" * 24)


def _with_codes(codes: dict[str, str]) -> Package:
    files = sample_district.generate(10, seed=2)
    header, *rows = files["users.csv"].splitlines()
    out = [f"{header},{COLUMN}"]
    for line in rows:
        out.append(f"{line},{codes.get(line.split(',', 1)[0], '')}")
    files["users.csv"] = "\n".join(out) + "\n"
    return parse(read_zip(sample_district.to_zip(files)))


def test_a_row_with_an_unknown_code_is_rejected_whole_naming_it_and_the_known_codes() -> None:
    package = _with_codes({"stu-00002": "read_aloud extra_recess", "stu-00003": "extended_time:2"})
    [rejected] = [r for r in package.rejected if r.field == COLUMN]
    assert (rejected.file, rejected.field) == ("users.csv", COLUMN)
    assert "'extra_recess'" in rejected.reason and all(c in rejected.reason for c in KNOWN)
    work = plan(package, today=TODAY)
    refused = work.students.get("stu-00002")
    assert refused is None or refused.user is None  # nothing of the row is applied
    assert work.students["stu-00003"].accommodations == ["extended_time:2"]
    assert work.students["stu-00004"].accommodations is None  # empty cell: as it is


def test_cells_split_on_spaces_or_semicolons_and_none_clears() -> None:
    assert accommodation_codes("read_aloud; home_language:es  read_aloud") == [
        "read_aloud",
        "home_language:es",
    ]
    assert accommodation_codes("None") == [] and accommodation_codes("  ") is None


def test_the_codes_change_and_the_sealed_details_stay() -> None:
    patch = plan(_with_codes({"stu-00001": "read_aloud"}), today=TODAY).students["stu-00001"]
    state = evolve(
        StreamState(),
        [
            AccommodationsChanged(
                student_id="stu-00001", version=2, requirements=["extended_time"], details=SEALED
            )
        ],
    )
    [event] = accommodation_events(patch, state, version=3)
    assert isinstance(event, AccommodationsChanged)
    assert (event.requirements, event.details) == (["read_aloud"], SEALED)
    assert accommodation_events(patch, evolve(state, [event]), version=4) == []
    unknown = state.model_copy(update={"requirements": None})  # stored before streams kept them
    assert accommodation_events(patch, unknown, version=3) == []
