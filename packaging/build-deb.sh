#!/usr/bin/env bash
# Builds nsbox_<version>_all.deb with dpkg-deb: the bundle, its one run-time npm dependency (yargs, for --help and
# the non-run commands), the man page and the shell completions, all generated from this checkout.
#   packaging/build-deb.sh [OUTDIR] [TARBALL]   (default OUTDIR: dist/deb; TARBALL: a fresh `npm pack`)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/deb}
version=$(node -p 'require("./package.json").version')
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# `npm pack` builds the bundle (prepack). The packed tarball is exactly what `npm install -g` gets; install it with its production dependencies only.
if [ -n "${2:-}" ]; then cp "$2" "$stage/" && tarball=$(basename "$2"); else tarball=$(npm pack --silent --pack-destination "$stage"); fi
mkdir -p "$stage/root/usr/lib" "$stage/root/usr/bin"
npm install --prefix "$stage/npm" --prefer-offline --omit=dev --ignore-scripts --no-audit --no-fund --global "$stage/$tarball" >/dev/null
mv "$stage/npm/lib/node_modules/nsbox" "$stage/root/usr/lib/nsbox"
ln -s ../lib/nsbox/bin/nsbox "$stage/root/usr/bin/nsbox"

man=$stage/root/usr/share/man/man1
mkdir -p "$man" "$stage/root/usr/share/bash-completion/completions" "$stage/root/usr/share/zsh/vendor-completions" \
  "$stage/root/usr/share/fish/vendor_completions.d" "$stage/root/usr/share/doc/nsbox"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)} bin/nsbox manpage | gzip -9n >"$man/nsbox.1.gz"
bin/nsbox completion bash >"$stage/root/usr/share/bash-completion/completions/nsbox"
bin/nsbox completion zsh >"$stage/root/usr/share/zsh/vendor-completions/_nsbox"
bin/nsbox completion fish >"$stage/root/usr/share/fish/vendor_completions.d/nsbox.fish"
cp README.md "$stage/root/usr/share/doc/nsbox/"
[ -f SECURITY.md ] && cp SECURITY.md "$stage/root/usr/share/doc/nsbox/"

mkdir -p "$stage/root/DEBIAN"
cat >"$stage/root/DEBIAN/control" <<CONTROL
Package: nsbox
Version: $version
Architecture: all
Maintainer: nsbox developers <nsbox@localhost>
Depends: nodejs (>= 20), util-linux, mount, iproute2, uidmap, cgroup-tools, iptables | nftables, perl-base
Recommends: busybox-static, attr, xz-utils
Section: admin
Priority: optional
Installed-Size: $(du -sk "$stage/root/usr" | cut -f1)
Description: Linux containers composed from the stock system tools
 nsbox builds containers from unshare, nsenter, mount, pivot_root, setpriv,
 iproute2 and cgroupfs writes, and shows every command it runs (--explain).
CONTROL
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$stage/root" "$out/nsbox_${version}_all.deb" >/dev/null
echo "$out/nsbox_${version}_all.deb"
