"""The platform database: the contract with the planning, availability, documents and
notifications modules. Schema in :mod:`ponton.platform.schema`, migrations under ``migrations/``."""

from ponton.platform.db import PlatformDB

__all__ = ["PlatformDB"]
