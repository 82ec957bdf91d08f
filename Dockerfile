# ponton on the official Airflow image.
FROM apache/airflow:3.3.2-python3.11

USER root
COPY scripts/install-system-deps.sh /tmp/install-system-deps.sh
RUN /tmp/install-system-deps.sh && rm -rf /var/lib/apt/lists/* /tmp/install-system-deps.sh

USER airflow
COPY --chown=airflow:root requirements.txt /opt/ponton/requirements.txt
RUN pip install --no-cache-dir -r /opt/ponton/requirements.txt
COPY --chown=airflow:root pyproject.toml README.md /opt/ponton/
COPY --chown=airflow:root include /opt/ponton/include
COPY --chown=airflow:root plugins /opt/ponton/plugins
# A regular (non-editable) install places plugins/hooks and plugins/operators under ponton/.
RUN pip install --no-cache-dir --no-deps /opt/ponton
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins/ponton_plugin.py* /opt/airflow/plugins/
