"""The worked example of docs/chain-format.md, byte for byte."""

from uuid import UUID

from infra.chain import GENESIS, aggregate_link, chain_link, entry_bytes, entry_hash

AGGREGATE = UUID("0b0e5c7a-3f2d-4c1e-9a6b-5d4e3c2b1a09")
FIRST = (
    1,
    AGGREGATE,
    1,
    "domain.customer:Customer.Registered",
    b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-03T09:00:00+00:00"}}',
)
SECOND = (2, AGGREGATE, 2, "domain.customer:Customer.Changed", b'{"x":1}')


def test_entry_bytes_layout() -> None:
    assert entry_bytes(*FIRST).hex() == (
        "01"
        "0000000000000001"
        "0b0e5c7a3f2d4c1e9a6b5d4e3c2b1a09"
        "0000000000000001"
        "00000023"
        "646f6d61696e2e637573746f6d65723a437573746f6d65722e52656769737465726564"
        "0000004c" + FIRST[4].hex()
    )
    assert entry_bytes(*SECOND).hex() == (
        "01"
        "0000000000000002"
        "0b0e5c7a3f2d4c1e9a6b5d4e3c2b1a09"
        "0000000000000002"
        "00000020"
        "646f6d61696e2e637573746f6d65723a437573746f6d65722e4368616e676564"
        "00000007"
        "7b2278223a317d"
    )


def test_hashes_of_the_worked_example() -> None:
    h1 = entry_hash(*FIRST)
    assert h1.hex() == "34df704e474aa90f737c1e5955496de5a0333b36804fbb7115d981ff39f27860"
    c1, a1 = chain_link(GENESIS, h1), aggregate_link(GENESIS, h1)
    assert c1.hex() == "936585655637c678cf86b1d24ac390455bf112e7ebdd4bddb3dbbad2c021de2b"
    assert a1.hex() == "8f2578e57679103be63c45a20ffa7690ac82d6acb37da137292cd627e2d5acba"
    h2 = entry_hash(*SECOND)
    assert h2.hex() == "8650c1cd2d25c808af1e6670c47fa7f65d6512a68e4bae513348ac7424f6b735"
    assert chain_link(c1, h2).hex() == (
        "36ab3e72a94bec7573a15457bb29900d1cb4a12b30a5c9b801696574d77da604"
    )
    assert aggregate_link(a1, h2).hex() == (
        "c3ffda2c7f4f9a8ff2a7053b7b65c08aa212d3b495e3fd06ace66518a71ae9cd"
    )


def test_position_is_part_of_the_entry() -> None:
    moved = (3, *FIRST[1:])
    assert entry_hash(*moved) != entry_hash(*FIRST)
