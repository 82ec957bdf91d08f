"""ponton: connects the platform's planning, documents and notifications to the outside world.

This package is the domain. It never imports Airflow: hooks (``ponton.hooks``) and operators
(``ponton.operators``) live under ``plugins/`` and are mapped into this namespace by
``pyproject.toml``.
"""

__version__ = "0.1.0"
