"""Allocate scarce support (executives, technical staff, outside advisors) across key accounts.

Pure functions on plain data; no files, workbooks or printing.  The model (issue 5, after
Lodish's CALLPLAN):

* **Pools** (``Pool``): one per support kind, with a unit (visits or days), an optional money
  budget for the year, a value weight (an executive visit can be worth more than a technical day)
  and ``integral`` (whole units only, e.g. executive visits).
* **People** (``Person``): a pool, a capacity per quarter, skills, regions served (empty = all)
  and a cost per unit charged against the pool budget.
* **Accounts** (``AccountValue``): the money at stake (``value``: revenue at stake x
  profitability x risk, made by the caller from the segmentation), class, region, whether the
  class may get support at all and, optionally, how much support the customer can receive per
  quarter (``receive_capacity``, summed over all pools).
* **Requests** (``Request``): account, kind (= pool), amount, deadline quarter (support after it
  is worth nothing, so it is never planned), priority, divisible or all-or-nothing, optional skill.
  An all-or-nothing request (a 3-day commissioning visit) is served whole by one person within one
  quarter.
* **Value**: account ``a`` gets ``s[a,k] = sum(priority weight x units given)`` of pool ``k``;
  its value is ``a.value x pool.weight x R(s[a,k])`` with ``R`` a concave response per class
  (or per class and kind; ``Instance.responses``), piecewise linear with decreasing slopes
  (``Response.points``, ``Response.adbudg``).  Because it is concave and maximised, the linear
  segments make the MILP exact for it without extra binaries.  An S-shaped ADBUDG (c > 1) is
  replaced by its concave hull.
* **Rules**: ``CoverageRule(cls, kind, minimum)``: every eligible account of the class gets at
  least ``minimum`` units of the kind a year (hard constraint).  An account that asked for less
  gets a generated low-priority request (id ``coverage:<account>:<kind>``) for the rest.
  ``Instance.force_in`` / ``force_out``: request ids the VP insists on / rules out.

Functions (all take an ``Instance`` and return new data):

* ``greedy(instance)`` -> ``Allocation``: marginal analysis (forced requests, then coverage, then
  the best value per unit first, lazily re-evaluated).  Optimal in the textbook case: divisible
  requests, separable concave response, one capacity/budget per pool, no deadline conflicts.
* ``solve(instance, time_limit=5.0, mip_gap=1e-4, warm_start=True, relax=False, aon="auto")`` ->
  ``Allocation``: the MILP solved by HiGHS (highspy), started from the greedy solution; ``relax=True``
  gives the LP relaxation (its objective is a bound).  Always reports objective, proven bound and
  gap.  The model is in flow form: divisible support flows from people to groups of requests with
  the same eligible people (exact).  All-or-nothing requests get one binary per (person, quarter)
  (``aon="person"``, exact) or, when that would be more than ``AON_PERSON_SLOTS`` binaries, one per
  quarter (``aon="quarter"``, a relaxation): they are then packed onto single people afterwards
  (best fit, then a small MILP per quarter and pool); what does not pack is dropped, and the status
  says ``feasible`` instead of ``optimal`` (the gap stays honest).  ``time_limit`` covers it all.
* ``marginal_values(instance, allocation, resolve=False)`` -> frame: the value of one more unit
  of each person and each pool in each quarter, and of one more unit of budget, from the duals of
  the LP with the all-or-nothing choices fixed; ``resolve=True`` adds the gain of really re-solving
  with one more unit of a "generalist" (all skills, all regions) in each pool and quarter.
* ``explain_unmet(instance, allocation)`` -> list of ``Unmet``: every request not (fully) served,
  with the reason (code, message) and what would make it fit.  ``solve`` and ``greedy`` fill
  ``Allocation.unmet`` with it.
* ``with_forced``, ``with_capacity``, ``with_budget``: copies of an instance for what-if re-solves.
* ``instance_from_config(pools, classes, accounts, requests, ...)``: from the config's
  ``SupportPool`` / ``ClassRule`` objects and a ``model.REQUEST_COLUMNS`` frame.
* ``generate_instance(n_accounts, seed)``: a reproducible synthetic instance (tests, benchmarks).

``Allocation.assignments`` has the columns ``ASSIGNMENT_COLUMNS`` (request_id, account_id, kind,
person_id, quarter, amount, cost); ``Allocation.given`` maps request id -> units given.
Infeasible rule sets come back as ``status == "infeasible"`` with ``problems`` (``Problem``s
saying which rule cannot hold and what to change); nothing raises on bad data.

Layout: ``model`` (the data above), ``compiled`` (the indexed form every method shares, and
``all_requests``: the requests a run sees, coverage ones included), ``state`` (support given so
far), ``heuristic`` (greedy), ``milp`` (the flow model, HiGHS, packing onto people), ``solver``
(``solve``), ``explanations`` (``explain_unmet``), ``marginal`` (``marginal_values``), ``outcome``
(an ``Allocation`` from rows), ``instances`` (from the config; synthetic).  Import from this package.
"""
from kamplan.engine.resources.allocation.compiled import all_requests
from kamplan.engine.resources.allocation.explanations import explain_unmet
from kamplan.engine.resources.allocation.heuristic import greedy
from kamplan.engine.resources.allocation.instances import generate_instance, instance_from_config
from kamplan.engine.resources.allocation.marginal import MARGINAL_COLUMNS, marginal_values
from kamplan.engine.resources.allocation.model import (
    AON_PERSON_SLOTS, ASSIGNMENT_COLUMNS, EPS, GENERALIST, PRIORITY_WEIGHTS, QUARTERS, AccountValue, Allocation,
    CoverageRule, Instance, Person, Pool, Request, Response, Unmet, with_budget, with_capacity, with_forced,
)
from kamplan.engine.resources.allocation.solver import solve

__all__ = [
    "AON_PERSON_SLOTS", "ASSIGNMENT_COLUMNS", "EPS", "GENERALIST", "MARGINAL_COLUMNS", "PRIORITY_WEIGHTS", "QUARTERS",
    "AccountValue", "Allocation", "CoverageRule", "Instance", "Person", "Pool", "Request", "Response", "Unmet",
    "all_requests", "explain_unmet", "generate_instance", "greedy", "instance_from_config", "marginal_values",
    "solve", "with_budget", "with_capacity", "with_forced",
]
