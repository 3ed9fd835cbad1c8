"""The Excel add-in: a "Key Accounts" ribbon tab, macros and worksheet functions over the stages.

``actions``  the one registry of ribbon buttons -> Python callables (the VBA side has one dispatcher)
``tasks``    what each button does, as plain functions on workbook files and the workspace
``macros``   the entry points RunPython calls inside Excel (thin: save, run the task, show the result)
``udfs``     worksheet functions (KAM_SPREAD, KAM_PARETO, ...), plain Python testable anywhere
``ribbon``   the ribbon XML rendered from the registry, and its schema check
``build``    builds kamplan.xlam and macro-enabled VP workbooks from ``addin/kamplan/xl/excel`` sources
``install``  puts the add-in where Excel loads it and checks the xlwings / Python set-up

Only the BSD-licensed part of xlwings is used: RunPython, the UDF decorators and ``Book.caller()``.
"""
