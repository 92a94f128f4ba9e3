#!/usr/bin/env bash
# Builds edgevoice-relay_<v>_amd64.deb and edgevoice-transceiver_<v>_amd64.deb with dpkg-deb from staged trees.
#
#   bash packaging/build-debs.sh [--no-publish] [OUTPUT_DIR]     (default OUTPUT_DIR: artifacts/debs)
#
# The relay is the Native-AOT binary in artifacts/relay (published here when missing). The transceiver is published
# self-contained for linux-x64 into artifacts/transceiver, so a node needs no .NET install. --no-publish packs both
# folders as they are. The version is `git describe` of a v* tag, else packaging/VERSION plus the commit;
# EDGEVOICE_DEB_VERSION overrides it.
set -euo pipefail

publish=1
if [[ ${1:-} == --no-publish ]]; then publish=0; shift; fi
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/artifacts/debs}
mkdir -p "$out"
out=$(cd "$out" && pwd)
packaging=$repo/packaging
relay_dir=$repo/artifacts/relay
transceiver_dir=$repo/artifacts/transceiver

command -v dpkg-deb >/dev/null || { echo "build-debs: dpkg-deb is needed (apt-get install dpkg)" >&2; exit 1; }

version() {
  if [[ -n ${EDGEVOICE_DEB_VERSION:-} ]]; then echo "$EDGEVOICE_DEB_VERSION"; return; fi
  local tag base
  if tag=$(git -C "$repo" describe --tags --match 'v[0-9]*' 2>/dev/null); then
    # v1.2.0-5-gabc123 → 1.2.0+5.gabc123: later commits sort after the tag.
    tag=${tag#v}
    echo "${tag/-/+}" | tr - .
    return
  fi
  base=$(tr -d '[:space:]' <"$packaging/VERSION")
  if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    # Commit date first so newer builds of the same base version upgrade older ones.
    echo "$base+git$(git -C "$repo" log -1 --format=%cd --date=format:%Y%m%d%H%M%S).$(git -C "$repo" rev-parse --short=10 HEAD)"
  else
    echo "$base"
  fi
}
VERSION=$(version)
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "build-debs: '$VERSION' is not a Debian version" >&2; exit 1; }

if ((publish)); then
  if [[ ! -x $relay_dir/edgevoice-relay ]]; then
    echo "== publish the relay (Native AOT) to $relay_dir"
    dotnet publish "$repo/relay-aot/EdgeVoice.Relay" -c Release -r linux-x64 -o "$relay_dir" -v quiet -nologo
  fi
  echo "== publish the transceiver (self-contained linux-x64) to $transceiver_dir"
  rm -rf "$transceiver_dir"   # no files left from an earlier publish
  dotnet publish "$repo/transceiver-gpu/EdgeVoice.Transceiver" -c Release -r linux-x64 --self-contained \
    -p:DebugType=none -o "$transceiver_dir" -v quiet -nologo
fi
for binary in "$relay_dir/edgevoice-relay" "$transceiver_dir/edgevoice-transceiver"; do
  [[ -x $binary ]] || { echo "build-debs: $binary is missing: publish it first (or run without --no-publish)" >&2; exit 1; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/edgevoice-debs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Packs $stage/$1 (filled by the caller) with the control file and maintainer scripts from packaging/<relay|transceiver>/.
pack() {
  local name=$1 root=$stage/$1 src=$packaging/${1#edgevoice-}
  install -d -m 0755 "$root/usr/share/doc/$name"
  install -m 0644 "$packaging/copyright" "$root/usr/share/doc/$name/copyright"
  printf '%s (%s) stable; urgency=medium\n\n  * Built from the EdgeVoice repository (%s).\n\n -- EdgeVoice <edgevoice@localhost>  %s\n' \
    "$name" "$VERSION" "$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo 'no git')" "$(date -R -u)" \
    | gzip -9n >"$root/usr/share/doc/$name/changelog.Debian.gz"
  chmod 0644 "$root/usr/share/doc/$name/changelog.Debian.gz"
  # conffiles: every file shipped under /etc.
  (cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
  local size
  size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  sed -e "s|@VERSION@|$VERSION|" -e "s|@SIZE@|$size|" "$src/control" >"$root/DEBIAN/control"
  for script in postinst prerm postrm; do
    install -m 0755 "$src/$script" "$root/DEBIAN/$script"
  done
  chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles"
  # --root-owner-group: files belong to root whoever builds (no fakeroot); zstd packs the ~600 MB transceiver fast.
  dpkg-deb --root-owner-group -Zzstd -z3 --build "$root" "$out/${name}_${VERSION}_amd64.deb" >/dev/null
  echo "$out/${name}_${VERSION}_amd64.deb"
}

# edgevoice-relay: /usr/lib/edgevoice-relay/edgevoice-relay, its unit, /etc/edgevoice/relay.yaml.
r=$stage/edgevoice-relay
install -d -m 0755 "$r/DEBIAN" "$r/usr/lib/edgevoice-relay" "$r/usr/bin" "$r/lib/systemd/system" "$r/etc/edgevoice" \
  "$r/usr/share/doc/edgevoice-relay"
install -m 0755 "$relay_dir/edgevoice-relay" "$r/usr/lib/edgevoice-relay/edgevoice-relay"
# Native libraries published beside it (libevquic.so, the QUIC tunnel shim, once the relay dials transceivers).
find "$relay_dir" -maxdepth 1 -name '*.so' -exec install -m 0644 {} "$r/usr/lib/edgevoice-relay/" \;
ln -s ../lib/edgevoice-relay/edgevoice-relay "$r/usr/bin/edgevoice-relay"
install -m 0644 "$packaging/relay/edgevoice-relay.service" "$r/lib/systemd/system/"
install -m 0644 "$packaging/relay/relay.yaml" "$r/etc/edgevoice/relay.yaml"
install -m 0644 "$packaging/relay/README.md" "$r/usr/share/doc/edgevoice-relay/README.md"
pack edgevoice-relay

# edgevoice-transceiver: the self-contained publish under /usr/lib/edgevoice-transceiver, its unit, its YAML and grammar.
t=$stage/edgevoice-transceiver
install -d -m 0755 "$t/DEBIAN" "$t/usr/lib" "$t/usr/bin" "$t/lib/systemd/system" "$t/etc/edgevoice" \
  "$t/usr/share/doc/edgevoice-transceiver"
cp -r --no-preserve=ownership "$transceiver_dir" "$t/usr/lib/edgevoice-transceiver"
lib=$t/usr/lib/edgevoice-transceiver
# Whisper.net copies every platform's native runtime; a linux-x64 node needs its own (and runtimes/cuda/linux-x64
# when a deployment adds it). The LTTng trace provider needs liblttng-ust, TensorRT is never requested: both unused.
if [[ -d $lib/runtimes ]]; then find "$lib/runtimes" -mindepth 1 -maxdepth 1 ! -name linux-x64 ! -name cuda -exec rm -rf {} +; fi
rm -f "$lib/ggml-metal.metal" "$lib/libcoreclrtraceptprovider.so" "$lib/libonnxruntime_providers_tensorrt.so"
find "$lib" \( -name '*.pdb' -o -name '*.dbg' \) -delete
find "$lib" -type d -exec chmod 0755 {} +
find "$lib" -type f -exec chmod 0644 {} +
chmod 0755 "$lib/edgevoice-transceiver"
if [[ -f $lib/createdump ]]; then chmod 0755 "$lib/createdump"; fi
ln -s ../lib/edgevoice-transceiver/edgevoice-transceiver "$t/usr/bin/edgevoice-transceiver"
install -m 0644 "$packaging/transceiver/edgevoice-transceiver.service" "$t/lib/systemd/system/"
install -m 0644 "$repo/configs/transceiver.yaml" "$t/etc/edgevoice/transceiver.yaml"
install -m 0644 "$repo/configs/transceiver-demo.gram" "$t/etc/edgevoice/transceiver-demo.gram"
install -m 0644 "$packaging/transceiver/README.md" "$t/usr/share/doc/edgevoice-transceiver/README.md"
pack edgevoice-transceiver
