"""What every sub-command shares."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from infra.ledger import Ledger, StoreMissing
from infra.settings import Settings

EXIT_OK, EXIT_TAMPERED, EXIT_UNUSABLE = 0, 1, 2

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """The command cannot run as asked; the message says why, in one line."""


def open_ledger(*, create: bool = True) -> Ledger:
    """The configured store; with create=False a missing store is a usage error (a
    verification of a mistyped path must not pass on a new, empty store)."""
    try:
        return Ledger(Settings.from_env(), create=create)
    except StoreMissing as error:
        raise UsageError(str(error)) from None
