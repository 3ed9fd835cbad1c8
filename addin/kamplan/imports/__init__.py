"""Foreign files in: ERP invoice lines (``actuals``), activity logs (``activities``) and history CSVs
(``history``).

Every reader returns ``(what it read, problems)`` and writes nothing; the stages store the result.
They share one way of reading a table file (``tables``), of finding the columns a file names in its
own words (``columns``: header matching, aliases, Chinese headers, plan-id matching) and of parsing
its values (``values``: numbers with decimal commas or thousands separators, dates in several formats).
"""
