"""What the account review workbook shows: its content record and how it is built from a segmentation."""
from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field

import pandas as pd

from kamplan.workbooks.kit.identity import Identity
from kamplan.workbooks.review.layout import IDENTITY, ReviewIndicator, ReviewLayout, ScoreRules, rt


@dataclass(kw_only=True)
class ReviewIdentity(Identity):
    """The hidden identity block; collect checks it."""
    plan_year: int
    run_id: int
    basis: str
    period_start: str  # "2026Q1"
    period_end: str


@dataclass
class ReviewWorkbookContent:
    """Everything the review workbook shows; built by ``build_review_content``."""
    identity: ReviewIdentity
    language: str
    company: str
    currency: str
    unit: str
    measure: str
    period_label: str
    sentences: list[str]  # headline(s) and the profit curve in words
    classes: list[tuple[str, str, int, int, bool]]  # id, label, visits/quarter, exec visits/year, support
    accounts: pd.DataFrame  # shown accounts in rank order (the engine's columns, index account_id)
    raw: pd.DataFrame  # indicator raw values of the shown accounts
    norm: pd.DataFrame
    indicators: list[ReviewIndicator]
    score_rules: ScoreRules
    lines: pd.DataFrame  # account_id, product_id, product, volume, revenue, gross_margin, acct_key, acct_lines,
    #                      acct_cts, split (label)
    whale: list[dict]  # key, rank_label, name, accounts, profit
    movement: pd.DataFrame
    candidates: pd.DataFrame
    total_accounts: int
    totals: dict[str, float]  # volume, revenue, gross_margin, cost_to_serve, profit of all accounts
    overrides: dict[str, tuple[str, str, str, object]]  # account -> (class, reason, by, at) in force
    judgements: dict[tuple[str, str], float]  # (account, indicator) -> score in force
    allocation: str = "revenue"
    sheet_password: str = "kamplan"
    chart_points: int = 120
    notes: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return len(self.accounts) < self.total_accounts

    def class_label(self, cls) -> str:
        if not isinstance(cls, str):
            return ""
        return next((label for c, label, *_ in self.classes if c == cls), cls)

    def layout(self) -> ReviewLayout:
        return ReviewLayout(self.language, self.identity.plan_year, list(self.accounts.index), self.indicators,
                            self.score_rules, lines=list(zip(self.lines["account_id"], self.lines["product_id"])),
                            whale=[w["key"] for w in self.whale], movement=list(self.movement["account_id"]),
                            candidates=list(self.candidates["account_id"]), currency=self.currency, unit=self.unit,
                            allocation=self.allocation, measure=self.measure)


def build_review_content(config, seg, run_id: int, overrides: pd.DataFrame | None = None,
                         judgements: pd.DataFrame | None = None, generated_at: dt.datetime | None = None,
                         workbook_id: str | None = None, language: str | None = None) -> ReviewWorkbookContent:
    """What the review workbook shows, from the config and an engine ``Segmentation``.

    ``overrides`` (account_id, cls, reason, by, at) and ``judgements`` (account_id, indicator,
    score) are those in force, pre-filled in the Review sheet.
    """
    lang = language or config.language
    rules = config.segmentation
    max_rows = rules.review.max_rows
    acc = seg.accounts.iloc[:max_rows].copy()
    shown = set(acc.index)
    sc = rules.scoring
    indicators = [ReviewIndicator(i.id, i.name.get(lang), i.group, i.source, float(i.weight), i.higher_is_better)
                  for i in sc.indicators]
    score_rules = ScoreRules(group_weights=tuple((g, sc.group_weights.get(g)) for g in ("hard", "strength",
                                                                                        "capability")),
                             min_coverage=float(sc.min_coverage), scale=(sc.scale.min, sc.scale.max),
                             live_judgements=sc.judgement_normalisation == "scale")
    # product lines of the shown accounts, in rank order
    lines = seg.lines[seg.lines["account_id"].isin(shown)].copy()
    rank = pd.Series(range(len(acc)), index=acc.index)
    lines["_r"] = lines["account_id"].map(rank)
    lines = lines.sort_values(["_r", "product_id"], kind="mergesort").drop(columns="_r").reset_index(drop=True)
    key = seg.allocation  # as applied: revenue where volumes would mix (engine.review.volume_basis)
    all_lines = seg.lines
    grp = all_lines.groupby("account_id", sort=False)
    acct_key = grp[key].sum()
    acct_n = grp.size()
    neg = (all_lines[key] < 0).groupby(all_lines["account_id"], sort=False).any()
    lines["acct_key"] = lines["account_id"].map(acct_key).astype("float64")
    lines["acct_lines"] = lines["account_id"].map(acct_n).astype("int64")
    lines["acct_cts"] = lines["account_id"].map(seg.accounts["cost_to_serve"]).astype("float64")
    even = (lines["acct_key"] <= 0) | lines["account_id"].map(neg).fillna(False).astype(bool)
    lines["split"] = [rt("split.even", lang) if e else rt(f"split.{key}", lang) for e in even]
    names = {p.id: p.name.get(lang) for p in config.products}
    lines["product"] = [names.get(p, p) for p in lines["product_id"]]
    # profit curve: one row per account, or groups of accounts when there are too many
    whale = _whale_rows(seg.whale, seg.accounts["name"], max_rows, lang)
    classes = [(c, config.classes[c].name.get(lang), config.classes[c].visits_per_quarter,
                config.classes[c].executive_visits_per_year, config.classes[c].support_eligible)
               for c in ("key", "develop", "watch", "drop")]
    ov = {}
    if overrides is not None and len(overrides):
        for r in overrides.itertuples(index=False):
            ov[r.account_id] = (r.cls, r.reason, r.by, r.at)
    jd = {}
    if judgements is not None and len(judgements):
        for r in judgements.itertuples(index=False):
            jd[(r.account_id, r.indicator)] = float(r.score)
    movement = seg.movement[seg.movement["account_id"].isin(shown) | seg.movement["class"].isna()]
    candidates = seg.candidates[seg.candidates["account_id"].isin(shown)]
    sentences = [seg.headline.sentence(lang)]
    if seg.headline.by == "threshold":
        sentences.append(seg.core_headline.sentence(lang))
    sentences.append(seg.whale_summary.sentence(lang, config.currency))
    totals = {k: float(seg.accounts[k].sum()) for k in ("volume", "revenue", "gross_margin", "cost_to_serve",
                                                        "profit")}
    notes = []
    if seg.mixed_units:  # units never mix: an account's or the company's volume in several units is no number
        acc["volume"] = math.nan
        totals["volume"] = math.nan
        notes.append(rt("volume_left_out", lang, units=", ".join(seg.mixed_units)))
    stamp = (generated_at or dt.datetime.now()).replace(microsecond=0)
    start, end = seg.period.key()
    content = ReviewWorkbookContent(
        identity=ReviewIdentity(kind=IDENTITY.kind, schema_version=IDENTITY.schema_version,
                                plan_year=config.plan_year, run_id=int(run_id), basis=seg.period.basis,
                                period_start=start, period_end=end, generated_at=stamp,
                                workbook_id=workbook_id or uuid.uuid4().hex),
        language=lang, company=config.company.name.get(lang), currency=config.currency, unit=seg.unit,
        measure=seg.measure, period_label=seg.period.label, sentences=sentences, classes=classes, accounts=acc,
        raw=seg.raw.loc[acc.index], norm=seg.norm.loc[acc.index], indicators=indicators, score_rules=score_rules,
        lines=lines, whale=whale, movement=movement.reset_index(drop=True),
        candidates=candidates.reset_index(drop=True), total_accounts=len(seg.accounts), totals=totals,
        overrides=ov, judgements=jd, allocation=key, sheet_password=config.workbook.sheet_password,
        chart_points=rules.review.chart_points, notes=notes)
    content.identity.layout_hash = content.layout().signature()
    return content


def _whale_rows(whale: pd.DataFrame, names: pd.Series, max_rows: int, language: str) -> list[dict]:
    n = len(whale)
    if n <= max_rows:
        return [{"key": r.account_id, "rank_label": str(r.profit_rank), "name": names.get(r.account_id, r.account_id),
                 "accounts": 1, "profit": float(r.profit)} for r in whale.itertuples(index=False)]
    size = math.ceil(n / max_rows)
    out = []
    profit = whale["profit"].to_numpy()
    for a in range(0, n, size):
        b = min(n, a + size)
        out.append({"key": f"#{a + 1}-#{b}", "rank_label": f"{a + 1}-{b}",
                    "name": rt("bucket", language, n=b - a, a=a + 1, b=b), "accounts": b - a,
                    "profit": float(profit[a:b].sum())})
    return out
