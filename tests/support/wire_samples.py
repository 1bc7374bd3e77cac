"""Where other servers' documents come from: the project's own samples (tests/fixtures), always
there, and the shared set of real documents, an extra check counted in the summary when absent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest import ParameterSet

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_ENV = "COVE_SHARED_FIXTURES"  # another place for the shared set (tests only)
SHARED_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "wire"
SHARED = Path(os.environ.get(SHARED_ENV) or SHARED_DEFAULT)
# Each check over the shared set carries this mark; conftest counts the ones that did not run.
SHARED_MARK = "shared_wire"
SHARED_ABSENT = f"shared wire fixtures absent ({SHARED})"


def shared_param(*values: Any, id: str) -> ParameterSet:
    """A parameter of a check over the shared set: marked, and skipped while it is absent."""
    marks = [getattr(pytest.mark, SHARED_MARK)]
    if not SHARED.is_dir():
        marks.append(pytest.mark.skip(reason=f"{SHARED_ABSENT}: set {SHARED_ENV} to its folder"))
    return pytest.param(*values, id=id, marks=marks)


def sample_sets() -> list[ParameterSet]:
    """The project's samples, then the shared set."""
    return [pytest.param(SAMPLES, id="cove"), shared_param(SHARED, id="shared")]


def sample_files(folder: str) -> list[ParameterSet]:
    """Every JSON document under `folder` of each set, with ids like `cove/lemmy/...`; the
    shared set stands as one skipped parameter while it is absent."""
    ours = [pytest.param(p, id=f"cove/{name}") for name, p in _documents(SAMPLES, folder)]
    if not SHARED.is_dir():
        return [*ours, shared_param(None, id=f"shared/{folder}")]
    theirs = [shared_param(p, id=f"shared/{name}") for name, p in _documents(SHARED, folder)]
    return [*ours, *theirs]


def _documents(root: Path, folder: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((root / folder).rglob("*.json")):
        yield str(path.relative_to(root)), path
