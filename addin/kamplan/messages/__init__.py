"""One catalogue for every word kamplan says: problems, console lines, help texts, the add-in's messages.

The words live in gettext catalogues (``locale/<lang>/LC_MESSAGES/kamplan.po`` and one file per area,
``kamplan-<area>.po``, for ``en`` and for ``zh_CN``), read with Babel and compiled in memory the first time a language is used: only the
``.po`` files are kept in git and shipped.  Each entry has named ``str.format`` fields (``{value}``);
a field written ``{amount:n}`` is a number in the language's format (Babel's ``format_decimal``),
``{amount:n2}`` with two decimals, ``{share:pct}`` a percentage, ``{amount:money}`` an amount of
the ``currency`` field (``format_currency``).  Plural forms come from each catalogue's
``Plural-Forms`` header (``nt``).

Three kinds of ids:

- a problem: ``problem.<id>`` (what is wrong) and ``fix.<id>`` (what to do), registered in
  ``kamplan.messages.registry`` with its public code, category and severity;
- a console or add-in line: a dotted key such as ``cli.init.created``;
- a ``--help`` text: the English text itself (click's docstrings and ``help=``), translated when
  the help is shown (``kamplan.cli.common.localise_help``).

``Message`` is a ``str`` (its English text), so code that still formats or compares English keeps
working, and it knows its key and fields, so a front end can say it in another language
(``render(message, language)``).  The current language of a run is set once by the front end
(``use_language``); ``t(key, **fields)`` says a key in it.

Converting a call site (the next waves do this mechanically):

1. replace ``error("code", f"text {x}", "fix")`` with ``problem("<id>", x=x, file=..., sheet=..., cell=...)``;
2. add ``<id>`` to ``registry.PROBLEMS`` (code, category, severity) and ``problem.<id>`` and ``fix.<id>``
   to both ``.po`` files with the same fields;
3. run ``python docs/make_problems.py`` to regenerate ``docs/problems.md``;
4. ``pytest tests/frontends/test_catalogue.py`` checks it all (used, translated, same fields, listed).
For a console line: ``console.print(t("cli.x.y", n=n))`` and the key in both ``.po`` files.
"""
from __future__ import annotations

import contextvars
import functools
import gettext
import os
import string
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "kamplan"
LANGUAGES = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
_BABEL_LOCALE = {"en": "en", "zh-CN": "zh_CN"}

_current = contextvars.ContextVar("kamplan_language", default=None)


def normalise_language(language: str | None) -> str | None:
    """``zh-CN`` for any spelling of Chinese (zh, zh_CN, zh-cn, zh-Hans), ``en`` for English, else None."""
    if not language:
        return None
    low = language.strip().lower().replace("_", "-")
    if low.startswith("zh"):
        return "zh-CN"
    if low.startswith("en"):
        return "en"
    return None


def use_language(language: str | None) -> str:
    """Make ``language`` the language of this run (None: ``KAMPLAN_LANG``, else English); returns it."""
    chosen = normalise_language(language) or normalise_language(os.environ.get("KAMPLAN_LANG")) \
        or DEFAULT_LANGUAGE
    _current.set(chosen)
    return chosen


def current_language() -> str:
    return _current.get() or normalise_language(os.environ.get("KAMPLAN_LANG")) or DEFAULT_LANGUAGE


def po_files(folder: str) -> list[Path]:
    """The catalogue files of one language folder (``en``, ``zh_CN``): ``kamplan.po`` first, then one file
    per area (``kamplan-<area>.po``), so that work on different parts of kamplan adds to different files.
    A key is defined in one file only (``tests/frontends/test_catalogue.py`` checks it)."""
    found = sorted((LOCALE_DIR / folder / "LC_MESSAGES").glob(f"{DOMAIN}*.po"))
    return sorted(found, key=lambda p: p.name != f"{DOMAIN}.po")


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (``.po`` read by Babel and compiled to ``.mo``, kept in the user's
    cache folder by the hash of the .po files: ``kamplan.messages.compiled``)."""
    from kamplan.messages import compiled
    folder = _BABEL_LOCALE[normalise_language(language) or DEFAULT_LANGUAGE]
    return compiled.load(folder, po_files(folder), DOMAIN)


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether the catalogue of ``language`` holds ``key``."""
    return catalogue(language).gettext(key) != key or key in _known(language)


@functools.cache
def _known(language: str) -> frozenset:
    return frozenset(k for k in catalogue(language)._catalog if isinstance(k, str))  # noqa: SLF001


class _Formatter(string.Formatter):
    """``str.format`` with the locale's number formats for the ``n``, ``n0``, ``n2``, ``pct``, ``money`` specs."""

    def __init__(self, language: str, fields: dict):
        self.locale = _BABEL_LOCALE[language]
        self.language = language
        self.fields = fields

    def format_field(self, value, spec):
        if isinstance(value, Message):
            value = value.render(self.language)
        try:
            return self._number(value, spec)
        except (ArithmeticError, ValueError):  # Babel's decimals refuse 1e300, NaN, infinity: plain digits then
            return format(value, ",.6g") if isinstance(value, (int, float)) else str(value)

    def _number(self, value, spec):
        from babel import numbers
        if spec == "n" and isinstance(value, (int, float)):
            return numbers.format_decimal(value, format="#,##0.######", locale=self.locale)
        if spec in ("n0", "n1", "n2") and isinstance(value, (int, float)):
            digits = int(spec[1])
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            return numbers.format_decimal(value, format=pattern, locale=self.locale)
        if spec == "pct" and isinstance(value, (int, float)):
            return numbers.format_percent(value, format="#,##0.#%", locale=self.locale)
        if spec == "money" and isinstance(value, (int, float)):
            return numbers.format_currency(value, self.fields.get("currency", "CNY"), locale=self.locale)
        if spec in ("n", "n0", "n1", "n2", "pct", "money"):
            spec = ""
        return super().format_field(value, spec)


def fill(template: str, language: str, fields: dict) -> str:
    """``template`` with its named fields filled in, numbers in ``language``'s format."""
    if not fields:
        return template
    return _Formatter(language, fields).vformat(template, (), fields)


def field_names(template: str) -> set[str]:
    """The named fields of a catalogue text (``{value}``, ``{amount:n}`` → ``value``, ``amount``)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def say(key: str, language: str | None = None, /, **fields) -> str:
    """``key`` in ``language`` (default: the run's), its fields filled in; an unknown key says itself."""
    language = normalise_language(language) or current_language()
    template = catalogue(language).gettext(key)
    if template == key and language != DEFAULT_LANGUAGE:
        template = catalogue(DEFAULT_LANGUAGE).gettext(key)
    return fill(template, language, fields)


def say_plural(key: str, n: int, language: str | None = None, /, **fields) -> str:
    """The plural form of ``key`` for ``n`` in ``language`` (the catalogue's Plural-Forms decide)."""
    language = normalise_language(language) or current_language()
    template = catalogue(language).ngettext(key, key + ".plural", n)
    if template in (key, key + ".plural"):
        template = catalogue(DEFAULT_LANGUAGE).ngettext(key, key + ".plural", n)
    return fill(template, language, {"n": n, **fields})


def t(key: str, /, **fields) -> str:
    """``key`` in the run's language: what the front ends call for every line they print."""
    return say(key, None, **fields)


def nt(key: str, n: int, /, **fields) -> str:
    """``key``'s plural form for ``n`` in the run's language (``{n}`` is filled in)."""
    return say_plural(key, n, None, **fields)


class Message(str):
    """A text from the catalogue that is its English text as a ``str`` and knows its key and fields,
    so it can be said again in another language (``render``).  Fields may be Messages themselves
    (a phrase inside a sentence): they are said in the same language."""

    key: str
    fields: dict

    def __new__(cls, key: str, /, **fields):
        self = super().__new__(cls, say(key, DEFAULT_LANGUAGE, **fields))
        self.key = key
        self.fields = fields
        return self

    def render(self, language: str | None = None) -> str:
        return say(self.key, language, **self.fields)

    def __reduce__(self):  # collect reads files in worker processes: a Message crosses a process boundary
        return _rebuild, (self.key, self.fields)


def _rebuild(key, fields):
    return Message(key, **fields)


def render(text, language: str | None = None) -> str:
    """Any text in ``language``: a Message is said in it, a plain string passes through as it is."""
    if isinstance(text, Message):
        return text.render(language)
    return "" if text is None else str(text)


def lazy(text: str) -> str:
    """Marks an English ``--help`` text for the catalogue (it is translated when the help is shown)."""
    return text
