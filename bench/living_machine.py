"""Run issue 19's living-models state machine for longer than CI does.

    .venv/bin/python bench/living_machine.py --examples 500 [--steps 20] [--seed N]

Each example is a fresh sequence of hand edits, production changes and runs of
`generate` (tests/helpers/living_machine.py checks the invariants after each run).
Prints how many examples ran and every distinct failure found (first line of its
message, with a count); exits 1 if any failed. Shrinking is off: a failure's
sequence is printed as it happened, the CI test shrinks it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers.living_machine import LivingModels  # noqa: E402
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from hypothesis import seed as fixed_seed  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402


def _line(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:160]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--show", action="store_true", help="print the steps of each distinct failure"
    )
    args = parser.parse_args()
    failures: Counter[str] = Counter()
    steps: dict[str, BaseException] = {}
    seeds: dict[str, int] = {}
    ran = 0
    started = time.monotonic()
    base = args.seed if args.seed is not None else random.randrange(2**32)
    batch = 10
    for number in range(0, args.examples, batch):
        # batches of examples: hypothesis reports each distinct failure of a batch
        config = settings(
            max_examples=min(batch, args.examples - number),
            stateful_step_count=args.steps,
            deadline=None,
            phases=[Phase.generate],
            database=None,
            report_multiple_bugs=True,
            suppress_health_check=list(HealthCheck),
        )
        test = fixed_seed(base + number)(
            lambda config=config: run_state_machine_as_test(
                LivingModels, settings=config
            )
        )
        ran += config.max_examples
        try:
            test()
        except BaseExceptionGroup as group:  # noqa: F821 - several distinct failures
            for exc in group.exceptions:
                failures[_line(exc)] += 1
                steps.setdefault(_line(exc), exc)
                seeds.setdefault(_line(exc), base + number)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            failures[_line(exc)] += 1
            steps.setdefault(_line(exc), exc)
            seeds.setdefault(_line(exc), base + number)
    elapsed = time.monotonic() - started
    print(
        f"{ran} examples of up to {args.steps} steps in {elapsed:.0f} s: "
        f"{sum(failures.values())} failures (distinct per batch of 10)"
    )
    for line, count in failures.most_common():
        print(f"{count:5d}  {line}")
        if args.show:
            print(f"       (--seed {seeds[line]} --examples 10 runs it again)")
            print("\n".join(getattr(steps[line], "__notes__", [])), "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
