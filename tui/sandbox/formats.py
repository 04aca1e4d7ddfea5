"""Wire formats the two services use: their dates, timestamps and JSON numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from tui.core.jsonio import dumps, loads

__all__ = [
    "actionstep_stamp",
    "dumps",
    "loads",
    "parse_xero_date",
    "to_xml",
    "xero_date",
    "xero_date_string",
]

SYDNEY = timezone(timedelta(hours=10))


def actionstep_stamp(moment: datetime) -> str:
    """Actionstep's timestamp: ISO 8601 with the firm's offset, e.g. 2026-07-01T19:00:00+10:00."""
    return moment.astimezone(SYDNEY).isoformat(timespec="seconds")


def xero_date(moment: datetime | date) -> str:
    """Xero's JSON date: /Date(milliseconds+0000)/."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


_XERO_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_xero_date(value: Any) -> date:
    """A date as Xero accepts one: `/Date(1793491200000+0000)/` (what it sends, and what the
    official SDKs send back) or ISO 8601 (`2026-10-31`, `2026-10-31T00:00:00`). The offset of
    the first form is the organisation's, already applied: the day is read in UTC. Raises
    ValueError for anything else."""
    text = str(value).strip()
    match = _XERO_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()
    return date.fromisoformat(text[:10])


def xero_date_string(day: date) -> str:
    """Xero's DateString companion: 2019-03-11T00:00:00."""
    return f"{day.isoformat()}T00:00:00"


# Xero's XML: a collection <Invoices> holds <Invoice> elements; these are the irregular plurals.
_SINGULAR = {
    "TaxRates": "TaxRate",
    "Addresses": "Address",
    "Phones": "Phone",
    "Elements": "DataContractBase",
    "ValidationErrors": "ValidationError",
    "TaxComponents": "TaxComponent",
    "Warnings": "Warning",
}


def _singular(name: str) -> str:
    return _SINGULAR.get(name, name[:-1] if name.endswith("s") else name)


def to_xml(data: dict[str, Any], root: str = "Response") -> bytes:
    """Xero's XML form of a JSON body, for clients that do not ask for JSON."""
    element = ElementTree.Element(root)
    _fill(element, data)
    return bytes(ElementTree.tostring(element, encoding="utf-8", xml_declaration=False))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if child is None:
                continue
            sub = ElementTree.SubElement(element, key)
            if isinstance(child, list):
                for item in child:
                    _fill(ElementTree.SubElement(sub, _singular(key)), item)
            else:
                _fill(sub, child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, Decimal):
        element.text = format(value, "f")
    else:
        element.text = str(value)
