"""`daicho serve`: what it checks before it starts."""

from __future__ import annotations

import argparse
import socket

import pytest

from services.cli import server
from services.cli.common import EXIT_UNUSABLE


def test_a_port_in_use_stops_serve_before_the_demo_issues_new_passwords(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def must_not_run() -> None:
        raise AssertionError("the demo logins of the running server would be replaced")

    monkeypatch.setattr(server, "_load_demo", must_not_run)
    with socket.create_server(("127.0.0.1", 0)) as running:
        port = running.getsockname()[1]
        args = argparse.Namespace(
            host="127.0.0.1", port=port, workers=1, demo=True, no_projections=False
        )
        assert server.serve_api(args) == EXIT_UNUSABLE
    assert f"127.0.0.1:{port}" in capsys.readouterr().err


def test_a_free_port_is_free() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    assert server._address_in_use("127.0.0.1", port) is None
