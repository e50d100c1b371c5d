"""Imports over HTTP, health, the OpenAPI document, and what the request log holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from infra.settings import Settings
from tests.api.conftest import Api
from tests.api.test_customers import TARO

DATA = Path(__file__).parent.parent / "data"


def test_import_upload_reports_rejected_rows(api: Api) -> None:
    content = (DATA / "agency_export_cp932.csv").read_bytes()
    response = api.post(
        "/api/v1/imports", role="manager", files={"file": ("export.csv", content, "text/csv")}
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["customers_created"], summary["policies_created"]) == (25, 35)
    assert [row["line"] for row in summary["rows_rejected"]] == [7, 15, 24, 33]
    found = api.get("/api/v1/customers", params={"limit": 200}).json()["items"]
    assert len(found) == 25
    # Who ran it: the job's events carry the uploader; the records' events, the job.
    ledger = api.client.app.state.runtime.ledger
    manager = api.get("/api/v1/auth/me", role="manager").json()["user_id"]
    job_events = ledger.events.get(UUID(summary["job_id"]))
    assert {event.context.actor for event in job_events} == {manager}
    customer_events = list(ledger.events.get(UUID(found[0]["id"])))
    assert customer_events[0].context.actor == f"system:import:{summary['job_id']}"


def test_an_import_finds_the_customers_entered_by_hand(api: Api) -> None:
    entered = api.post(
        "/api/v1/customers",
        json={"name": "髙橋 美咲", "kana": "タカハシ ミサキ", "birth_date": "1959-02-14"},
    ).json()
    content = (DATA / "agency_export_cp932.csv").read_bytes()
    summary = api.post(
        "/api/v1/imports", role="manager", files={"file": ("export.csv", content, "text/csv")}
    ).json()
    assert (summary["customers_created"], summary["customers_matched"]) == (24, 1)
    found = api.get("/api/v1/customers", params={"q": "タカハシミサキ"}).json()["items"]
    assert [customer["id"] for customer in found] == [entered["id"]]
    assert found[0]["postal_code"] == "0600001"  # the file's fields were added to it


def test_a_retried_upload_with_its_idempotency_key_returns_the_first_summary(api: Api) -> None:
    content = (DATA / "agency_export_cp932.csv").read_bytes()

    def upload(key: str, data: bytes = content, **form: str) -> Any:
        return api.post(
            "/api/v1/imports",
            role="manager",
            files={"file": ("export.csv", data, "text/csv")},
            data=form,
            headers={"Idempotency-Key": key},
        )

    first = upload("upload-1")
    again = upload("upload-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()  # not a second run reporting every record matched
    assert again.headers["Idempotent-Replayed"] == "true"
    assert upload("upload-1", content + b"\n").status_code == 422  # another file
    assert upload("upload-1", dry_run="true").status_code == 422  # another request
    assert upload("upload-2").json()["customers_matched"] == 25  # a new key runs again


def test_a_misspelled_form_field_is_refused_not_ignored(api: Api) -> None:
    content = (DATA / "agency_export_cp932.csv").read_bytes()

    def upload(files: Any, **form: str) -> Any:
        return api.post("/api/v1/imports", role="manager", files=files, data=form)

    misspelled = upload({"file": ("export.csv", content, "text/csv")}, dryRun="true")
    assert misspelled.status_code == 400  # else the "dry run" would import for real
    error = misspelled.json()["errors"][0]
    assert error["pointer"] == "#/form/dryRun" and "dry_run" in error["detail"]
    two = upload(
        [("file", ("a.csv", content, "text/csv")), ("file", ("b.csv", content, "text/csv"))]
    )
    assert two.status_code == 400
    assert two.json()["errors"][0] == {
        "pointer": "#/form/file",
        "detail": "is given more than once",
    }
    assert api.get("/api/v1/customers").json()["items"] == []


def test_import_upload_over_the_limit_is_413_and_starts_no_job(api: Api) -> None:
    big = b"x" * (10 * 1024 * 1024 + 1)
    response = api.post(
        "/api/v1/imports", role="manager", files={"file": ("big.csv", big, "text/csv")}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "the body is above this route's limit of 10 MiB"
    assert api.get("/api/v1/customers").json()["items"] == []


def test_unusable_upload_is_400_with_a_reason(api: Api) -> None:
    content = (DATA / "not_a_csv_latin1.csv").read_bytes()
    response = api.post(
        "/api/v1/imports", role="manager", files={"file": ("x.csv", content, "text/csv")}
    )
    assert response.status_code == 400
    assert "neither UTF-8 nor CP932" in response.json()["errors"][0]["detail"]


def test_agents_may_not_import(api: Api) -> None:
    response = api.post(
        "/api/v1/imports", role="agent", files={"file": ("x.csv", b"a,b\n", "text/csv")}
    )
    assert response.status_code == 403


def test_health_and_ready(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    ready = api.client.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_openapi_documents_routes_and_public_security(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    paths = schema["paths"]
    for path in (
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/policies",
        "/api/v1/renewals",
        "/api/v1/contacts",
        "/api/v1/households",
        "/api/v1/imports",
        "/api/v1/auth/login",
        "/api/v1/auth/me",
        "/health",
        "/ready",
    ):
        assert path in paths, path
    assert paths["/health"]["get"]["security"] == [{}]
    assert paths["/api/v1/auth/login"]["post"]["security"] == [{}]
    assert "BearerToken" in schema["components"]["securitySchemes"]
    operations = [op for methods in paths.values() for op in methods.values()]
    assert all(op.get("description") for op in operations)  # the handlers' docstrings
    ids = [op["operationId"] for op in operations]
    assert len(set(ids)) == len(ids) and "customers_read" in ids


def test_openapi_documents_errors_and_headers_as_they_are_sent(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    problem = schema["components"]["schemas"]["Problem"]
    assert {"errors", "current_version", "existing_id"} <= problem["properties"].keys()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
    customer = schema["paths"]["/api/v1/customers/{customer_id}"]
    assert "ETag" in customer["get"]["responses"]["200"]["headers"]
    assert "ETag" in customer["patch"]["responses"]["200"]["headers"]
    created = schema["paths"]["/api/v1/customers"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location"} <= created.keys()
    if_match = [p for p in customer["patch"]["parameters"] if p["name"] == "If-Match"][0]
    assert "428" in if_match["description"]


def test_request_log_has_no_personal_data_tokens_or_bodies(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.logging import configure_logging

    configure_logging()
    token = api.tokens["agent"]  # logged in before the capture starts
    capsys.readouterr()
    response = api.post("/api/v1/customers", json=TARO)
    api.get("/api/v1/customers", params={"q": "ヤマダ タロウ"})
    api.get(f"/api/v1/customers/{response.json()['id']}")
    logged = capsys.readouterr().err
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) == 3
    for line in requests:
        assert {"request_id", "actor", "agency", "route", "status", "latency_ms"} <= set(line)
    for value in (
        *[v for v in TARO.values() if isinstance(v, str)],
        "ヤマダ",
        "09012345678",
        "090-1234-5678",
        token,
    ):
        assert value not in logged, value


def test_every_response_has_a_request_id_and_security_headers(api: Api) -> None:
    for response in (
        api.client.get("/api/v1/customers"),  # 401 from the authentication layer
        api.client.get("/no/such/route"),  # 404 from routing
        api.client.get("/health"),
        api.client.get("/health", headers={"X-Padding": "x" * 20_000}),  # 431
    ):
        assert response.headers["x-request-id"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


def test_a_client_request_id_is_kept_only_if_it_cannot_carry_personal_data(api: Api) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert (
        api.client.get("/health", headers={"X-Request-ID": trace}).headers["x-request-id"] == trace
    )
    typed = api.client.get("/health", headers={"X-Request-ID": "tanaka.taro-090-1111-2222"})
    assert typed.headers["x-request-id"] != "tanaka.taro-090-1111-2222"


def test_oversized_headers_are_refused_before_anything_else(api: Api) -> None:
    response = api.get("/api/v1/customers", headers={"X-Padding": "x" * 20_000})
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert "16 KiB" in response.json()["detail"]
    assert api.get("/api/v1/customers", headers={"X-Padding": "x" * 8_000}).status_code == 200


def test_unauthenticated_requests_are_logged_with_their_real_status(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.logging import configure_logging

    configure_logging()
    capsys.readouterr()
    api.client.get("/api/v1/customers")
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    assert [(line["status"], line["actor"]) for line in lines] == [(401, None)]


def test_deeply_nested_json_is_a_400_not_a_crash(api: Api) -> None:
    body = "[" * 5000 + "]" * 5000
    response = api.client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_validation_errors_do_not_echo_the_value(api: Api) -> None:
    response = api.post("/api/v1/customers", json={**TARO, "kind": "山田花子 1980-01-01"})
    assert response.status_code == 422
    assert "山田花子" not in response.text
    query = api.get("/api/v1/customers", params={"status": "山田花子"})
    assert query.status_code == 400 and "山田花子" not in query.text


def test_bad_form_fields_of_an_upload_are_named_as_form_fields(api: Api) -> None:
    content = (DATA / "agency_export_cp932.csv").read_bytes()
    bad_choice = api.post(
        "/api/v1/imports",
        role="manager",
        files={"file": ("export.csv", content, "text/csv")},
        data={"dry_run": "perhaps", "encoding": "latin-1"},
    )
    no_file = api.post("/api/v1/imports", role="manager", files={"dry_run": (None, "true")})
    assert bad_choice.status_code == 400
    # The framework stops at the first bad form field (unlike a JSON body's fields).
    assert bad_choice.json()["errors"] == [
        {"pointer": "#/form/dry_run", "detail": "must be true or false"}
    ]
    assert no_file.status_code == 400
    assert no_file.json()["errors"] == [{"pointer": "#/form/file", "detail": "is required"}]
    bad_encoding = api.post(
        "/api/v1/imports",
        role="manager",
        files={"file": ("export.csv", content, "text/csv")},
        data={"encoding": "latin-1"},
    )
    assert bad_encoding.json()["errors"] == [
        {"pointer": "#/form/encoding", "detail": "must be one of auto, utf-8, cp932"}
    ]


def test_serve_prepares_every_table_before_its_workers_start(settings: Settings) -> None:
    """Workers of a new store would race on CREATE TABLE IF NOT EXISTS."""
    from projections.database import open_database
    from services.api.app import prepare_store

    prepare_store(settings)
    db = open_database(settings)
    try:
        for table in ("idempotency_keys", "api_sessions", "customers", "users"):
            assert db.query(f"SELECT count(*) AS n FROM {table}") == [{"n": 0}], table
    finally:
        db.close()
