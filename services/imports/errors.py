"""What goes wrong at the edge of a spreadsheet import.

Two kinds of failure, kept apart because the caller reacts differently:

- `UnusableInput`: the file as a whole cannot be read (wrong encoding, no header, broken
  quoting). Nothing in it can be trusted, so nothing is imported.
- `InvalidValue`: one cell breaks one rule. Only its row is rejected; the rest of the file
  is still imported.

Messages name the column and the rule, never the value: values are personal data
(names, phones, addresses, dates of birth) and these messages end up in logs.
"""


class UnusableInput(Exception):
    """The file cannot be read at all; the message says why and how to fix it."""


class InvalidValue(ValueError):
    """One cell breaks one rule; the message states the rule, never the value."""
