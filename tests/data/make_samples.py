"""Generate the sample agency exports in this folder (the generated files are committed).

Run from the repository root: .venv/bin/python tests/data/make_samples.py

Everything is seeded, so a run with the same Faker version writes the same bytes. The
people are invented (Faker ja_JP names, random birth dates and phone numbers); postal
codes and town names are real, so that the files look like what agencies export. E-mail
addresses use reserved example domains.

The tests do not import this script: they read the files and state their expectations
(line numbers of broken rows, counts) independently, so a change here that moves a broken
row shows up as a failing test rather than silently moving the expectation with it.
"""

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jaconv
from faker import Faker

HERE = Path(__file__).parent
SEED = 20240401

# (postal code, town as the post office writes it, landline area code)
TOWNS = (
    ("160-0023", "東京都新宿区西新宿", "03"),
    ("100-0005", "東京都千代田区丸の内", "03"),
    ("150-0002", "東京都渋谷区渋谷", "03"),
    ("060-0001", "北海道札幌市中央区北一条西", "011"),
    ("530-0001", "大阪府大阪市北区梅田", "06"),
    ("460-0008", "愛知県名古屋市中区栄", "052"),
    ("812-0011", "福岡県福岡市博多区博多駅前", "092"),
    ("980-0021", "宮城県仙台市青葉区中央", "022"),
    ("730-0011", "広島県広島市中区基町", "082"),
    ("650-0001", "兵庫県神戸市中央区加納町", "078"),
    ("220-0012", "神奈川県横浜市西区みなとみらい", "045"),
    ("330-0063", "埼玉県さいたま市浦和区高砂", "048"),
    ("260-0013", "千葉県千葉市中央区中央", "043"),
    ("600-8216", "京都府京都市下京区東塩小路町", "075"),
    ("900-0006", "沖縄県那覇市おもろまち", "098"),
    ("010-0001", "秋田県秋田市中通", "018"),
    ("030-0801", "青森県青森市新町", "017"),
    ("420-0851", "静岡県静岡市葵区黒金町", "054"),
)
BUILDINGS = ("メゾン{}", "ハイツ{}", "パークハウス{}", "グランドメゾン{}", "コーポ{}")
NON_LIFE = (
    "東京海上日動火災保険",
    "損害保険ジャパン",
    "三井住友海上火災保険",
    "あいおいニッセイ同和損害保険",
)
LIFE = ("日本生命保険", "第一生命保険", "アフラック生命保険", "メットライフ生命保険")
# (product, insurer family, premium range in yen, years of cover or None for whole life)
PRODUCTS = (
    ("総合自動車保険", NON_LIFE, (38_000, 124_000), 1),
    ("火災保険", NON_LIFE, (12_000, 68_000), 5),
    ("地震保険", NON_LIFE, (8_000, 36_000), 5),
    ("個人賠償責任保険", NON_LIFE, (1_500, 4_800), 1),
    ("傷害保険", NON_LIFE, (6_000, 24_000), 1),
    ("終身保険", LIFE, (120_000, 360_000), None),
    ("医療保険", LIFE, (24_000, 84_000), 10),
    ("がん保険", LIFE, (18_000, 60_000), 10),
    ("収入保障保険", LIFE, (36_000, 96_000), 20),
    ("ペット保険", NON_LIFE, (20_000, 48_000), 1),
)
EMAIL_DOMAINS = ("example.jp", "example.com", "example.ne.jp")  # reserved for examples
FREQUENCIES = ("年払", "月払", "年払", "一時払", "半年払")
ERAS = (  # the generator's own era table, so the samples do not lean on the code under test
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
)


@dataclass(frozen=True)
class Person:
    name: str
    kana: str
    birth: date | None
    postal: str
    town: str
    street: str
    building: str
    landline: str
    mobile: str
    email: str
    kind: str


@dataclass(frozen=True)
class Policy:
    insurer: str
    number: str
    product: str
    premium: int
    frequency: str
    start: date
    end: date | None


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("ja_JP")
        self.fake.seed_instance(seed)
        self.agents = [self._agent() for _ in range(4)]

    def _agent(self) -> str:
        return f"{self.fake.last_name()} {self.fake.first_name()}"

    def digits(self, count: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(count))

    def person(self, corporation: bool = False) -> Person:
        rng = self.rng
        postal, town, area = rng.choice(TOWNS)
        last, last_kana, _ = self.fake.last_name_pair()
        first, first_kana, _ = self.fake.first_name_pair()
        if corporation:
            name = f"株式会社{last}{rng.choice(('商事', '工務店', '運輸', '不動産'))}"
            kana = f"カブシキガイシャ{last_kana}"
        else:
            name, kana = f"{last} {first}", f"{last_kana} {first_kana}"
        local = self.digits(10 - len(area))
        landline = f"{area}-{local[: len(local) - 4]}-{local[-4:]}"
        return Person(
            name=name,
            kana=kana,
            birth=None if corporation else date(1940, 1, 1) + timedelta(days=rng.randrange(22_000)),
            postal=postal,
            town=town,
            street=f"{rng.randint(1, 5)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}",
            building=(
                rng.choice(BUILDINGS).format(rng.randint(101, 905)) if rng.random() < 0.4 else ""
            ),
            landline=landline,
            mobile=f"0{rng.choice('789')}0-{self.digits(4)}-{self.digits(4)}",
            email=f"user{self.digits(5)}@{rng.choice(EMAIL_DOMAINS)}",
            kind="法人" if corporation else "個人",
        )

    def policy(self) -> Policy:
        rng = self.rng
        product, insurers, (low, high), years = rng.choice(PRODUCTS)
        start = date(rng.choice((2023, 2024)), rng.randint(1, 12), rng.randint(1, 28))
        return Policy(
            insurer=rng.choice(insurers),
            number=f"{rng.choice('ABCDEFGHJK')}{self.digits(9)}",
            product=product,
            premium=rng.randrange(low, high, 10),
            frequency="年払" if years is None else rng.choice(FREQUENCIES),
            start=start,
            end=None if years is None else start.replace(year=start.year + years),
        )

    def customers(self, rows: int, corporations: int) -> list[tuple[Person, Policy | None]]:
        """`rows` rows, a customer's policies on consecutive rows as agencies export them:
        some customers hold several policies, the corporations one each, and the customer
        on the second row none."""
        result: list[tuple[Person, Policy | None]] = [(self.person(), self.policy())]
        result.append((self.person(), None))
        for _ in range(corporations):
            result.append((self.person(corporation=True), self.policy()))
        while len(result) < rows:
            person = self.person()
            for _ in range(min(self.rng.choice((1, 1, 2, 3)), rows - len(result))):
                result.append((person, self.policy()))
        return result


def era_kanji(day: date) -> str:
    name, _, year = _era(day)
    return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def era_letter(day: date) -> str:
    _, letter, year = _era(day)
    return f"{letter}{year}.{day.month}.{day.day}"


def _era(day: date) -> tuple[str, str, int]:
    for name, letter, first in ERAS:
        if day >= first:
            return name, letter, day.year - first.year + 1
    raise ValueError("too early for the sample files")


def full_width(text: str) -> str:
    return jaconv.h2z(text, kana=False, ascii=True, digit=True)


def write_csv(path: Path, lines: list[list[str]], encoding: str) -> None:
    """Excel-style CSV: CRLF, quotes only where needed."""

    def quote(cell: str) -> str:
        if any(ch in cell for ch in ',"\r\n'):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    text = "".join(",".join(quote(cell) for cell in line) + "\r\n" for line in lines)
    path.write_bytes(text.encode(encoding))


def utf8_bom_sample(gen: Generator) -> None:
    header = [
        "氏名",
        "フリガナ",
        "生年月日",
        "郵便番号",
        "住所",
        "電話番号",
        "携帯電話",
        "メールアドレス",
        "保険会社",
        "証券番号",
        "種目",
        "保険料",
        "払込方法",
        "始期日",
        "満期日",
        "担当者",
        "個人法人",
    ]
    lines = [header]
    for person, policy in gen.customers(rows=30, corporations=2):
        agent = gen.rng.choice(gen.agents)
        lines.append(
            [
                person.name,
                person.kana,
                person.birth.isoformat() if person.birth else "",
                person.postal,
                f"{person.town}{person.street} {person.building}".strip(),
                person.landline,
                person.mobile if person.kind == "個人" else "",
                person.email,
                *(
                    [
                        policy.insurer,
                        policy.number,
                        policy.product,
                        str(policy.premium),
                        policy.frequency,
                        policy.start.isoformat(),
                        policy.end.isoformat() if policy.end else "",
                    ]
                    if policy
                    else [""] * 7
                ),
                agent,
                person.kind,
            ]
        )
    write_csv(HERE / "agency_export_utf8_bom.csv", lines, "utf-8-sig")


def cp932_sample(gen: Generator) -> None:
    header = [
        "氏名",
        "ﾌﾘｶﾞﾅ",
        "生年月日",
        "〒",
        "住所",
        "住所2",
        "電話",
        "携帯",
        "保険会社名",
        "証券No",
        "保険種目",
        "保険料(円)",
        "払方",
        "始期日",
        "満期日",
        "担当",
        "区分",
    ]
    title = ["顧客契約一覧（令和6年4月1日現在）"] + [""] * (len(header) - 1)
    date_styles = (
        lambda d: d.strftime("%Y/%m/%d"),
        era_kanji,
        era_letter,
        lambda d: f"{d.year}/{d.month}/{d.day}",
        lambda d: full_width(d.strftime("%Y/%m/%d")),
    )
    postal_styles = (
        lambda p: f"〒{p.replace('-', '－')}",
        lambda p: full_width(p).replace("-", "－"),
        lambda p: p,
        lambda p: p.replace("-", ""),
    )
    premium_styles = (
        lambda y: f"￥{y:,}",
        lambda y: f"\\{y:,}",
        lambda y: f"{y:,}",
        lambda y: f"{y}円",
        lambda y: full_width(f"{y:,}"),
    )
    rows = gen.customers(rows=40, corporations=2)
    # CP932 extension characters: IBM 髙 and 﨑 in names, NEC ㈱ in a company name and NEC ①
    # in a building name. rows[2] is a corporation; rows[0], [13] and [20] are people.
    changes: dict[int, dict[str, Any]] = {
        0: {"name": "髙橋 美咲", "kana": "タカハシ ミサキ"},
        2: {"name": "㈱髙松商事", "kana": "タカマツショウジ"},
        13: {"name": "山﨑 健太", "kana": "ヤマザキ ケンタ"},
        20: {"building": "サンハイツ①"},
    }
    for index, fields in changes.items():
        person = rows[index][0]
        rows = [(replace(p, **fields) if p == person else p, policy) for p, policy in rows]
    lines = [title, header]
    for index, (person, policy) in enumerate(rows):
        style = index % 5
        birth = date_styles[style](person.birth) if person.birth else ""
        phone = person.landline if index % 2 else person.landline.replace("-", "")
        mobile = full_width(person.mobile).replace("-", "－") if index % 7 == 3 else person.mobile
        line = [
            person.name,
            jaconv.z2h(person.kana, kana=True, ascii=False, digit=False),
            birth,
            postal_styles[index % 4](person.postal),
            f"{person.town}{person.street}",
            person.building,
            phone,
            mobile if person.kind == "個人" else "",
        ]
        if policy:
            line += [
                policy.insurer,
                policy.number,
                policy.product,
                premium_styles[index % 5](policy.premium),
                policy.frequency,
                date_styles[(style + 1) % 5](policy.start),
                date_styles[(style + 2) % 5](policy.end) if policy.end else "",
            ]
        else:
            line += [""] * 7
        line += [gen.rng.choice(gen.agents), person.kind]
        lines.append(line)
    # The four broken rows, on file lines 7, 15, 24 and 33 (lines[k] is file line k + 1).
    lines[6][3] = rows[4][0].postal.replace("-", "").lstrip("0")  # Excel ate the leading zero
    assert len(lines[6][3]) == 6, "broken row 1 must live in a town whose code starts with 0"
    lines[14][2] = "昭和64年1月8日"  # 昭和 ended on 1989-01-07
    lines[23][13] = "令和元年4月30日"  # 令和 began on 2019-05-01
    lines[32][11] = "abc"  # not an amount
    for broken in (lines[14], lines[23], lines[32]):
        assert broken[9], "broken rows 2-4 must be policy rows"
    write_csv(HERE / "agency_export_cp932.csv", lines, "cp932")


def utf8_sample(gen: Generator) -> None:
    header = [
        "顧客ID",
        "顧客名",
        "カナ氏名",
        "生年月日",
        "TEL",
        "携帯",
        "住所",
        "元受会社",
        "契約番号",
        "保険種類",
        "年間保険料",
        "始期",
        "満期",
        "担当募集人",
        "顧客区分",
        "備考",
    ]
    styles = (
        lambda d: f"{d.year}年{d.month}月{d.day}日",
        lambda d: d.strftime("%Y%m%d"),
        lambda d: f"{d.year}.{d.month}.{d.day}",
    )
    lines = [header]
    customer_ids: dict[Person, str] = {}
    for index, (person, policy) in enumerate(gen.customers(rows=20, corporations=1)):
        customer_id = customer_ids.setdefault(person, f"C{1001 + len(customer_ids)}")
        address = f"{person.town}{person.street}"
        if index == 2:
            building = person.building or "コーポ201"
            address = f"〒{person.postal}\n{person.town}{person.street}\n{building}"
        line = [
            customer_id,
            person.name,
            person.kana,
            styles[index % 3](person.birth) if person.birth else "",
            person.landline,
            person.mobile if person.kind == "個人" else "",
            address,
        ]
        if policy:
            line += [
                policy.insurer,
                policy.number,
                policy.product,
                f"{policy.premium:,}",
                styles[(index + 1) % 3](policy.start),
                styles[(index + 2) % 3](policy.end) if policy.end else "",
            ]
        else:
            line += [""] * 6
        line += [gen.rng.choice(gen.agents), person.kind, "紹介, 2023年" if index == 5 else ""]
        lines.append(line)
    # The four broken rows, on file lines 12, 15, 18 and 21: lines[k] is file line k + 1,
    # plus 2 for rows after lines[3], whose address cell spans three lines.
    lines[9][4], lines[9][5] = lines[9][4].replace("-", "").lstrip("0"), ""  # lost leading zero
    lines[12][8] = ""  # policy details without 契約番号
    lines[15][12] = lines[15][11]  # 満期 on the same day as 始期
    lines[18][3] = lines[18][4] = lines[18][5] = ""  # neither 生年月日 nor a phone
    for broken in (lines[12], lines[15]):
        assert broken[9], "broken rows 2 and 3 must be policy rows"
    write_csv(HERE / "agency_export_utf8.csv", lines, "utf-8")


def unusable_samples() -> None:
    latin1 = (
        "Name;Straße;Ort\r\n"
        "Zoë Müller;Königsallee 1;Düsseldorf\r\n"
        "José Núñez;Calle Mayor 5;Cádiz\r\n"
    )
    data = latin1.encode("latin-1")
    for codec in ("utf-8", "cp932"):
        try:
            data.decode(codec)
        except UnicodeDecodeError:
            continue
        raise AssertionError(f"the latin-1 sample must not decode as {codec}")
    (HERE / "not_a_csv_latin1.csv").write_bytes(data)
    no_header = (
        "山田 太郎,ヤマダ タロウ,1975/03/12,160-0023,東京都新宿区西新宿2丁目8-1,03-5321-0000\r\n"
        "佐藤 花子,サトウ ハナコ,1982/11/03,530-0001,大阪府大阪市北区梅田1丁目3-1,06-6345-0000\r\n"
    )
    (HERE / "no_header.csv").write_bytes(no_header.encode("utf-8"))


def main() -> None:
    utf8_bom_sample(Generator(SEED))
    cp932_sample(Generator(SEED + 1))
    utf8_sample(Generator(SEED + 2))
    unusable_samples()


if __name__ == "__main__":
    main()
