#!/usr/bin/env bash
# wrapper_test.sh SOURCE_DIR BUILD_DIR - scripts/kzmalloc runs a program on kzmalloc or not at all: a
# library the dynamic linker cannot preload (a bare name off its path, a missing file, a file
# that is not a shared object) stops it with one line and exit 127, never a run on glibc; and
# --python-malloc hands Python's small objects to malloc; --compare runs a program on glibc,
# kzmalloc and the peers and says where their output differs; in a source tree, the first run
# builds the library.
set -euo pipefail
wrapper=$1/scripts/kzmalloc
lib=$2/lib/libkzmalloc.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

report=$(KZMALLOC_LIB=$lib KZMALLOC_STATS=1 "$wrapper" /bin/true 2>&1)
[[ $report == *"kzmalloc slabinfo"* ]] || { echo "not preloaded: $report"; exit 1; }
# One report, the program's: none of the wrapper's own commands runs on kzmalloc.
[ "$(grep -c '^kzmalloc report: ' <<<"$report")" = 1 ] &&
	grep -q '^kzmalloc report: program true, ' <<<"$report" ||
	{ echo "reports other than the program's: $report"; exit 1; }
mkdir "$work/reports"
KZMALLOC_LIB=$lib KZMALLOC_STATS="$work/reports/%n.%p" "$wrapper" --python-malloc /bin/true
KZMALLOC_LIB=$lib KZMALLOC_STATS="$work/reports/%n.%p" "$wrapper" --compare=1 /bin/true >/dev/null 2>&1
# /bin/true once on its own, once per preloaded allocator of --compare (kzmalloc's only)
files=$(cd "$work/reports" && ls)
[ "$(wc -l <<<"$files")" = 2 ] && ! grep -qv '^true\.[0-9]*$' <<<"$files" ||
	{ echo "report files: $files"; exit 1; }

echo 'not a library' >"$work/text.so"
for bad in libkzmalloc-not-on-any-path.so "$work/missing.so" "$work/text.so"; do
	rc=0
	err=$(KZMALLOC_LIB=$bad "$wrapper" /bin/echo ran 2>&1) || rc=$?
	if [ "$rc" -ne 127 ] || [[ $err == *ran* ]] || [ "$(wc -l <<<"$err")" -ne 1 ] ||
		[[ $err != "kzmalloc: "* ]]; then
		echo "KZMALLOC_LIB=$bad: exit $rc, said: $err"
		exit 1
	fi
	echo "KZMALLOC_LIB=$bad: $err"
done

out=$(env -u PYTHONMALLOC KZMALLOC_LIB=$lib "$wrapper" --python-malloc /bin/sh -c 'echo "$PYTHONMALLOC"')
[ "$out" = malloc ] || { echo "--python-malloc: PYTHONMALLOC=$out"; exit 1; }
# --compare: the same output everywhere is "glibc's" and exit 0; stdin reaches every run; a
# different stdout or exit status is named in the allocator's row and makes the exit status 1.
out=$(printf 'b\na\n' | KZMALLOC_LIB=$lib "$wrapper" --compare=2 sort 2>/dev/null)
grep -q "^kzmalloc .* glibc's$" <<<"$out" || { echo "--compare sort: $out"; exit 1; }
rc=0
out=$(KZMALLOC_LIB=$lib "$wrapper" --compare=1 sh -c 'echo "$LD_PRELOAD"' 2>/dev/null) || rc=$?
[ "$rc" = 1 ] && grep -q "^kzmalloc .*DIFFERS: stdout of round 1$" <<<"$out" ||
	{ echo "--compare with another stdout: exit $rc, $out"; exit 1; }
rc=0
out=$(KZMALLOC_LIB=$lib "$wrapper" --compare=1 sh -c 'case "$LD_PRELOAD" in *kzmalloc*) exit 4 ;; esac' \
	2>/dev/null) || rc=$?
[ "$rc" = 1 ] && grep -q "^kzmalloc .*DIFFERS: exit status 4 in round 1, glibc's 0$" <<<"$out" ||
	{ echo "--compare with another exit status: exit $rc, $out"; exit 1; }
echo "$out"

# In a source tree without a build, the first run builds the library (one line says so).
mkdir "$work/tree"
(cd "$1" && cp -r CMakeLists.txt include preload scripts src tests "$work/tree/" &&
	mkdir "$work/tree/bench" && cp bench/CMakeLists.txt bench/*.[ch] bench/*.cc "$work/tree/bench/")
out=$(env -u KZMALLOC_LIB KZMALLOC_STATS=1 "$work/tree/scripts/kzmalloc" /bin/true 2>&1)
[[ $out == "kzmalloc: building "*"kzmalloc slabinfo"* ]] || { echo "first use: $out"; exit 1; }
[ -f "$work/tree/build/lib/libkzmalloc.so" ] || { echo "first use built nothing"; exit 1; }
echo "wrapper test: ok"
