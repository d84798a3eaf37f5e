"""Issue 19's proof: random hand edits and production changes, then `generate`
(and `--force`), with every invariant of tests/helpers/living_machine.py checked
after each run. Bounded here; bench/living_machine.py runs it longer."""

from __future__ import annotations

from helpers.living_machine import LivingModels
from hypothesis import HealthCheck, settings

TestLivingModels = LivingModels.TestCase
TestLivingModels.settings = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
