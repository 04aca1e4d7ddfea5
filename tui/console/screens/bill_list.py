"""The Bills view's list: every bill by number, and what a filter looks in, kept between
keystrokes so that filtering 100,000 bills is a scan of strings, not a rebuild of rows."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from tui.core.status import BillRow


def filter_text(row: BillRow) -> str:
    """What a filter's words are looked for in: number, client, state, reason, matter."""
    bill = row.bill
    matter = bill.matter.name if bill.matter else ""
    return f"{bill.number} {bill.client_name} {row.state.value} {row.reason} {matter}".lower()


class BillList:
    """Bills in order with their filter text, made once per set of bills; a row that changed
    since (a new object: its bill or its state changed) has its text made again when next
    filtered."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self._rows: list[BillRow | None] = []
        self._texts: list[str] = []
        self._keys: set[str] = set()
        self._version: int | None = None
        """The rows' version (`Workspace.rows_version`) this list was made from."""
        self._found: tuple[list[str], list[int]] | None = None
        """The last filter's words and the positions (in `order`) of the bills it found: a
        filter typed on from it looks among those alone."""
        self._lock = threading.Lock()

    def prepare(self, rows: Mapping[str, BillRow], version: int | None = None) -> None:
        """Order the bills and make every filter text: once a firm has loaded, a worker thread
        does it, so that the first keystroke does not wait for it. `version`: the rows'
        version, read before `rows` was (so a list made from newer rows is only made again)."""
        with self._lock:
            self._prepare(rows)
            self._version = version
            self._found = None

    def _prepare(self, rows: Mapping[str, BillRow]) -> None:
        if self._keys != rows.keys():
            ordered = sorted(rows.values(), key=lambda r: (r.bill.number, r.bill.bill_id))
            self.order = [r.bill.bill_id for r in ordered]
            self._rows = [None] * len(ordered)
            self._texts = [""] * len(ordered)
            self._keys = set(rows)
        rows_now, texts = self._rows, self._texts
        for index, key in enumerate(self.order):
            row = rows.get(key)
            if row is not None and row is not rows_now[index]:
                texts[index] = filter_text(row)
                rows_now[index] = row

    def keys(
        self, rows: Mapping[str, BillRow], words: list[str], version: int | None = None
    ) -> list[str]:
        """The bills that have every word, in order (all of them without words). With the
        rows' `version`, rows unchanged since the list was made are not looked at again, and a
        filter that narrows the last one (a word typed on, or one more word) looks only among
        the bills the last one found."""
        with self._lock:
            if version is None or version != self._version:
                self._prepare(rows)
                self._version = version
                self._found = None
        if not words:
            return self.order
        texts = self._texts
        among = self._narrowing(words)
        if among is None:
            if len(words) == 1:
                word = words[0]
                found = [i for i, text in enumerate(texts) if word in text]
            else:
                found = [i for i, text in enumerate(texts) if all(w in text for w in words)]
        else:
            found = [i for i in among if all(w in texts[i] for w in words)]
        self._found = (words, found)
        order = self.order
        return [order[i] for i in found]

    def _narrowing(self, words: list[str]) -> list[int] | None:
        """What the last filter found, when every bill `words` match is among it: each of its
        words is within the word now in its place (`ab` after `a`), and none was dropped."""
        if self._found is None:
            return None
        before, found = self._found
        if len(words) < len(before):
            return None
        in_place = zip(before, words[: len(before)], strict=True)
        return None if any(old not in new for old, new in in_place) else found
