"""Reading a 1EdTech OneRoster 1.2 bulk CSV package into checked rows.

Follows the CSV binding: ``manifest.csv`` (``propertyName,value``) says per
file whether it is ``bulk`` (the complete set; ``status`` and
``dateLastModified`` may be blank), ``delta`` (only changes; both required,
``status`` is ``active`` or ``tobedeleted``) or ``absent``. Roles come from
``roles.csv`` (1.2) or, for 1.1-style exports, the ``role`` column of
``users.csv``. Lists inside a cell are comma separated. Columns named
``metadata.*`` are the binding's extension point; Pathwise reads
``metadata.pathwise.language``, ``metadata.pathwise.educationalRights`` and
``metadata.pathwise.consent.email`` / ``.sms`` for guardians, and
``metadata.pathwise.accommodations`` for students: catalogue codes
(``pathwise_contracts.accommodations``) separated by spaces or semicolons,
``none`` for none; a row naming a code outside the catalogue is rejected
whole, naming the code and the known ones.

A bad row is not fatal: it becomes a ``Rejection`` naming the file, the line
(the header is line 1) and the field, and the rest of the package goes on.
Only an unreadable package (no manifest, a listed file missing, no
``sourcedId`` column) raises ``PackageError``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from profile_svc.domain import plan_codes

Mode = Literal["bulk", "delta", "absent"]
Status = Literal["active", "tobedeleted"]

FILES = ("orgs", "users", "roles", "classes", "enrollments", "demographics", "userProfiles")
"""The manifest entries this import reads (others, e.g. ``courses``, are ignored)."""

USER_ROLES = frozenset(
    {
        "aide",
        "administrator",
        "counselor",
        "districtAdministrator",
        "guardian",
        "parent",
        "principal",
        "proctor",
        "relative",
        "siteAdministrator",
        "student",
        "systemAdministrator",
        "teacher",
    }
)
GUARDIAN_ROLES = frozenset({"guardian", "parent", "relative"})
ENROLLMENT_ROLES = frozenset({"administrator", "aide", "proctor", "student", "teacher"})

_ID = re.compile(r"^[^|\s]{1,128}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_BCP47 = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_MAX_BYTES = 200 * 1024 * 1024


class PackageError(ValueError):
    """The package as a whole cannot be read (answered as 422)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    file: str
    row: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Row:
    """What every OneRoster record has: where it is, its id, status and time."""

    file: str
    line: int
    sourced_id: str
    status: Status
    modified: datetime | None


@dataclass(frozen=True, slots=True)
class User:
    row: Row
    role: str
    org_ids: tuple[str, ...]
    given_name: str
    family_name: str
    identifier: str | None
    email: str | None
    phone: str | None
    agent_ids: tuple[str, ...]
    grades: tuple[str, ...]
    metadata: Mapping[str, str]

    @property
    def display_name(self) -> str | None:
        name = f"{self.given_name} {self.family_name}".strip()
        return name or None


@dataclass(frozen=True, slots=True)
class Section:
    row: Row
    school_id: str | None


@dataclass(frozen=True, slots=True)
class Enrollment:
    row: Row
    class_id: str
    user_id: str
    school_id: str | None
    role: str


@dataclass(frozen=True, slots=True)
class Profile:
    """A user's account in another system (``userProfiles.csv``)."""

    row: Row
    user_id: str
    vendor_id: str


@dataclass
class Package:
    """A checked OneRoster package; ``rejected`` lists what was left out and why."""

    modes: dict[str, Mode]
    org_types: dict[str, str] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)
    enrollments: list[Enrollment] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def mode(self, name: str) -> Mode:
        return self.modes.get(name, "absent")


def read_zip(data: bytes) -> dict[str, bytes]:
    """The CSV files of a zip archive by base name (folders inside are flattened)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise PackageError(f"body: not a zip archive ({error})") from None
    files: dict[str, bytes] = {}
    total = 0
    for info in archive.infolist():
        name = info.filename.rsplit("/", 1)[-1]
        if info.is_dir() or not name.endswith(".csv"):
            continue
        total += info.file_size
        if total > _MAX_BYTES:
            raise PackageError(f"body: the CSV files exceed {_MAX_BYTES // 2**20} MiB unpacked")
        files[name] = archive.read(info)
    return files


def _table(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for row in csv.DictReader(io.StringIO(text))
    ]


def _list(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(",") if part.strip())


def grade(code: str) -> str:
    """CEDS grade codes as Pathwise writes grades: '03' -> '3', 'KG' -> 'K'."""
    if code.isdigit():
        return str(int(code))
    return {"KG": "K", "PK": "PK", "TK": "TK"}.get(code.upper(), code)


def phone(cell: str) -> str:
    """A phone number with its punctuation removed (E.164 is checked after)."""
    return re.sub(r"[\s().-]", "", cell)


def parse(files: Mapping[str, bytes]) -> Package:
    """Check every file the manifest lists; raise ``PackageError`` only when nothing can go on."""
    if "manifest.csv" not in files:
        raise PackageError("manifest.csv: missing from the package")
    manifest = {
        r.get("propertyName", ""): r.get("value", "") for r in _table(files["manifest.csv"])
    }
    version = manifest.get("oneroster.version", "")
    if version not in ("1.2", "1.1"):
        raise PackageError(f"manifest.csv: oneroster.version must be 1.2 (or 1.1), got {version!r}")
    modes: dict[str, Mode] = {}
    for name in FILES:
        mode = manifest.get(f"file.{name}", "absent").lower() or "absent"
        if mode not in ("bulk", "delta", "absent"):
            raise PackageError(f"manifest.csv: file.{name} must be bulk, delta or absent")
        if mode != "absent" and f"{name}.csv" not in files:
            raise PackageError(f"{name}.csv: listed as {mode} in the manifest but missing")
        modes[name] = mode  # type: ignore[assignment]
    package = Package(modes=modes)
    _Reader(package, files).read()
    return package


class _Reader:
    def __init__(self, package: Package, files: Mapping[str, bytes]) -> None:
        self.package = package
        self.files = files

    def reject(self, file: str, line: int, column: str, reason: str) -> None:
        self.package.rejected.append(Rejection(f"{file}.csv", line, column, reason))

    def rows(self, name: str) -> list[tuple[Row, dict[str, str]]]:
        """Rows of one file with the common columns checked; bad ones are rejected."""
        mode = self.package.mode(name)
        if mode == "absent":
            return []
        table = _table(self.files[f"{name}.csv"])
        if table and "sourcedId" not in table[0]:
            self.reject(name, 1, "sourcedId", "missing column; the file is skipped")
            return []
        out: list[tuple[Row, dict[str, str]]] = []
        seen: set[str] = set()
        for line, cells in enumerate(table, start=2):
            row = self.common(name, mode, line, cells, seen)
            if row is not None:
                out.append((row, cells))
        return out

    def common(
        self, name: str, mode: Mode, line: int, cells: dict[str, str], seen: set[str]
    ) -> Row | None:
        sid = cells.get("sourcedId", "")
        if not _ID.match(sid):
            self.reject(name, line, "sourcedId", "required; up to 128 characters, no '|' or space")
            return None
        if sid in seen:
            self.reject(name, line, "sourcedId", f"{sid!r} appears twice in the file")
            return None
        seen.add(sid)
        status = cells.get("status", "")
        if mode == "delta" and status not in ("active", "tobedeleted"):
            self.reject(name, line, "status", "a delta file needs active or tobedeleted")
            return None
        if mode == "bulk" and status not in ("", "active"):
            self.reject(name, line, "status", "must be blank (or active) in a bulk file")
            return None
        stamp = cells.get("dateLastModified", "")
        modified = None
        if stamp:
            try:
                modified = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                self.reject(name, line, "dateLastModified", "must be an ISO 8601 date-time")
                return None
        elif mode == "delta":
            self.reject(name, line, "dateLastModified", "required in a delta file")
            return None
        return Row(
            f"{name}.csv",
            line,
            sid,
            "tobedeleted" if status == "tobedeleted" else "active",
            modified,
        )

    def read(self) -> None:
        for row, cells in self.rows("orgs"):
            self.package.org_types[row.sourced_id] = cells.get("type", "")
        roles = self.roles()
        for row, cells in self.rows("users"):
            self.user(row, cells, roles)
        for row, cells in self.rows("classes"):
            school = cells.get("schoolSourcedId") or None
            self.package.sections[row.sourced_id] = Section(row, school)
        for row, cells in self.rows("enrollments"):
            self.enrollment(row, cells)
        for row, cells in self.rows("userProfiles"):
            user, vendor = cells.get("userSourcedId", ""), cells.get("vendorId", "")
            if not _ID.match(user):
                self.reject("userProfiles", row.line, "userSourcedId", "required")
            elif not re.match(r"^[A-Za-z0-9_.-]{1,64}$", vendor):
                self.reject("userProfiles", row.line, "vendorId", "required; letters, digits, _.-")
            else:
                self.package.profiles.append(Profile(row, user, vendor))
        for row, _cells in self.rows("demographics"):
            # Demographics are read to be checked, never stored: Pathwise has no use for them.
            if self.package.mode("users") == "bulk" and row.sourced_id not in self.package.users:
                self.reject("demographics", row.line, "sourcedId", "no such user in users.csv")

    def roles(self) -> dict[str, tuple[str, str | None]]:
        """Each user's primary role (and its org) from roles.csv."""
        found: dict[str, tuple[str, str | None]] = {}
        ranks: dict[str, tuple[bool, bool]] = {}
        for row, cells in self.rows("roles"):
            role, kind = cells.get("role", ""), cells.get("roleType", "primary")
            if role not in USER_ROLES:
                self.reject("roles", row.line, "role", f"unknown role {role!r}")
                continue
            user = cells.get("userSourcedId", "")
            # The primary active role wins; a deleted role still says who a deleted user was.
            rank = (row.status == "active", kind == "primary")
            if user not in ranks or rank > ranks[user]:
                ranks[user] = rank
                found[user] = (role, cells.get("orgSourcedId") or None)
        return found

    def user(
        self, row: Row, cells: dict[str, str], roles: Mapping[str, tuple[str, str | None]]
    ) -> None:
        role, org = roles.get(row.sourced_id, (cells.get("role", ""), None))
        if role not in USER_ROLES:
            reason = f"unknown role {role!r}" if role else "no role in roles.csv or users.csv"
            self.reject("users", row.line, "role", reason)
            return
        email = cells.get("email") or None
        if email and not _EMAIL.match(email):
            self.reject("users", row.line, "email", "not an email address (name@domain)")
            return
        number = phone(cells.get("sms") or cells.get("phone") or "") or None
        if number and not _E164.match(number):
            column = "sms" if cells.get("sms") else "phone"
            self.reject("users", row.line, column, "must be an E.164 number, e.g. +15551234567")
            return
        metadata = {
            k.removeprefix("metadata."): v
            for k, v in cells.items()
            if k.startswith("metadata.") and v
        }
        language = metadata.get("pathwise.language")
        if language and not _BCP47.match(language):
            self.reject("users", row.line, "metadata.pathwise.language", "not a BCP 47 tag")
            return
        for flag in (
            "pathwise.educationalRights",
            "pathwise.consent.email",
            "pathwise.consent.sms",
        ):
            if metadata.get(flag, "true").lower() not in ("true", "false"):
                self.reject("users", row.line, f"metadata.{flag}", "must be true or false")
                return
        refused = plan_codes.refusal(metadata.get("pathwise.accommodations"))
        if refused:
            self.reject("users", row.line, "metadata.pathwise.accommodations", refused)
            return
        primary = cells.get("primaryOrgSourcedId") or org
        orgs = _list(cells.get("orgSourcedIds", ""))
        self.package.users[row.sourced_id] = User(
            row=row,
            role=role,
            org_ids=tuple(dict.fromkeys([*([primary] if primary else []), *orgs])),
            given_name=cells.get("preferredGivenName") or cells.get("givenName", ""),
            family_name=cells.get("preferredFamilyName") or cells.get("familyName", ""),
            identifier=cells.get("identifier") or None,
            email=email.lower() if email else None,
            phone=number,
            agent_ids=_list(cells.get("agentSourcedIds", "")),
            grades=tuple(grade(g) for g in _list(cells.get("grades", ""))),
            metadata=metadata,
        )

    def enrollment(self, row: Row, cells: dict[str, str]) -> None:
        class_id, user_id = cells.get("classSourcedId", ""), cells.get("userSourcedId", "")
        role = cells.get("role", "")
        if not _ID.match(class_id):
            self.reject("enrollments", row.line, "classSourcedId", "required")
        elif not _ID.match(user_id):
            self.reject("enrollments", row.line, "userSourcedId", "required")
        elif role not in ENROLLMENT_ROLES:
            self.reject("enrollments", row.line, "role", f"unknown enrollment role {role!r}")
        elif self.package.mode("classes") == "bulk" and class_id not in self.package.sections:
            self.reject("enrollments", row.line, "classSourcedId", "no such class in classes.csv")
        elif (
            self.package.mode("users") == "bulk"
            and role == "student"
            and user_id not in self.package.users
        ):
            self.reject("enrollments", row.line, "userSourcedId", "no such user in users.csv")
        else:
            school = cells.get("schoolSourcedId") or None
            self.package.enrollments.append(Enrollment(row, class_id, user_id, school, role))
