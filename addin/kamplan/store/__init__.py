"""The plan's system of record: accounts, history, rounds, issued workbooks, every collected
submission and rejection, and an audit log, in a SQLite file (or any SQLAlchemy URL)."""
from kamplan.store.db import (  # noqa: F401
    DEFAULT_FILE_NAME, PreparedSubmission, Store, StoreError, SubmissionRecord, prepare_submission,
)
from kamplan.store.schema import schema_version  # noqa: F401

__all__ = ["DEFAULT_FILE_NAME", "PreparedSubmission", "Store", "StoreError", "SubmissionRecord",
           "prepare_submission", "schema_version"]
