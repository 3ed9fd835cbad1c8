"""Loading and validating a company's planning configuration (YAML)."""
from kamplan.config.schema import (  # noqa: F401
    Account, ClassRule, Company, PlanConfig, Product, Region, SupportPerson, SupportPool, Staff,
)
from kamplan.config.load import ConfigError, load_config, config_from_dict  # noqa: F401
