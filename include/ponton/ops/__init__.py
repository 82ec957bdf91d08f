"""Operations: the health checks behind ``ponton doctor`` and the ``ponton_health`` DAG, and the
generated configuration catalogue. No Airflow import: the connection checks that need Airflow live
in ``ponton.hooks.connection_checks`` and hand their results over as :class:`Check` rows."""
