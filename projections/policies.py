"""Policies, who each policy concerns, and the renewals (満期) list.

`policy_customers` lists, per policy, its policyholder and its insured, so that "the
policies of this customer" is one index range whichever role the customer has.
`renewals` holds exactly the in-force policies, keyed by end date: the renewals due in
a window are one range of one index, whatever share of the book has lapsed or ended.
Both are derived from the policy's own row after each change, so no handler has to
know how the other columns moved.
"""

from __future__ import annotations

import json

from domain.policy import IN_FORCE, Policy
from projections.fields import (
    FieldColumns,
    changed_values,
    column,
    columns_of,
    registered_values,
)
from projections.projection import Handlers, Projection
from projections.rows import created_columns, update_row
from projections.schema import KEY, Index, Table
from projections.values import day, json_list, uid
from projections.view import View

POLICIES = Table(
    "policies",
    f"id {KEY} PRIMARY KEY, agency_id {KEY} NOT NULL, insurer {KEY} NOT NULL, "
    f"line {KEY} NOT NULL, policy_number {KEY} NOT NULL, policyholder_id {KEY} NOT NULL, "
    f"insured_ids TEXT NOT NULL, premium BIGINT NOT NULL, payment_frequency {KEY} NOT NULL, "
    f"start_date {KEY} NOT NULL, end_date {KEY}, status {KEY} NOT NULL, "
    f"agent_id {KEY}, version INTEGER NOT NULL, "
    f"created_at {KEY} NOT NULL, updated_at {KEY} NOT NULL",
    (
        Index("policies_by_start_date", "agency_id, start_date, id"),
        Index("policies_by_agent", "agency_id, agent_id, start_date, id"),
        Index("policies_by_insurer", "agency_id, insurer, start_date, id"),
        Index("policies_by_status", "agency_id, status, start_date, id"),
    ),
)
POLICY_CUSTOMERS = Table(
    "policy_customers",
    f"policy_id {KEY} NOT NULL, customer_id {KEY} NOT NULL, agency_id {KEY} NOT NULL, "
    "PRIMARY KEY (policy_id, customer_id)",
    (Index("policy_customers_by_customer", "agency_id, customer_id, policy_id"),),
)
RENEWALS = Table(
    "renewals",
    f"policy_id {KEY} PRIMARY KEY, agency_id {KEY} NOT NULL, end_date {KEY} NOT NULL, "
    f"agent_id {KEY}",
    (
        Index("renewals_by_end_date", "agency_id, end_date, policy_id"),
        Index("renewals_by_agent", "agency_id, agent_id, end_date, policy_id"),
    ),
)

FIELDS: dict[str, FieldColumns] = {
    "insurer": column("insurer"),
    "line": column("line"),
    "policy_number": column("policy_number"),
    "policyholder_id": column("policyholder_id", uid),
    "insured_ids": column("insured_ids", json_list),
    "premium": column("premium"),
    "payment_frequency": column("payment_frequency"),
    "start_date": column("start_date", day),
    "end_date": column("end_date", day),
    "agent_id": column("agent_id"),
}
# The changes that move a policy in the lists derived from its row.
PARTY_FIELDS = frozenset({"policyholder_id", "insured_ids"})
RENEWAL_FIELDS = frozenset({"end_date", "agent_id"})

handlers = Handlers()


@handlers.on(Policy.Registered)
def registered(view: View, event: Policy.Registered) -> None:
    view.insert(
        "policies",
        {
            **created_columns(event),
            "agency_id": uid(event.agency_id),
            **columns_of(FIELDS, registered_values(FIELDS, event)),
            "status": event.status,
        },
    )
    _derive_parties(view, str(event.originator_id))
    _derive_renewal(view, str(event.originator_id))


@handlers.on(Policy.Changed)
def changed(view: View, event: Policy.Changed) -> None:
    values = changed_values(event.changes)
    update_row(view, "policies", event, columns_of(FIELDS, values))
    if PARTY_FIELDS & values.keys():
        _derive_parties(view, str(event.originator_id))
    if RENEWAL_FIELDS & values.keys():
        _derive_renewal(view, str(event.originator_id))


@handlers.on(Policy.StatusChanged)
def status_changed(view: View, event: Policy.StatusChanged) -> None:
    update_row(view, "policies", event, {"status": event.new})
    _derive_renewal(view, str(event.originator_id))


def _derive_parties(view: View, policy_id: str) -> None:
    """List the policy under its policyholder and under each insured, once each."""
    view.execute(
        "SELECT agency_id, policyholder_id, insured_ids FROM {policies} WHERE id = ?",
        (policy_id,),
    )
    policy = view.fetchone()
    assert policy is not None, "a policy's events come after its registration"
    customers = dict.fromkeys([policy["policyholder_id"], *json.loads(policy["insured_ids"])])
    view.execute("DELETE FROM {policy_customers} WHERE policy_id = ?", (policy_id,))
    view.executemany(
        "INSERT INTO {policy_customers} (policy_id, customer_id, agency_id) VALUES (?, ?, ?)",
        [(policy_id, customer_id, policy["agency_id"]) for customer_id in customers],
    )


def _derive_renewal(view: View, policy_id: str) -> None:
    """List the policy among the renewals if, and as, it is in force and matures: a
    policy without an end date (終身, whole life) never comes up for renewal."""
    view.execute("DELETE FROM {renewals} WHERE policy_id = ?", (policy_id,))
    view.execute(
        "INSERT INTO {renewals} (policy_id, agency_id, end_date, agent_id) "
        "SELECT id, agency_id, end_date, agent_id FROM {policies} "
        "WHERE id = ? AND status = ? AND end_date IS NOT NULL",
        (policy_id, IN_FORCE),
    )


PROJECTION = Projection(
    name="policies",
    layout=1,
    tables=(POLICIES, POLICY_CUSTOMERS, RENEWALS),
    handlers=handlers,
)
