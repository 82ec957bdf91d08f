"""Airflow operators composing hooks and domain services, importable as ``ponton.operators.*``."""
