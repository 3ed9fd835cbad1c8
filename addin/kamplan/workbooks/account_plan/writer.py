"""Write the account plan workbook from its layout (XlsxWriter, no macros)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from kamplan.workbooks.account_plan.content import AccountPlanContent, product_label
from kamplan.workbooks.account_plan.layout import (
    CHOICES, FIELDS, ID_COLUMN, IDENTITY, LIST_SHEETS, account_label, at, list_ref,
)
from kamplan.workbooks.kit.layout import Table
from kamplan.workbooks.kit.writer import WorkbookWriter


def write_account_plan_workbook(path: Path, content: AccountPlanContent) -> Path:
    """Write atomically to ``path``."""
    layout = content.layout()
    content.identity.layout_hash = layout.signature()
    return _Writer.save(path, content, title=at("title", content.language, year=content.identity.plan_year,
                                                     rep=content.rep_name), layout=layout)


def dropdown_lists(content: AccountPlanContent, language: str) -> dict[str, list[str]]:
    """Every dropdown's labels, by list name (the Lists sheet's columns, in this order)."""
    lists = {key: [at(f"{key}.{c}", language) for c in ids] for key, ids in CHOICES.items()}
    lists["accounts"] = [account_label(a, n) for a, n in content.accounts]
    lists["persons"] = [account_label(p, n) for p, n in content.people]
    lists["products"] = [account_label(p, product_label(n, u)) for p, n, u in content.products]
    return lists


class _Writer(WorkbookWriter):
    def write_sheets(self, sheets):
        self.labels = dropdown_lists(self.c, self.L)
        for key in LIST_SHEETS:
            self._list_sheet(sheets[key], key)
        self._business(sheets["business"])
        self._cover(sheets["cover"])

    def tab_order(self):
        names = self.layout.sheet_names
        return [("cover", names["cover"])] + [(tb.key, tb.sheet) for tb in self.layout.tables]

    def subtitle(self) -> str:
        c = self.c
        return at("subtitle", self.L, company=c.company, rep=c.rep_name, accounts=len(c.accounts),
                  when=c.identity.generated_at.strftime("%Y-%m-%d"))

    def table_title(self, table: Table) -> str:
        return table.title

    # -- values shown -------------------------------------------------------------------------------------
    def _shown(self, key: str, field, value):
        """A stored value as the workbook shows it: a choice's label, an account's / person's / product's
        dropdown label; anything else as it is."""
        if value is None or value == "":
            return None
        if field.dtype == "choice":
            return at(f"{field.key}.{value}", self.L) if value in CHOICES[field.key] else str(value)
        names = {"account": dict(self.c.accounts), "person": dict(self.c.people),
                 "product": {p: product_label(n, u) for p, n, u in self.c.products}}.get(field.dtype)
        if names is not None:
            return account_label(value, names[value]) if value in names else str(value)
        return value

    def _list_sheet(self, ws, key: str):
        tb = self.layout.lists_tables[key]
        notes = [at("note.list", self.L)] + ([at("note.contacts", self.L)] if key == "contacts" else [])
        self.header(ws, tb, notes)
        fields = {f.key: f for f in FIELDS[key]}
        rows = [{ID_COLUMN: r.get(ID_COLUMN) or None,
                 **{k: self._shown(key, f, r.get(k)) for k, f in fields.items()}} for r in self.c.rows.get(key, [])]
        self.rows(ws, tb, rows + [{} for _ in range(tb.n_rows - len(rows))])
        self.validate_inputs(ws, tb)
        ids = tb.col(ID_COLUMN)
        ws.set_column(ids, ids, None, None, {"hidden": True})  # the row ids: kamplan's, not the salesperson's
        self.finish(ws, tb, freeze=2)

    def _business(self, ws):
        tb = self.layout.business
        self.header(ws, tb, [at("note.business", self.L)])
        names = dict(self.c.accounts)
        rows = [{"account_id": a, "account_name": names.get(a, a), **self.c.business.get(a, {})}
                for (a,) in tb.row_keys if a]
        self.rows(ws, tb, rows)
        if rows:
            self.validate_inputs(ws, tb)
        self.finish(ws, tb, freeze=2)

    def validate(self, ws, tb: Table, i: int, col):
        opts = {"error_title": at("val.title", self.L), "error_message": col.help[:255], "error_type": "stop",
                "input_title": col.header[:32], "input_message": col.help[:255], "ignore_blank": True,
                "show_error": True, "show_input": True}
        if col.dtype == "date":
            opts.update(validate="date", criteria="between", minimum=_date(1990), maximum=_date(2100))
        elif col.dtype == "integer":
            opts.update(validate="integer", criteria="between", minimum=int(col.minimum), maximum=int(col.maximum))
        elif col.dtype == "number":
            opts.update(validate="decimal", criteria="between", minimum=float(col.minimum),
                        maximum=float(col.maximum))
        elif col.choices:
            opts.update(validate="list", source="=" + self.layout.list_name(col.choices))
        elif col.key in _LINKS.get(tb.key, {}):
            src_sheet, src_col = _LINKS[tb.key][col.key]
            opts.update(validate="list", source="=" + self.layout.table(src_sheet).qualified_span(src_col),
                        error_type="warning")  # a contact typed before its row exists is said at collect
        else:
            return
        ws.data_validation(tb.first_row, i, tb.last_row, i, opts)

    # -- Read me -----------------------------------------------------------------------------------------
    def _cover(self, ws):
        c, L, st, lay = self.c, self.L, self.st, self.layout
        ws.set_column(0, 0, 14)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 5, 14)
        ws.hide_gridlines(2)
        ws.write_string(0, 0, at("title", L, year=c.identity.plan_year, rep=c.rep_name), st.title)
        ws.write_string(1, 0, self.subtitle(), st.subtitle)
        when = c.prefilled_at.strftime("%Y-%m-%d %H:%M") if c.prefilled_at else None
        ws.write_string(2, 0, at("cover.prefilled", L, when=when) if when else at("cover.first", L), st.subtitle)
        ws.write_string(3, 0, at("cover.nomacros", L), st.subtitle)
        for i, p in enumerate(c.problems[:2]):
            ws.write_string(4 + i, 0, p, st.subtitle)
        tb = lay.summary
        ws.write_string(tb.header_row - 1, 0, at("cover.summary", L), st.label)
        ws.set_row(tb.header_row, self.header_height)
        for i, col in enumerate(tb.columns):
            ws.write_string(tb.header_row, i, col.header, st.header)
        names = dict(c.accounts)
        self.rows(ws, tb, [{"account_id": a, "account_label": account_label(a, names.get(a, ""))}
                           for (a,) in tb.row_keys])
        how = tb.last_row + 2
        ws.write_string(how, 0, at("cover.how", L), st.label)
        ws.merge_range(how + 1, 0, how + 1, 5, at("cover.howto", L), st.wrap)
        ws.set_row(how + 1, 190)
        self.protect(ws)
        self.page(ws, None)

    # -- hidden sheets -------------------------------------------------------------------------------------
    def write_lists(self, ws):
        self.labels = dropdown_lists(self.c, self.L)
        for col, (name, labels) in enumerate(self.labels.items()):
            ws.write_string(0, col, name)
            for r, label in enumerate(labels, start=1):
                ws.write_string(r, col, label)
            ws.set_column(col, col, 24)
            self.wb.define_name(self.layout.list_name(name), list_ref(ws.name, col, max(1, len(labels))))
        ws.hide()
        self.protect(ws)

    def identity(self):
        ident, c, lay = self.c.identity, self.c, self.layout
        values = [("plan_year", str(ident.plan_year)), ("rep_id", ident.rep_id),
                  ("based_on", "" if ident.based_on is None else str(ident.based_on)),
                  ("generated_at", ident.stamp), ("workbook_id", ident.workbook_id),
                  ("layout_hash", ident.layout_hash), ("language", c.language), ("currency", c.currency),
                  *((f"rows.{k}", str(lay.lists_tables[k].n_rows)) for k in LIST_SHEETS)]
        blocks = {"accounts": [a for a, _ in c.accounts],
                  "products": [(p, product_label(n, u)) for p, n, u in c.products],
                  "people": [p for p, _ in c.people],
                  "rows": [(k, str(r["row_id"]), str(r.get("account") or "")) for k in LIST_SHEETS
                           for r in c.rows.get(k, []) if r.get("row_id")]}
        return IDENTITY, values, blocks


# Columns whose dropdown is another sheet's names: sheet -> column -> (source sheet, source column).
_LINKS = {
    "contacts": {"reports_to": ("contacts", "name")},
    "projects": {"decision_maker": ("contacts", "name"), "influencer": ("contacts", "name")},
    "actions": {"project": ("projects", "project"), "contact": ("contacts", "name")},
    "visits": {"met": ("contacts", "name")},
}


def _date(year: int) -> dt.date:
    return dt.date(year, 1, 1)
