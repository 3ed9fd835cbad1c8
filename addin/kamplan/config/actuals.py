"""How ERP exports of invoice or delivery lines and the activity log are read (config key ``actuals``).

An ERP export names its columns its own way (often in Chinese), writes dates and
numbers its own way, may count in kilograms where the plan counts in tonnes and
may bill in another currency.  This section says how to read it:

* ``columns``: for each field the header names accepted (case and spaces do not
  matter); the first header of the file that matches is used;
* ``date_formats``, ``decimal``, ``thousands``, ``encoding``, ``sheet``: how values are written;
* ``units``: factors from a unit found in the file to the product's plan unit;
* ``currency``: exchange rates to the plan currency;
* ``aliases``: customer, product and salesperson codes of the ERP that differ from the plan's ids;
* ``activity_columns``, ``activity_kinds``, ``complaint_statuses``: the same for the activity log.

``config/default.yaml`` shows and explains every key.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from kamplan.config.base import Strict
from kamplan.config.base import refuse

ACTUALS_FIELDS = ("date", "customer", "product", "quantity", "amount", "cost", "unit", "currency", "salesperson")
ACTUALS_REQUIRED = ("date", "customer", "product", "quantity", "amount")
ACTIVITY_FIELDS = ("date", "account", "kind", "person", "quantity", "status", "note", "ref")
ACTIVITY_REQUIRED = ("date", "account", "kind")


def _default_columns() -> dict[str, list[str]]:
    return {
        "date": ["date", "invoice_date", "delivery_date", "日期", "开票日期", "发货日期", "单据日期", "出库日期"],
        "customer": ["customer", "customer_id", "account", "account_id", "客户", "客户编码", "客户代码", "客户编号",
                     "客户名称"],
        "product": ["product", "product_id", "item", "产品", "产品编码", "物料编码", "存货编码", "产品名称"],
        "quantity": ["quantity", "qty", "volume", "数量", "销量", "发货数量"],
        "amount": ["amount", "revenue", "net_amount", "金额", "销售额", "不含税金额", "无税金额"],
        "cost": ["cost", "cost_amount", "成本", "成本金额"],
        "unit": ["unit", "uom", "单位", "计量单位"],
        "currency": ["currency", "币种", "币别"],
        "salesperson": ["salesperson", "sales_rep", "salesperson_id", "rep", "业务员", "销售员", "销售代表"],
    }


def _default_activity_columns() -> dict[str, list[str]]:
    return {
        "date": ["date", "日期"],
        "account": ["account", "account_id", "customer", "客户", "客户编码"],
        "kind": ["kind", "type", "activity", "类型", "活动类型"],
        "person": ["person", "person_id", "staff", "by", "人员", "负责人", "执行人"],
        "quantity": ["quantity", "count", "数量", "次数", "人数"],
        "status": ["status", "状态"],
        "note": ["note", "comment", "备注", "说明"],
        "ref": ["ref", "reference", "ticket", "编号", "投诉编号", "单号"],
    }


def _default_kinds() -> dict[str, list[str]]:
    return {
        "rep_visit": ["rep_visit", "visit", "拜访", "客户拜访", "销售拜访"],
        "exec_visit": ["exec_visit", "executive_visit", "高层拜访", "领导拜访"],
        "training": ["training", "培训", "技术培训"],
        "service": ["service", "服务", "技术服务"],
        "complaint": ["complaint", "投诉", "客户投诉"],
    }


def _default_statuses() -> dict[str, list[str]]:
    return {"open": ["open", "未解决", "处理中", "待处理", "打开"],
            "resolved": ["resolved", "closed", "done", "已解决", "已关闭", "关闭", "完成"]}


class Units(Strict):
    """Quantities in another unit than the product's plan unit (``products[].unit``)."""
    file_unit: str | None = Field(None, description="unit of the quantity column when the file has no unit column; "
                                                    "empty = the product's plan unit")
    factors: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {"kg": {"t": 0.001}, "g": {"t": 1e-6, "kg": 0.001}, "t": {"kg": 1000.0},
                                 "吨": {"t": 1.0}, "千克": {"t": 0.001}, "公斤": {"t": 0.001}},
        description="from-unit -> {plan unit: factor}: 1 kg = 0.001 t")
    products: dict[str, dict[str, float]] = Field(
        {}, description="per product id: {unit: how many plan units one of it is}, e.g. P07: {bag: 0.025}")

    @model_validator(mode="after")
    def _positive(self):
        bad = [f"{a}->{b}" for a, m in self.factors.items() for b, f in m.items() if not f > 0]
        bad += [f"{p}.{u}" for p, m in self.products.items() for u, f in m.items() if not f > 0]
        if bad:
            refuse("", "config.rule.factors-positive", bad=", ".join(bad))
        return self


class Currency(Strict):
    file_currency: str | None = Field(None, pattern=r"^[A-Z]{3}$",
                                      description="currency of the amounts when the file has no currency column; "
                                                  "empty = the plan currency")
    rates: dict[str, float] = Field({}, description="plan currency per one unit of this currency, e.g. USD: 7.1")

    @model_validator(mode="after")
    def _positive(self):
        bad = [c for c, r in self.rates.items() if not r > 0]
        if bad:
            refuse("", "config.rule.rates-positive", bad=", ".join(bad))
        return self


class Aliases(Strict):
    customers: dict[str, str] = Field({}, description="ERP customer code or name -> account id")
    products: dict[str, str] = Field({}, description="ERP product code or name -> product id")
    salespeople: dict[str, str] = Field({}, description="ERP salesperson code or name -> staff id")


class ActualsRules(Strict):
    """Reading ERP invoice/delivery lines (``kamplan actuals import``) and the activity log."""
    columns: dict[Literal["date", "customer", "product", "quantity", "amount", "cost", "unit", "currency",
                          "salesperson"],
                  list[str]] = Field(default_factory=_default_columns)
    date_formats: list[str] = Field(
        ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%d.%m.%Y", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"],
        min_length=1, description="strftime patterns tried in order")
    decimal: Literal[".", ","] = "."
    thousands: Literal["", ",", ".", " ", "'"] = ""
    encoding: Literal["auto", "utf-8", "gb18030"] = "auto"
    delimiter: Literal[",", ";", "\t", "|"] = ","
    sheet: str | None = Field(None, description="xlsx: the sheet to read; empty = the first")
    match_names: bool = Field(True, description="also match customers and products by their name (en or zh)")
    units: Units = Units()
    currency: Currency = Currency()
    aliases: Aliases = Aliases()
    activity_columns: dict[Literal["date", "account", "kind", "person", "quantity", "status", "note", "ref"],
                           list[str]] = Field(default_factory=_default_activity_columns)
    activity_kinds: dict[Literal["rep_visit", "exec_visit", "training", "service", "complaint"],
                         list[str]] = Field(default_factory=_default_kinds)
    complaint_statuses: dict[Literal["open", "resolved"], list[str]] = Field(default_factory=_default_statuses)

    @model_validator(mode="after")
    def _separators(self):
        if self.thousands and self.thousands == self.decimal:
            refuse("thousands", "config.rule.thousands-is-decimal", mark=repr(self.thousands))
        return self

    def headers(self, field: str) -> list[str]:
        """Accepted header names of an actuals field: the configured ones, else the defaults."""
        return self.columns[field] if field in self.columns else _default_columns()[field]

    def activity_headers(self, field: str) -> list[str]:
        return (self.activity_columns[field] if field in self.activity_columns
                else _default_activity_columns()[field])
