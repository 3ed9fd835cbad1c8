"""The registry of problems: each id has its public code (what ``--json`` and scripts see), a category,
a severity and its default fix; the words are in the catalogues (``problem.<id>``, ``fix.<id>``).

Several ids may share one code when the same fault is said in different ways (``not-xlsx``: a Word file,
a PDF, an OpenDocument sheet): the code stays stable for scripts, the id picks the sentence.
A *phrase* (``kind="phrase"``) is part of a sentence (a cell's complaint, such as '"abc" is not a
number'); the reader that finds it adds where and what to do.
"""
from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class ProblemKind:
    id: str
    code: str
    category: str
    severity: str = ERROR
    fix: str | None = None  # the catalogue key of the default fix; None: ``fix.<id>``
    kind: str = "problem"  # or "phrase"

    @property
    def message_key(self) -> str:
        return ("phrase." if self.kind == "phrase" else "problem.") + self.id

    @property
    def fix_key(self) -> str | None:
        if self.kind == "phrase" and self.fix is None:
            return None
        return self.fix or "fix." + self.id


def _kinds(category: str, rows: list[tuple]) -> dict[str, ProblemKind]:
    out = {}
    for row in rows:
        pid, code, *rest = row
        extra = rest[0] if rest else {}
        out[pid] = ProblemKind(pid, code, category, **extra)
    return out


PHRASE = {"kind": "phrase"}
PROBLEMS: dict[str, ProblemKind] = {
    **_kinds("environment", [
        ("env.permission", "permission-denied"), ("env.not-permitted", "permission-denied"),
        ("env.read-only-disk", "read-only"), ("env.disk-full", "disk-full"), ("env.quota", "disk-full"),
        ("env.no-such-path", "not-found"), ("env.is-folder", "not-found"), ("env.too-many-open", "too-many-files"),
        ("env.locked", "file-locked"), ("env.other", "environment"),
        ("env.store-locked", "store-locked"), ("env.store-read-only", "read-only"),
        ("env.store-full", "disk-full"), ("env.store-damaged", "store-damaged"),
        ("env.store-cannot-open", "store-cannot-open"),
    ]),
    **_kinds("cell", [
        ("cell.not-a-number", "not-a-number", PHRASE), ("cell.infinite", "not-a-number", PHRASE),
        ("cell.date-not-number", "not-a-number", PHRASE), ("cell.ambiguous-comma", "not-a-number", PHRASE),
        ("cell.too-large", "not-a-number", PHRASE), ("cell.not-whole", "not-a-whole-number", PHRASE),
        ("cell.not-a-date", "not-a-date", PHRASE), ("cell.text-too-long", "text-too-long", PHRASE),
    ]),
    **_kinds("limits", [
        ("limit.nan", "out-of-range", PHRASE), ("limit.infinite", "out-of-range", PHRASE),
        ("limit.outside", "out-of-range", PHRASE),
        ("limit.out-of-range", "out-of-range"), ("limit.margin-above-revenue", "margin-above-revenue"),
    ]),
    **_kinds("layout", [
        ("layout.column-extra", "column-inserted"), ("layout.column-inserted", "layout-changed"),
        ("layout.column-deleted", "layout-changed"), ("layout.header-changed", "layout-changed"),
        ("layout.row-inserted", "row-inserted"), ("layout.row-deleted", "row-deleted"),
        ("layout.row-keys-changed", "row-keys-changed"), ("layout.entry-outside-table", "entry-outside-table"),
    ]),
    **_kinds("file", [
        ("file.check-failed", "unreadable"), ("file.not-found", "not-found"), ("file.is-folder", "not-found"),
        ("file.not-regular", "unreadable"), ("file.too-large", "file-too-large"),
        ("file.not-xlsx-known", "not-xlsx", {"fix": "fix.send-xlsx"}),
        ("file.not-xlsx-unknown", "not-xlsx", {"fix": "fix.send-xlsx"}),
        ("file.unreadable", "unreadable"), ("file.empty", "empty-file"),
        ("file.html", "html-not-xlsx", {"fix": "fix.save-as-xlsx"}),
        ("file.mht", "html-not-xlsx", {"fix": "fix.save-as-xlsx"}),
        ("file.xml2003", "not-xlsx-text", {"fix": "fix.save-as-xlsx"}),
        ("file.text", "not-xlsx-text", {"fix": "fix.save-as-xlsx"}),
        ("file.password", "password-protected"),
        ("file.old-office", "not-xlsx", {"fix": "fix.send-xlsx"}),
        ("file.legacy-xls", "legacy-xls", {"fix": "fix.save-as-xlsx"}),
        ("file.corrupt", "corrupt-zip", {"fix": "fix.resend"}),
        ("file.archive-too-large", "archive-too-large"),
        ("file.zip-bomb", "zip-bomb", {"fix": "fix.resave-safe"}),
        ("file.zip-password", "not-xlsx-zip"),
        ("file.zip-method", "not-xlsx-zip", {"fix": "fix.save-as-xlsx"}),
        ("file.other-zip", "not-xlsx-zip", {"fix": "fix.save-as-xlsx"}),
        ("file.xml-unsafe", "xml-entities", {"fix": "fix.resave-safe"}),
        ("file.internal-error", "internal-error"),
    ]),
    **_kinds("output", [
        ("json.not-a-number", "not-a-finite-number", {"severity": WARNING}),
    ]),
}
# -- the account plan (issue 15): appended in one block ------------------------------------------------------
PROBLEMS.update(_kinds("account-plan", [
        ("plan.sheet-missing", "sheet-missing"),
        ("plan.wrong-year", "wrong-year"),
        ("plan.not-issued", "not-issued"),
        ("plan.other-rep", "other-rep"),
        ("plan.id-unknown", "row-id-unknown"),
        ("plan.id-duplicate", "row-id-duplicate"),
        ("plan.row-removed", "row-removed", {"severity": WARNING}),
        ("plan.required", "required"),
        ("plan.formula-in-input", "formula-in-input"),
        ("plan.bad-value", "bad-value"),
        ("plan.out-of-range", "out-of-range"),
        ("plan.bad-date", "not-a-date"),
        ("plan.unknown-choice", "unknown-choice"),
        ("plan.unknown-account", "unknown-account"),
        ("plan.unknown-person", "unknown-owner"),
        ("plan.unknown-product", "unknown-product"),
        ("plan.unknown-contact", "unknown-contact"),
        ("plan.unknown-project", "unknown-project"),
        ("plan.ambiguous-link", "ambiguous-link"),
        ("plan.reports-to-self", "reports-to-self"),
        ("plan.based-on-older", "based-on-older", {"severity": WARNING}),
        ("plan.resent-older", "resent-older", {"severity": WARNING}),
        ("plan.unknown-salesperson", "unknown-salesperson"),
        ("plan.no-such-contact", "no-such-contact"),
]))


def _area_problems() -> None:
    """Problems registered by an area in its own module, ``kamplan/messages/problems_<area>.py`` with
    ``AREA = [(category, rows)]`` (rows as for ``_kinds``), so work on different parts of kamplan adds
    to different files.  An id registered twice is a programming error."""
    import importlib
    import pkgutil
    from pathlib import Path
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name.startswith("problems_"):
            module = importlib.import_module(f"{__package__}.{info.name}")
            for category, rows in module.AREA:
                kinds = _kinds(category, rows)
                twice = sorted(set(kinds) & set(PROBLEMS))
                if twice:
                    raise ValueError(f"{info.name}: problem ids already registered: {twice}")
                PROBLEMS.update(kinds)


_area_problems()
PHRASES_WITHOUT_FIX = {k for k, v in PROBLEMS.items() if v.fix_key is None}
