"""Shared fixtures. Feature fixtures live in their own ``tests/<feature>/conftest.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Wall-clock deadlines make property tests flaky on a loaded 2-core machine; speed is measured in
# benchmarks/, never asserted in tests.
settings.register_profile(
    "heshi", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("heshi")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HESHI_DATA_DIR so nothing leaks between tests or into the home folder."""
    data = tmp_path / "heshi-data"
    monkeypatch.setenv("HESHI_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The shared law corpus beside the checkout; tests that need it skip when it is absent."""
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    return path


def pg_url() -> str | None:
    return os.environ.get("HESHI_TEST_PG_URL") or None
