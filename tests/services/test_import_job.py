"""The import job under pressure: concurrent imports and garbage files."""

from __future__ import annotations

import threading
from pathlib import Path

from domain.import_job import ImportJob
from infra.ledger import Ledger
from services.agencies import register_agency
from services.imports.job import MAX_REJECTIONS_RECORDED, run_import
from services.requests import cli_meta

DATA = Path(__file__).parent.parent / "data"


def test_the_same_file_imported_twice_at_once_loses_nothing(ledger: Ledger) -> None:
    agency = register_agency(ledger, cli_meta(), code="sakura", name="さくら保険サービス")
    content = (DATA / "agency_export_cp932.csv").read_bytes()
    summaries, errors = [], []

    def run() -> None:
        try:
            summaries.append(run_import(ledger, agency, cli_meta(), content))
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(s.customers_created for s in summaries) == 25
    assert sum(s.policies_created for s in summaries) == 35
    for summary in summaries:
        unexpected = [r for r in summary.rows_rejected if r.line not in (7, 15, 24, 33)]
        assert all("another writer" in r.reason for r in unexpected)
        job = ledger.repository.get(summary.job_id)
        assert isinstance(job, ImportJob) and job.completed


def test_a_garbage_file_leaves_a_bounded_record(ledger: Ledger) -> None:
    agency = register_agency(ledger, cli_meta(), code="sakura", name="さくら保険サービス")
    rows = "".join(f"山田 太郎{i},,,\n" for i in range(MAX_REJECTIONS_RECORDED + 500))
    content = ("氏名,フリガナ,生年月日,証券番号\n" + rows).encode()

    summary = run_import(ledger, agency, cli_meta(), content)

    assert len(summary.rows_rejected) == MAX_REJECTIONS_RECORDED + 500
    events = ledger.events.get(summary.job_id)
    completed = [e for e in events if isinstance(e, ImportJob.Completed)][0]
    assert len(completed.rows_rejected) == MAX_REJECTIONS_RECORDED
    assert completed.rows_rejected_count == MAX_REJECTIONS_RECORDED + 500
    assert len(summary.as_dict(10)["rows_rejected"]) == 10


def test_a_re_import_without_line_or_payment_columns_keeps_what_the_policy_has(
    ledger: Ledger,
) -> None:
    from domain.policy import Policy

    agency = register_agency(ledger, cli_meta(), code="sakura", name="さくら保険サービス")
    full = (
        "氏名,生年月日,保険会社,証券番号,種目,払込方法,保険料,始期日\n"
        "松本 花子,1980/4/1,ひまわり生命,L-1001,終身保険,月払,12000,2024/4/1\n"
    )
    partial = (
        "氏名,生年月日,保険会社,証券番号,保険料\n松本 花子,1980/4/1,ひまわり生命,L-1001,13000\n"
    )
    run_import(ledger, agency, cli_meta(), full.encode())

    summary = run_import(ledger, agency, cli_meta(), partial.encode())

    assert summary.rows_rejected == [] and summary.policies_updated == 1
    (policy_id,) = [
        n.originator_id for n in ledger.recorder.select_notifications(1, 100) if "Policy" in n.topic
    ][:1]
    policy = ledger.repository.get(policy_id)
    assert isinstance(policy, Policy)
    assert (policy.line, policy.payment_frequency, policy.premium) == ("life", "monthly", 13000)
