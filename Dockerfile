# CNC Pulse: one image for the web, the job workers, the preview worker and the scheduler
# (compose.yaml runs each from it). Build: docker build -t cnc-pulse .
# The same Debian 12 and Python 3.11 as the server of docs/deploy.md.
FROM debian:bookworm-slim

# Pango and HarfBuzz (with its subsetter) draw the PDF invoices: scripts/ensure-system-libs.
# Every other native library comes inside the Python wheels.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
 && rm -rf /var/lib/apt/lists/*

# The processes run as this user; the code belongs to root, so they cannot change it.
RUN groupadd --system cnc-pulse \
 && useradd --system --gid cnc-pulse --home-dir /var/lib/cnc-pulse --create-home \
      --shell /usr/sbin/nologin cnc-pulse \
 && install -d -o cnc-pulse -g cnc-pulse -m 0750 /var/lib/cnc-pulse/storage

WORKDIR /app
ENV VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=run.py

# The pinned dependencies first: a change of code alone reuses this layer.
COPY pyproject.toml ./
RUN python3 -m venv .venv \
 && python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .
# instance/ must exist: the app makes sure of it at start, and the code is read-only then.
RUN pip install --no-deps -e . \
 && PYBABEL=/app/.venv/bin/pybabel scripts/compile_translations.sh \
 && mkdir -p instance \
 && python -m compileall -q app config.py run.py

USER cnc-pulse
ENV CNC_ENV=production \
    STORAGE_DIR=/var/lib/cnc-pulse/storage \
    GUNICORN_BIND=0.0.0.0:8000
VOLUME /var/lib/cnc-pulse/storage
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
