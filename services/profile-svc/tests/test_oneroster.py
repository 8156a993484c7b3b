"""OneRoster parsing and planning, pure: rejections name file/row/field, deltas, idempotence."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pathwise_contracts import EnrollmentChanged, GuardianLinked, StudentWithdrawn
from pathwise_contracts.identity import Identities
from pathwise_devstack import sample_district
from pathwise_runtime.pii import Keyring
from profile_svc.adapters.keystore import DataKeys
from profile_svc.adapters.personal import Vault
from profile_svc.domain.enrollment import Seal
from profile_svc.domain.oneroster import Package, PackageError, parse, read_zip
from profile_svc.domain.roster import Patch, changes, new_enrollment, plan
from profile_svc.domain.stream import StreamState, evolve

pytestmark = pytest.mark.unit

TODAY = date(2026, 1, 1)


def _package(files: dict[str, str]) -> Package:
    return parse(read_zip(sample_district.to_zip(files)))


def test_the_sample_district_is_deterministic_and_clean() -> None:
    files = sample_district.generate(120, seed=3)
    assert files == sample_district.generate(120, seed=3)
    assert files != sample_district.generate(120, seed=4)
    package = _package(files)
    assert package.rejected == []
    work = plan(package, today=TODAY)
    assert len(work.students) == 120
    assert sum(len(t) for t in work.teachers.values()) == len(package.sections)
    guardians = [len(p.guardians) for p in work.students.values()]
    assert min(guardians) >= 1 and max(guardians) <= 2


def test_bad_rows_are_rejected_by_file_row_and_field() -> None:
    files = sample_district.generate(20, seed=1)
    lines = files["users.csv"].splitlines()
    student = next(n for n, line in enumerate(lines) if line.startswith("stu-00003,"))
    lines[student] = lines[student].replace("stu-00003,", "stu 3,", 1)
    guardian = next(n for n, line in enumerate(lines) if line.startswith("gdn-00001,"))
    cells = lines[guardian].split(",")
    cells[10] = "not-an-email"
    lines[guardian] = ",".join(cells)
    files["users.csv"] = "\n".join(lines) + "\n"
    files["enrollments.csv"] += "enr-x,,,cls-9-9z,sch-1,stu-00004,student,false,,\n"
    rejected = {(r.file, r.row, r.field) for r in _package(files).rejected}
    assert ("users.csv", student + 1, "sourcedId") in rejected
    assert ("users.csv", guardian + 1, "email") in rejected
    row = files["enrollments.csv"].count("\n")
    assert ("enrollments.csv", row, "classSourcedId") in rejected


def test_a_package_without_manifest_or_a_listed_file_is_refused() -> None:
    files = sample_district.generate(5)
    with pytest.raises(PackageError, match=r"manifest\.csv"):
        _package({k: v for k, v in files.items() if k != "manifest.csv"})
    with pytest.raises(PackageError, match=r"roles\.csv"):
        _package({k: v for k, v in files.items() if k != "roles.csv"})


def _vault(patch: Patch) -> Vault:
    """Stored keys for the student and their guardians, in memory."""
    subjects = [patch.student_id, *(g.guardian_id for g in patch.guardians.values())]
    keys = {
        (kind, s): (f"dek:{kind}:{s}", bytes([n]) * 32)
        for n, (kind, s) in enumerate(
            (kind, s) for s in subjects for kind in ("student", "guardian")
        )
    }
    return Vault(DataKeys(keys), Keyring(b"m" * 32, legacy=True), "d1")


def _seals(vault: Vault) -> tuple[Seal, Seal, Identities]:
    return vault.seal_student, vault.seal_guardian, vault.identities


def test_the_same_roster_again_changes_nothing_and_a_delta_withdraws() -> None:
    package = _package(sample_district.generate(10))
    patch = plan(package, today=TODAY).students["stu-00001"]
    vault = _vault(patch)
    body = new_enrollment(patch, package.org_types)
    state = evolve(
        StreamState(),
        [e for _, e in body.events("d1", *_seals(vault))],
    )
    kwargs = {
        "orgs": package.org_types,
        "seal": vault.seal_student,
        "seal_contact": vault.seal_guardian,
        "ids": vault.identities,
    }
    assert changes(patch, state, version=2, open_=vault.open, **kwargs) == []  # type: ignore[arg-type]

    moved = sample_district.generate(10)
    moved["users.csv"] = moved["users.csv"].replace(",03,", ",04,", 1)
    patch = plan(_package(moved), today=TODAY).students["stu-00001"]
    [changed] = changes(patch, state, version=2, open_=vault.open, **kwargs)  # type: ignore[arg-type]
    assert isinstance(changed, EnrollmentChanged) and changed.grade == "4"
    assert changed.display_name == state.display_name  # same name: same ciphertext
    assert changed.sealed_external_ids == state.sealed_external_ids  # same ids, too
    assert changed.external_ids == {} and changed.identities == vault.identities.of_student(
        "stu-00001", json.loads(vault.open(state.sealed_external_ids) or "{}")
    )

    delta = _package(sample_district.withdrawal(["stu-00001"]))
    patch = plan(delta, today=TODAY).students["stu-00001"]
    [withdrawn] = changes(patch, state, version=2, open_=vault.open, **kwargs)  # type: ignore[arg-type]
    assert isinstance(withdrawn, StudentWithdrawn)
    assert str(withdrawn.withdrawn_on) == "2026-01-15"


def test_a_new_guardian_is_linked_and_a_changed_email_keeps_consent() -> None:
    files = sample_district.generate(10)
    package = _package(files)
    patch = plan(package, today=TODAY).students["stu-00001"]
    vault = _vault(patch)
    body = new_enrollment(patch, package.org_types).model_copy(update={"guardians": []})
    state = evolve(
        StreamState(),
        [e for _, e in body.events("d1", *_seals(vault))],
    )
    events = changes(
        patch,
        state,
        version=2,
        orgs=package.org_types,
        seal=vault.seal_student,
        seal_contact=vault.seal_guardian,
        open_=vault.open,
        ids=vault.identities,
    )
    assert {type(e) for e in events} == {GuardianLinked}
    assert all(e.version == 2 for e in events if isinstance(e, GuardianLinked))
