"""Bringing a parsed agency spreadsheet into the ledger, row by row.

Each good row is saved on its own (customer and policy in one append), so a row the
domain refuses costs only that row. Customers and policies get ids derived from their
natural keys with the agency's secret, so importing the same file again finds the same
records and records only what really changed.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain import text
from domain.agency import Agency
from domain.context import EventContext
from domain.customer import Customer
from domain.customer import natural_key as natural_customer_key
from domain.errors import DomainError
from domain.import_job import ImportJob
from domain.policy import Policy, natural_key
from infra.clock import today_in_japan
from infra.ledger import Ledger
from services.imports.encoding import decode_csv_bytes
from services.imports.rows import ImportRow, RejectedRow, parse_csv
from services.requests import RequestMeta

# The job's permanent record keeps the first rejections and their count: a garbage file
# must not turn into a huge event in an append-only log.
MAX_REJECTIONS_RECORDED = 1000


@dataclass
class ImportSummary:
    job_id: UUID
    file_sha256: str
    encoding: str
    dry_run: bool
    customers_created: int = 0
    customers_matched: int = 0
    policies_created: int = 0
    policies_updated: int = 0
    rows_imported: int = 0
    rows_rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self, max_rejections: int | None = None) -> dict[str, Any]:
        """The summary as JSON; `max_rejections` keeps a response to a garbage upload
        small (`rows_rejected_count` still says how many there were)."""
        return {
            "job_id": str(self.job_id),
            "file_sha256": self.file_sha256,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "customers_created": self.customers_created,
            "customers_matched": self.customers_matched,
            "policies_created": self.policies_created,
            "policies_updated": self.policies_updated,
            "rows_imported": self.rows_imported,
            "rows_rejected": [
                {"line": r.line, "reason": r.reason} for r in self.rows_rejected[:max_rejections]
            ],
            "rows_rejected_count": len(self.rows_rejected),
            "ignored_columns": self.ignored_columns,
        }


def customer_key(row: ImportRow) -> str:
    """Who a row's customer is. The parser has already refused rows that carry neither
    a birth date nor a phone number."""
    key = natural_customer_key(row.kind, row.name, row.birth_date, row.phones)
    assert key is not None
    return key


class _Job:
    """The state of one run: aggregates touched so far, and the counts."""

    def __init__(
        self,
        ledger: Ledger,
        agency: Agency,
        context: EventContext,
        summary: ImportSummary,
        default_insurer: str | None,
    ) -> None:
        self.default_insurer = default_insurer
        self.ledger = ledger
        self.agency = agency
        self.context = context
        self.summary = summary
        self.today = today_in_japan()
        self.loaded: dict[UUID, Aggregate] = {}
        self.created: set[UUID] = set()
        self.matched: set[UUID] = set()
        self.policies_created: set[UUID] = set()
        self.policies_updated: set[UUID] = set()

    def _get(self, aggregate_id: UUID) -> Aggregate | None:
        if aggregate_id not in self.loaded:
            try:
                self.loaded[aggregate_id] = self.ledger.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return self.loaded[aggregate_id]

    def apply(self, row: ImportRow) -> None:
        """Applies one row, or raises DomainError leaving every loaded record as it was.

        A record another writer changed meanwhile (another import of the same file, a
        user's edit) is re-read from the store and the row applied once more.
        """
        try:
            self._apply(row)
        except IntegrityError:
            self.loaded.clear()
            try:
                self._apply(row)
            except IntegrityError:
                raise DomainError(
                    "row", "its records were being changed by another writer; import again"
                ) from None

    def _apply(self, row: ImportRow) -> None:
        customer_id = self.agency.derive_id("customer", customer_key(row))
        insurer = row.insurer or self.default_insurer
        policy_id = None
        if row.policy_number:
            if not insurer:
                raise DomainError(
                    "insurer",
                    "is required with a policy number: add a 保険会社 column, or name "
                    "the insurer of the whole file (--insurer, or the upload's insurer field)",
                )
            policy_id = self.agency.derive_id("policy", natural_key(insurer, row.policy_number))
        before = {i: copy.deepcopy(self.loaded.get(i)) for i in (customer_id, policy_id) if i}
        try:
            touched: list[Aggregate] = [self._apply_customer(customer_id, row)]
            if policy_id is not None:
                touched.append(self._apply_policy(policy_id, customer_id, row, insurer))
            if self.summary.dry_run:
                recorded = [event for record in touched for event in record.collect_events()]
            else:
                recorded = [recording.domain_event for recording in self.ledger.save(*touched)]
        except Exception:
            for aggregate_id, aggregate in before.items():
                if aggregate is None:
                    self.loaded.pop(aggregate_id, None)
                else:
                    self.loaded[aggregate_id] = aggregate
            raise
        self._count(customer_id, recorded)

    def _count(self, customer_id: UUID, recorded: list[Any]) -> None:
        """Counts distinct records from what this row actually recorded, so that
        concurrent imports of the same file never both claim a record."""
        for event in recorded:
            if isinstance(event, Customer.Registered):
                self.created.add(event.originator_id)
            elif isinstance(event, Policy.Registered):
                self.policies_created.add(event.originator_id)
            elif isinstance(event, Policy.Changed | Policy.StatusChanged):
                if event.originator_id not in self.policies_created:
                    self.policies_updated.add(event.originator_id)
        if customer_id not in self.created:
            self.matched.add(customer_id)

    def _apply_customer(self, customer_id: UUID, row: ImportRow) -> Customer:
        customer = self._get(customer_id)
        fields: dict[str, Any] = {
            "kana": row.kana,
            "birth_date": row.birth_date,
            "postal_code": row.postal_code,
            "address": row.address,
            "email": row.email,
            "agent_id": row.agent,
        }
        given = {name: value for name, value in fields.items() if value is not None}
        if customer is None:
            customer = Customer.register(
                self.context,
                id=customer_id,
                today=self.today,
                kind=row.kind,
                name=row.name,
                kana=row.kana or row.name,
                phones=list(row.phones),
                **{k: v for k, v in given.items() if k != "kana"},
            )
            self.loaded[customer_id] = customer
            return customer
        assert isinstance(customer, Customer)
        if customer_id in self.created or customer_id in self.matched:
            # A later row of a customer this file already applied (one row per policy)
            # only fills what is still empty: its 担当 is that policy's agent, and
            # letting each row overwrite the last flipped the customer's agent back and
            # forth on every re-import, recording changes where nothing changed.
            given = {k: v for k, v in given.items() if getattr(customer, k, None) is None}
        # Phones accumulate: a number in the file that the customer lacks is added.
        new_phones = [
            p for p in row.phones if p not in {text.phone_digits(q) for q in customer.phones}
        ]
        if new_phones:
            given["phones"] = [*customer.phones, *new_phones]
        customer.change(self.context, today=self.today, **given)
        return customer

    def _apply_policy(
        self, policy_id: UUID, customer_id: UUID, row: ImportRow, insurer: str | None
    ) -> Policy:
        policy = self._get(policy_id)
        fields: dict[str, Any] = {
            "line": row.insurance_line,
            "premium": row.premium,
            "payment_frequency": row.payment_frequency,
            "start_date": row.start_date,
            "end_date": row.end_date,
            "agent_id": row.agent,
        }
        if policy is None:
            # A policy without 満期日 is one without maturity (終身): end_date None.
            missing = [name for name in ("premium", "start_date") if fields[name] is None]
            if missing:
                raise DomainError(missing[0], "is required for a new policy")
            # Defaults for a new policy only: an update keeps what the file leaves out.
            fields["line"] = fields["line"] or "other"
            fields["payment_frequency"] = fields["payment_frequency"] or "annual"
            policy = Policy.register(
                self.context,
                id=policy_id,
                insurer=insurer or "",
                policy_number=row.policy_number or "",
                policyholder_id=customer_id,
                **fields,
            )
            self.loaded[policy_id] = policy
            return policy
        assert isinstance(policy, Policy)
        policy.change(self.context, **{k: v for k, v in fields.items() if v is not None})
        return policy


def run_import(
    ledger: Ledger,
    agency: Agency,
    meta: RequestMeta,
    data: bytes,
    *,
    encoding: str = "auto",
    dry_run: bool = False,
    default_insurer: str | None = None,
) -> ImportSummary:
    """Imports one CSV file for `agency`. Raises UnusableInput when nothing can be read;
    otherwise every good row is imported and every bad one reported by line."""
    text_, used = decode_csv_bytes(data, encoding)
    parsed = parse_csv(text_)
    job_id = uuid.uuid4()
    summary = ImportSummary(
        job_id=job_id,
        file_sha256=hashlib.sha256(data).hexdigest(),
        encoding=used,
        dry_run=dry_run,
        rows_rejected=list(parsed.rejected),
        ignored_columns=list(parsed.ignored_columns),
    )
    # The job's own events carry who ran it; the records' events carry the job, which
    # leads to the file and, through its Started event, to that person.
    job_context = meta.for_agency(agency.id).context()
    context = RequestMeta(
        actor=f"system:import:{job_id}",
        agency_id=agency.id,
        request_id=meta.request_id,
        source=meta.source,
    ).context()
    job_record = ImportJob.start(
        job_context,
        id=job_id,
        file_sha256=summary.file_sha256,
        file_size=len(data),
        encoding=used,
        rows=len(parsed.rows) + len(parsed.rejected),
    )
    if not dry_run:
        ledger.save(job_record)
    job = _Job(ledger, agency, context, summary, default_insurer)
    try:
        for row in parsed.rows:
            try:
                job.apply(row)
                summary.rows_imported += 1
            except DomainError as error:
                summary.rows_rejected.append(RejectedRow(row.line, str(error)))
    except Exception as error:
        # The rows saved so far stay saved; the job's record says it stopped, and why.
        job_record.abort(
            job_context, error_type=type(error).__name__, rows_imported=summary.rows_imported
        )
        if not dry_run:
            ledger.save(job_record)
        raise
    summary.rows_rejected.sort(key=lambda r: r.line)
    summary.customers_created = len(job.created)
    summary.customers_matched = len(job.matched)
    summary.policies_created = len(job.policies_created)
    summary.policies_updated = len(job.policies_updated)
    job_record.complete(
        job_context,
        customers_created=summary.customers_created,
        customers_matched=summary.customers_matched,
        policies_created=summary.policies_created,
        policies_updated=summary.policies_updated,
        rows_rejected=[
            {"line": r.line, "reason": r.reason}
            for r in summary.rows_rejected[:MAX_REJECTIONS_RECORDED]
        ],
        rows_rejected_count=len(summary.rows_rejected),
    )
    if not dry_run:
        ledger.save(job_record)
    return summary
