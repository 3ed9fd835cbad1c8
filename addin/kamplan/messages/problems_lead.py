"""Problems the lead registered while merging session 4's work (see ``registry._area_problems``)."""
AREA = [
    ("workbook", [
        ("workbook.written-elsewhere", "not-issued-here"),
    ]),
    ("evaluation", [
        ("evaluation.no-actuals", "no-actuals"), ("evaluation.plan-not-agreed", "plan-not-agreed", {"severity": "warning"}),
        ("evaluation.no-plan", "no-plan"), ("evaluation.unknown-rep", "unknown-rep"),
        ("evaluation.year-not-closed", "year-not-closed", {"severity": "warning"}),
        ("evaluation.unreadable", "unreadable"),
        ("evaluation.other-quarter", "evaluation-other-period"), ("evaluation.other-year", "evaluation-other-period"),
        ("evaluation.later-entry-kept", "later-entry-kept", {"severity": "warning"}),
    ]),
]
