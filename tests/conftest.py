"""Shared pytest fixtures for the kamplan test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# The console speaks the workspace's language (zh-CN by default); tests read its English unless a test
# chooses a language itself (monkeypatch.setenv / delenv KAMPLAN_LANG, or --lang).
os.environ.setdefault("KAMPLAN_LANG", "en")

from support.libreoffice import LibreOffice, find_soffice

# ---------------------------------------------------------------------------- LibreOffice
# Tests marked @pytest.mark.libreoffice open workbooks in a real spreadsheet program.
# Locally they are skipped when LibreOffice 25 is missing; in CI (CI=true) they must run.

LIBREOFFICE_MISSING = "LibreOffice 25 not installed: run .ci/install-libreoffice.sh"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


@pytest.fixture(scope="session")
def libreoffice() -> Iterator[LibreOffice]:
    """One headless LibreOffice for the whole session (see tests/support/libreoffice.py)."""
    if find_soffice() is None:
        if _in_ci():
            pytest.fail(f"{LIBREOFFICE_MISSING} (required because CI is set)", pytrace=False)
        pytest.skip(LIBREOFFICE_MISSING)
    with LibreOffice() as lo:
        yield lo
