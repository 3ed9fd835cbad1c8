"""Find, classify and price key accounts: segment the history, write the VP's review workbook,
collect the VP's overrides and judgements back.

Stage functions are what every front end calls (CLI, xlwings macros).  They print nothing:
they report progress through a callback and return results with their problems.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

import pandas as pd

from kamplan.periods import Period, choose_period
from kamplan.engine.review import (
    Segmentation, effective_classes as _effective, override_text, segment, volume_basis,
)
from kamplan.engine.units import UnitSystem, unit_system
from kamplan.messages import Message
from kamplan.problems import Problem, WithProblems, has_errors, problem
from kamplan.stages.inputs import Progress, expand_inputs, modified_time, no_progress
from kamplan.workbooks.review.reader import ReviewInput, read_review_workbook
from kamplan.workbooks.review.content import build_review_content
from kamplan.stages.origin import record_written, written_elsewhere
from kamplan.workbooks.review.writer import write_review_workbook
from kamplan.workbooks.kit.safety import check_workbook_file, content_hash
from kamplan.workspace import Workspace

def review_file_name(plan_year: int) -> str:
    return f"account_review_{plan_year}.xlsx"


# -- segment ---------------------------------------------------------------------------------------------
@dataclass
class SegmentResult:
    plan_year: int
    period: Period | None
    run_id: int | None
    path: Path | None  # the review workbook written
    replaced: Path | None  # where the previous review workbook was moved
    segmentation: Segmentation | None
    problems: list[Problem] = field(default_factory=list)
    units: UnitSystem | None = field(default=None, repr=False)  # the products' units, for volume per unit

    @property
    def ok(self) -> bool:
        return self.segmentation is not None

    def to_dict(self, language: str = "en") -> dict:
        """Plain data for ``--json``: the headline, counts, who moved, candidates, every account."""
        if self.segmentation is None:
            return {"plan_year": self.plan_year, "ok": False, "problems": self.problems}
        s = self.segmentation
        a = s.accounts
        by_unit = _volume_by_unit(s, self.units)
        accounts = []
        for acc, r in a.iterrows():
            accounts.append({
                "account_id": acc, "name": r["name"], "rep": r["rep"], "rank": int(r["rank"]),
                "measure": float(r["measure"]), "share": _f(r["share"]), "cum_share": _f(r["cum_share"]),
                "abc": r["abc"], "big": bool(r["big"] > 0),
                "volume": None if s.mixed_units else float(r["volume"]), "volume_by_unit": by_unit.get(acc, {}),
                "revenue": float(r["revenue"]), "gross_margin": float(r["gross_margin"]),
                "cost_to_serve": float(r["cost_to_serve"]), "profit": float(r["profit"]),
                "profit_margin": _f(r["profit_margin"]), "profit_rank": int(r["profit_rank"]),
                "growth": _f(r["growth"]), "scores": {k: _f(r[k]) for k in ("score_hard", "score_strength",
                                                                             "score_capability", "score",
                                                                             "potential")},
                "computed_class": r["computed_class"], "rule": r["rule"], "reason": r["reason"],
                "rule_values": r["rule_values"], "class": r["class"], "class_source": r["class_source"],
                "override": ({"class": r["override_class"], "reason": r["override_reason"], "by": r["override_by"],
                              "at": r["override_at"]} if r["class_source"] == "override" else None),
                "previous_class": r["previous_class"], "change": r["change"], "flags": list(r["flags"])})
        hl, w = s.headline, s.whale_summary
        return {
            "plan_year": self.plan_year, "ok": True, "run_id": self.run_id,
            "period": {"label": s.period.label, "basis": s.period.basis, "start": s.period.key()[0],
                       "end": s.period.key()[1]},
            "measure": s.measure, "unit": s.unit, "volume_units": list(s.mixed_units) or ([s.unit] if s.unit else []),
            "headline": {"text": hl.sentence(language), "customers": hl.n_customers, "accounts": hl.n_top,
                         "customer_share": _f(hl.customer_share), "share": _f(hl.top_share),
                         "value": hl.top_value, "total": hl.total, "by": hl.by, "threshold": hl.threshold},
            "core": {"text": s.core_headline.sentence(language), "accounts": s.core_headline.n_top,
                     "share": _f(s.core_headline.top_share), "cutoff": s.core_headline.cutoff},
            "profit_curve": {"text": w.sentence(language), "total_profit": w.total_profit,
                             "peak_share": _f(w.peak_share), "peak_accounts": w.peak_accounts,
                             "losing_accounts": w.n_losing, "loss": w.loss},
            "classes": s.counts(), "classes_by_rules": s.counts("computed_class"),
            "big_unprofitable": [x for x, f in zip(a.index, a["flags"]) if "big-unprofitable" in f],
            "moved": s.movement.to_dict("records"),
            "candidates": [{k: (_f(v) if isinstance(v, float) else v) for k, v in r.items()}
                           for r in s.candidates.to_dict("records")],
            "workbook": str(self.path) if self.path else None,
            "accounts": accounts, "problems": self.problems,
        }


def _volume_by_unit(s: Segmentation, units) -> dict[str, dict[str, float]]:
    """Per account: its volume in the period per unit (one entry where its products share a unit)."""
    if units is None or not len(s.lines):
        return {}
    lines = s.lines.assign(unit=[s.unit or units.unit_of(p) for p in s.lines["product_id"]])
    sums = lines.groupby(["account_id", "unit"], sort=True)["volume"].sum()
    out: dict[str, dict[str, float]] = {}
    for (acc, u), v in sums.items():
        out.setdefault(acc, {})[u] = float(v)
    return out


def _f(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if x != x else x


def account_frame(config, language: str) -> pd.DataFrame:
    """The config's accounts as the engine wants them."""
    return pd.DataFrame([{"account_id": a.id, "name": a.name.get(language), "rep": a.rep, "region": a.region,
                          "config_class": a.cls} for a in config.accounts],
                        columns=["account_id", "name", "rep", "region", "config_class"])


def segment_accounts(ws: Workspace, year: int | None = None, rolling: bool = False, progress: Progress = no_progress,
                     *, period: Period | None = None, write: bool = True, now: dt.datetime | None = None,
                     language: str | None = None) -> SegmentResult:
    """Rank, price, score and classify every account; keep the run in the store and write the
    review workbook to ``reports/account_review_PLANYEAR.xlsx`` (an existing one is moved to
    ``reports/replaced/STAMP/``, never overwritten).

    The period is ``period`` when given, else the rolling last four quarters (``rolling`` or
    ``segmentation.basis: rolling``), else ``year`` or the year before the plan year.
    """
    cfg, store = ws.config, ws.store
    rules = cfg.segmentation
    lang = language or cfg.language
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    progress("history")
    history = store.history()
    problems: list[Problem] = []
    if period is None:
        period, problems = choose_period(history, year, rolling or rules.basis == "rolling", cfg.plan_year - 1)
        if period is None:
            return SegmentResult(cfg.plan_year, None, None, None, None, None, problems)
    # units never mix (issue 12): volume in one unit where a conversion allows, else revenue ranks
    basis = volume_basis(history, rules, unit_system(cfg.products, cfg.units))
    history, rules, unit = basis.history, basis.rules, basis.unit
    problems += [replace(p, file=ws.config_path.name) for p in basis.problems]  # a config key: say which file
    progress("judgements")
    judgements = store.judgements(cfg.plan_year)
    overrides = store.overrides(cfg.plan_year)
    previous = _stored_previous(ws)
    progress("segment")
    class_names = {c: r.name.get(lang) for c, r in cfg.classes.items()}
    seg = segment(history, rules, period, accounts=account_frame(cfg, lang), judgements=judgements,
                  overrides=overrides.rename(columns={"cls": "class"}), previous=previous, unit=unit,
                  currency=cfg.currency, language=lang, class_names=class_names)
    problems += seg.problems
    if not unit and len(basis.units) > 1:
        seg.mixed_units = tuple(basis.units)
    progress("store")
    rows = pd.DataFrame({
        "account_id": seg.accounts.index.to_numpy(dtype=object), "cls": seg.accounts["computed_class"].to_numpy(),
        "rule": seg.accounts["rule"].to_numpy(), "reason": seg.accounts["reason"].to_numpy(),
        "rule_values": seg.accounts["rule_values"].to_numpy(), "rank": seg.accounts["rank"].to_numpy(),
        "measure": seg.accounts["measure"].to_numpy(), "share": seg.accounts["share"].to_numpy(),
        "cum_share": seg.accounts["cum_share"].to_numpy(), "profit": seg.accounts["profit"].to_numpy(),
        "growth": seg.accounts["growth"].to_numpy(), "score_hard": seg.accounts["score_hard"].to_numpy(),
        "score_strength": seg.accounts["score_strength"].to_numpy(),
        "score_capability": seg.accounts["score_capability"].to_numpy(), "score": seg.accounts["score"].to_numpy(),
        "flags": seg.accounts["flags"].to_numpy()})
    hl = seg.headline
    summary = {"period": seg.period.label, "headline": hl.sentence("en"), "accounts": len(seg.accounts),
               "classes_by_rules": seg.counts("computed_class"), "classes": seg.counts(),
               "big": hl.n_top, "share": _f(hl.top_share), "problems": len(problems)}
    run_id = store.record_classification(cfg.plan_year, period.basis, period.key(), rules.pareto.measure,
                                         rules.model_dump(mode="json", by_alias=True), summary, rows, at=None)
    result = SegmentResult(cfg.plan_year, period, run_id, None, None, seg, problems,
                           units=unit_system(cfg.products, cfg.units))
    if write:
        progress("workbook")
        path = ws.reports / review_file_name(cfg.plan_year)
        ws.reports.mkdir(parents=True, exist_ok=True)
        if path.exists():
            folder = ws.reports / "replaced" / stamp.strftime("%Y%m%d-%H%M%S")
            folder.mkdir(parents=True, exist_ok=True)
            result.replaced = folder / path.name
            path.rename(result.replaced)
        content = build_review_content(cfg, seg, run_id, overrides, judgements, generated_at=stamp, language=lang)
        write_review_workbook(path, content)
        record_written(store, content.identity, cfg.plan_year, path)
        result.path = path
        store.log_event("accounts.review-written", {"run_id": run_id, "file": path.name,
                                                    "replaced": str(result.replaced) if result.replaced else None})
    return result


def _stored_previous(ws: Workspace) -> pd.DataFrame | None:
    """Last plan year's classes as stored (its newest run, with the overrides then in force), or None."""
    store, year = ws.store, ws.config.plan_year - 1
    run, rows = store.classification(year)
    if run is None:
        return None
    ov = store.overrides(year)
    ov = ov.set_index("account_id") if len(ov) else None
    cls = rows.set_index("account_id")["cls"].astype(object)
    reason = rows.set_index("account_id")["reason"].astype(object)
    src = pd.Series(f"stored run {run['id']} ({run['created_at']:%Y-%m-%d})", index=cls.index, dtype=object)
    if ov is not None:
        for a, o in ov.iterrows():
            cls[a] = o["cls"]
            reason[a] = override_text(o["by"], o["reason"], ws.config.language)
            src[a] = f"override {o['at']:%Y-%m-%d}"
    return pd.DataFrame({"account_id": cls.index.to_numpy(dtype=object), "class": cls.to_numpy(dtype=object),
                         "reason": reason.to_numpy(dtype=object), "source": src.to_numpy(dtype=object)})


def effective_classes(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Per account of the config: (class, source) that applies for the plan year.

    The VP's override first, then the newest stored classification for the plan year, then the
    config's ``class``.  Source is "override", "rules" or "config".  This is what the December
    target workbooks should show and pre-fill the visit cycle from.
    """
    cfg, store = ws.config, ws.store
    _, rows = store.classification(cfg.plan_year)
    computed = dict(zip(rows["account_id"], rows["cls"])) if len(rows) else {}
    ov = store.overrides(cfg.plan_year)
    overrides = dict(zip(ov["account_id"], ov["cls"])) if len(ov) else {}
    known = {a.id for a in cfg.accounts}
    out = _effective({a.id: a.cls for a in cfg.accounts}, computed, overrides)
    return {a: v for a, v in out.items() if a in known}


# -- collect ---------------------------------------------------------------------------------------------
@dataclass
class ReviewFileOutcome(WithProblems):
    path: Path
    outcome: str  # "stored", "unchanged", "rejected"
    overrides: int = 0
    judgements: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CollectReviewResult:
    plan_year: int
    files: list[ReviewFileOutcome]
    segment: SegmentResult | None = None  # the classification redone with what was collected

    @property
    def rejected(self) -> list[ReviewFileOutcome]:
        return [f for f in self.files if f.outcome == "rejected"]


def collect_reviews(ws: Workspace, paths: Iterable[str | Path], progress: Progress = no_progress,
                    now: dt.datetime | None = None, resegment: bool = True) -> CollectReviewResult:
    """Read returned review workbooks; store their overrides and judgements (only what changed).

    A file with any error stores nothing; the others are stored in file-modification order
    (so of two files, the newer one's entries are the ones in force).  When anything was
    stored and ``resegment``, the classification is redone for the period of the newest
    file collected and the review workbook written again.
    """
    cfg, store = ws.config, ws.store
    stamp = now or dt.datetime.now(dt.timezone.utc)
    files, missing = expand_inputs(paths)
    outcomes = [ReviewFileOutcome(Path(p.file or ""), "rejected", problems=[p]) for p in missing]
    read: list[tuple[Path, ReviewInput | None, list[Problem]]] = []
    for f in sorted(files, key=lambda f: (modified_time(f), str(f))):
        progress(f.name)
        problems = check_workbook_file(f)
        if problems:
            read.append((f, None, problems))
            continue
        sub, problems = read_review_workbook(f, cfg, content_hash=content_hash(f))
        elsewhere = written_elsewhere(store, sub.identity, f) if sub is not None else None
        read.append((f, sub, problems + [elsewhere] if elsewhere else problems))
    period = None
    for f, sub, problems in read:
        if sub is None or has_errors(problems):
            outcomes.append(ReviewFileOutcome(f, "rejected", problems=problems))
            continue
        o_rows, j_rows, more = _changes(ws, sub, stamp)
        problems = problems + more
        if has_errors(more):
            outcomes.append(ReviewFileOutcome(f, "rejected", problems=problems))
            continue
        if not o_rows and not j_rows:
            outcomes.append(ReviewFileOutcome(f, "unchanged", problems=problems))
            continue
        n_o, n_j = store.record_review(cfg.plan_year, o_rows, j_rows)
        outcomes.append(ReviewFileOutcome(f, "stored", n_o, n_j, problems))
        period = Period.from_key(sub.identity.period_start, sub.identity.period_end, sub.identity.basis)
    store.log_event("accounts.collect", {"files": len(outcomes),
                                         "stored": sum(o.outcome == "stored" for o in outcomes),
                                         "rejected": sum(o.outcome == "rejected" for o in outcomes),
                                         "overrides": sum(o.overrides for o in outcomes),
                                         "judgements": sum(o.judgements for o in outcomes)})
    result = CollectReviewResult(cfg.plan_year, outcomes)
    if resegment and period is not None:
        result.segment = segment_accounts(ws, period=period, progress=progress)
    return result


def _changes(ws: Workspace, sub: ReviewInput, at: dt.datetime) -> tuple[list[dict], list[dict], list[Problem]]:
    """What the workbook changes against the store: new override rows, new judgement rows, problems."""
    cfg, store = ws.config, ws.store
    ov = store.overrides(cfg.plan_year)
    in_force = {r.account_id: (r.cls, r.reason) for r in ov.itertuples(index=False)}
    override_at = {r.account_id: _aware(r.at) for r in ov.itertuples(index=False)}
    judged = {(r.account_id, r.indicator): r for r in store.judgements(cfg.plan_year).itertuples(index=False)}
    written = _aware(sub.identity.generated_at)
    who = sub.reviewer or ""
    o_rows, j_rows, problems = [], [], []
    for row in sub.rows:
        changed_after = row.account_id in override_at and override_at[row.account_id] > written
        o_row, said = _override_change(sub, row, in_force.get(row.account_id), changed_after, who, at)
        o_rows += [o_row] if o_row else []
        problems += [said] if said else []
        for ind, value in row.judgements.items():
            j_row, said = _judgement_change(sub, row, ind, value, judged.get((row.account_id, ind)), written,
                                            who, at)
            j_rows += [j_row] if j_row else []
            problems += [said] if said else []
    if (o_rows or j_rows) and not who:
        problems.append(problem("review.reviewer-missing", overrides=len(o_rows), judgements=len(j_rows),
                                file=sub.file_name, sheet=sub.sheet, cell=sub.reviewer_cell))
    return o_rows, j_rows, problems


def _override_change(sub: ReviewInput, row, now: tuple | None, changed_after: bool, who: str,
                     at: dt.datetime) -> tuple[dict | None, Problem | None]:
    """The override row one account's cell asks for (a new class, or clearing it), or why it is not applied.

    ``now`` is the (class, reason) in force; ``changed_after``: it was set after the workbook was written."""
    cell = sub.cell(row, "override_class")
    if changed_after and now is not None and row.override_class != now[0]:
        # An older workbook must not undo what was decided after it was written.
        return None, problem(
            "review.override-changed-meanwhile", account=row.account_id, now=now[0],
            typed=row.override_class or Message("consolidation.empty"), file=sub.file_name, sheet=sub.sheet,
            cell=cell)
    if row.override_class is not None:
        if now is None or now != (row.override_class, row.override_reason):
            return {"account_id": row.account_id, "cls": row.override_class, "reason": row.override_reason,
                    "by": who, "at": at, "source": sub.source(row, "override_class")}, None
        return None, None
    if row.shown_override is None or now is None:
        return None, None
    if now[0] == row.shown_override:
        return {"account_id": row.account_id, "cls": None, "reason": "cleared in the review workbook",
                "by": who, "at": at, "source": sub.source(row, "override_class")}, None
    return None, problem("review.override-kept", account=row.account_id, now=now[0], file=sub.file_name,
                         sheet=sub.sheet, cell=cell)


def _judgement_change(sub: ReviewInput, row, ind: str, value: float | None, old, written: dt.datetime, who: str,
                      at: dt.datetime) -> tuple[dict | None, Problem | None]:
    """The judgement row one indicator cell asks for, or why it is not applied (``old``: the stored one)."""
    cell = sub.cell(row, f"j_{ind}")
    if old is not None and value is not None and float(old.score) != value and _aware(old.at) > written:
        return None, problem("review.judgement-changed-meanwhile", account=row.account_id, indicator=ind,
                             stored=f"{old.score:g}", value=f"{value:g}", file=sub.file_name, sheet=sub.sheet,
                             cell=cell)
    if value is not None:
        if old is None or float(old.score) != value:
            return {"account_id": row.account_id, "indicator": ind, "score": value, "judge": who,
                    "at": at, "source": sub.source(row, f"j_{ind}")}, None
        return None, None
    if old is not None:
        return None, problem("review.judgement-cleared", account=row.account_id, indicator=ind,
                             stored=f"{old.score:g}", judge=old.judge or "?", at=f"{old.at:%Y-%m-%d}",
                             file=sub.file_name, sheet=sub.sheet, cell=cell)
    return None, None


def _aware(moment: dt.datetime) -> dt.datetime:
    """Comparable times: naive ones are local time; whole seconds, as workbook identities keep them."""
    moment = moment if moment.tzinfo is not None else moment.astimezone()
    return moment.replace(microsecond=0)
