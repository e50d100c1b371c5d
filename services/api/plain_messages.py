"""Validation messages in the API's words, not the decoder's.

msgspec and Litestar say "Expected `str` of length <= 255" or "Invalid RFC3339 encoded
date"; a front end shows the detail next to the field, so it should read like the
domain's own messages ("must be at most 255 characters"). Messages not listed here
pass through unchanged.
"""

from __future__ import annotations

import re

_TYPES = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}

_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Expected `str` of length <= (\d+)"), r"must be at most \1 characters"),
    (re.compile(r"Expected `str` of length >= (\d+)"), r"must be at least \1 characters"),
    (re.compile(r"Expected `array` of length <= (\d+)"), r"must list at most \1 entries"),
    (re.compile(r"Expected `int` >= (\d+)"), r"must be a whole number of at least \1"),
    (re.compile(r"Expected `int` <= (\d+)"), r"must be a whole number of at most \1"),
    (re.compile(r"Expected `str` matching regex .*"), "contains characters not allowed here"),
    (re.compile(r"Invalid RFC3339 encoded date$"), "must be a date, as YYYY-MM-DD"),
    (
        re.compile(r"Invalid RFC3339 encoded datetime$"),
        "must be a date and time with its zone, as 2026-12-03T10:00:00+09:00",
    ),
    (re.compile(r"Invalid UUID$"), "must be an id (a UUID)"),
]
_EXPECTED = re.compile(r"Expected `(\w+)(?: \| (\w+))?`, got `\w+`")


def plain(message: str) -> str:
    for pattern, words in _REWRITES:
        if pattern.match(message):
            return pattern.sub(words, message, count=1)
    if expected := _EXPECTED.match(message):
        kinds = [_TYPES.get(kind, kind) for kind in expected.groups() if kind]
        return "must be " + " or ".join(kinds)
    return message
