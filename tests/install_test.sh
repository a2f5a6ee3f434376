#!/usr/bin/env bash
# install_test.sh SOURCE_DIR BUILD_DIR - install kzmalloc into a scratch
# prefix and build the README's page-API example against the installed copy
# both documented ways: pkg-config, and CMake's find_package(kzmalloc) (the
# shared and the static library). Each program must run and exit 0. Then the
# installed bin/kzmalloc must preload the installed library.
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null

# The example is the C block right after the "example: page-api" marker.
awk '/<!-- example: page-api -->/ { want = 1; next }
     want && /^```c/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$src/README.md" >"$work/example.c"
[ -s "$work/example.c" ] || { echo "no page-api example in README.md"; exit 1; }

echo "== pkg-config"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
# As the README says, with the rpath: no LD_LIBRARY_PATH.
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Wextra -Werror -o "$work/example-pc" "$work/example.c" \
	$(pkg-config --cflags --libs kzmalloc) -Wl,-rpath,"$(pkg-config --variable=libdir kzmalloc)"
# Through a pipe, its line comes before the report (stdio flushed before write(2)).
out=$("$work/example-pc" | cat)
[[ $out == "order 3 block at "*"kzmalloc buddyinfo"* ]] || { echo "example's output: $out"; exit 1; }
libs=$(ldd "$work/example-pc")
[[ $libs == *"$work/prefix/"*libkzmalloc.so* ]] \
	|| { echo "example-pc does not use the installed libkzmalloc.so"; exit 1; }

echo "== find_package(kzmalloc)"
mkdir -p "$work/proj"
cp "$work/example.c" "$work/proj/"
cat >"$work/proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(example C)
find_package(kzmalloc 0.1 REQUIRED)
add_executable(example-shared example.c)
target_link_libraries(example-shared PRIVATE kzmalloc::kzmalloc)
add_executable(example-static example.c)
target_link_libraries(example-static PRIVATE kzmalloc::kzmalloc_static)
CMAKE
cmake -S "$work/proj" -B "$work/proj/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/proj/build" >/dev/null
"$work/proj/build/example-shared"
"$work/proj/build/example-static"
libs=$(ldd "$work/proj/build/example-static")
[[ $libs != *libkzmalloc* ]] || { echo "example-static links libkzmalloc.so"; exit 1; }
echo "== bin/kzmalloc"
# The installed wrapper preloads the installed library, from anywhere, with no source tree.
report=$(cd / && env -u KZMALLOC_LIB KZMALLOC_STATS=1 "$work/prefix/bin/kzmalloc" /bin/true 2>&1)
[[ $report == *"kzmalloc slabinfo"* ]] || { echo "bin/kzmalloc did not preload kzmalloc: $report"; exit 1; }
if KZMALLOC_LIB=/nonexistent/libkzmalloc.so "$work/prefix/bin/kzmalloc" /bin/true 2>/dev/null; then
	echo "bin/kzmalloc ran the program without its library"
	exit 1
fi
echo "install test: pkg-config, find_package shared and static, bin/kzmalloc: ok"
