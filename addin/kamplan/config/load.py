"""Read a planning config from YAML and turn every fault into a precise message."""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kamplan.config.base import ConfigRule
from kamplan.config.schema import PlanConfig
from kamplan.messages import Message
from kamplan.problems import Problem, problem


class ConfigError(Exception):
    """The config could not be used; ``problems`` says every reason, with key paths."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_config(path: str | Path, *, cache: bool = True) -> PlanConfig:
    """The config in ``path`` (kamplan.yaml) with the master-data files it names, checked.

    ``cache``: keep what was read next to it (``.kamplan/config-cache.json``, see ``config.cache``), so that
    the next command need not parse the YAML again while none of the files changed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([problem("config.missing", path=str(path), file=str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([problem("config.unreadable", reason=str(exc), file=str(path))]) from None
    if not cache:
        return config_from_dict(_parsed(text, path), source=path)
    from kamplan.config import cache as kept
    data = kept.read(path, raw)
    if data is not None:
        return config_from_dict(data, source=path, with_files=False)
    data = _with_files(_parsed(text, path), path)
    config = config_from_dict(data, source=path, with_files=False)
    kept.write(path, raw, data, _files_read(data, path))
    return config


def _parsed(text: str, path: Path) -> dict:
    """The YAML of the config file as a mapping, or a ConfigError saying where it is not YAML."""
    import yaml  # not needed when the config comes from the cache (config.cache)
    try:
        # The C loader is ~3x faster on a big company's config (20,000 accounts: 2.4 s instead of 7.7 s).
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Message("config.where-line", line=mark.line + 1, column=mark.column + 1) if mark else None
        raise ConfigError([problem("config.yaml", reason=str(getattr(exc, "problem", exc)), file=str(path),
                                   cell=where)]) from None
    if not isinstance(data, dict):
        raise ConfigError([problem("config.shape", file=str(path))])
    return data


def config_from_dict(data: dict[str, Any], source: Path | None = None, with_files: bool = True) -> PlanConfig:
    """``data`` checked against the schema; ``with_files``: read the master-data files it names first
    (``accounts_file``, ``account_team_file``; relative to ``source``'s folder)."""
    name = str(source) if source else "config"
    data = _with_files(data, source) if with_files else data
    try:
        return PlanConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, data, name)) from None


def _with_files(data: dict[str, Any], source: Path | None) -> dict[str, Any]:
    """``data`` with the accounts of ``accounts_file`` and the team rows of ``account_team_file``."""
    data = dict(data)
    base = source.parent if source else Path.cwd()
    if data.get("accounts_file") and not data.get("accounts"):
        data["accounts"] = _read_accounts_file(base / data["accounts_file"])
    if data.get("account_team_file"):
        data["accounts"] = _with_team_file(data.get("accounts") or [], base / data["account_team_file"],
                                           data["account_team_file"])
    return data


def _files_read(data: dict[str, Any], source: Path) -> list[Path]:
    """The master-data files besides ``source`` that ``_with_files`` read for ``data`` (for the cache's key)."""
    names = [data.get("accounts_file"), data.get("account_team_file")]
    return [source.parent / str(name) for name in names if name]


def _table_rows(path: Path, key: str) -> list[dict[str, str]]:
    """The rows of a CSV/XLSX master-data file (``key``: the config key that names it), values stripped."""
    if not path.exists():
        raise ConfigError([problem("config.file-missing", code=f"{key.replace('_', '-')}-missing", key=key,
                                   path=str(path), file=str(path))])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import pandas as pd
        rows = pd.read_excel(path, dtype=str, engine="calamine").fillna("").to_dict("records")
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    return [{str(k).strip(): str(v if v is not None else "").strip() for k, v in row.items() if k is not None}
            for row in rows]


def _with_team_file(accounts: list[dict], path: Path, name: str) -> list[dict]:
    """``accounts`` with the team rows of ``account_team_file`` (account, salesperson, role, share, product;
    blank product = all products) added to each account's ``team``.  A member's rows of several products
    become one entry with a share per product; each entry remembers its file › row for the problems."""
    rows = _table_rows(path, "account_team_file")
    by_id = {str(a.get("id")): dict(a, team=list(a.get("team") or [])) for a in accounts}
    problems, entries = [], {}
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        account, person = row.get("account", ""), row.get("salesperson", "")
        where = Message("where.sheet-row", sheet=name, row=n)
        if account not in by_id:
            problems.append(problem("config.team-unknown-account", account=repr(account), file=name,
                                    cell=Message("where.row", row=n)))
            continue
        product, share = row.get("product", ""), row.get("share", "") or None
        entry = entries.get((account, person))
        if entry is None:
            entry = entries[(account, person)] = {"salesperson": person, "role": row.get("role") or "member",
                                                  "src": where, "_shares": {}}
            by_id[account]["team"].append(entry)
        if product in entry["_shares"]:
            problems.append(problem("config.team-twice-product" if product else "config.team-twice",
                                    person=repr(person), account=account, product=product, first=entry["src"],
                                    file=name, cell=Message("where.row", row=n)))
        entry["_shares"][product] = share
    if problems:
        raise ConfigError(problems)
    for account in by_id.values():
        account["team"] = [_team_entry(e) for e in account["team"]]
    return list(by_id.values())


def _team_entry(entry: dict) -> dict:
    """One team entry from its file rows: a plain share, or a share per product ('' = all others)."""
    if "_shares" not in entry:
        return entry
    shares = entry.pop("_shares")
    if list(shares) == [""]:
        return {**entry, "share": shares[""]}
    if any(v is None for v in shares.values()):
        return {**entry, "share": None}
    return {**entry, "share": shares}


def _read_accounts_file(path: Path) -> list[dict]:
    """Accounts as rows: id, name_en, name_zh, region, rep, class[, city]."""
    rows = _table_rows(path, "accounts_file")
    out = []
    for row in rows:
        out.append({"id": row.get("id", ""), "name": {"en": row.get("name_en", ""), "zh-CN": row.get("name_zh", "")},
                    "region": row.get("region", ""), "rep": row.get("rep", ""),
                    "class": row.get("class") or "develop", "city": row.get("city", "")})
    return out


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic marks a bad dict key with this pseudo-segment
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_KEY_PATH = re.compile(r"^[A-Za-z_][\w.\[\]-]*$")


def _problems_from(exc: ValidationError, data: dict, name: str) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p not in ("function-after",))
        msg = err["msg"]
        if err["type"] == "value_error":
            problems += _rule_problems(err, loc, msg, name)
            continue
        path = _path(loc) or "(top level)"
        if err["type"] == "missing":
            problems.append(problem("config.missing-key", path=path, file=name, cell=path))
            continue
        if err["type"] == "extra_forbidden":
            problems.append(problem("config.unknown-key", path=path, file=name, cell=path))
            continue
        problems.append(_invalid(path, err, name))
    return problems


def _rule_problems(err: dict, loc: tuple, msg: str, name: str) -> list[Problem]:
    """Our own validators' faults: a ``ConfigRule`` carries (key path, Message) pairs, said in the workspace's
    language; any other validator's words are read as lines "key.path: what" (relative to loc) or plain text."""
    rule = (err.get("ctx") or {}).get("error")
    if isinstance(rule, ConfigRule):
        faults = rule.faults
    else:
        faults = []
        for line in msg.removeprefix("Value error, ").splitlines():
            key, _, what = line.partition(": ")
            faults.append((key, what) if what and _KEY_PATH.match(key) else ("", line))
    out = []
    for key, what in faults:
        full = (_path(loc) + "." + key if loc else key) if key else (_path(loc) or "(top level)")
        out.append(problem("config.invalid-rule", what=what, file=name, cell=full))
    return out


# pydantic's words for the faults a person makes in kamplan.yaml, said by the catalogue (with pydantic's
# own fields); any other fault keeps pydantic's English sentence
_PYDANTIC = {
    "int_parsing": "config.pydantic.int", "int_type": "config.pydantic.int", "int_from_float": "config.pydantic.whole",
    "float_parsing": "config.pydantic.number", "float_type": "config.pydantic.number",
    "bool_parsing": "config.pydantic.bool", "bool_type": "config.pydantic.bool",
    "string_type": "config.pydantic.text", "list_type": "config.pydantic.list", "dict_type": "config.pydantic.mapping",
    "date_from_datetime_parsing": "config.pydantic.date", "date_parsing": "config.pydantic.date",
    "date_type": "config.pydantic.date",
    "greater_than": "config.pydantic.gt", "greater_than_equal": "config.pydantic.ge",
    "less_than": "config.pydantic.lt", "less_than_equal": "config.pydantic.le",
    "literal_error": "config.pydantic.literal", "too_short": "config.pydantic.too-short",
    "too_long": "config.pydantic.too-long",
}


def _invalid(path: str, err: dict, name: str) -> Problem:
    """A value pydantic refused: what it is, why (in the catalogue's words where it knows the fault) and
    what is allowed."""
    ctx = {k: v if isinstance(v, (int, float)) else str(v) for k, v in (err.get("ctx") or {}).items()}
    key = _PYDANTIC.get(err["type"])
    why = Message(key, **ctx) if key else err["msg"]
    if err["type"] == "literal_error":
        return problem("config.invalid-choice", path=path, value=repr(err.get("input")), why=why,
                       expected=ctx.get("expected", ""), file=name, cell=path)
    return problem("config.invalid", path=path, value=repr(err.get("input")), why=why, file=name, cell=path)
