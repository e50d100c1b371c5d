"""What every sub-command shares."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from infra.ledger import Ledger
from infra.settings import Settings

EXIT_OK, EXIT_TAMPERED, EXIT_UNUSABLE = 0, 1, 2

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """The command cannot run as asked; the message says why, in one line."""


def open_ledger() -> Ledger:
    return Ledger(Settings.from_env())
