# syntax=docker/dockerfile:1
# Every Pathwise image from one Dockerfile, built from the repository root:
#   docker buildx bake                       all of them (docker-bake.hcl)
#   docker buildx bake path-svc              one service
#   docker build --build-arg SERVICE=path-svc -t pathwise/path-svc:dev .
#   docker build --target devtools -t pathwise/devtools:dev .
#
# Targets:
#   service   (default) one service, chosen by the SERVICE build argument: the folder
#             name under services/ (assessment-svc, profile-svc, path-svc, notify-svc,
#             portal). It runs `python -m <package>` with the package named after the
#             folder (`path-svc` -> `path_svc`).
#   devtools  the `pathwise` CLI (pathwise-devstack) with every service installed: the
#             development SMS sink, the one-shot topic creation, `pathwise dlq` and
#             `pathwise replay` run as Jobs.
#
# Dependencies are resolved by uv against requirements.lock (versions and hashes); only
# the virtualenv, the sources and the migrations reach a final stage, which has no pip,
# no uv and no compiler, and runs as UID 10001. The project is installed editable so each
# service finds its migrations beside its sources (it applies them at start, under a lock).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build stages -------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
RUN python -m pip install "uv>=0.9,<0.14"
WORKDIR /app
COPY requirements.lock ./
COPY contracts/ contracts/
COPY libs/pathwise-runtime/ libs/pathwise-runtime/
RUN uv venv --python /usr/local/bin/python /app/.venv

FROM builder AS service-build
ARG SERVICE
COPY services/${SERVICE}/ services/${SERVICE}/
# The lock constrains every version and its hash; the packages come from the context.
RUN --mount=type=cache,target=/root/.cache/uv \
    test -n "${SERVICE}" -a -f "services/${SERVICE}/pyproject.toml" \
      || { echo "build argument SERVICE must name a folder of services/ (got '${SERVICE}')" >&2; exit 1; } \
 && uv pip install --python /app/.venv/bin/python --constraint requirements.lock \
      -e contracts -e libs/pathwise-runtime -e "services/${SERVICE}" \
 && module="$(printf '%s' "${SERVICE}" | tr '-' '_')" \
 && printf '#!/app/.venv/bin/python\n"""Run %s as `python -m %s` would, as PID 1."""\nimport runpy\n\nrunpy.run_module("%s", run_name="__main__", alter_sys=True)\n' \
      "${SERVICE}" "${module}" "${module}" > /app/.venv/bin/pathwise-service \
 && chmod 0755 /app/.venv/bin/pathwise-service \
 && /app/.venv/bin/python -m compileall -q contracts/src libs/pathwise-runtime/src "services/${SERVICE}/src" \
 && rm requirements.lock

FROM builder AS devtools-build
COPY libs/pathwise-devstack/ libs/pathwise-devstack/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    set -- \
 && for folder in services/*/; do set -- "$@" -e "${folder%/}"; done \
 && uv pip install --python /app/.venv/bin/python --constraint requirements.lock \
      -e contracts -e libs/pathwise-runtime -e libs/pathwise-devstack "$@" \
 && /app/.venv/bin/python -m compileall -q contracts/src libs/*/src services/*/src \
 && rm requirements.lock

# ---- final stages -------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# The base image's own installer is not needed at run time.
RUN python -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel \
 && groupadd --system --gid 10001 pathwise \
 && useradd --system --uid 10001 --gid pathwise --home-dir /app --shell /usr/sbin/nologin pathwise
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LOG_FORMAT=json
USER 10001:10001

FROM runtime AS devtools
COPY --from=devtools-build --chown=root:root /app /app
LABEL org.opencontainers.image.title="pathwise-devtools"
# Each use has its own probe (compose gives the SMS sink one); a CLI run has none.
HEALTHCHECK NONE
ENTRYPOINT ["pathwise"]
CMD ["--help"]

FROM runtime AS service
ARG SERVICE
# The port the service listens on inside the container (the portal's is 8105).
ARG PORT=8080
COPY --from=service-build --chown=root:root /app /app
LABEL org.opencontainers.image.title="pathwise-${SERVICE}"
ENV SERVICE_NAME=${SERVICE} \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=${PORT}
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['HTTP_PORT'] + '/healthz', timeout=2)"]
# SIGTERM goes straight to Python (exec form, no shell): the service drains within
# SHUTDOWN_GRACE_S.
STOPSIGNAL SIGTERM
ENTRYPOINT ["pathwise-service"]
