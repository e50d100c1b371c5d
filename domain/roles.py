"""Staff roles, and which of them may see customers' personal data.

The auditor proves the ledger complete and unaltered without reading anyone's personal
data (APPI: access limited to those who need it), so the auditor role is the exception.
"""

ADMIN = "admin"
MANAGER = "manager"
AGENT = "agent"
AUDITOR = "auditor"
INVESTIGATOR = "investigator"
ROLES = frozenset({ADMIN, MANAGER, AGENT, AUDITOR, INVESTIGATOR})

_SEES_PERSONAL_DATA = frozenset({ADMIN, MANAGER, AGENT, INVESTIGATOR})

# The customer fields that identify or describe a person: hidden from roles that may not
# see personal data, and the data items named in access records and incident reports.
CUSTOMER_PERSONAL_DATA_FIELDS = (
    "name",
    "kana",
    "kana_key",
    "birth_date",
    "postal_code",
    "address",
    "phones",
    "email",
)


def sees_personal_data(role: str) -> bool:
    """Whether staff with this role may see personal data; an unknown role may not."""
    return role in _SEES_PERSONAL_DATA
