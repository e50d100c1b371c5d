"""Every projection the read side keeps, in the order they are caught up."""

from __future__ import annotations

from projections import contacts, customers, households, policies, users
from projections.projection import Projection

PROJECTIONS: tuple[Projection, ...] = (
    customers.PROJECTION,
    policies.PROJECTION,
    households.PROJECTION,
    contacts.PROJECTION,
    users.PROJECTION,
)
