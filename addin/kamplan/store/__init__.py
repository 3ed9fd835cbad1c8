"""The plan's system of record: accounts, history, rounds, issued workbooks, every collected
submission and rejection, and an audit log, in a SQLite file (or any SQLAlchemy URL)."""
from kamplan.store.db import DEFAULT_FILE_NAME, Store  # noqa: F401
from kamplan.store.plan import AlreadyAgreedError, BaseMovedError  # noqa: F401
from kamplan.store.schema import schema_version  # noqa: F401
from kamplan.store.sql import StoreError  # noqa: F401
from kamplan.store.submissions import PreparedSubmission, SubmissionRecord, prepare_submission  # noqa: F401

__all__ = ["AlreadyAgreedError", "BaseMovedError", "DEFAULT_FILE_NAME", "PreparedSubmission", "Store", "StoreError",
           "SubmissionRecord",
           "prepare_submission", "schema_version"]
