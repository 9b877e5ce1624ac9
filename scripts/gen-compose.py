#!/usr/bin/python3
"""Generates docker-compose.yml from scenarios/profiles/*.conf, so the file cannot drift.

One `postgres:15` service per shipped profile (`pg-<profile>`), started with the profile's
settings as `postgres -c name=value ...`, and a `poolbench` service (the image `poolbench`,
built from the Dockerfile) with one `POOLBENCH_DSN_<PROFILE>` per service that runs the
quickstart matrix once every server accepts connections.

Usage:
  /usr/bin/python3 scripts/gen-compose.py            rewrite docker-compose.yml
  /usr/bin/python3 scripts/gen-compose.py --check    exit 1 (with a diff) when it is stale
  /usr/bin/python3 scripts/gen-compose.py --output -  print to stdout

Profiles are read the way poolbench reads them (src/cluster/profile.cpp): postgresql.conf
syntax (`name = value` or `name value`, `#` comments, single-quoted values with '' and
backslash escapes), a later duplicate wins, `include*` directives are rejected. Only the
standard library and python3-yaml (to check that the emitted text parses back to what was
meant) are used.
"""

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PG_IMAGE = "postgres:15"
PG_USER = "poolbench"
PG_DATABASE = "poolbench"
PASSWORD = "${POOLBENCH_PG_PASSWORD:-poolbench}"
# --fresh as scripts/quickstart.sh: a second `up` replaces the report instead of refusing it.
QUICKSTART = ["matrix", "scenarios/quickstart.yaml", "--fresh", "--out", "/reports/quickstart"]
# The image every poolbench container runs: built once from the Dockerfile with the commit
# as its build argument (the context has no .git).
POOLBENCH_IMAGE = "poolbench"
POOLBENCH_BUILD = {"context": ".", "args": {"POOLBENCH_COMMIT": "${POOLBENCH_COMMIT:-unknown}"}}
# Waits for every POOLBENCH_DSN* server (pg_isready), for Compose implementations that do not
# wait for `condition: service_healthy` (podman-compose 1.0); the image's scripts/wait-for-servers.sh.
WAIT_ENTRYPOINT = ["wait-for-servers", "poolbench"]
# How long a TLS server's entrypoint waits for the one-shot service's certificate (the same
# kind of Compose may start both at once).
TLS_WAIT_S = 120

# Settings the embedded server's harness controls (cluster::is_harness_setting): the
# container owns them too (it listens on 5432 on all addresses, keeps its files in PGDATA).
HARNESS_SETTINGS = {
    "listen_addresses", "port", "unix_socket_directories", "unix_socket_group",
    "unix_socket_permissions", "data_directory", "config_file", "hba_file", "ident_file",
    "external_pid_file",
}
# The embedded server always preloads pg_stat_statements (docs/results.md, server_statements); so does every service,
# so results from compose servers and embedded ones are comparable.
PRELOAD = "pg_stat_statements"
# TLS files this generator cannot make; a profile naming one is refused.
UNSUPPORTED_TLS_FILES = ("ssl_ca_file", "ssl_crl_file", "ssl_crl_dir", "ssl_dh_params_file",
                         "ssl_passphrase_command")
TRUE_WORDS = {"on", "true", "tru", "tr", "t", "yes", "ye", "y", "1"}  # PostgreSQL's parse_bool


class ProfileError(Exception):
    pass


# --- postgresql.conf parsing (mirrors src/cluster/profile.cpp) ---------------------------

_SPACE = " \t\n\r\f\v"
_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHARS = re.compile(r"[A-Za-z0-9_$]*")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _parse_line(line, where):
    """Returns (name, value) or None for a blank or comment line."""
    pos = 0

    def skip_space():
        nonlocal pos
        while pos < len(line) and line[pos] in _SPACE:
            pos += 1

    def at_end():
        return pos >= len(line) or line[pos] == "#"

    def read_part(start):
        nonlocal pos
        if pos >= len(line) or not _NAME_START.match(line[pos]):
            raise ProfileError(f'{where}: syntax error: expected a parameter name, got "{line[start:]}"')
        pos = _NAME_CHARS.match(line, pos + 1).end()

    skip_space()
    if at_end():
        return None
    start = pos
    read_part(start)
    if pos < len(line) and line[pos] == ".":
        pos += 1
        read_part(start)
    name = line[start:pos].lower()
    skip_space()
    if pos < len(line) and line[pos] == "=":
        pos += 1
        skip_space()
    if at_end():
        raise ProfileError(f'{where}: missing value for parameter "{name}"')
    if line[pos] == "'":
        pos += 1
        value = ""
        while True:
            if pos >= len(line):
                raise ProfileError(f"{where}: unterminated quoted string")
            c = line[pos]
            pos += 1
            if c == "'":
                if pos < len(line) and line[pos] == "'":
                    value += "'"
                    pos += 1
                    continue
                break
            if c == "\\" and pos < len(line):
                e = line[pos]
                pos += 1
                if e in _ESCAPES:
                    value += _ESCAPES[e]
                elif "0" <= e <= "7":
                    code = int(e)
                    for _ in range(2):
                        if pos < len(line) and "0" <= line[pos] <= "7":
                            code = code * 8 + int(line[pos])
                            pos += 1
                    value += chr(code & 0xFF)
                else:
                    value += e
                continue
            value += c
    else:
        end = pos
        while end < len(line) and line[end] not in _SPACE and line[end] not in "#'":
            end += 1
        value, pos = line[pos:end], end
    skip_space()
    if not at_end():
        raise ProfileError(f'{where}: syntax error near "{line[pos:]}" '
                           "(quote values that contain spaces)")
    return name, value


def parse_conf(path):
    """Settings of one .conf file: an ordered dict, first-appearance order, later value wins."""
    settings = {}
    label = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        parsed = _parse_line(line.removesuffix("\r"), f"{label}:{number}")
        if parsed is None:
            continue
        name, value = parsed
        if name in ("include", "include_if_exists", "include_dir"):
            raise ProfileError(f"{label}:{number}: '{name}' is not supported in a profile")
        settings[name] = value
    return settings


# --- what each service runs -------------------------------------------------------------

def server_settings(profile_settings):
    """The `-c` settings of a profile's service: the profile without harness settings, with
    pg_stat_statements added to shared_preload_libraries (as the embedded server does)."""
    settings = {}
    if "shared_preload_libraries" not in profile_settings:
        settings["shared_preload_libraries"] = PRELOAD
    for name, value in profile_settings.items():
        if name in HARNESS_SETTINGS:
            continue
        if name == "shared_preload_libraries" and PRELOAD not in value:
            value = f"{value},{PRELOAD}" if value else PRELOAD
        settings[name] = value
    return settings


def wants_tls(settings):
    return settings.get("ssl", "off").strip().lower() in TRUE_WORDS


def env_suffix(profile):
    return profile.upper().replace("-", "_")


def compose_literal(text):
    """`$` is Compose's interpolation character; `$$` passes one `$` through."""
    return text.replace("$", "$$")


class Comment(str):
    """A comment line in the emitted YAML (a list item or a dict key with value None)."""


def tls_file_path(settings, name, default):
    value = settings.get(name, default)
    return value if value.startswith("/") else f"$PGDATA/{value}"


def tls_services(service, settings):
    """The one-shot certificate service and the wrapper entrypoint for a TLS profile."""
    for name in UNSUPPORTED_TLS_FILES:
        if settings.get(name):
            raise ProfileError(f"{service}: {name} needs a file this generator does not make")
    volume = f"{service}-tls"
    cert = tls_file_path(settings, "ssl_cert_file", "server.crt")
    key = tls_file_path(settings, "ssl_key_file", "server.key")
    generator = {
        Comment(f"Makes {service}'s self-signed certificate once (postgres:15 has no openssl"): None,
        Comment("binary; this image does). Runs as root to write the volume; the files appear"): None,
        Comment("under their names only when complete (written aside, then renamed)."): None,
        "image": POOLBENCH_IMAGE,
        "build": POOLBENCH_BUILD,
        "user": "root",
        "entrypoint": ["sh", "-c", compose_literal(
            "test -s /tls/server.key && test -s /tls/server.crt || { "
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
            f"-days 3650 -subj /CN={service} -keyout /tls/new.key -out /tls/new.crt && "
            "mv /tls/new.key /tls/server.key && mv /tls/new.crt /tls/server.crt; }")],
        "volumes": [f"{volume}:/tls"],
    }
    # Waits for the certificate (depends_on already does, where Compose honours
    # service_completed_successfully), then initdb with no arguments (its temporary server
    # must start without ssl = on, as the certificate is not in PGDATA yet), then the files
    # go where the profile names them (relative names are in PGDATA), then the image's own
    # entrypoint with the profile.
    wrapper = ("set -e\n"
               f"for i in $(seq {TLS_WAIT_S}); do test -s /tls/server.crt && break; sleep 1; done\n"
               "docker-ensure-initdb.sh\n"
               f'install -D -o postgres -g postgres -m 0644 /tls/server.crt "{cert}"\n'
               f'install -D -o postgres -g postgres -m 0600 /tls/server.key "{key}"\n'
               'exec docker-entrypoint.sh "$@"\n')
    return volume, generator, ["bash", "-c", compose_literal(wrapper), "pg-tls-entrypoint"]


def build_compose(profiles_dir):
    profiles = sorted(profiles_dir.glob("*.conf"))
    if not any(p.stem == "default" for p in profiles):
        raise ProfileError(f"{profiles_dir}: no default.conf (POOLBENCH_DSN points at it)")
    services, volumes, dsns, databases = {}, {}, {}, []
    seen_env = {}
    for path in profiles:
        profile = path.stem
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", profile):
            raise ProfileError(f"{path}: profile name must be [a-z0-9_-] to make a service name")
        suffix = env_suffix(profile)
        if suffix in seen_env:
            raise ProfileError(f"{path}: POOLBENCH_DSN_{suffix} also names {seen_env[suffix]}")
        seen_env[suffix] = profile
        service = f"pg-{profile}"
        profile_settings = parse_conf(path)
        settings = server_settings(profile_settings)
        label = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        command = ["postgres"]
        for name, value in settings.items():
            if name not in profile_settings:
                command.append(Comment(f"harness (as the embedded server): {name}"))
            command += ["-c", compose_literal(f"{name}={value}")]
        skipped = sorted(set(profile_settings) & HARNESS_SETTINGS)
        body = {Comment(f"{label}: {description(path)}"): None}
        if skipped:
            body[Comment(f"left to the container (harness settings): {', '.join(skipped)}")] = None
        body["image"] = PG_IMAGE
        body["environment"] = {"POSTGRES_USER": PG_USER, "POSTGRES_DB": PG_DATABASE,
                               "POSTGRES_PASSWORD": PASSWORD}
        if wants_tls(settings):
            volume, generator, entrypoint = tls_services(service, settings)
            services[volume] = generator
            volumes[volume] = {}
            body["depends_on"] = {volume: {"condition": "service_completed_successfully"}}
            body["volumes"] = [f"{volume}:/tls:ro"]
            body["entrypoint"] = entrypoint
        body["command"] = command
        body["shm_size"] = "256mb"
        body["healthcheck"] = {
            # TCP, not the socket: the image's first-start temporary server listens on no
            # TCP address, so this only succeeds once the real server is up.
            "test": ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", PG_USER, "-d", PG_DATABASE],
            "interval": "2s", "timeout": "5s", "retries": 60, "start_period": "10s",
        }
        services[service] = body
        databases.append(service)
        dsns[profile] = f"postgresql://{PG_USER}@{service}:5432/{PG_DATABASE}"

    environment = {
        Comment("The password for every DSN below that has none (libpq reads PGPASSWORD)."): None,
        "PGPASSWORD": PASSWORD,
        Comment("Any of these can be pointed at your own server from the host environment."): None,
        "POOLBENCH_DSN": f"${{POOLBENCH_DSN:-{dsns['default']}}}",
    }
    for profile, dsn in dsns.items():
        name = f"POOLBENCH_DSN_{env_suffix(profile)}"
        environment[name] = f"${{{name}:-{dsn}}}"
    services["poolbench"] = {
        "image": POOLBENCH_IMAGE,
        "build": POOLBENCH_BUILD,
        "depends_on": {s: {"condition": "service_healthy"} for s in databases},
        "environment": environment,
        Comment("reports/ must be writable by this user: POOLBENCH_UID=$(id -u) POOLBENCH_GID=$(id -g)"): None,
        "user": "${POOLBENCH_UID:-1000}:${POOLBENCH_GID:-1000}",
        Comment("Waits until every server accepts connections, then runs poolbench with the command."): None,
        "entrypoint": WAIT_ENTRYPOINT,
        "command": QUICKSTART,
        "volumes": ["./reports:/reports"],
    }
    compose = {"services": services}
    if volumes:
        compose["volumes"] = volumes
    return compose


def description(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        return stripped.lstrip("# \t") if stripped.startswith("#") else ""
    return ""


# --- YAML emission (by hand, for comments; checked by parsing it back) -------------------

_PLAIN = re.compile(r"[A-Za-z0-9_/.]([A-Za-z0-9_./=@+:-]*[A-Za-z0-9_./=@+-])?|--?[A-Za-z][A-Za-z0-9_-]*")
_YAML_SPECIAL = re.compile(r"(?i)(y|yes|n|no|true|false|on|off|null|~|[-+]?[0-9._]+(e[-+]?[0-9]+)?)")


def scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and not _YAML_SPECIAL.fullmatch(text):
        return text
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def _block_literal(text, pad):
    lines = text[:-1].split("\n")
    if (text.endswith("\n") and not text.endswith("\n\n") and lines[0][:1] not in (" ", "")
            and all(line == line.rstrip() and "\t" not in line for line in lines)):
        return ["|"] + [f"{pad}  {line}" if line else "" for line in lines]
    return None


def emit(node, indent, out):
    pad = " " * indent
    items = node.items() if isinstance(node, dict) else ((None, v) for v in node)
    for key, value in items:
        if isinstance(key, Comment) or isinstance(value, Comment):
            out.append(f"{pad}# {key if isinstance(key, Comment) else value}")
            continue
        lead = f"{pad}{scalar(key)}:" if isinstance(node, dict) else f"{pad}-"
        if isinstance(value, (dict, list)):
            if not value:
                out.append(f"{lead} {'{}' if isinstance(value, dict) else '[]'}")
            else:
                out.append(lead)
                emit(value, indent + 2, out)
        elif isinstance(value, str) and "\n" in value and (block := _block_literal(value, pad)):
            out.append(f"{lead} {block[0]}")
            out.extend(block[1:])
        else:
            out.append(f"{lead} {scalar(value)}")


def strip_comments(node):
    if isinstance(node, dict):
        return {k: strip_comments(v) for k, v in node.items() if not isinstance(k, Comment)}
    if isinstance(node, list):
        return [strip_comments(v) for v in node if not isinstance(v, Comment)]
    return node


HEADER = """\
# GENERATED by scripts/gen-compose.py from scenarios/profiles/*.conf: do not edit by hand.
# Regenerate after changing a profile:  /usr/bin/python3 scripts/gen-compose.py
# (the ctest check compose_file_matches_profiles fails while this file is stale).
#
# One PostgreSQL 15 service per profile, `pg-<profile>`, started with the profile's settings
# as `-c name=value`, plus what the embedded server's harness adds (pg_stat_statements
# preloaded); settings the container owns (listen_addresses, port, file locations) are left
# to it. A profile with `ssl = on` gets a self-signed certificate made once by a one-shot
# `pg-<profile>-tls` service and copied where the profile's ssl_cert_file/ssl_key_file name it.
# `poolbench` runs the quickstart matrix against them and writes reports/quickstart/.
# Usage (README: "Running with Docker Compose"; scripts/test-containers.sh runs it):
#   export POOLBENCH_COMMIT=$(git rev-parse --short=12 HEAD)
#   podman-compose up -d      or      docker compose up --build
"""


def render(profiles_dir):
    compose = build_compose(profiles_dir)
    out = []
    emit(compose, 0, out)
    text = HEADER + "\n" + "\n".join(out) + "\n"
    if yaml.safe_load(text) != strip_comments(compose):
        raise AssertionError("emitted YAML does not parse back to the intended structure")
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles-dir", type=Path, default=REPO / "scenarios" / "profiles")
    parser.add_argument("--output", default=str(REPO / "docker-compose.yml"),
                        help="file to write, or - for stdout")
    parser.add_argument("--check", action="store_true",
                        help="compare with --output instead of writing; exit 1 when different")
    args = parser.parse_args()
    try:
        text = render(args.profiles_dir.resolve())
    except (ProfileError, OSError) as error:
        print(f"gen-compose: {error}", file=sys.stderr)
        return 2
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(True), text.splitlines(True), str(output), "regenerated"))
        print(f"gen-compose: {output} is stale; run /usr/bin/python3 scripts/gen-compose.py",
              file=sys.stderr)
        return 1
    output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
