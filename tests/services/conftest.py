"""`daicho` run in-process, as an operator runs it, against this test's store."""

from __future__ import annotations

import pytest

from infra.settings import Settings
from services.cli import main


@pytest.fixture
def daicho(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Runs `daicho ARGS` with the environment pointing at this test's store."""
    monkeypatch.setenv("DAICHO_HOME", str(settings.home))
    if settings.database_url:
        monkeypatch.setenv("DAICHO_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("DAICHO_DATABASE_SCHEMA", settings.database_schema)
    else:
        monkeypatch.delenv("DAICHO_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
