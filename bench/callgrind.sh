#!/usr/bin/env bash
# callgrind.sh BUILD_DIR - instructions per operation (one malloc and one
# free) for kzmalloc, in its default mode and with KZMALLOC_INIT=none, and
# for Debian's jemalloc and mimalloc, from two loop lengths under
# valgrind --tool=callgrind. Exact and repeatable; prints a markdown table.
set -euo pipefail
build=${1:-build}
ops=$build/bin/callgrind_ops
n=10000
declare -A libs=(
	[kzmalloc]=$build/lib/libkzmalloc.so
	[kzmalloc-none]=$build/lib/libkzmalloc.so
	[jemalloc]=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
	[mimalloc]=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2
	[glibc]=
)
order=(kzmalloc kzmalloc-none jemalloc mimalloc glibc)

instructions() { # preload init-mode op iterations
	LD_PRELOAD=$1 KZMALLOC_INIT=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$ops" "$3" "$4" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '| operation |'
for a in "${order[@]}"; do printf ' %s |' "$a"; done
printf ' kzmalloc / jemalloc |\n|---|'
for _ in "${order[@]}"; do printf -- '---|'; done
printf -- '---|\n'
for op in pair32 pair128 pair1k batch64 calloc64; do
	printf '| %s |' "$op"
	declare -A per=()
	for a in "${order[@]}"; do
		lib=${libs[$a]}
		if [ -n "$lib" ] && [ ! -e "$lib" ]; then printf ' n/a |'; continue; fi
		mode=free
		[ "$a" = kzmalloc-none ] && mode=none
		one=$(instructions "$lib" $mode $op $n)
		two=$(instructions "$lib" $mode $op $((2 * n)))
		per[$a]=$(((two - one) / n))
		printf ' %s |' "${per[$a]}"
	done
	awk -v k="${per[kzmalloc]}" -v j="${per[jemalloc]:-0}" \
		'BEGIN { if (j > 0) printf " %.2f |\n", k / j; else print " n/a |" }'
done
