"""Problems the lead registered while merging session 4's work (see ``registry._area_problems``)."""
AREA = [
    ("workbook", [
        ("workbook.written-elsewhere", "not-issued-here"),
    ]),
]
