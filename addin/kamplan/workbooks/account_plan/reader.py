"""Read a returned account plan workbook: ``(AccountPlanInput | None, problems)``.

Every fault is a Problem naming file, sheet and cell with what to do; a file with any error gives no
input, so nothing of it is stored.  Rows: a row with an issued id is that contact / project / ...; a row
without an id and with entries is new (``new_row_id``); an issued id whose row is gone or cleared is
said as removed (a warning: the store marks it removed, never erases it).  An id typed or copied into
another row is refused, as is a formula typed into an input cell.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from kamplan.problems import Problem, has_errors, problem
from kamplan.workbooks.account_plan.content import AccountPlanIdentity
from kamplan.workbooks.account_plan.layout import (
    AT, CHOICES, FIELDS, ID_COLUMN, IDENTITY, LIST_SHEETS, AccountPlanLayout, Field, label_id, new_row_id,
)
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.identity import read_identity
from kamplan.workbooks.kit.layout import SheetValues, Table
from kamplan.workbooks.kit.reading import CELL_ERROR, FileReader, read_file
from kamplan.workbooks.kit.table_checks import header_problems, key_text, row_key_problems, stray_entry_problems
from kamplan.workbooks.kit.xlsxio import sheet_parts

FRESH = "ask for a fresh account plan workbook (kamplan accounts plan issue)"
LINK_SHEET = {"contact": "contacts", "project": "projects"}
LINK_NAME = {"contacts": "name", "projects": "project"}
UNKNOWN = {"account": "plan.unknown-account", "person": "plan.unknown-person", "product": "plan.unknown-product",
           "contact": "plan.unknown-contact", "project": "plan.unknown-project"}  # problem id per kind of link


@dataclass
class AccountPlanInput:
    identity: AccountPlanIdentity
    file_name: str
    content_hash: str
    rows: dict[str, list[dict]]  # sheet -> rows (row_id, account, the fields, "src": file › sheet › row)
    business: dict[str, dict]  # account -> usage_<product>, main_products, markets, purchasing_pattern
    products: list[str]
    warnings: list[Problem] = field(default_factory=list)


def read_account_plan_workbook(path: Path, plan_year: int, content_hash: str = ""
                               ) -> tuple[AccountPlanInput | None, list[Problem]]:
    return read_file(_Reader, path, plan_year, content_hash)


def plan_identity(path: Path) -> dict:
    """The identity block of ``path`` ({} when unreadable): who a refused file belongs to."""
    try:
        from kamplan.workbooks.kit.identity import IDENTITY_SHEET
        from kamplan.workbooks.kit.xlsxio import read_sheets
        sheets, _ = read_sheets(Path(path), [IDENTITY_SHEET])
        return read_identity(sheets.get(IDENTITY_SHEET), IDENTITY)
    except Exception:  # a refused file: its problem is said already
        return {}


_FORMULA = re.compile(rb'<c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*?(?<!/)>(?:(?!</c>).)*?<f[\s>/]', re.S)


def formula_refs(path: Path, sheet_names: list[str]) -> dict[str, set[str]]:
    """Sheet name -> the cells holding a formula (typed into an input, a formula is not an entry)."""
    out: dict[str, set[str]] = {}
    with zipfile.ZipFile(path) as zf:
        parts = sheet_parts(zf)
        for name in sheet_names:
            if name in parts and parts[name] in zf.namelist():
                out[name] = {m.group(1).decode() for m in _FORMULA.finditer(zf.read(parts[name]))}
    return out


class _Reader(FileReader):
    def __init__(self, path: Path, plan_year: int, content_hash: str = ""):
        super().__init__(path, None, content_hash)
        self.plan_year = plan_year

    def say(self, pid: str, sheet=None, cell=None, **fields):
        self.budget -= 1
        if self.budget >= 0:
            self.problems.append(problem(pid, file=self.file, sheet=sheet, cell=cell, **fields))

    def read(self):
        opened = self.open_identity(lambda sheet: read_identity(sheet, IDENTITY))
        ident = opened[0] if opened is not None else None
        built = self._identity(ident) if ident is not None else None
        if built is None:  # said already: not a plan, another kind, damaged, another layout or year
            return None, self.problems
        identity, layout = built
        names = [tb.sheet for tb in layout.tables]
        sheets, all_names = self.open_sheets(names) or ({}, [])
        missing = [n for n in names if n not in sheets]
        for n in missing:
            self.say("plan.sheet-missing", sheet=n, name=n, fresh=FRESH)
        if missing or not self.refuse_added_sheets(all_names, layout):
            return None, self.problems
        self.formulas = formula_refs(self.path, names)
        issued = {(k, rid): acc for k, rid, acc in ident["rows"]}
        rows = {}
        for key in LIST_SHEETS:
            rows[key] = self._list_sheet(layout, key, sheets[layout.table(key).sheet], identity, issued)
        self._links(layout, rows)
        business = self._business(layout, sheets[layout.business.sheet])
        if has_errors(self.problems):
            return None, self.problems
        return AccountPlanInput(identity, self.file, self.hash, rows, business, layout.products,
                                [p for p in self.problems if not p.is_error]), self.problems

    def _identity(self, ident: dict):
        said = problem("plan.not-an-account-plan")
        if not self.of_kind(ident, IDENTITY.kind, (said.code, said.message, said.fix),
                            lambda kind: (problem("plan.wrong-kind", kind=kind).message, said.fix)):
            return None
        fields = self.typed_identity(lambda: (
            int(ident["schema_version"]), int(ident["plan_year"]), ident["rep_id"],
            dt.datetime.fromisoformat(ident["generated_at"]), int(ident["based_on"]) if ident["based_on"] else None,
            {k: int(ident[f"rows.{k}"]) for k in LIST_SHEETS}), IDENTITY.schema_version, fresh=FRESH,
            version=FRESH)
        if fields is None:
            return None
        version, plan_year, rep, generated, based_on, n_rows = fields
        layout = AccountPlanLayout(ident.get("language", "en"), plan_year, currency=ident.get("currency", ""),
                                   accounts=ident["accounts"], products=[tuple(x) for x in ident["products"]], people=ident["people"],
                                   rows=n_rows)
        if not self.layout_matches(layout, ident, FRESH):
            return None
        if plan_year != self.plan_year:
            self.say("plan.wrong-year", found=plan_year, year=self.plan_year)
            return None
        self.layout = layout
        return AccountPlanIdentity(kind=IDENTITY.kind, schema_version=version, plan_year=plan_year, rep_id=rep,
                                   based_on=based_on, generated_at=generated, workbook_id=ident.get("workbook_id", ""),
                                   layout_hash=ident.get("layout_hash", "")), layout

    # -- the list sheets ------------------------------------------------------------------------------
    def _list_sheet(self, layout: AccountPlanLayout, key: str, sheet: SheetValues, identity, issued: dict):
        tb = layout.table(key)
        found = header_problems(tb, sheet, self.file, fresh=FRESH)
        if found:
            self.problems += found
            return []
        self.problems += stray_entry_problems(tb, sheet, self.file, f"rows {tb.first_row + 1}-{tb.last_row + 1}")
        out, seen = [], {}
        for r in range(tb.first_row, tb.last_row + 1):
            row = self._row(layout, key, tb, sheet, r)
            cell_id = sheet.get(r, tb.col(ID_COLUMN))
            rid = "" if cells.is_blank(cell_id) else key_text(cell_id)
            if rid and (key, rid) not in issued:
                self.say("plan.id-unknown", sheet=tb.sheet, cell=tb.ref(r, ID_COLUMN), id=rid, row=r + 1)
                continue
            if rid and rid in seen:
                self.say("plan.id-duplicate", sheet=tb.sheet, cell=tb.ref(r, ID_COLUMN), row=r + 1, first=seen[rid] + 1)
                continue
            if rid:
                seen[rid] = r
            if row is None:
                continue  # an empty row (a cleared one is removed: said below)
            row[ID_COLUMN] = rid or new_row_id(identity.workbook_id, key, r)
            row["src"] = f"{self.file} › {tb.sheet} › {r + 1}"
            row["_row"] = r
            out.append(row)
        kept = {r[ID_COLUMN] for r in out}
        for (k, rid), account in issued.items():
            if k == key and rid not in kept:
                self.problems.append(problem("plan.row-removed", file=self.file, sheet=tb.sheet, id=rid,
                                             account=account))
        return out

    def _row(self, layout: AccountPlanLayout, key: str, tb: Table, sheet: SheetValues, r: int) -> dict | None:
        """The typed values of one row; None when every input is empty."""
        raw = {f.key: self._raw(tb, sheet, r, f.key) for f in FIELDS[key]}
        if all(v is None or v is CELL_ERROR or cells.is_blank(v) for v in raw.values()):
            return None
        out = {}
        for f in FIELDS[key]:
            value = raw[f.key]
            ref = tb.ref(r, f.key)
            header = tb.column(f.key).header
            if value is CELL_ERROR:
                out[f.key] = None
                continue
            if cells.is_blank(value):
                if f.required:
                    self.say("plan.required", sheet=tb.sheet, cell=ref, header=header, row=r + 1)
                out[f.key] = None
                continue
            out[f.key] = self._typed(layout, tb, f, value, ref, header)
        return out

    def _raw(self, tb: Table, sheet: SheetValues, r: int, key: str):
        ref = tb.ref(r, key)
        if ref in self.formulas.get(tb.sheet, ()):
            self.say("plan.formula-in-input", sheet=tb.sheet, cell=ref, header=tb.column(key).header)
            return CELL_ERROR
        return self.cell(tb, sheet, r, key)

    def _typed(self, layout: AccountPlanLayout, tb: Table, f, value, ref: str, header: str):
        where = dict(sheet=tb.sheet, cell=ref)
        if f.dtype in ("number", "integer"):
            num, why = (cells.parse_integer if f.dtype == "integer" else cells.parse_number)(value)
            if why:
                self.say("plan.bad-value", why=why, header=header, **where)
                return None
            if not f.minimum <= num <= f.maximum:
                self.say("plan.out-of-range", value=cells.show(value), header=header, min=f"{f.minimum:g}",
                         max=f"{f.maximum:g}", **where)
                return None
            return num
        if f.dtype == "date":
            day, why = cells.parse_date(value)
            if why or not dt.date(1990, 1, 1) <= day <= dt.date(2100, 12, 31):
                self.say("plan.bad-date", value=cells.show(value), header=header, **where)
                return None
            return day
        text, why = cells.parse_text(value, max_len=f.max_len)
        if why:
            self.say("plan.bad-value", why=why, header=header, **where)
            return None
        return self._closed(layout, f, text, header, where)

    def _closed(self, layout: AccountPlanLayout, f, text: str, header: str, where: dict):
        """A choice, an account, a person or a product as its id; other text as typed."""
        if f.dtype == "choice":
            spellings = {cells.normalise_label(s): c for c in CHOICES[f.key]
                         for s in (c, *AT[f"{f.key}.{c}"])}
            got = spellings.get(cells.normalise_label(text))
            if got is None:
                labels = ", ".join(layout.label(f.key, c) for c in CHOICES[f.key])
                self.say("plan.unknown-choice", value=cells.show(text), header=header, choices=labels, **where)
            return got
        known = {"account": layout.accounts, "person": layout.people, "product": layout.products}.get(f.dtype)
        if known is None:
            return text
        ident = label_id(text)
        if ident not in known:
            self.say(UNKNOWN[f.dtype], value=cells.show(text), header=header, **where)
            return None
        return ident

    # -- links between sheets: contacts and projects by name, within one account ---------------------
    def _links(self, layout: AccountPlanLayout, rows: dict) -> None:
        names = {}
        for sheet, col in LINK_NAME.items():
            for r in rows[sheet]:
                if r.get("account") and r.get(col):
                    names.setdefault((sheet, r["account"], cells.normalise_label(r[col])), []).append(r)
        for key in LIST_SHEETS:
            tb = layout.table(key)
            for f in FIELDS[key]:
                if f.dtype not in LINK_SHEET:
                    continue
                for r in rows[key]:
                    self._link(tb, f, r, names, LINK_SHEET[f.dtype])

    def _link(self, tb: Table, f, r: dict, names: dict, target: str) -> None:
        value = r.get(f.key)
        if not value or not r.get("account"):
            return
        where = dict(sheet=tb.sheet, cell=tb.ref(r["_row"], f.key), header=tb.column(f.key).header,
                     value=cells.show(value), account=r["account"])
        found = names.get((target, r["account"], cells.normalise_label(value)), [])
        if not found:
            self.say(UNKNOWN[f.dtype], **where)
        elif len(found) > 1:
            self.say("plan.ambiguous-link", **where)
        elif found[0] is r:
            self.say("plan.reports-to-self", **where)

    # -- the customer's business ---------------------------------------------------------------------
    def _business(self, layout: AccountPlanLayout, sheet: SheetValues) -> dict:
        tb = layout.business
        found = header_problems(tb, sheet, self.file, fresh=FRESH) or row_key_problems(tb, sheet, self.file,
                                                                                        fresh=FRESH)
        if found:
            self.problems += found
            return {}
        self.problems += stray_entry_problems(tb, sheet, self.file, f"rows {tb.first_row + 1}-{tb.last_row + 1}")
        out = {}
        for i, (account,) in enumerate(tb.row_keys):
            if not account:
                continue
            r = tb.first_row + i
            values = {}
            for col in tb.input_columns():
                raw = self._raw(tb, sheet, r, col.key)
                if raw is CELL_ERROR or cells.is_blank(raw):
                    values[col.key] = None
                    continue
                spec = Field(col.key, "number", minimum=0, maximum=1e12) if col.key.startswith("usage_") \
                    else Field(col.key, "text", max_len=2000)
                values[col.key] = self._typed(layout, tb, spec, raw, tb.ref(r, col.key), col.header)
            out[account] = values
        return out
