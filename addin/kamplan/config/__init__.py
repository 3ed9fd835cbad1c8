"""Loading and validating a company's planning configuration (YAML).

The schema (pydantic models) is imported eagerly; the YAML loader only when asked
for, so that the engine can use the config's models without pulling in YAML.
"""
from kamplan.config.schema import (  # noqa: F401
    Account, ClassRule, Company, PlanConfig, Product, Region, SupportPerson, SupportPool, Staff,
)

_LOADER = ("ConfigError", "load_config", "config_from_dict")


def __getattr__(name):
    if name in _LOADER:
        from kamplan.config import load
        return getattr(load, name)
    raise AttributeError(f"module 'kamplan.config' has no attribute {name!r}")
