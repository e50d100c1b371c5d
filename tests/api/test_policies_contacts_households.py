"""Policies, renewals, contact history and households through the API."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from tests.api.conftest import Api
from tests.api.test_customers import TARO, create


def policy_body(holder: str, end: date | None, **extra: object) -> dict:
    return {
        "insurer": "東京海上日動火災保険",
        "line": "auto",
        "policy_number": "P-0001",
        "policyholder_id": holder,
        "premium": 58_390,
        "payment_frequency": "annual",
        "start_date": "2025-04-01",
        "end_date": end.isoformat() if end else None,
        "agent_id": "agent-tanaka",
        **extra,
    }


def test_policy_lifecycle_and_listing(api: Api) -> None:
    holder = create(api)["id"]
    created = api.post("/api/v1/policies", json=policy_body(holder, date(2026, 4, 1)))
    assert created.status_code == 201, created.text
    policy = created.json()
    path = f"/api/v1/policies/{policy['id']}"
    changed = api.patch(path, json={"premium": 60_000}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["premium"] == 60_000
    lapsed = api.post(f"{path}/status", json={"status": "lapsed"}, headers={"If-Match": '"2"'})
    assert lapsed.status_code == 200 and lapsed.json()["status"] == "lapsed"
    for params in (
        {"customer_id": holder},
        {"agent": "agent-tanaka"},
        {"insurer": "東京海上日動火災保険"},
    ):
        items = api.get("/api/v1/policies", params=params).json()["items"]
        assert [item["id"] for item in items] == [policy["id"]], params


def test_a_status_the_policy_cannot_move_to_is_a_conflict(api: Api) -> None:
    holder = create(api)["id"]
    policy = api.post("/api/v1/policies", json=policy_body(holder, date(2026, 4, 1))).json()
    path = f"/api/v1/policies/{policy['id']}/status"
    assert api.post(path, json={"status": "cancelled"}, headers={"If-Match": '"1"'}).is_success
    again = api.post(path, json={"status": "in_force"}, headers={"If-Match": '"2"'})
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "a policy cannot go from cancelled to in_force (from cancelled: none, cancelled is final)"
    )


def test_an_archived_customer_takes_on_no_new_policy(api: Api) -> None:
    holder = create(api)
    archived = api.post(f"/api/v1/customers/{holder['id']}/archive", headers={"If-Match": '"1"'})
    assert archived.status_code == 200
    response = api.post("/api/v1/policies", json=policy_body(holder["id"], date(2026, 4, 1)))
    assert response.status_code == 409
    assert "archived" in response.json()["detail"]


def test_policy_for_another_agencys_customer_is_refused(api: Api) -> None:
    holder = create(api)["id"]
    response = api.post(
        "/api/v1/policies", role="other-agency", json=policy_body(holder, date(2026, 4, 1))
    )
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"pointer": "/policyholder_id", "detail": "no such customer"}
    ]
    insured = api.post(
        "/api/v1/policies",
        json=policy_body(holder, date(2026, 4, 1), insured_ids=[holder, str(uuid4())]),
    )
    assert insured.status_code == 404  # the same answer as for another agency's customer
    assert insured.json()["errors"][0]["pointer"] == "/insured_ids/1"


def test_end_date_must_follow_start_date(api: Api) -> None:
    holder = create(api)["id"]
    response = api.post("/api/v1/policies", json=policy_body(holder, date(2025, 3, 1)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/end_date"


def test_renewals_due_in_a_window_per_agent_sorted_by_date(api: Api) -> None:
    holder = create(api)["id"]
    today = date.today()
    ends = [today + timedelta(days=d) for d in (40, 10, 400, 20)]
    for number, end in enumerate(ends):
        agent = "agent-sato" if number == 3 else "agent-tanaka"
        body = policy_body(
            holder,
            end,
            policy_number=f"R-{number}",
            agent_id=agent,
            start_date=(end - timedelta(days=365)).isoformat(),
        )
        assert api.post("/api/v1/policies", json=body).status_code == 201
    window = {"from": today.isoformat(), "to": (today + timedelta(days=60)).isoformat()}
    due = api.get("/api/v1/renewals", params=window).json()["items"]
    assert [item["end_date"] for item in due] == sorted(e.isoformat() for e in ends[:2] + ends[3:])
    mine = api.get("/api/v1/renewals", params={**window, "agent": "agent-sato"}).json()["items"]
    assert [item["policy_number"] for item in mine] == ["R-3"]
    holder_name = api.get(f"/api/v1/customers/{holder}").json()["name"]
    assert {item["policyholder_name"] for item in due} == {holder_name}
    assert {item["policyholder_status"] for item in due} == {"active"}
    audited = api.get("/api/v1/renewals", role="auditor", params=window).json()["items"]
    assert len(audited) == 3
    assert all("policyholder_name" not in i and "policyholder_kana" not in i for i in audited)
    backwards = {"from": window["to"], "to": window["from"]}
    assert api.get("/api/v1/renewals", params=backwards).status_code == 400


def test_contact_records_including_intent_and_comparison(api: Api) -> None:
    customer = create(api)["id"]
    base = {
        "customer_id": customer,
        "occurred_at": "2026-11-30T01:00:00Z",
        "channel": "visit",
        "agent_id": "agent-tanaka",
    }
    intent = api.post(
        "/api/v1/contacts",
        json={
            **base,
            "kind": "intent_confirmation",
            "summary": "意向把握を実施",
            "customer_intent": "自動車保険の補償を見直したい",
            "products_proposed": ["総合自動車保険"],
        },
    )
    assert intent.status_code == 201, intent.text
    comparison = api.post(
        "/api/v1/contacts",
        json={
            **base,
            "occurred_at": "2026-12-01T01:00:00Z",
            "kind": "comparison_recommendation",
            "summary": "二商品を比較",
            "products_proposed": ["A保険", "B保険"],
            "recommended_product": "A保険",
            "recommendation_reason": "保険料が低い",
        },
    )
    assert comparison.status_code == 201, comparison.text
    missing_reason = api.post(
        "/api/v1/contacts",
        json={
            **base,
            "kind": "comparison_recommendation",
            "summary": "比較",
            "products_proposed": ["A保険", "B保険"],
            "recommended_product": "A保険",
        },
    )
    assert missing_reason.status_code == 422
    listed = api.get("/api/v1/contacts", params={"customer_id": customer}).json()["items"]
    assert [item["kind"] for item in listed] == ["comparison_recommendation", "intent_confirmation"]
    by_agent = api.get("/api/v1/contacts", params={"agent": "agent-tanaka"}).json()["items"]
    assert len(by_agent) == 2
    audited = api.get("/api/v1/contacts", role="auditor", params={"customer_id": customer}).json()[
        "items"
    ]
    assert all("summary" not in item and "customer_intent" not in item for item in audited)


def test_household_members_and_policies(api: Api) -> None:
    household = api.post("/api/v1/households", json={"name": "山田家"})
    assert household.status_code == 201, household.text
    household_id = household.json()["id"]
    member = create(api, {**TARO, "household_id": household_id})
    api.post("/api/v1/policies", json=policy_body(member["id"], date(2027, 4, 1)))
    shown = api.get(f"/api/v1/households/{household_id}").json()
    assert [m["id"] for m in shown["members"]] == [member["id"]]
    assert len(shown["policies"]) == 1
    audited = api.get(f"/api/v1/households/{household_id}", role="auditor").json()
    assert "name" not in audited and "name" not in audited["members"][0]
    foreign = api.post(
        "/api/v1/customers", role="other-agency", json={**TARO, "household_id": household_id}
    )
    assert foreign.status_code == 404


def test_the_same_policy_cannot_be_registered_twice(api: Api) -> None:
    holder = create(api)["id"]
    body = policy_body(holder, date(2027, 4, 1), policy_number="DUP-1")
    first = api.post("/api/v1/policies", json=body)
    assert first.status_code == 201
    again = api.post("/api/v1/policies", json={**body, "policy_number": "ＤＵＰ－１"})
    assert again.status_code == 409  # the same number typed in full width
    assert again.json()["existing_id"] == first.json()["id"]  # where the front end goes next
    other = api.post("/api/v1/policies", json={**body, "policy_number": "DUP-2"}).json()
    renumbered = api.patch(
        f"/api/v1/policies/{other['id']}",
        json={"policy_number": "DUP-1"},
        headers={"If-Match": '"1"'},
    )
    assert renumbered.status_code == 422  # else two policies would be DUP-1
    assert renumbered.json()["errors"][0]["pointer"] == "/policy_number"


def test_query_parameter_errors_point_at_the_parameter_as_sent(api: Api) -> None:
    """Pointers name the parameter of the URL (`from`), not the handler's argument."""
    cases = {
        "/api/v1/customers?limit=1000": "#/query/limit",
        "/api/v1/customers?status=gone": "#/query/status",
        "/api/v1/renewals?from=2026/12/03&to=2027-12-03": "#/query/from",
        "/api/v1/renewals?from=2026-12-03": "#/query/to",
    }
    for path, pointer in cases.items():
        response = api.get(path)
        assert response.status_code == 400, path
        assert [error["pointer"] for error in response.json()["errors"]] == [pointer], path
    missing = api.get("/api/v1/renewals?from=2026-12-03").json()["errors"][0]
    assert missing["detail"] == "is required"
    # With both missing, the framework names the first it looks for.
    both = api.get("/api/v1/renewals").json()["errors"]
    assert [error["pointer"] for error in both] in (["#/query/from"], ["#/query/to"])


def test_a_query_parameter_the_route_does_not_take_is_refused(api: Api) -> None:
    # A misspelled filter must not quietly list the whole agency.
    typo = api.get("/api/v1/policies", params={"policyholder_id": create(api)["id"]})
    assert typo.status_code == 400
    error = typo.json()["errors"][0]
    assert error["pointer"] == "#/query/policyholder_id"
    assert "customer_id" in error["detail"]  # what the route does take
    twice = api.get("/api/v1/customers?q=ヤマダ&q=タナカ")
    assert twice.status_code == 400
    assert twice.json()["errors"][0]["pointer"] == "#/query/q"
    assert api.get("/api/v1/auth/me?debug=1").status_code == 400
    assert api.get("/api/v1/customers", params={"q": "ヤマダ", "limit": 5}).status_code == 200


def test_a_contact_in_local_time_is_kept_in_utc_and_one_without_offset_refused(
    api: Api,
) -> None:
    base = {
        "customer_id": create(api)["id"],
        "channel": "phone",
        "agent_id": "agent-tanaka",
        "kind": "other",
        "summary": "満期のご案内",
    }
    local = api.post("/api/v1/contacts", json={**base, "occurred_at": "2026-12-03T10:00:00+09:00"})
    assert local.status_code == 201, local.text
    assert local.json()["occurred_at"] == "2026-12-03T01:00:00Z"
    naive = api.post("/api/v1/contacts", json={**base, "occurred_at": "2026-12-03T10:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["pointer"] == "/occurred_at"
    for edge in ("0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-09:00"):
        beyond = api.post("/api/v1/contacts", json={**base, "occurred_at": edge})
        assert beyond.status_code in (400, 422), beyond.text
        assert beyond.json()["errors"][0]["pointer"] == "/occurred_at"


def test_an_invalid_choice_is_answered_with_the_valid_ones(api: Api) -> None:
    in_query = api.get("/api/v1/customers?status=gone").json()["errors"][0]
    assert in_query["detail"] == "must be one of active, archived"
    body = {"customer_id": create(api)["id"], "occurred_at": "2026-12-01T01:00:00Z"}
    body |= {"channel": "pigeon", "agent_id": "agent-tanaka", "kind": "other", "summary": "x"}
    in_body = api.post("/api/v1/contacts", json=body).json()["errors"]
    assert in_body == [
        {
            "pointer": "/channel",
            "detail": "must be one of visit, phone, email, letter, online, other",
        }
    ]
