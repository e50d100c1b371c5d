"""The command-line contract of the ledger, as an operator and an auditor use it.

Each test drives `daicho` in-process against a real store on both backends.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.settings import Settings
from services.cli import main
from tests.infra.tampering import RawStore

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def agency(daicho) -> str:
    code, out, _ = daicho("agencies", "add", "sakura", "--name", "さくら保険サービス")
    assert code == 0 and "sakura" in out
    return "sakura"


def test_registering_an_agency_code_twice_is_refused(daicho, agency: str) -> None:
    code, _, err = daicho("agencies", "add", agency, "--name", "別の代理店")
    assert code == 2
    assert err.strip() == "daicho: an agency with this code exists already"


def test_cp932_import_prints_rejected_lines_and_summary(daicho, agency: str) -> None:
    code, out, _ = daicho("import", str(DATA / "agency_export_cp932.csv"), "--agency", agency)
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "line 7",
        "line 15",
        "line 24",
        "line 33",
    ]
    assert lines[-1].startswith("25 customers created, 0 matched, 35 policies created")
    assert "encoding cp932" in lines[-1]


def test_json_summary_follows_the_contract(daicho, agency: str) -> None:
    code, out, _ = daicho(
        "import", str(DATA / "agency_export_cp932.csv"), "--agency", agency, "--json"
    )
    assert code == 0
    summary = json.loads(out)
    assert list(summary)[:4] == [
        "customers_created",
        "customers_matched",
        "policies_created",
        "rows_rejected",
    ]
    assert (summary["customers_created"], summary["policies_created"]) == (25, 35)
    assert [r["line"] for r in summary["rows_rejected"]] == [7, 15, 24, 33]


def test_reimporting_the_same_file_creates_no_duplicates(daicho, agency: str) -> None:
    path = str(DATA / "agency_export_cp932.csv")
    daicho("import", path, "--agency", agency)
    head = json.loads(daicho("verify", "--json")[1])["head_position"]
    _, out, _ = daicho("import", path, "--agency", agency, "--json")
    summary = json.loads(out)
    assert (summary["customers_created"], summary["customers_matched"]) == (0, 25)
    assert (summary["policies_created"], summary["policies_updated"]) == (0, 0)
    # Nothing recorded where nothing changed: only the job's own start and end.
    assert json.loads(daicho("verify", "--json")[1])["head_position"] == head + 2


def test_dry_run_records_nothing(daicho, agency: str) -> None:
    _, before, _ = daicho("verify", "--json")
    code, out, _ = daicho(
        "import", str(DATA / "agency_export_cp932.csv"), "--agency", agency, "--dry-run"
    )
    assert code == 0 and out.strip().splitlines()[-1].startswith("dry run, nothing recorded")
    _, after, _ = daicho("verify", "--json")
    assert json.loads(after)["events_checked"] == json.loads(before)["events_checked"]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["not_a_csv_latin1.csv", "--agency", "sakura"], "neither UTF-8 nor CP932"),
        (["no_header.csv", "--agency", "sakura"], "no recognisable header row"),
        (["missing.csv", "--agency", "sakura"], "cannot read the file"),
        (["agency_export_utf8.csv", "--agency", "nobody"], "no agency has this code"),
        (
            ["agency_export_cp932.csv", "--agency", "sakura", "--encoding", "utf-8"],
            "not valid UTF-8",
        ),
    ],
)
def test_unusable_input_exits_2_with_one_line(daicho, agency: str, args, reason) -> None:
    code, out, err = daicho("import", str(DATA / args[0]), *args[1:])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and reason in err


def test_verify_passes_then_names_the_altered_row(daicho, agency: str, settings: Settings) -> None:
    daicho("import", str(DATA / "agency_export_cp932.csv"), "--agency", agency)
    code, out, _ = daicho("verify")
    assert code == 0 and out.startswith("OK: ")
    raw = RawStore(settings)
    raw.drop_guards()
    raw.execute("UPDATE stored_events SET state = ? WHERE {pos} = 5", (b"{}",))
    code, out, _ = daicho("verify")
    assert code == 1
    assert "position 5" in out and "payload modified" in out
    code, out, _ = daicho("verify", "--json")
    first = json.loads(out)["first_problem"]
    assert (code, first["kind"], first["position"]) == (1, "payload modified", 5)


def test_verify_names_a_deleted_row(daicho, agency: str, settings: Settings) -> None:
    daicho("import", str(DATA / "agency_export_cp932.csv"), "--agency", agency)
    raw = RawStore(settings)
    raw.drop_guards()
    raw.execute("DELETE FROM stored_events WHERE {pos} = 12")
    code, out, _ = daicho("verify", "--json")
    first = json.loads(out)["first_problem"]
    assert (code, first["kind"], first["position"]) == (1, "event missing", 12)


def test_projections_status_betrays_a_log_that_lost_its_last_events(
    daicho, agency: str, settings: Settings
) -> None:
    daicho("import", str(DATA / "agency_export_cp932.csv"), "--agency", agency)
    assert daicho("projections", "rebuild")[0] == 0
    assert daicho("projections", "status")[0] == 0
    head = json.loads(daicho("verify", "--json")[1])["head_position"]
    raw = RawStore(settings)
    raw.drop_guards()
    raw.execute("DELETE FROM stored_events WHERE {pos} > ?", (head - 3,))
    for trigger_sql in _recreate_guards(settings):
        raw.execute(trigger_sql)

    assert daicho("verify")[0] == 0  # a shorter chain is still a chain
    code, _, err = daicho("projections", "status")
    assert code == 1
    assert f"up to {head} but the log ends at {head - 3}" in err


def test_verify_names_an_inserted_row(daicho, agency: str, settings: Settings) -> None:
    daicho("import", str(DATA / "agency_export_cp932.csv"), "--agency", agency)
    raw = RawStore(settings)
    head = json.loads(daicho("verify", "--json")[1])["head_position"]
    # The chain columns are required, so the attacker copies the head's.
    raw.insert_copy(head + 1, head, version=99, state=b"{}")
    code, out, _ = daicho("verify", "--json")
    first = json.loads(out)["first_problem"]
    assert (code, first["kind"], first["position"]) == (1, "event inserted", head + 1)


def test_a_consistently_rewritten_tail_fails_against_a_recorded_head(
    daicho, agency: str, settings: Settings
) -> None:
    """An attacker who rewrites an event and recomputes every later link leaves a
    self-consistent chain; only a head recorded outside the database betrays it."""
    from uuid import UUID

    from infra.chain import aggregate_link, chain_link, entry_hash

    daicho("import", str(DATA / "agency_export_cp932.csv"), "--agency", agency)
    head = json.loads(daicho("verify", "--json")[1])
    recorded = f"{head['head_position']}:{head['head_hash']}"
    assert daicho("verify", "--expect-head", recorded)[0] == 0

    raw = RawStore(settings)
    raw.drop_guards()
    raw.execute("UPDATE stored_events SET state = ? WHERE {pos} = 1", (b"{}",))
    rows = raw.execute(
        "SELECT {pos}, originator_id, originator_version, topic, state "
        "FROM stored_events ORDER BY {pos}"
    )
    previous, aggregates = bytes(32), {}
    for position, aggregate_id, version, topic, state in rows:
        aggregate = UUID(str(aggregate_id))
        digest = entry_hash(position, aggregate, version, topic, bytes(state))
        previous = chain_link(previous, digest)
        aggregates[aggregate] = aggregate_link(aggregates.get(aggregate, bytes(32)), digest)
        raw.execute(
            "UPDATE stored_events SET entry_hash = ?, chain_hash = ?, aggregate_hash = ? "
            "WHERE {pos} = ?",
            (digest, previous, aggregates[aggregate], position),
        )
    for trigger_sql in _recreate_guards(settings):
        raw.execute(trigger_sql)

    assert daicho("verify")[0] == 0  # self-consistent: nothing inside the store betrays it
    code, out, _ = daicho("verify", "--json", "--expect-head", recorded)
    first = json.loads(out)["first_problem"]
    assert (code, first["kind"], first["position"]) == (
        1,
        "history rewritten",
        head["head_position"],
    )


def _recreate_guards(settings: Settings) -> list[str]:
    from infra.ledger import Ledger

    recorder = Ledger(settings).recorder
    if settings.database_url:
        return [
            statement.as_string()
            for statement in recorder.sql_create_statements
            if "TRIGGER" in statement.as_string()
        ]
    return [s for s in recorder.create_table_statements if "TRIGGER" in s]


def test_expect_head_must_be_well_formed(daicho, agency: str) -> None:
    code, _, err = daicho("verify", "--expect-head", "12:nothex")
    assert code == 2 and "POSITION:HASH" in err


def test_verify_reports_guards_dropped_while_nothing_was_running(
    daicho, agency: str, settings: Settings
) -> None:
    """Opening the store for verification must not quietly re-create the triggers."""
    RawStore(settings).drop_guards()
    code, out, _ = daicho("verify", "--json")
    report = json.loads(out)
    assert code == 1
    assert {p["kind"] for p in report["problems"]} == {"append-only guard removed"}


def test_verify_of_a_store_that_does_not_exist_is_a_usage_error(
    daicho, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAICHO_HOME", str(settings.home / "typo"))
    monkeypatch.setenv("DAICHO_DATABASE_SCHEMA", "no_such_schema")
    code, out, err = daicho("verify")
    assert code == 2 and out == "" and "no Daicho store here" in err


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_an_append_only_role_can_run_the_ledger_but_not_rewrite_it(
    daicho, agency: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The privilege recipe of docs/operations.md, applied to a real role."""
    import uuid

    import psycopg
    from psycopg.sql import SQL, Identifier

    role = f"daicho_app_{uuid.uuid4().hex[:8]}"
    schema = Identifier(settings.database_schema)
    admin = psycopg.connect(settings.database_url, autocommit=True)
    try:
        admin.execute(SQL("CREATE ROLE {} LOGIN").format(Identifier(role)))
        for statement in (
            "GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}",
            # LOCK TABLE … IN EXCLUSIVE MODE needs UPDATE; the trigger refuses updates.
            "GRANT SELECT, INSERT, UPDATE ON {schema}.stored_events TO {role}",
        ):
            admin.execute(SQL(statement).format(schema=schema, role=Identifier(role)))
        url = settings.database_url.replace("postgres@", f"{role}@", 1)
        monkeypatch.setenv("DAICHO_DATABASE_URL", url)

        code, out, _ = daicho("import", str(DATA / "agency_export_cp932.csv"), "--agency", agency)
        assert code == 0 and "25 customers created" in out
        assert daicho("verify")[0] == 0
        # The read models, sessions and idempotency keys are the app role's own tables.
        from services.api.app import prepare_store
        from services.cli.common import open_ledger

        ledger = open_ledger()
        ledger.close()
        prepare_store(ledger.settings)
        assert daicho("projections", "rebuild")[0] == 0
        assert daicho("projections", "status")[0] == 0
        with psycopg.connect(url, autocommit=True) as app:
            app.execute(SQL("SET search_path TO {}").format(schema))
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                app.execute("UPDATE stored_events SET state = state")
            for attack in (
                "DROP TRIGGER stored_events_no_update_delete ON stored_events",
                "TRUNCATE stored_events",
                "DROP TABLE stored_events",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(attack)
    finally:
        admin.execute(SQL("DROP OWNED BY {}").format(Identifier(role)))
        admin.execute(SQL("DROP ROLE {}").format(Identifier(role)))
        admin.close()


def test_a_store_of_the_earlier_two_table_layout_is_refused_with_a_reason(
    daicho, settings: Settings
) -> None:
    """Before the links moved into the event row they lived in event_chain; such a
    store would fail on its first append, so it is refused when opened."""
    old_layout = (
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
        "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    if settings.database_url:
        import psycopg
        from psycopg.sql import SQL, Identifier

        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            schema = Identifier(settings.database_schema)
            conn.execute(SQL("CREATE SCHEMA {}").format(schema))
            conn.execute(SQL("SET search_path TO {}").format(schema))
            conn.execute(old_layout.replace("BLOB", "bytea"))
    else:
        import sqlite3

        settings.home.mkdir(parents=True)
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute(old_layout)
    for command in (("verify",), ("agencies", "add", "sakura", "--name", "さくら")):
        code, out, err = daicho(*command)
        assert code == 2 and out == "" and "earlier Daicho" in err


def test_a_store_that_cannot_be_reached_is_exit_2_not_tampering(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DAICHO_HOME", str(tmp_path))
    monkeypatch.setenv("DAICHO_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    code = main(["verify"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("daicho: cannot use the store: ")
    assert len(err.strip().splitlines()) == 1  # no traceback
