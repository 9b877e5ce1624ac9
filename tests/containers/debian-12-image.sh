#!/usr/bin/env bash
# Makes the local image `debian:12` that the Dockerfiles start FROM, from the Debian archive
# (debootstrap, minbase variant), as the official image would be, for machines that reach
# Debian's archive but no container registry. Like the official image: apt sources for
# bookworm, bookworm-updates and bookworm-security (the host's own sources when the host is
# Debian 12), no package lists or .deb files kept, CMD bash. Needs root, debootstrap, podman.
# Usage: tests/containers/debian-12-image.sh [TAG]     (default debian:12)
set -euo pipefail
tag=${1:-debian:12}
root=$(mktemp -d /var/tmp/poolbench-debian-12.XXXXXX)
trap 'rm -rf "$root"' EXIT

echo "debian-12-image: debootstrap --variant=minbase bookworm (a minute or two)"
debootstrap --variant=minbase bookworm "$root" >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2
  exit 1
}
rm -f "$root.log"
if [[ -f /etc/apt/sources.list.d/debian.sources ]] &&
  grep -q '^VERSION_CODENAME=bookworm$' /etc/os-release; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
fi
# As the official image's apt configuration: drop downloaded .deb files after each install.
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
: >"$root/etc/hostname"
: >"$root/etc/resolv.conf"
tar -C "$root" --numeric-owner -c . |
  podman import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$tag" >/dev/null
echo "debian-12-image: $tag $(podman image inspect --format '{{.Size}}' "$tag") bytes"
