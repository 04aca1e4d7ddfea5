"""Faults on demand, deterministic: what the network and Xero do on a bad day.

A spec is a list of rules, `;`-separated. Each rule names the calls it applies to (an optional
method and a glob on the path) and either faults with probabilities or a scripted sequence:

    PUT */Invoices=lost:0.2,503:0.1      one call in five committed and its answer lost,
                                         one in ten refused with a 503
    */Contacts=seq:ok,500,ok,reset       the first four matching calls, in order; then no faults
    GET /actionstep/*=slow(1.5):0.3      three calls in ten answered 1.5 s late

Faults: 500, 503 (Xero's plain-text "The Organisation is Offline"), 429-minute, 429-day,
slow(SECONDS), timeout (no answer for a long time), reset (the connection drops before the call is
processed), lost (the call is processed and committed, then the connection drops). The first rule
that matches a call decides. Draws come from a seeded generator, so the same spec, seed and order
of calls give the same faults.
"""

from __future__ import annotations

import fnmatch
import random
import re
from dataclasses import dataclass, field

from tui.core.errors import UsageError

HANG_SECONDS = 300.0
"""How long `timeout` keeps a call waiting: longer than any client should wait."""


class FaultSpecError(UsageError, ValueError):
    """A spec that cannot be read; the message says where."""


@dataclass(frozen=True)
class Fault:
    kind: str
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"slow({self.seconds:g})" if self.kind == "slow" else self.kind


@dataclass
class Rule:
    method: str | None
    pattern: str
    choices: list[tuple[Fault, float]] = field(default_factory=list)
    sequence: list[Fault] | None = None
    calls: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method.upper())) and fnmatch.fnmatchcase(path, self.pattern)


_FAULT = re.compile(
    r"^(500|503|429-minute|429-day|timeout|reset|lost|ok|slow\((\d+(?:\.\d+)?)\))"
    r"(?::(\d*\.?\d+))?$"
)


def _fault(text: str, rule: str) -> tuple[Fault, float]:
    match = _FAULT.match(text.strip())
    if not match:
        raise FaultSpecError(
            f"unknown fault {text.strip()!r} in rule {rule!r}; faults are "
            "500, 503, 429-minute, 429-day, slow(SECONDS), timeout, reset, lost"
        )
    name, seconds, probability = match.groups()
    fault = Fault("slow", float(seconds)) if seconds else Fault(name)
    weight = float(probability) if probability else 1.0
    if not 0.0 <= weight <= 1.0:
        raise FaultSpecError(f"probability {weight} out of 0..1 in rule {rule!r}")
    return fault, weight


def parse(spec: str) -> list[Rule]:
    rules: list[Rule] = []
    for raw in filter(None, (part.strip() for part in spec.split(";"))):
        target, sep, faults = raw.partition("=")
        if not sep or not faults.strip():
            raise FaultSpecError(f"rule {raw!r} needs TARGET=FAULTS")
        words = target.split()
        if len(words) == 2:
            method, pattern = words[0].upper(), words[1]
        elif len(words) == 1:
            method, pattern = None, words[0]
        else:
            raise FaultSpecError(f"rule {raw!r}: the target is [METHOD] PATH-GLOB")
        rule = Rule(method, pattern)
        faults = faults.strip()
        if faults.startswith("seq:"):
            rule.sequence = [_fault(step, raw)[0] for step in faults[4:].split(",")]
        else:
            rule.choices = [_fault(part, raw) for part in faults.split(",")]
            if sum(weight for _, weight in rule.choices) > 1.0 + 1e-9:
                raise FaultSpecError(f"rule {raw!r}: probabilities add up to more than 1")
        rules.append(rule)
    return rules


class FaultPlan:
    def __init__(self, spec: str = "", seed: int = 0) -> None:
        self.spec = ""
        self.rules: list[Rule] = []
        self._random = random.Random(seed)
        self.injected: list[tuple[str, str, str]] = []
        """(method, path, fault) of every fault applied, for tests and the admin API."""
        self.set(spec)

    def set(self, spec: str) -> None:
        self.rules = parse(spec)  # raises before anything changes
        self.spec = spec

    def draw(self, method: str, path: str) -> Fault | None:
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            rule.calls += 1
            if rule.sequence is not None:
                step = rule.sequence[rule.calls - 1] if rule.calls <= len(rule.sequence) else None
                fault = step if step is not None and step.kind != "ok" else None
            else:
                roll, fault = self._random.random(), None
                for candidate, weight in rule.choices:
                    if roll < weight:
                        fault = candidate if candidate.kind != "ok" else None
                        break
                    roll -= weight
            if fault is not None:
                self.injected.append((method, path, str(fault)))
            return fault
        return None
