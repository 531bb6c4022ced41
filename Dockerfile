# shiftwatch: polls feeds.yaml and alerts on stance shifts, as a non-root user.
# Volumes: /app/state (database, alerts.jsonl) and /app/rules; port 9100: /healthz, /readyz, /metrics.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The operations endpoints are served only when SHIFTWATCH_HTTP_PORT is set, and inside a container
# they must listen beyond loopback to be reached from outside it.
ENV SHIFTWATCH_HTTP_HOST=0.0.0.0 SHIFTWATCH_HTTP_PORT=9100
WORKDIR /app
RUN useradd --create-home --uid 10001 shiftwatch

# Dependencies alone, from pyproject.toml at the versions CI tests: this layer is rebuilt when
# those two files change, not on every edit under bot/.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" \
        > requirements.txt \
    && pip install -c constraints.txt -r requirements.txt \
    && rm requirements.txt

# The package on top of them; pip check fails the build if the layer above missed a dependency.
COPY README.md LICENSE ./
COPY bot ./bot
RUN pip install --no-deps . && pip check

COPY feeds.yaml ./
# rules/ is a volume the app user owns, because `shiftwatch actors confirm` appends to
# rules/actors.yaml and the edit must survive a restart. The image keeps the shipped rules in
# /usr/local/share/shiftwatch/rules and the entrypoint copies them into /app/rules when it is empty
# at start: seeding at start, rather than relying on Docker filling a new named volume from the image,
# works alike for named volumes, empty bind mounts (writable by uid 10001) and volumes no engine fills.
# A volume that already holds rules is left as it is, so edits are never overwritten, also not by
# a newer image: merge new shipped rules into it by hand.
COPY rules /usr/local/share/shiftwatch/rules
RUN mkdir -p /app/state /app/rules && chown shiftwatch /app/state /app/rules
USER shiftwatch
VOLUME ["/app/state", "/app/rules"]

EXPOSE 9100
# Python's standard library rather than curl, which slim images lack; any error or non-2xx exits 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['SHIFTWATCH_HTTP_PORT'] + '/healthz', timeout=4)"]

ENTRYPOINT ["/bin/sh", "-c", "[ -n \"$(ls -A /app/rules)\" ] || cp -R /usr/local/share/shiftwatch/rules/. /app/rules/ && exec \"$@\"", "shiftwatch-entrypoint"]
CMD ["shiftwatch", "run"]
