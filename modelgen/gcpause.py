"""Python's cyclic garbage collector paused while a run builds many long-lived objects.

Reading a snapshot, parsing a 2,000-table module, importing and configuring
thousands of model classes: each allocates hundreds of thousands of objects
that live on, none of them cyclic garbage, and every full collection walks all
of them again (a third of verify's import and configure, half of a big
``ast.parse``).  The collector is restored afterwards, whatever happens; the
little cyclic garbage made meanwhile goes at its next collection.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
