"""The demo agency: generated, Japanese-looking people, never real ones.

About 1,000 customers, 2,500 policies and 3,000 contact records, with renewals spread
over the coming year, and one login per role. Seeded, so every machine gets the same
agency; passwords are fresh at every start and printed once.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from faker import Faker

from domain.agency import Agency
from domain.contact import ContactRecord
from domain.customer import Customer
from domain.customer import natural_key as natural_customer_key
from domain.errors import DomainError
from domain.household import Household
from domain.policy import Policy
from domain.policy import natural_key as natural_policy_key
from domain.roles import ROLES
from infra.clock import today_in_japan
from infra.ledger import Ledger
from projections.database import open_database
from services import sessions
from services.agencies import UnknownAgency, agency_by_code, register_agency
from services.requests import RequestMeta, cli_meta
from services.users import UnknownUser, add_user, reset_password

DEMO_CODE = "demo"
DEMO_NAME = "デモ保険サービス株式会社"
CUSTOMERS = 1000
POLICIES = 2500
CONTACTS = 3000
SAVE_BATCH = 250

# Real postal codes with the town they belong to (public reference data).
PLACES = [
    ("1600023", "東京都新宿区西新宿"),
    ("1000005", "東京都千代田区丸の内"),
    ("5300001", "大阪府大阪市北区梅田"),
    ("4600008", "愛知県名古屋市中区栄"),
    ("0600001", "北海道札幌市中央区北一条西"),
    ("8120011", "福岡県福岡市博多区博多駅前"),
    ("9800021", "宮城県仙台市青葉区中央"),
    ("7300011", "広島県広島市中区基町"),
    ("6500001", "兵庫県神戸市中央区加納町"),
    ("6008216", "京都府京都市下京区東塩小路町"),
    ("9000006", "沖縄県那覇市おもろまち"),
    ("2200012", "神奈川県横浜市西区みなとみらい"),
    ("3300853", "埼玉県さいたま市大宮区錦町"),
    ("2600028", "千葉県千葉市中央区新町"),
    ("9500087", "新潟県新潟市中央区東大通"),
    ("9200858", "石川県金沢市木ノ新保町"),
    ("4200851", "静岡県静岡市葵区黒金町"),
    ("7000024", "岡山県岡山市北区駅元町"),
    ("7900001", "愛媛県松山市一番町"),
    ("8600047", "熊本県熊本市西区春日"),
]
INSURERS = {
    "auto": [
        "東京海上日動火災保険",
        "損害保険ジャパン",
        "三井住友海上火災保険",
        "あいおいニッセイ同和損害保険",
    ],
    "fire": ["東京海上日動火災保険", "損害保険ジャパン", "三井住友海上火災保険"],
    "life": ["日本生命保険", "第一生命保険", "明治安田生命保険", "住友生命保険"],
    "medical": ["アフラック生命保険", "メットライフ生命保険", "オリックス生命保険"],
    "liability": ["東京海上日動火災保険", "三井住友海上火災保険"],
}
PRODUCTS = {
    "auto": ["個人用自動車保険", "総合自動車保険", "ドライバー保険"],
    "fire": ["住まいの保険", "火災保険ベーシック", "家財保険"],
    "life": ["終身保険", "定期保険", "収入保障保険"],
    "medical": ["医療保険", "がん保険", "就業不能保険"],
    "liability": ["個人賠償責任保険", "施設賠償責任保険"],
}
AGENTS = ["agent-tanaka", "agent-suzuki", "agent-sato", "agent-ito", "agent-kato"]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


def load_demo(ledger: Ledger) -> list[DemoLogin]:
    """Creates the demo agency unless it exists, and returns a fresh login per role."""
    try:
        agency = agency_by_code(ledger, DEMO_CODE)
    except UnknownAgency:
        agency = register_agency(ledger, cli_meta("demo"), code=DEMO_CODE, name=DEMO_NAME)
        _generate(
            ledger,
            agency,
            RequestMeta(
                actor="system:demo",
                agency_id=agency.id,
                request_id=secrets.token_hex(8),
                source="cli",
            ),
        )
    meta = cli_meta("demo", agency.id)
    logins = []
    db = open_database(ledger.settings)
    try:
        sessions.create_tables(db)
        for role in sorted(ROLES):
            username = f"demo-{role}"
            password = secrets.token_urlsafe(12)
            try:
                # New passwords end the old ones' sessions, as any password reset does.
                reset_password(ledger, db, meta, agency, username, password)
            except UnknownUser:
                add_user(ledger, meta, agency, username=username, role=role, password=password)
            except DomainError:
                continue  # deactivated by an operator: it stays so, and gets no login
            logins.append(DemoLogin(role, username, password))
    finally:
        db.close()
    return logins


def _generate(ledger: Ledger, agency: Agency, meta: RequestMeta) -> None:
    fake = Faker("ja_JP")
    Faker.seed(20261203)
    rng = random.Random(20261203)
    context = meta.context("demo data")
    today = today_in_japan()
    pending: list[object] = []

    def keep(record: object) -> None:
        pending.append(record)
        if len(pending) >= SAVE_BATCH:
            ledger.save(*pending)  # type: ignore[arg-type]
            pending.clear()

    households: list[UUID] = []
    customers: list[UUID] = []
    while (index := len(customers)) < CUSTOMERS:
        last, last_kana, _ = fake.last_name_pair()
        first, first_kana, _ = rng.choice(
            [fake.first_name_male_pair, fake.first_name_female_pair]
        )()
        name = f"{last} {first}"
        birth_date = today - timedelta(days=rng.randint(20 * 365, 85 * 365))
        # The id the API and imports derive, so that they find the demo's customers.
        key = natural_customer_key("person", name, birth_date, ())
        customer_id = agency.derive_id("customer", key)  # type: ignore[arg-type]
        if customer_id in customers:
            continue  # the same name and birthday twice: one person
        household_id = None
        if index % 4 == 0:
            household = Household.form(context, name=f"{last}家")
            keep(household)
            households.append(household.id)
            household_id = household.id
        postal_code, town = rng.choice(PLACES)
        customer = Customer.register(
            context,
            id=customer_id,
            today=today,
            kind="person",
            name=name,
            kana=f"{last_kana} {first_kana}",
            birth_date=birth_date,
            postal_code=postal_code,
            address=f"{town}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}",
            phones=[_phone(rng, rng.choice(["03", "06", "052", "092", "011"])), _phone(rng, "090")][
                : rng.randint(1, 2)
            ],
            email=f"demo{index:04d}@example.jp" if rng.random() < 0.6 else None,
            household_id=household_id,
            agent_id=rng.choice(AGENTS),
        )
        keep(customer)
        customers.append(customer.id)

    for index in range(POLICIES):
        line = rng.choice(list(INSURERS))
        end = today + timedelta(days=rng.randint(1, 365))
        start = (
            end.replace(year=end.year - 1)
            if (end.month, end.day) != (2, 29)
            else end - timedelta(days=365)
        )
        insurer = rng.choice(INSURERS[line])
        policy_number = f"D{index:06d}{rng.randint(100, 999)}"
        keep(
            Policy.register(
                context,
                id=agency.derive_id("policy", natural_policy_key(insurer, policy_number)),
                insurer=insurer,
                line=line,
                policy_number=policy_number,
                policyholder_id=rng.choice(customers),
                premium=rng.randint(30, 3000) * 100,
                payment_frequency=rng.choice(["monthly", "annual"]),
                start_date=start,
                end_date=None if line == "life" and rng.random() < 0.5 else end,
                agent_id=rng.choice(AGENTS),
            )
        )

    for _ in range(CONTACTS):
        kind = rng.choices(
            ["general", "intent_confirmation", "comparison_recommendation"], weights=[6, 2, 2]
        )[0]
        line = rng.choice(list(PRODUCTS))
        details: dict[str, object] = {}
        if kind == "intent_confirmation":
            details = {
                "customer_intent": "保障を見直したい。保険料は現状程度に抑えたい。",
                "products_proposed": [rng.choice(PRODUCTS[line])],
            }
        elif kind == "comparison_recommendation":
            proposed = rng.sample(PRODUCTS[line], 2)
            details = {
                "products_proposed": proposed,
                "recommended_product": proposed[0],
                "recommendation_reason": "ご意向の保障内容を満たし、保険料が最も低いため。",
            }
        keep(
            ContactRecord.record(
                context,
                customer_id=rng.choice(customers),
                occurred_at=datetime.now(UTC)
                - timedelta(days=rng.randint(0, 720), minutes=rng.randint(0, 600)),
                now=datetime.now(UTC),
                channel=rng.choice(["visit", "phone", "email", "online"]),
                agent_id=rng.choice(AGENTS),
                kind=kind,
                summary=rng.choice(
                    [
                        "満期案内の連絡。",
                        "住所変更の申出を受けた。",
                        "補償内容の説明を行った。",
                        "事故受付の連絡。",
                    ]
                ),
                **details,
            )
        )
    if pending:
        ledger.save(*pending)  # type: ignore[arg-type]


def _phone(rng: random.Random, prefix: str) -> str:
    return f"{prefix}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
