"""A realistic sample district as a OneRoster 1.2 CSV package, generated on demand.

Three elementary schools with grades 3-5 in homeroom sections of about 24,
one teacher each; every student has one or two guardians (siblings share
theirs), emails at example domains and fictional 555-01xx phone numbers, a
few home languages, and consent that is sometimes missing. The same seed
gives the same files byte for byte, so a test or a demo can regenerate what
it needs instead of the repository carrying it.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

SCHOOLS = (
    ("sch-1", "Maple Grove Elementary"),
    ("sch-2", "Riverside Elementary"),
    ("sch-3", "Cedar Hill Elementary"),
)
GRADES = ("3", "4", "5")
SECTION_SIZE = 24
TERM = "term-2025"

GIVEN = (
    "Ava", "Liam", "Sofia", "Noah", "Amara", "Mateo", "Mei", "Elijah", "Zara", "Lucas",
    "Aisha", "Diego", "Hana", "Omar", "Isla", "Kenji", "Leila", "Ethan", "Priya", "Malik",
    "Chloe", "Santiago", "Nia", "Arjun", "Emma", "Yusuf", "Lina", "Gabriel", "Maya", "Tariq",
    "Anh", "Farah", "Jonah", "Valentina", "Kofi", "Ines", "Ravi", "Elena", "Samir", "Grace",
)  # fmt: skip
FAMILY = (
    "Nguyen", "Garcia", "Smith", "Okafor", "Chen", "Hernandez", "Johnson", "Patel", "Kim",
    "Rodriguez", "Williams", "Haddad", "Tran", "Lopez", "Brown", "Mensah", "Singh", "Martinez",
    "Davis", "Yilmaz", "Wang", "Silva", "Ali", "Novak", "Jones", "Abdi", "Park", "Reyes",
    "Miller", "Osei",
)  # fmt: skip
LANGUAGES = (("en", 70), ("es", 18), ("vi", 4), ("zh", 4), ("ar", 2), ("so", 2))
DOMAINS = ("example.org", "example.com", "example.net")
AREAS = (
    "212", "312", "415", "512", "617", "702", "808", "206", "303", "404",
    "503", "602", "713", "305", "214", "818", "919", "614", "720", "971",
)  # fmt: skip

COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("name", "type", "identifier", "parentSourcedId"),
    "academicSessions": ("title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"),
    "courses": (
        "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects",
        "subjectCodes",
    ),
    "classes": (
        "title", "grades", "courseSourcedId", "classCode", "classType", "location",
        "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods",
    ),
    "users": (
        "enabledUser", "username", "userIds", "givenName", "familyName", "middleName",
        "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password",
        "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
        "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
        "metadata.pathwise.language", "metadata.pathwise.educationalRights",
        "metadata.pathwise.consent.email", "metadata.pathwise.consent.sms",
    ),
    "roles": (
        "userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId",
        "userProfileSourcedId",
    ),
    "enrollments": (
        "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
        "endDate",
    ),
    "demographics": (
        "birthDate", "sex", "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
        "cityOfBirth", "publicSchoolResidenceStatus",
    ),
    "userProfiles": (
        "userSourcedId", "profileType", "vendorId", "applicationId", "description",
        "credentialType", "username", "password",
    ),
}  # fmt: skip
"""Columns after ``sourcedId,status,dateLastModified``, in the CSV binding's order."""

ALL_FILES = (
    "academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
    "demographics", "enrollments", "lineItemLearningObjectiveIds", "lineItems",
    "lineItemScoreScales", "orgs", "resources", "resultLearningObjectiveIds", "results",
    "resultScoreScales", "roles", "scoreScales", "userProfiles", "userResources", "users",
)  # fmt: skip

Record = dict[str, str]


def _csv(name: str, records: Iterable[Record]) -> str:
    out = io.StringIO()
    header = ("sourcedId", "status", "dateLastModified", *COLUMNS[name])
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record)
    return out.getvalue()


def manifest(modes: Mapping[str, str]) -> str:
    """``manifest.csv`` with ``file.*`` set from ``modes`` (others absent)."""
    rows = [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
    rows += [(f"file.{f}", modes.get(f, "absent")) for f in ALL_FILES]
    rows += [("source.systemName", "Pathwise sample SIS"), ("source.systemCode", "pathwise")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("propertyName", "value"))
    writer.writerows(rows)
    return out.getvalue()


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


class _District:
    def __init__(self, students: int, seed: int, prefix: str) -> None:
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.students = students
        self.users: list[Record] = []
        self.roles: list[Record] = []
        self.enrollments: list[Record] = []
        self.classes: list[Record] = []
        self.demographics: list[Record] = []
        self.profiles: list[Record] = []
        self.phones = 0
        self.guardian_count = 0

    def user(self, sid: str, role: str, org: str, **cells: str) -> Record:
        record = {"sourcedId": sid, "enabledUser": "true", **cells}
        self.users.append(record)
        self.roles.append(
            {
                "sourcedId": f"role-{sid}",
                "userSourcedId": sid,
                "roleType": "primary",
                "role": role,
                "orgSourcedId": org,
            }
        )
        return record

    def phone(self) -> str:
        self.phones += 1
        area = AREAS[self.phones // 100 % len(AREAS)]
        return f"+1{area}55501{self.phones % 100:02d}"

    def guardians(self, family: str, school: str) -> list[Record]:
        rng = self.rng
        language = _weighted(rng, LANGUAGES)
        out = []
        for n in range(1 if rng.random() < 0.3 else 2):
            self.guardian_count += 1
            gid = f"{self.prefix}gdn-{self.guardian_count:05d}"
            given = rng.choice(GIVEN)
            role = _weighted(rng, (("parent", 85), ("guardian", 10), ("relative", 5)))
            has_phone = rng.random() < 0.6
            email_consent = rng.random() < 0.8
            record = self.user(
                gid,
                role,
                school,
                username=f"{given.lower()}.{family.lower()}{n}",
                givenName=given,
                familyName=family,
                email=f"{given.lower()}.{family.lower()}.{gid[-5:]}@{rng.choice(DOMAINS)}",
                sms=self.phone() if has_phone else "",
                **{
                    "metadata.pathwise.language": language,
                    "metadata.pathwise.educationalRights": str(role != "relative").lower(),
                    "metadata.pathwise.consent.email": str(email_consent).lower(),
                    "metadata.pathwise.consent.sms": str(has_phone and rng.random() < 0.5).lower(),
                },
            )
            out.append(record)
        return out

    def build(self) -> None:
        rng = self.rng
        per_cell = [self.students // 9 + (1 if i < self.students % 9 else 0) for i in range(9)]
        cell = 0
        number = 0
        family_of_previous: tuple[str, list[Record]] | None = None
        for school, _ in SCHOOLS:
            for grade in GRADES:
                count = per_cell[cell]
                cell += 1
                sections = max(1, round(count / SECTION_SIZE))
                class_ids = []
                for s in range(sections):
                    cid = f"cls-{school[-1]}-{grade}{chr(97 + s)}"
                    class_ids.append(cid)
                    self.classes.append(
                        {
                            "sourcedId": cid,
                            "title": f"Grade {grade} homeroom {chr(65 + s)}",
                            "grades": f"0{grade}",
                            "courseSourcedId": f"crs-{grade}",
                            "classCode": f"G{grade}-{chr(65 + s)}",
                            "classType": "homeroom",
                            "schoolSourcedId": school,
                            "termSourcedIds": TERM,
                            "subjects": "homeroom",
                        }
                    )
                    tid = f"{self.prefix}tch-{len(self.classes):03d}"
                    self.user(
                        tid,
                        "teacher",
                        school,
                        username=f"teacher{len(self.classes):03d}",
                        givenName=rng.choice(GIVEN),
                        familyName=rng.choice(FAMILY),
                        email=f"{tid}@district.example.org",
                    )
                    self._enroll(cid, school, tid, "teacher")
                for i in range(count):
                    number += 1
                    sid = f"{self.prefix}stu-{number:05d}"
                    sibling = family_of_previous is not None and rng.random() < 0.1
                    if sibling and family_of_previous is not None:
                        family, guardians = family_of_previous
                    else:
                        family = rng.choice(FAMILY)
                        guardians = self.guardians(family, school)
                    family_of_previous = (family, guardians)
                    for g in guardians:
                        g["agentSourcedIds"] = ",".join(
                            filter(None, [g.get("agentSourcedIds"), sid])
                        )
                    self.user(
                        sid,
                        "student",
                        school,
                        username=f"s{number:05d}",
                        givenName=rng.choice(GIVEN),
                        familyName=family,
                        identifier=f"SIS{100000 + number}",
                        agentSourcedIds=",".join(g["sourcedId"] for g in guardians),
                        grades=f"0{grade}",
                        primaryOrgSourcedId=school,
                    )
                    self._enroll(class_ids[i % sections], school, sid, "student")
                    year = 2025 - int(grade) - 5
                    self.demographics.append(
                        {
                            "sourcedId": sid,
                            "birthDate": date(
                                year, rng.randint(1, 12), rng.randint(1, 28)
                            ).isoformat(),
                            "sex": rng.choice(("female", "male")),
                        }
                    )
                    self.profiles.append(
                        {
                            "sourcedId": f"lms-{sid}",
                            "userSourcedId": sid,
                            "profileType": "lms",
                            "vendorId": "canvas",
                            "credentialType": "sso",
                            "username": f"s{number:05d}",
                        }
                    )

    def _enroll(self, cid: str, school: str, user: str, role: str) -> None:
        self.enrollments.append(
            {
                "sourcedId": f"enr-{cid}-{user}",
                "classSourcedId": cid,
                "schoolSourcedId": school,
                "userSourcedId": user,
                "role": role,
                "primary": "true" if role == "teacher" else "false",
                "beginDate": "2025-08-20",
            }
        )


def generate(students: int = 500, seed: int = 1, prefix: str = "") -> dict[str, str]:
    """The package's files by name: a bulk export of the whole district.

    ``prefix`` goes before every person's sourcedId (``stu-00001``, ``gdn-...``,
    ``tch-...``), so a sample can sit beside students enrolled otherwise.
    """
    if students < 1:
        raise ValueError("students must be at least 1")
    d = _District(students, seed, prefix)
    d.build()
    orgs = [{"sourcedId": "dist-1", "name": "Pathwise Sample District", "type": "district"}]
    orgs += [
        {
            "sourcedId": s,
            "name": n,
            "type": "school",
            "identifier": s.upper(),
            "parentSourcedId": "dist-1",
        }
        for s, n in SCHOOLS
    ]
    sessions = [
        {"sourcedId": TERM, "title": "2025-2026", "type": "schoolYear", "startDate": "2025-08-20",
         "endDate": "2026-06-12", "schoolYear": "2026"}
    ]  # fmt: skip
    courses = [
        {"sourcedId": f"crs-{g}", "schoolYearSourcedId": TERM, "title": f"Grade {g}",
         "grades": f"0{g}", "orgSourcedId": "dist-1", "subjects": "homeroom"}
        for g in GRADES
    ]  # fmt: skip
    tables = {
        "orgs": orgs,
        "academicSessions": sessions,
        "courses": courses,
        "classes": d.classes,
        "users": d.users,
        "roles": d.roles,
        "enrollments": d.enrollments,
        "demographics": d.demographics,
        "userProfiles": d.profiles,
    }
    files = {f"{name}.csv": _csv(name, records) for name, records in tables.items()}
    files["manifest.csv"] = manifest({name: "bulk" for name in tables})
    return files


def withdrawal(student_ids: Sequence[str], *, on: str = "2026-01-15T12:00:00Z") -> dict[str, str]:
    """A delta package that deletes students (``status`` tobedeleted): they are withdrawn."""
    gone = {"status": "tobedeleted", "dateLastModified": on}
    users = [{"sourcedId": s, "enabledUser": "false", **gone} for s in student_ids]
    roles = [
        {
            "sourcedId": f"role-{s}",
            "userSourcedId": s,
            "roleType": "primary",
            "role": "student",
            **gone,
        }
        for s in student_ids
    ]
    return {
        "manifest.csv": manifest({"users": "delta", "roles": "delta"}),
        "users.csv": _csv("users", users),
        "roles.csv": _csv("roles", roles),
    }


def to_zip(files: Mapping[str, str | bytes]) -> bytes:
    """The files as a zip archive (fixed timestamps: same files, same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            data = files[name]
            info = zipfile.ZipInfo(name, date_time=(2025, 8, 15, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode() if isinstance(data, str) else data)
    return out.getvalue()


def write(files: Mapping[str, str], out: Path) -> Path:
    """Write to ``out``: a zip archive if it ends in .zip, else a folder of CSV files."""
    if out.suffix == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(to_zip(files))
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return out


def package_bytes(path: Path) -> bytes:
    """A package as zip bytes, from a zip file or a folder holding manifest.csv."""
    if path.is_dir():
        if not (path / "manifest.csv").is_file():
            raise ValueError(f"{path}: no manifest.csv in the folder")
        return to_zip({p.name: p.read_bytes() for p in sorted(path.glob("*.csv"))})
    return path.read_bytes()
