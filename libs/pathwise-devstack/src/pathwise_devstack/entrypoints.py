"""How the `pathwise` CLI finds the services without importing their modules.

Each service declares, in its pyproject, the public objects the CLI may use:
``pathwise.services`` (its runtime SPEC), ``pathwise.commands`` (subcommands
it contributes, such as path-svc's offline tools) and ``pathwise.frameworks``
(the default framework). The import-linter contract in `make lint` keeps
devstack from reaching into service modules any other way.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pathwise_runtime.service import ServiceSpec

SERVICES_GROUP = "pathwise.services"
COMMANDS_GROUP = "pathwise.commands"
FRAMEWORKS_GROUP = "pathwise.frameworks"


class EntryPointMissing(LookupError):
    """A service package that should declare an entry point does not (or is not installed)."""


def _entry(group: str, name: str) -> EntryPoint:
    found = {ep.name: ep for ep in entry_points(group=group)}
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise EntryPointMissing(
            f"no {group!r} entry point named {name!r} (installed: {known}); "
            "is the service installed (`make install`)?"
        )
    return found[name]


def service_spec(name: str) -> ServiceSpec:
    """The runtime SPEC of service ``name`` (`path-svc`), as its package declares it."""
    spec = _entry(SERVICES_GROUP, name).load()
    if not isinstance(spec, ServiceSpec):
        raise TypeError(f"the {SERVICES_GROUP} entry point {name!r} is not a ServiceSpec")
    return spec


def command_registrars() -> list[Callable[[Any], None]]:
    """`register(subparsers)` functions that service packages contribute, by name."""
    return [ep.load() for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name)]


def default_framework() -> Any:
    """The default framework, loaded through path-svc's ``pathwise.frameworks`` entry point."""
    return _entry(FRAMEWORKS_GROUP, "default").load()()
