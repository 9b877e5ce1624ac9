# poolbench in a container: Debian 12, Debian packages only.
#   docker build --build-arg POOLBENCH_COMMIT=$(git rev-parse --short=12 HEAD) -t poolbench .
#   docker run --rm poolbench run scenarios/read_heavy.yaml --set workload.duration=10s
#   docker run --rm -e POOLBENCH_DSN=postgresql://user@host/db -e PGPASSWORD=... poolbench run ...
# With no POOLBENCH_DSN/--dsn, poolbench starts an embedded PostgreSQL inside the container
# (the runtime stage has the server binaries), as the non-root user the image runs as.
# scripts/test-containers.sh builds and runs this file with podman (README: "Docker").

# --- build: the `default` preset's flags (RelWithDebInfo), the binary only -------------------
FROM debian:12 AS build
# Only what compiling needs (no tests, benchmarks or server): one cached layer.
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --build && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only the sources the binary is built from, so that editing docs, tests or scenarios does
# not invalidate the compiled layer.
COPY CMakeLists.txt CMakePresets.json ./
COPY src/ src/
RUN cmake --preset default -DPOOLBENCH_BUILD_TESTS=OFF -DPOOLBENCH_BUILD_BENCH=OFF \
      -DPOOLBENCH_GIT_COMMIT=unknown >/dev/null \
 && cmake --build --preset default --target poolbench
# The commit comes in last (the context has no .git): a new commit recompiles only the
# three files that include version.hpp and relinks.
ARG POOLBENCH_COMMIT=unknown
RUN cmake --preset default -DPOOLBENCH_GIT_COMMIT="${POOLBENCH_COMMIT}" >/dev/null \
 && cmake --build --preset default --target poolbench \
 && strip build/poolbench \
 && build/poolbench --version

# --- runtime: shared libraries, gnuplot for charts, PostgreSQL for the embedded mode -------
FROM debian:12 AS runtime
# No documentation, manual pages or translations (as Debian's slim images); no cluster is
# created at install time (poolbench makes its own). postgresql-15 alone: the `postgresql`
# metapackage adds nothing poolbench uses (pg_stat_statements is in postgresql-15).
RUN set -eux; \
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/locale/*' > /etc/dpkg/dpkg.cfg.d/poolbench-slim; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-common; \
    sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
      /etc/postgresql-common/createcluster.conf; \
    apt-get install -y --no-install-recommends \
      libpq5 libboost-program-options1.74.0 libyaml-cpp0.7 libfmt9 zlib1g \
      gnuplot-nox postgresql-15 openssl ca-certificates; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
# bin/ next to scenarios/: poolbench finds <exe>/../scenarios (profiles included) by itself.
COPY scenarios/ /opt/poolbench/scenarios/
# For Compose implementations that do not wait for health checks (docker-compose.yml).
COPY scripts/wait-for-servers.sh /usr/local/bin/wait-for-servers
RUN set -eux; \
    useradd --uid 1000 --user-group --create-home --shell /bin/bash poolbench; \
    install -d -o poolbench -g poolbench /reports
COPY --from=build /src/build/poolbench /opt/poolbench/bin/poolbench
RUN set -eux; \
    ln -s /opt/poolbench/bin/poolbench /usr/local/bin/poolbench; \
    if ldd /opt/poolbench/bin/poolbench | grep 'not found'; then exit 1; fi
USER poolbench
WORKDIR /opt/poolbench
ENTRYPOINT ["poolbench"]
CMD ["--help"]
