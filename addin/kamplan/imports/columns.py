"""Finding a file's columns and values in the plan's words: header matching (the config's accepted names,
Chinese headers included), and matching a file's customer, product or kind values to plan ids through
ids, aliases and names."""
from __future__ import annotations

import re

import polars as pl

from kamplan.messages import Message
from kamplan.problems import Problem, problem


def normal(text: str) -> str:
    """The form two names are compared in: no white space, case folded."""
    return re.sub(r"\s+", "", str(text)).casefold()


def find_columns(headers: list[str], wanted: dict[str, list[str]]) -> dict[str, str]:
    """field -> the file's header for it: the first accepted name (in the config's order) the file has."""
    by_normal: dict[str, str] = {}
    for h in headers:
        by_normal.setdefault(normal(h), h)
    out: dict[str, str] = {}
    used: set[str] = set()
    for fld, names in wanted.items():
        for n in names:
            h = by_normal.get(normal(n))
            if h is not None and h not in used:
                out[fld] = h
                used.add(h)
                break
    return out


def repeated_headers(headers: list[str], wanted: dict[str, list[str]], *, code: str, file: str,
                     sheet: str | None = None) -> list[Problem]:
    """An error for each header kamplan reads that the file has twice (white space and case do not count):
    which of the two columns holds the figures cannot be guessed."""
    accepted = {normal(n) for names in wanted.values() for n in names}
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        key = normal(h)
        if not key or key not in accepted:
            continue
        if key in seen:
            out.append(problem("import.column-twice", code=code, header=h, first=seen[key] + 1, second=i + 1,
                               file=file, sheet=sheet, cell=Message("where.header-column", column=i + 1)))
        else:
            seen[key] = i
    return out


def has_fields(required: list[str] | tuple[str, ...], wanted: dict[str, list[str]]):
    """A test for a header row: does it name every required field?"""
    return lambda header: all(f in find_columns(header, wanted) for f in required)


def match_header(headers: list[str], wanted: dict[str, list[str]], required, *, code: str, config_key: str,
                 file: str, sheet: str | None = None, show_accepted: bool = False
                 ) -> tuple[dict[str, str] | None, list[Problem]]:
    """field -> header, or None and the error naming the required fields the file has no column for."""
    cols = find_columns(headers, wanted)
    missing = [f for f in required if f not in cols]
    if not missing:
        return cols, []
    fix = Message("fix.import.no-column", config_key=config_key)
    if show_accepted:
        fix = Message("fix.import.no-column-accepted", config_key=config_key,
                      accepted="; ".join(f"{f}: {', '.join(wanted[f][:4])}" for f in missing))
    return None, [problem("import.no-column", code=code, missing=", ".join(missing), headers=", ".join(headers[:12]),
                          fix=fix, file=file, sheet=sheet)]


def lookup(ids: list[str], names: dict[str, list[str]], aliases: dict[str, str], match_names: bool
           ) -> dict[str, str]:
    """Normalised key -> plan id: ids, then aliases, then (unambiguous) names."""
    out: dict[str, str] = {}
    if match_names:
        out.update({k: next(iter(v)) for k, v in _name_owners(names).items() if len(v) == 1})
    out.update({normal(k): v for k, v in aliases.items()})
    out.update({normal(i): i for i in ids})
    return out


def _name_owners(names: dict[str, list[str]]) -> dict[str, set[str]]:
    """Normalised name -> the ids that have it."""
    count: dict[str, set[str]] = {}
    for i, ns in names.items():
        for n in ns:
            count.setdefault(normal(n), set()).add(i)
    return count


def ambiguous(ids: list[str], names: dict[str, list[str]], aliases: dict[str, str], match_names: bool
              ) -> dict[str, list[str]]:
    """Normalised name -> the plan ids it names, for names shared by several ids (and neither an id nor an
    alias): such a value matches nothing, and the report lists the candidates."""
    if not match_names:
        return {}
    count = _name_owners(names)
    taken = {normal(k) for k in aliases} | {normal(i) for i in ids}
    return {k: sorted(v) for k, v in count.items() if len(v) > 1 and k not in taken}


def _vocabulary(config, what: str) -> tuple[list[str], dict[str, list[str]], dict[str, str], bool]:
    """The plan's ids, names (English and Chinese) and the config's aliases of ``what`` (customer,
    product or salesperson), and whether names match."""
    rules = config.actuals
    items, aliases = {"customer": (config.accounts, rules.aliases.customers),
                      "product": (config.products, rules.aliases.products),
                      "salesperson": (config.staff, rules.aliases.salespeople)}[what]
    return [i.id for i in items], {i.id: [i.name.en, i.name.zh] for i in items}, aliases, rules.match_names


def candidates(config, what: str) -> dict[str, list[str]]:
    """Names of ``what`` (customer, product, salesperson) shared by several plan ids: name -> the ids."""
    return ambiguous(*_vocabulary(config, what))


def salesperson_lookup(config) -> dict[str, str]:
    """The plan's salespeople (staff) by id, salesperson alias and (English or Chinese) name."""
    return lookup(*_vocabulary(config, "salesperson"))


def account_lookup(config) -> dict[str, str]:
    """The plan's accounts by id, customer alias and (English or Chinese) name."""
    return lookup(*_vocabulary(config, "customer"))


def product_lookup(config) -> dict[str, str]:
    """The plan's products by id, product alias and (English or Chinese) name."""
    return lookup(*_vocabulary(config, "product"))


def word_lookup(words: dict[str, list[str]]) -> dict[str, str]:
    """Normalised word -> the canonical word it stands for (the canonical word stands for itself)."""
    return {normal(w): k for k, ws in words.items() for w in [k, *ws]}


def matcher(values: pl.Series, known: dict[str, str]) -> dict[str, str]:
    """Each distinct value of the file -> plan id, for those that match."""
    out = {}
    for v in values.drop_nulls().unique().to_list():
        hit = known.get(normal(v))
        if hit is not None:
            out[v] = hit
    return out


def matched(col: str, values: pl.Series, known: dict[str, str]) -> pl.Expr:
    """``col`` replaced by what its values match in ``known`` (null where nothing matches)."""
    return pl.col(col).replace_strict(matcher(values, known), default=None, return_dtype=pl.String)
