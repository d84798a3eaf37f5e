"""The package's prerequisites.py against production: each schema, extension, type
and function its ``before_create`` DDL creates, as production would have it now.

The statements are read off the imported models' MetaData (what ``create_all``
runs), never parsed from the file, and compared with the statements production's
facts give (``modelgen.catalog.carried``) exactly: a function body changed in
production is a finding.  ``drift --fix`` rewrites the module (it is generated).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from modelgen.catalog.carried import carried_prerequisites
from modelgen.catalog.schema import Schema
from modelgen.config import Config
from modelgen.drift.findings import DRIFT, INFO, Finding
from modelgen.drift.models import ModelSet

KIND = "prerequisite"
_NAME = r'(?:"(?:[^"]|"")+"|[^\s("]+)(?:\.(?:"(?:[^"]|"")+"|[^\s("]+))?'
_CREATE = re.compile(
    r"CREATE (?:OR REPLACE )?(?P<kind>SCHEMA|EXTENSION|COLLATION|FUNCTION|PROCEDURE"
    rf"|TYPE|DOMAIN)(?: IF NOT EXISTS)? (?P<name>{_NAME})(?P<args>\([^\n]*)?"
)


def identity(sql: str) -> str | None:
    """What a prerequisite statement creates: ``FUNCTION public.f(a integer)``
    (a function with its arguments: overloads are told apart), ``TYPE s.t``, ..."""
    found = _CREATE.search(sql)
    if found is None:
        return None
    kind, name = found.group("kind"), found.group("name")
    if kind in ("FUNCTION", "PROCEDURE"):
        return f"{kind} {name}{found.group('args') or ''}"
    return f"{kind} {name}"


def prerequisite_findings(
    schema: Schema, config: Config, models: ModelSet
) -> list[Finding]:
    """Drift between the module's statements and production's: none when the
    models were not imported, or the team creates prerequisites elsewhere."""
    if models.prerequisites is None or not config.prerequisites or config.bind:
        return []
    want = {}
    for item in carried_prerequisites(schema):
        key = identity(item.create)
        if key is not None:
            want[key] = (item.label, item.create)
    got = {}
    for sql in models.prerequisites:
        key = identity(sql)
        if key is not None:
            got[key] = sql
    path = _module_path(config)
    findings: list[Finding] = []
    for key in sorted(set(want) | set(got)):
        label = want[key][0] if key in want else key.lower()
        level = DRIFT
        if key not in got:
            message = (
                f"{label} is in production but the models' MetaData does not create "
                "it before create_all (prerequisites.py missing, not imported first, "
                "or out of date)"
            )
            # models that carry no prerequisites at all (hand-written ones) rely on
            # the database having them, as they rely on it for a trigger they do not
            # declare: reported, as those are, without failing drift
            level = DRIFT if got else INFO
        elif key not in want:
            message = f"{label} is created by prerequisites.py but not in production"
        elif got[key] != want[key][1]:
            message = (
                f"{label}: prerequisites.py creates it differently from production"
            )
        else:
            continue
        findings.append(replace(_finding(label, message), level=level, path=path))
    return findings


def _finding(label: str, message: str) -> Finding:
    # "prerequisites.function public.f": a key ignore rules can name
    return Finding(DRIFT, KIND, "prerequisites", label, message)


def _module_path(config: Config) -> Path | None:
    if config.output is None:
        return None
    return config.output / "prerequisites.py"
