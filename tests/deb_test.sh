#!/usr/bin/env bash
# deb_test.sh SOURCE_DIR BUILD_DIR - the Debian packages: cpack -G DEB makes libkzmalloc0 and
# libkzmalloc-dev; both are unpacked into a scratch root, the README's page-API example is built
# against that copy (its header and library) and runs, and the packaged bin/kzmalloc preloads
# the packaged library.
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/pkg" >/dev/null)
runtime=$(ls "$work"/pkg/libkzmalloc0_*.deb)
dev=$(ls "$work"/pkg/libkzmalloc-dev_*.deb)
[ "$(dpkg-deb -f "$runtime" Package)" = libkzmalloc0 ] || { echo "runtime package misnamed"; exit 1; }
[[ $(dpkg-deb -f "$dev" Depends) == "libkzmalloc0 (= "* ]] || { echo "dev does not depend on the runtime"; exit 1; }
files=$(dpkg-deb -c "$runtime")
grep -q '/usr/bin/kzmalloc$' <<<"$files" || { echo "no wrapper in libkzmalloc0"; exit 1; }
if grep -q 'kzmalloc\.h$' <<<"$files"; then
	echo "libkzmalloc0 ships the header"
	exit 1
fi
dpkg-deb -x "$runtime" "$work/root"
dpkg-deb -x "$dev" "$work/root"
usr=$work/root/usr
lib=$(dirname "$(find "$usr" -name libkzmalloc.so.0 | head -1)")

awk '/<!-- example: page-api -->/ { want = 1; next }
     want && /^```c/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$src/README.md" >"$work/example.c"
cc -std=gnu11 -Wall -Wextra -Werror -I"$usr/include" -o "$work/example" "$work/example.c" \
	-L"$lib" -lkzmalloc -Wl,-rpath,"$lib"
out=$("$work/example")
[[ $out == "order 3 block at "*"kzmalloc buddyinfo"* ]] || { echo "example's output: $out"; exit 1; }
libs=$(ldd "$work/example")
grep -q "$lib/libkzmalloc.so.0" <<<"$libs" || { echo "example not linked to the package"; exit 1; }

report=$(env -u KZMALLOC_LIB KZMALLOC_STATS=1 "$usr/bin/kzmalloc" /bin/true 2>&1)
[[ $report == *"kzmalloc slabinfo"* ]] || { echo "packaged bin/kzmalloc: $report"; exit 1; }
echo "deb test: $(basename "$runtime") $(basename "$dev"): ok"
