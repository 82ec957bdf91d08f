# ponton on the official Airflow image (the tag must match apache-airflow in requirements.txt).
FROM apache/airflow:3.3.2-python3.11

USER root
COPY scripts/install-system-deps.sh /tmp/install-system-deps.sh
RUN /tmp/install-system-deps.sh && rm -rf /var/lib/apt/lists/* /tmp/install-system-deps.sh

USER airflow
COPY --chown=airflow:root requirements.txt /opt/ponton/requirements.txt
# Runtime pins only: the test tools listed after the "# Tests" marker stay out of the image.
RUN sed '/^# Tests, real peers and tooling/,$d' /opt/ponton/requirements.txt > /tmp/runtime.txt \
    && pip install --no-cache-dir -r /tmp/runtime.txt \
    && rm /tmp/runtime.txt
COPY --chown=airflow:root pyproject.toml README.md /opt/ponton/
COPY --chown=airflow:root include /opt/ponton/include
COPY --chown=airflow:root plugins /opt/ponton/plugins
# A regular (non-editable) install places plugins/hooks and plugins/operators under ponton/.
RUN pip install --no-cache-dir --no-deps /opt/ponton
COPY --chown=airflow:root dags /opt/airflow/dags
# Only the plugin module goes to the plugins folder: hooks and operators are imported as
# ponton.hooks / ponton.operators from the installed package.
COPY --chown=airflow:root plugins/ponton_plugin.py /opt/airflow/plugins/ponton_plugin.py
