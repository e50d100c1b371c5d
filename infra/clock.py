"""The one place that reads the clock, so tests and replays can reason about time."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JAPAN = ZoneInfo("Asia/Tokyo")


def now() -> datetime:
    return datetime.now(UTC)


def today_in_japan() -> date:
    """Agencies' calendar day: a birth date typed at 08:00 JST is not 'in the future'."""
    return datetime.now(JAPAN).date()
