"""An XlsxWriter worksheet that writes kamplan's formulas without XlsxWriter's future-function pass.

Why: before storing a formula XlsxWriter runs ~30 regular-expression substitutions over it (and ~160
for data validations and conditional formats), each adding the ``_xlfn.`` prefix a newer Excel function
(XLOOKUP, FILTER, IFS, ...) needs in the file.  That was 43 % of the time to write a target workbook
(measured), for functions kamplan never writes.

What: ``FastFormulaWorksheet._prepare_formula`` looks at the names of the functions a formula calls.
When every one is a function ``kit/results.py`` evaluates (the whole vocabulary kamplan writes) and
XlsxWriter itself leaves that name alone, the substitutions cannot change the formula, so only the
leading ``=`` and array braces are taken off, as XlsxWriter does; any other formula (a name kamplan
does not evaluate, a lower-case name, an ``_xlfn.`` name already expanded) goes through XlsxWriter's
own code unchanged.  The names are checked against the installed XlsxWriter when this module is
imported, so a later XlsxWriter that starts prefixing one of them is followed, never overruled.
The written XML is the same, byte for byte (tests/workbooks/kit/test_fast_formulas.py).
"""
from __future__ import annotations

import re

from xlsxwriter.worksheet import Worksheet

from kamplan.workbooks.kit.results import Evaluator

# Every run of name characters just before "(": XlsxWriter's patterns are "\bNAME\(" (and one
# "\SINGLE\(", any character then INGLE), so a substitution can only apply where such a run ends
# in "(".  Dots belong to the run: "\b" matches between "." and a letter, so "A.SORT(" is one run.
_CALLED = re.compile(r"([\w.]*)\(")


def _untouched_by_xlsxwriter(name: str) -> bool:
    """Whether XlsxWriter (with every future function expanded) leaves a call of ``name`` as it is,
    wherever it stands: alone, after an operator, inside a text, after a non-ASCII letter."""
    probe = Worksheet()
    probe.use_future_functions = True
    samples = (f"{name}(A1)", f"1+{name}(A1)", f'"x"&{name}(A1)', f'"{name}("', f"中{name}(A1)")
    return all(Worksheet._prepare_formula(probe, s, True) == s for s in samples)


def _plain_names() -> frozenset[str]:
    evaluated = {attr[3:].replace("_", ".") for attr in dir(Evaluator) if attr.startswith("fn_")}
    return frozenset(n for n in evaluated if n.isupper() and _untouched_by_xlsxwriter(n))


PLAIN_FUNCTIONS = _plain_names()


def needs_expansion(formula: str) -> bool:
    """Whether XlsxWriter's future-function pass might change ``formula``: it calls something (or holds
    a name before "(", even in a text) that is not one of ``PLAIN_FUNCTIONS``.  A bare "(" is plain."""
    for name in _CALLED.findall(formula):
        if name and name not in PLAIN_FUNCTIONS:
            return True
    return False


class FastFormulaWorksheet(Worksheet):
    """A Worksheet whose formulas of ``PLAIN_FUNCTIONS`` skip the future-function substitutions."""

    def _prepare_formula(self, formula, expand_future_functions=False):
        if needs_expansion(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        # what XlsxWriter does before its substitutions (which would change nothing here)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula
