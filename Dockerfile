# poolbench in a container: Debian 12, Debian packages only.
#   docker build -t poolbench .        (docker-compose.yml builds it as the `poolbench` service)
#   docker run --rm -e POOLBENCH_DSN=postgresql://user:pw@host/db poolbench run scenarios/read_heavy.yaml
# With no POOLBENCH_DSN/--dsn, poolbench starts an embedded PostgreSQL inside the container
# (the runtime stage has the server binaries), as the non-root user the image runs as.

# --- build: the `default` preset (RelWithDebInfo), binary only -----------------------------
FROM debian:12 AS build
# The same package list as a fresh machine (scripts/install-deps.sh); configuring the preset
# needs the test and benchmark packages too, even though only `poolbench` is built.
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# .git is part of the context on purpose: CMake records the commit in results.json ("tool").
COPY . .
ENV CCACHE_DISABLE=1
RUN cmake --preset default \
 && cmake --build --preset default --target poolbench \
 && build/poolbench --version

# --- runtime: shared libraries, gnuplot for charts, PostgreSQL for the embedded mode -----------
FROM debian:12 AS runtime
# No cluster is created at install time (as in the postgres image): poolbench makes its own.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-common; \
    sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
      /etc/postgresql-common/createcluster.conf; \
    apt-get install -y --no-install-recommends \
      libpq5 libboost-program-options1.74.0 libyaml-cpp0.7 libfmt9 zlib1g \
      gnuplot-nox postgresql postgresql-contrib openssl ca-certificates; \
    rm -rf /var/lib/apt/lists/*
# bin/ next to scenarios/: poolbench finds <exe>/../scenarios (profiles included) by itself.
COPY --from=build /src/build/poolbench /opt/poolbench/bin/poolbench
COPY scenarios/ /opt/poolbench/scenarios/
RUN set -eux; \
    ln -s /opt/poolbench/bin/poolbench /usr/local/bin/poolbench; \
    if ldd /opt/poolbench/bin/poolbench | grep 'not found'; then exit 1; fi; \
    useradd --uid 1000 --user-group --create-home --shell /bin/bash poolbench; \
    install -d -o poolbench -g poolbench /reports
USER poolbench
WORKDIR /opt/poolbench
ENTRYPOINT ["poolbench"]
CMD ["--help"]
