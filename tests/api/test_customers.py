"""Agency staff manage customers through the API."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from infra.clock import now
from infra.settings import Settings
from tests.api.conftest import PASSWORD, Api
from tests.changes import changed_since

TARO = {
    "name": "山田 太郎",
    "kana": "ヤマダ タロウ",
    "birth_date": "1980-04-01",
    "postal_code": "160-0023",
    "address": "東京都新宿区西新宿2丁目8-1",
    "phones": ["03-5321-1111", "090-1234-5678"],
    "email": "taro@example.jp",
}
PERSONAL = {"name", "kana", "birth_date", "postal_code", "address", "phones", "email"}


def create(api: Api, body: dict | None = None, **headers: str) -> dict:
    response = api.post("/api/v1/customers", json=body or TARO, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_register_then_read_your_write(api: Api) -> None:
    created = create(api)
    assert {
        "id",
        "name",
        "kana",
        "birth_date",
        "postal_code",
        "address",
        "phones",
        "email",
        "status",
        "version",
    } <= set(created)
    assert created["postal_code"] == "1600023" and created["status"] == "active"
    response = api.get(f"/api/v1/customers/{created['id']}")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json()["name"] == "山田 太郎"


def test_another_agency_gets_404_as_for_a_missing_record(api: Api) -> None:
    created = create(api)
    theirs = api.get(f"/api/v1/customers/{created['id']}", role="other-agency")
    missing = api.get("/api/v1/customers/00000000-0000-4000-8000-000000000000")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    patch = api.patch(
        f"/api/v1/customers/{created['id']}",
        role="other-agency",
        json={"address": "x"},
        headers={"If-Match": '"1"'},
    )
    assert patch.status_code == 404
    search = api.get("/api/v1/customers", role="other-agency", params={"q": "ヤマダ"})
    assert search.json()["items"] == []


def test_auditor_sees_no_personal_data(api: Api) -> None:
    created = create(api)
    body = api.get(f"/api/v1/customers/{created['id']}", role="auditor").json()
    assert PERSONAL.isdisjoint(body) and body["id"] == created["id"]
    listing = api.get("/api/v1/customers", role="auditor").json()
    assert listing["items"] and all(PERSONAL.isdisjoint(item) for item in listing["items"])
    assert api.get("/api/v1/customers", role="auditor", params={"q": "ヤマダ"}).status_code == 403


def test_read_only_roles_cannot_write(api: Api) -> None:
    for role in ("auditor", "investigator"):
        assert api.post("/api/v1/customers", role=role, json=TARO).status_code == 403


def test_patch_needs_if_match_and_refuses_stale_versions(api: Api) -> None:
    created = create(api)
    path = f"/api/v1/customers/{created['id']}"
    assert api.patch(path, json={"address": "大阪府大阪市北区梅田1-1"}).status_code == 428
    ok = api.patch(path, json={"address": "大阪府大阪市北区梅田1-1"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = api.patch(path, json={"email": None}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.json()["current_version"] == 2


def test_archive_and_unarchive(api: Api) -> None:
    created = create(api)
    path = f"/api/v1/customers/{created['id']}"
    assert api.post(f"{path}/archive").status_code == 428
    archived = api.post(f"{path}/archive", headers={"If-Match": '"1"'}, json={"reason": "解約"})
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    refused = api.patch(path, json={"address": "x"}, headers={"If-Match": '"2"'})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "the customer is archived; un-archive it first"
    again = api.post(f"{path}/archive", headers={"If-Match": '"2"'})
    assert again.status_code == 409
    back = api.post(f"{path}/unarchive", headers={"If-Match": '"2"'})
    assert back.status_code == 200 and back.json()["status"] == "active"
    assert api.post(f"{path}/unarchive", headers={"If-Match": '"3"'}).status_code == 409


def test_idempotent_retry_returns_the_first_result(api: Api) -> None:
    first = create(api, TARO, **{"Idempotency-Key": "k-1"})
    again = api.post("/api/v1/customers", json=TARO, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    listing = api.get("/api/v1/customers", params={"q": "ヤマダ"}).json()["items"]
    assert len(listing) == 1
    other = api.post(
        "/api/v1/customers", json={**TARO, "name": "山田 次郎"}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422


def test_the_same_person_entered_twice_is_one_record(api: Api) -> None:
    first = create(api)
    again = api.post("/api/v1/customers", json={**TARO, "name": "山田　太郎", "phones": []})
    assert again.status_code == 409  # the same name and birth date, typed another way
    assert again.json()["existing_id"] == first["id"]  # where the front end goes next
    namesake = api.post("/api/v1/customers", json={**TARO, "birth_date": "1981-04-01"})
    assert namesake.status_code == 201  # another person of the same name


def test_errors_read_like_the_api_not_like_its_decoder(api: Api) -> None:
    def detail(response: Any) -> str:
        return response.json()["errors"][0]["detail"]

    bad_date = api.post("/api/v1/customers", json={**TARO, "birth_date": "1980-02-30"})
    assert detail(bad_date) == "must be a date, as YYYY-MM-DD"
    assert detail(api.post("/api/v1/customers", json={**TARO, "name": 5})) == "must be text"
    long_key = api.post("/api/v1/customers", json=TARO, headers={"Idempotency-Key": "k" * 300})
    assert long_key.status_code == 400  # a header, not the body
    assert detail(long_key) == "must be at most 255 characters"
    too_big = api.post("/api/v1/customers", json={**TARO, "address": "東" * 40_000})
    assert too_big.status_code == 413
    assert too_big.json()["detail"] == "the body is above this route's limit of 64 KiB"


def test_validation_errors_name_every_bad_field(api: Api) -> None:
    response = api.post(
        "/api/v1/customers",
        json={"name": 5, "kana": "ヤマダ", "phones": ["03", 7], "shoe_size": 27},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/name", "/phones/1", "/shoe_size"}


def test_domain_rules_name_the_field(api: Api) -> None:
    response = api.post("/api/v1/customers", json={**TARO, "postal_code": "16000"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"pointer": "/postal_code", "detail": response.json()["errors"][0]["detail"]}
    ]


def test_oversized_body_is_413(api: Api) -> None:
    response = api.post("/api/v1/customers", json={**TARO, "address": "あ" * 100_000})
    assert response.status_code == 413


def test_search_matches_kana_in_every_form_and_phone_and_postal_code(api: Api) -> None:
    created = create(api)
    for q in ("やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "山田", "1234-5678", "5678", "1600023"):
        items = api.get("/api/v1/customers", params={"q": q}).json()["items"]
        assert [item["id"] for item in items] == [created["id"]], q


def test_cursor_pagination_visits_each_customer_once(api: Api) -> None:
    ids = {
        create(api, {**TARO, "name": f"山田 {i}", "kana": f"ヤマダ {i:02d}"})["id"]
        for i in range(7)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/customers", params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    assert api.get("/api/v1/customers", params={"cursor": "garbage"}).status_code == 400


def test_requests_without_a_valid_token_are_401(api: Api) -> None:
    assert api.client.get("/api/v1/customers").status_code == 401
    bad = api.client.get("/api/v1/customers", headers={"Authorization": "Bearer dct_nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")


def test_logout_revokes_the_token(api: Api) -> None:
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert api.get("/api/v1/customers").status_code == 401


def test_a_logout_in_another_process_ends_a_session_this_one_just_used(
    api: Api, settings: Settings
) -> None:
    from projections.database import open_database
    from services import sessions

    for _ in range(2):  # the second request is served from the live sessions
        assert api.get("/api/v1/customers").status_code == 200
    db = api.client.app.state.runtime.db
    version = db.data_version()
    elsewhere = open_database(settings)  # connections of its own, as another process has
    try:
        sessions.revoke(elsewhere, sessions.session_id_of(api.tokens["agent"]))
    finally:
        elsewhere.close()
    assert changed_since(db, version)
    assert api.get("/api/v1/customers").status_code == 401


def test_a_live_session_is_looked_up_once_while_nothing_changes(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services import sessions

    db = api.client.app.state.runtime.db
    lookups = []
    read = db.read

    async def counting_read(sql, params=(), **options):
        if sql == sessions.LOOKUP:
            lookups.append(params)
        return await read(sql, params, **options)

    monkeypatch.setattr(db, "read", counting_read)
    for _ in range(3):
        assert api.get("/api/v1/customers").status_code == 200
    assert len(lookups) == 1
    assert api.post("/api/v1/customers", json=TARO).status_code == 201
    assert api.get("/api/v1/customers").status_code == 200
    assert len(lookups) == 2, "the POST committed: the GET after it looks up again"


def test_a_session_ends_at_its_expiry_even_while_nothing_changes(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services import sessions

    for _ in range(2):
        assert api.get("/api/v1/customers").status_code == 200
    later = now() + sessions.TOKEN_LIFETIME
    monkeypatch.setattr(sessions, "now", lambda: later)
    assert api.get("/api/v1/customers").status_code == 401


def test_a_role_change_applies_to_the_next_request(api: Api, settings: Settings) -> None:
    from domain.user import User
    from infra.ledger import Ledger
    from services.agencies import agency_by_code
    from services.requests import cli_meta

    customer = api.post("/api/v1/customers", json=TARO, role="manager").json()
    for _ in range(2):
        shown = api.get(f"/api/v1/customers/{customer['id']}", role="manager").json()
        assert shown["name"] == TARO["name"]
    ledger = Ledger(settings)
    agency = agency_by_code(ledger, "sakura")
    user = ledger.repository.get(agency.derive_id("user", "manager-user"))
    assert isinstance(user, User)
    user.change_role(cli_meta(agency_id=agency.id).context("moved to audit"), "auditor")
    ledger.save(user)
    ledger.close()
    api.client.app.state.runtime.projections.catch_up()
    shown = api.get(f"/api/v1/customers/{customer['id']}", role="manager").json()
    assert "name" not in shown


def test_login_failures_are_indistinguishable(api: Api) -> None:
    wrong = [
        {"agency": "sakura", "username": "agent-user", "password": "wrong password!!"},
        {"agency": "sakura", "username": "nobody", "password": "wrong password!!"},
        {"agency": "nowhere", "username": "agent-user", "password": "wrong password!!"},
    ]
    bodies = [api.client.post("/api/v1/auth/login", json=body) for body in wrong]
    assert {r.status_code for r in bodies} == {401}
    assert len({r.text for r in bodies}) == 1


def test_the_caller_learns_whose_token_it_holds(api: Api) -> None:
    agent = api.get("/api/v1/auth/me", role="agent").json()
    auditor = api.get("/api/v1/auth/me", role="auditor").json()
    assert agent.keys() == {"user_id", "agency_id", "username", "role", "sees_personal_data"}
    assert (agent["username"], agent["role"], agent["sees_personal_data"]) == (
        "agent-user",
        "agent",
        True,
    )
    assert (auditor["role"], auditor["sees_personal_data"]) == ("auditor", False)
    assert agent["agency_id"] == auditor["agency_id"] != agent["user_id"]
    assert api.client.get("/api/v1/auth/me").status_code == 401


def test_logins_over_the_concurrency_cap_are_told_when_to_retry(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.api.routes import auth

    monkeypatch.setattr(auth, "_login_slots", threading.BoundedSemaphore(1))
    auth._login_slots.acquire()  # another login holds the only slot
    body = {"agency": "sakura", "username": "agent-user", "password": "wrong password!!"}
    response = api.client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"] == "application/problem+json"


def test_control_characters_are_refused_in_queries_and_bodies(api: Api) -> None:
    assert api.get("/api/v1/customers", params={"q": "ヤマ\x00ダ"}).status_code == 400
    assert api.get("/api/v1/policies", params={"insurer": "a\x00"}).status_code == 400
    response = api.post("/api/v1/customers", json={**TARO, "name": "山田\u0000太郎"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/name"


def test_a_deactivated_users_token_stops_working_at_once(api: Api, settings) -> None:
    from domain.user import User
    from infra.ledger import Ledger
    from services.agencies import agency_by_code
    from services.requests import cli_meta

    assert api.get("/api/v1/customers").status_code == 200
    ledger = Ledger(settings)
    agency = agency_by_code(ledger, "sakura")
    user = ledger.repository.get(agency.derive_id("user", "agent-user"))
    assert isinstance(user, User)
    user.deactivate(cli_meta(agency_id=agency.id).context("left the agency"))
    ledger.save(user)
    ledger.close()
    api.client.app.state.runtime.projections.catch_up()
    assert api.get("/api/v1/customers").status_code == 401


def test_every_broken_business_rule_is_reported(api: Api) -> None:
    response = api.post(
        "/api/v1/customers",
        json={
            **TARO,
            "postal_code": "16000",
            "email": "not an address",
            "phones": ["03-1234-5678", "12", "abc"],
        },
    )
    assert response.status_code == 422
    pointers = sorted(error["pointer"] for error in response.json()["errors"])
    assert pointers == ["/email", "/phones/1", "/phones/2", "/postal_code"]
    twice = api.post("/api/v1/customers", json={**TARO, "phones": ["03-1234-5678", "0312345678"]})
    assert twice.json()["errors"] == [
        {"pointer": "/phones/1", "detail": "is the same number as phones/0"}
    ]


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_after_the_server_closed_its_connections_requests_recover_at_once(api: Api) -> None:
    """A restart or failover closes every pooled connection. Reads are sent again on a
    new one; a write that drew a dead one is a 503 to retry (never a 500), after which
    the dead ones are replaced, and its Idempotency-Key is free for the retry."""
    import psycopg

    from tests.postgres import URL

    created = create(api)
    api.get(f"/api/v1/customers/{created['id']}")  # the read pool holds a connection
    with psycopg.connect(URL, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed and killed[0] >= 2
    for _ in range(3):
        assert api.get(f"/api/v1/customers/{created['id']}").status_code == 200

    def twice(send: Any) -> Any:
        first = send()
        if first.status_code != 503:
            return first
        assert first.headers["Retry-After"] == "1"
        return send()

    body = {**TARO, "birth_date": "1990-01-01"}
    key = {"Idempotency-Key": "after-failover"}
    posted = twice(lambda: api.post("/api/v1/customers", json=body, headers=key))
    assert posted.status_code == 201, posted.text
    relogin = twice(
        lambda: api.client.post(
            "/api/v1/auth/login",
            json={"agency": "sakura", "username": "manager-user", "password": PASSWORD},
        )
    )
    assert relogin.status_code == 200
