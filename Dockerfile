# shiftwatch: polls feeds.yaml and alerts on stance shifts. State lives in the /app/state volume.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# /healthz, /readyz and /metrics are served only when SHIFTWATCH_HTTP_PORT is set (e.g. 9100);
# inside a container they must listen beyond loopback.
ENV SHIFTWATCH_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && useradd --create-home --uid 10001 shiftwatch \
    && mkdir -p /app/state && chown shiftwatch /app/state
COPY rules ./rules
COPY feeds.yaml ./
USER shiftwatch
VOLUME ["/app/state"]
CMD ["shiftwatch", "run"]
