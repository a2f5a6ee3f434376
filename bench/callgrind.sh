#!/usr/bin/env bash
# callgrind.sh BUILD_DIR [REGEX [ALLOCATOR...]] - instructions per operation
# for every single-threaded micro case of bench/ops.c (or those whose name
# matches REGEX), for kzmalloc in its default mode and with KZMALLOC_INIT=none,
# and for Debian's jemalloc, mimalloc, tcmalloc and glibc; or for the
# ALLOCATORs named, among them kzmalloc's opt-in checks (kzmalloc-full,
# kzmalloc-canary, kzmalloc-guard, kzmalloc-zero-size, kzmalloc-quarantine,
# kzmalloc-protect, kzmalloc-all, each
# the default mode plus that KZMALLOC_CHECK). Each case runs N and
# 2N iterations under valgrind --tool=callgrind with the allocator
# preloaded, and the difference over N * (operations per iteration) is one
# operation (a malloc and its free, or one realloc), plus the loop's own few
# instructions, the same for everyone. Exact and repeatable; prints a
# markdown table as it goes. scripts/bench --callgrind runs it. scudo is not
# among the columns: under valgrind it stops at start-up ("Scudo ERROR:
# internal map or unmap failure": valgrind refuses its address-space
# reservation).
set -euo pipefail
build=${1:-build}
filter=${2:-.}
ops=$build/bin/callgrind_ops
libdir=/usr/lib/x86_64-linux-gnu
declare -A libs=(
	[kzmalloc]=$build/lib/libkzmalloc.so
	[kzmalloc-none]=$build/lib/libkzmalloc.so
	[kzmalloc-full]=$build/lib/libkzmalloc.so
	[kzmalloc-canary]=$build/lib/libkzmalloc.so
	[kzmalloc-guard]=$build/lib/libkzmalloc.so
	[kzmalloc-zero-size]=$build/lib/libkzmalloc.so
	[kzmalloc-quarantine]=$build/lib/libkzmalloc.so
	[kzmalloc-protect]=$build/lib/libkzmalloc.so
	[kzmalloc-all]=$build/lib/libkzmalloc.so
	[jemalloc]=$libdir/libjemalloc.so.2
	[mimalloc]=$libdir/libmimalloc.so.2
	[tcmalloc]=$libdir/libtcmalloc_minimal.so.4
	[glibc]=
)
order=(kzmalloc kzmalloc-none jemalloc mimalloc tcmalloc glibc)
[ $# -gt 2 ] && order=("${@:3}")
for a in "${order[@]}"; do
	[ -n "${libs[$a]+set}" ] || { echo "callgrind.sh: no allocator $a" >&2; exit 2; }
done

# KZMALLOC_* settings of one of kzmalloc's columns.
settings() {
	case $1 in
	kzmalloc-none) echo KZMALLOC_INIT=none ;;
	kzmalloc-*) echo "KZMALLOC_CHECK=${1#kzmalloc-}" ;;
	esac
}

instructions() { # allocator case iterations
	# shellcheck disable=SC2046 # settings: words on purpose
	env LD_PRELOAD="${libs[$1]}" $(settings "$1") valgrind --tool=callgrind \
		--callgrind-out-file=/dev/null "$ops" "$2" "$3" 2>&1 |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '| case |'
for a in "${order[@]}"; do printf ' %s |' "$a"; done
printf ' kzmalloc / jemalloc |\n|---|'
for _ in "${order[@]}"; do printf -- '---|'; done
printf -- '---|\n'
"$ops" --list | awk -v re="$filter" '$1 ~ re' | while read -r name items n; do
	printf '| %s |' "$name"
	declare -A per=()
	for a in "${order[@]}"; do
		lib=${libs[$a]}
		if [ -n "$lib" ] && [ ! -e "$lib" ]; then
			printf ' n/a |'
			continue
		fi
		one=$(instructions "$a" "$name" "$n")
		two=$(instructions "$a" "$name" $((2 * n)))
		per[$a]=$(((two - one) / (n * items)))
		printf ' %s |' "${per[$a]}"
	done
	awk -v k="${per[kzmalloc]:-0}" -v j="${per[jemalloc]:-0}" \
		'BEGIN { if (j > 0 && k > 0) printf " %.2f |\n", k / j; else print " n/a |" }'
done
