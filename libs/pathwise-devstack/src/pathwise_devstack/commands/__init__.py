"""Subcommands of `pathwise`, one module each.

A module exposes `register(subparsers)`, which adds its parser and sets
`handler` (a function of the parsed namespace returning the exit code).
Add a module and list it in `COMMAND_MODULES` to add a subcommand.
"""

from __future__ import annotations

COMMAND_MODULES: tuple[str, ...] = (
    "pathwise_devstack.commands.up",
    "pathwise_devstack.commands.token",
    "pathwise_devstack.commands.contracts",
    "pathwise_devstack.commands.replay",
    "pathwise_devstack.commands.demo",
    "pathwise_devstack.commands.bench",
    "pathwise_devstack.commands.dlq",
    "pathwise_devstack.commands.roster",
)
