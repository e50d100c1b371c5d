"""Read models built from the event log, for the JSON API.

Each projection (customers, policies, households, contacts, users) owns some tables,
applies the events it reads exactly once and records how far it got; `runner.Projections`
keeps them caught up and rebuilds them; `queries` is what the API reads. The projections
read the domain's events through the ledger and never write events.
"""
