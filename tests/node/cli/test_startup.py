"""`cove` starts quickly: building its parser imports none of what the commands need (the
store, the HTTP stack, keys, JSON-LD, templates, the scheduler); each command imports that when
it runs."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("aiohttp", "sqlalchemy", "sqlmodel", "cryptography", "pyld", "rdflib", "jinja2")
HEAVY += ("apscheduler", "alembic")

PROBE = """
import json, sys
from node.cli.main import build_parser
build_parser()
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def test_building_the_parser_imports_none_of_the_commands_dependencies() -> None:
    # A fresh interpreter: this test process has imported everything already.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_help_works_without_a_node() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "node.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "Run and manage a Cove node." in result.stdout
