"""Airflow hooks, one per external service, importable as ``ponton.hooks.*``."""
