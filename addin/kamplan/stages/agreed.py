"""The agreed plan: each salesperson's annual targets and the management summary, as workbooks.

``export_agreed`` writes ``reports/agreed-<year>-v<version>/``: one workbook per salesperson
(targets per account x product x quarter, visit cycles, trainings, service commitments, and the
support allocated when a resource plan exists) and ``management_<year>.xlsx``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kamplan.stages.plan import plan_view
from kamplan.store import StoreError
from kamplan.store.resources import support_by_account
from kamplan.workbooks.agreed.writer import AgreedContent, write_management, write_rep_targets
from kamplan.workspace import Workspace


@dataclass
class AgreedExport:
    folder: Path
    management: Path
    rep_files: list[Path] = field(default_factory=list)


def _support(ws: Workspace):
    """Support allocated per account by the newest resource plan (None when there is none yet)."""
    frame = support_by_account(ws.store, ws.config.plan_year)
    return frame if len(frame) else None


def export_agreed(ws: Workspace, language: str | None = None) -> AgreedExport:
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    agreed = store.agreement(year)
    if agreed is None:
        raise StoreError(f"the {year} plan is not agreed yet: kamplan targets agree locks it first")
    view = plan_view(ws.store, year)
    lang = language or cfg.language
    from kamplan.stages.consolidate import enriched_lines
    _, lines = enriched_lines(ws, agreed["version_id"])
    support = _support(ws)
    names = {"account": {a.id: a.name.get(lang) for a in cfg.accounts},
             "product": {p.id: p.name.get(lang) for p in cfg.products},
             "rep": {s.id: s.name.get(lang) for s in cfg.staff},
             "region": {r.id: r.name.get(lang) for r in cfg.regions}}
    common = dict(year=year, language=lang, company=cfg.company.name.get(lang), currency=cfg.currency,
                  version=agreed["version_id"], agreed_at=agreed["at"], agreed_by=agreed["by"],
                  sheet_password=cfg.workbook.sheet_password, names=names,
                  units={p.id: p.unit for p in cfg.products})
    folder = ws.reports / f"agreed-{year}-v{agreed['version_id']}"
    folder.mkdir(parents=True, exist_ok=True)
    out = AgreedExport(folder, folder / f"management_{year}.xlsx")
    for rep in sorted(lines["rep_id"].unique()):
        def mine(frame):
            return frame[frame["rep_id"] == rep].drop(columns="rep_id")
        rep_support = None
        if support is not None:
            accounts = set(lines.loc[lines["rep_id"] == rep, "account_id"])
            rep_support = support[support["account_id"].isin(accounts)]
        content = AgreedContent(**common, lines=lines[lines["rep_id"] == rep], visits=mine(view.visits),
                                trainings=mine(view.trainings), services=mine(view.services), support=rep_support)
        out.rep_files.append(write_rep_targets(folder / f"{rep}_{year}_targets.xlsx", content, rep))
    write_management(out.management, AgreedContent(**common, lines=lines))
    store.log_event("plan.export", {"year": year, "version": agreed["version_id"], "folder": str(folder),
                                    "files": len(out.rep_files) + 1})
    return out
