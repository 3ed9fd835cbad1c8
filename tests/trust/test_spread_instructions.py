"""Issue 18 items 3 and 11: top-down instructions as a VP types them.  ``+6%`` / ``-2%`` are growth over
the current version; ``-5``, ``1`` and ``0.06`` are refused (no sign on a figure; far from the current
version); an unreachable figure stores nothing unless --store-closest; --hold with an unknown id is an error."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.stages.plan import consolidate
from kamplan.workspace import Workspace
from support.resources import collected_workspace

@pytest.fixture(scope="module")
def cache_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("spread")


@pytest.fixture
def consolidated(cache_root, tmp_path) -> Path:
    """The demo after round 1 collected and consolidated (version 1, bottom-up)."""
    with collected_workspace(cache_root, tmp_path / "ws") as ws:
        consolidate(ws)
    return tmp_path / "ws"


def _versions(root: Path):
    with Workspace.open_readonly(root) as ws:
        return ws.store.plan_versions(ws.config.plan_year)


def _spread(root: Path, *args):
    return CliRunner().invoke(cli, ["-w", str(root), "targets", "spread", *args])


def test_plus_and_minus_percent_are_growth_over_the_current_version(consolidated):
    total = float(_versions(consolidated)["revenue"].iloc[-1])
    res = _spread(consolidated, "+6%")
    assert res.exit_code == 0, res.output
    after = _versions(consolidated)
    assert len(after) == 2 and float(after["revenue"].iloc[-1]) == pytest.approx(total * 1.06, rel=1e-6)
    res = _spread(consolidated, "-2%")
    assert res.exit_code == 0, res.output
    assert float(_versions(consolidated)["revenue"].iloc[-1]) == pytest.approx(total * 1.06 * 0.98, rel=1e-6)


@pytest.mark.parametrize("figure, says", [("-5", "has no sign"), ("1", "far off"), ("0.06", "far off"),
                                          ("0", "far off")])
def test_figures_far_from_the_current_version_are_refused(consolidated, figure, says):
    res = _spread(consolidated, figure)
    assert res.exit_code == 2 and says in res.output and "Traceback" not in res.output
    assert len(_versions(consolidated)) == 1
    if says == "far off":
        assert "+6%" in res.output and "--allow-far" in res.output


def test_a_far_figure_is_stored_when_allowed(consolidated):
    total = float(_versions(consolidated)["revenue"].iloc[-1])
    res = _spread(consolidated, f"{round(total * 0.1, -2):.0f}", "--allow-far")
    assert res.exit_code == 0, res.output
    assert len(_versions(consolidated)) == 2


def test_hold_with_an_unknown_id_is_an_error(consolidated):
    res = _spread(consolidated, "+3%", "--hold", "rep:R99")
    assert res.exit_code == 2 and "R99" in res.output and "no plan line" in res.output
    assert len(_versions(consolidated)) == 1


def test_an_unreachable_figure_stores_nothing_unless_asked(consolidated):
    res = _spread(consolidated, "+50%", "--cap", "all=current*1.1")
    assert res.exit_code == 1 and "Nothing stored" in res.output and "--store-closest" in res.output
    assert len(_versions(consolidated)) == 1
    res = _spread(consolidated, "+50%", "--cap", "all=current*1.1", "--store-closest", "--json")
    assert res.exit_code == 0 and '"stored": true' in res.output and '"shortfall": 0' not in res.output
    assert len(_versions(consolidated)) == 2
