#!/usr/bin/env bash
# glibc_compare.sh BUILD_DIR - run every heap-misuse program (build/bin/malloc_*,
# cxx_*, zero_*) on kzmalloc (preloaded) and on glibc's malloc, and print a
# markdown table of what each said: the README's detection table. zero_* run
# with KZMALLOC_CHECK=zero-size.
set -euo pipefail
build=${1:-build}
lib=$build/lib/libkzmalloc.so

outcome() { # command... -> "message (signal)" or what happened instead
	local err rc=0
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	err=${err%%$'\n'*}
	case $rc in
	0) printf 'not detected' ;;
	3) printf 'not detected' ;;
	4) printf '%s' "${err:-unavailable}" ;;
	*)
		if [ $rc -gt 128 ]; then
			sig=$(kill -l $((rc - 128)))
			printf '%s(SIG%s)' "${err:+$err }" "$sig"
		else
			printf '%s (exit %d)' "$err" "$rc"
		fi
		;;
	esac
}

echo '| misuse | kzmalloc | glibc 2.36 |'
echo '|---|---|---|'
for prog in "$build"/bin/malloc_* "$build"/bin/cxx_* "$build"/bin/zero_*; do
	name=$(basename "$prog")
	head=$(sed -n '1s|^/\* \(.*\)|\1|p' "tests/misuse/$name".c* | sed 's| \*/$||')
	# "With KZMALLOC_CHECK=...:" on the first line: run with it (as ctest does).
	check=$(sed -n '1s|.*KZMALLOC_CHECK=\([a-z,-]*\).*|\1|p' "tests/misuse/$name".c*)
	env=(${check:+KZMALLOC_CHECK=$check})
	kz=$(outcome env "${env[@]}" LD_PRELOAD="$lib" "$prog")
	kz=${kz//0x[0-9a-f]*/ADDR}
	glibc=$(outcome env "${env[@]}" "$prog")
	printf '| %s | `%s` | %s |\n' "${head:-$name}" "$kz" "$glibc"
done
