"""Whatever a profile file holds (any JSON, in any field), opening it yields what it can use or
a file set aside and named: never an exception escaping, never a file silently emptied.

Bounded in the default suite; `HYPOTHESIS_PROFILE=thorough` runs many more examples."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.errors import AxpushError
from tui.store.profile import Profile

VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
RECORD_FIELDS = {
    "outbox/jobs-0.json": (
        "jobs",
        [
            "bill_id",
            "number",
            "state",
            "idempotency_key",
            "updated",
            "total",
            "operation",
            "paid",
            "payments",
            "invoice_id",
            "cause",
        ],
    ),
    "bills/bills-0.json": (
        "bills",
        [
            "bill_id",
            "number",
            "status",
            "currency",
            "total_ex",
            "total_tax",
            "total_inc",
            "total_paid",
            "contact",
            "lines",
            "modified",
        ],
    ),
    "config.json": ("mapping", ["accounts", "tax_codes", "bank_accounts", "seen", "origins"]),
    "chart.json": ("chart", ["organisation", "chart"]),
}
READERS: dict[str, Callable[[Profile], object]] = {
    "outbox/jobs-0.json": Profile.jobs,
    "bills/bills-0.json": Profile.cached_bills,
    "config.json": Profile.mapping,
    "chart.json": Profile.cached_chart,
}


def documents(file: str) -> st.SearchStrategy[Any]:
    table, names = RECORD_FIELDS[file]
    record = st.fixed_dictionaries({}, optional={name: VALUE for name in names})
    return st.one_of(
        VALUE,  # not even the right outline
        st.fixed_dictionaries({table: st.dictionaries(st.sampled_from(["1", "2"]), record)}),
    )


@pytest.mark.parametrize("file", sorted(READERS))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_content_is_read_or_set_aside_by_name(file: str, data: st.DataObject) -> None:
    document = data.draw(documents(file))
    with tempfile.TemporaryDirectory() as home:
        profile = Profile.named("any", home=Path(home))
        path = profile.root / file
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(document))
        try:
            READERS[file](profile)
        except AxpushError as refused:  # a newer schema: refused, untouched, said
            assert "newer axpush" in str(refused)
            assert path.read_text() == json.dumps(document)
            return
        finally:
            profile.close()
        if not path.exists():  # set aside: kept byte for byte, and named
            [kept] = path.parent.glob(f"{path.name}.damaged-*")
            assert kept.read_text() == json.dumps(document)
            assert profile.set_aside and profile.set_aside[0].original == path
