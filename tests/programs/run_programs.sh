#!/usr/bin/env bash
# run_programs.sh SOURCE_DIR BUILD_DIR - real programs on kzmalloc. python3,
# gcc, git, perl and sort each do an allocation-heavy job twice: on the
# system allocator, then with BUILD_DIR/lib/libkzmalloc.so preloaded and
# KZMALLOC_STATS=1. The first run must exit 0, the second the same way with
# the same stdout, and its stderr must hold kzmalloc's statistics report
# (printed at exit by every process kzmalloc ran in). Last, scripts/kzmalloc
# must preload the library the same way. One line per program; exit 1 if any
# failed. sort's peak RSS with kzmalloc must stay near its peak without (a
# big buffer barely touched, then freed). Everything generated lives in a
# scratch directory removed at exit.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
lib=$build/lib/libkzmalloc.so
here=$src/tests/programs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
in=$work/in

if [ ! -f "$lib" ]; then
	echo "run_programs: $lib not found (build first)"
	exit 1
fi

# The system's programs (those scripts/install-deps installs), in a setting
# where every run gives the same answer: C locale, no user or system git
# configuration, fixed git identities and dates, and Python on malloc for
# every object (PYTHONMALLOC=malloc) rather than its own arenas.
. "$src/tests/programs/setting.sh"
program_setting "$work"
unset LD_PRELOAD
mkdir -p "$in" "$HOME" "$TMPDIR"

# The inputs, generated once (not preloaded) and shared by both runs.
gen_inputs() {
	# A C file of 2000 small functions called through a table.
	awk -v n=2000 'BEGIN {
		print "#include <stdio.h>\n"
		for (i = 0; i < n; i++)
			printf "static unsigned f%d(unsigned x)\n{\n\tunsigned a = x * %du + %du, b = a ^ (x >> %d);\n\n\treturn a * 31u + b;\n}\n\n", i, i % 97 + 1, i, i % 29 + 1
		print "static unsigned (*const table[])(unsigned) = {"
		for (i = 0; i < n; i++)
			printf "\tf%d,\n", i
		print "};\n\nint main(void)\n{\n\tunsigned s = 1;\n"
		print "\tfor (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)"
		print "\t\ts = table[i](s);\n\tprintf(\"gen: %u\\n\", s);\n\treturn 0;\n}"
	}' >"$in/gen.c"
	# 400 text files in 10 directories for git.
	awk -v dir="$in/files" 'BEGIN {
		s = 12345
		for (f = 0; f < 400; f++) {
			d = dir "/d" (f % 10)
			if (f < 10)
				system("mkdir -p " d)
			out = d "/f" f ".txt"
			for (l = 0; l < 40 + f % 60; l++) {
				s = (s * 1103515245 + 12345) % 2147483648
				printf "line %d of file %d: %d\n", l, f, s >out
			}
			close(out)
		}
	}'
	sort_lines 200000 >"$in/lines.txt"
}

# The jobs: each runs in a fresh directory of its own, under set -e.
prog_python3() {
	python3 "$here/alloc_heavy.py"
}

prog_gcc() {
	gcc -O1 -o gen "$in/gen.c"
	./gen
}

prog_git() {
	cp -R "$in/files" repo
	cd repo
	git init -q
	git add .
	git commit -q -m "generated files"
	for i in 1 2 3 4; do
		sed -i "s/^line $i /LINE $i /" "d$i"/*.txt
		git commit -q -a -m "edit $i"
	done
	git log --stat --format='%H %an %s'
	git log -p -3 | cksum
	git grep -c 'LINE 2' | cksum
	git blame -s d1/f1.txt | cksum
	git gc -q
	git fsck --full --strict
	git count-objects -v | grep -E '^(count|in-pack|packs|garbage):'
	git rev-parse HEAD
}

prog_perl() {
	perl "$here/hash_heavy.pl"
}

prog_sort() {
	sort "$in/lines.txt" | cksum
	sort -k3,3 -k2,2n "$in/lines.txt" | cksum
	sort -u -k3,3 "$in/lines.txt" | cksum
	sort -r -n -k2,2 -S 1M -T . "$in/lines.txt" | cksum # external merge through temporary files
}

# What KZMALLOC_STATS=1 prints: a report headed by its program and PID, every line kzmalloc's.
report='^kzmalloc report: program '
failed=0

# run NAME MODE: prog_NAME in $work/NAME.MODE, MODE plain or kz; sets rc.
run() {
	local dir=$work/$1.$2

	mkdir "$dir"
	set +e
	(
		set -e
		cd "$dir"
		if [ "$2" = kz ]; then
			export LD_PRELOAD=$lib KZMALLOC_STATS=1
		fi
		"prog_$1"
	) >"$dir.out" 2>"$dir.err"
	rc=$?
	set -e
}

seconds() { # microseconds -> "1.23s"
	printf '%d.%02ds' $(($1 / 1000000)) $(($1 % 1000000 / 10000))
}

now() {
	echo "${EPOCHREALTIME/./}"
}

fail() { # NAME WHY [FILE...]: report a failure, with the head of each file
	local name=$1 why=$2 f
	shift 2
	printf 'FAIL %-16s %s\n' "$name" "$why"
	for f in "$@"; do
		echo "  --- $(basename "$f"):"
		head -n 20 "$f" | sed 's/^/  /'
	done
	failed=$((failed + 1))
}

check() { # NAME: both runs of prog_NAME, compared
	local name=$1 t0 t1 t2 rc_plain reports
	local base=$work/$name

	if ! command -v "$name" >/dev/null; then
		fail "$name" "$name is not installed (scripts/install-deps test)"
		return
	fi
	t0=$(now)
	run "$name" plain
	rc_plain=$rc
	t1=$(now)
	run "$name" kz
	t2=$(now)
	if [ "$rc_plain" -ne 0 ]; then
		fail "$name" "exits $rc_plain without kzmalloc" "$base.plain.err"
	elif [ "$rc" -ne "$rc_plain" ]; then
		fail "$name" "exits $rc with kzmalloc, $rc_plain without" "$base.kz.err"
	elif ! cmp -s "$base.plain.out" "$base.kz.out"; then
		diff "$base.plain.out" "$base.kz.out" >"$base.diff" || true
		fail "$name" "stdout differs with kzmalloc" "$base.diff" "$base.kz.err"
	elif ! grep -Eq "$report" "$base.kz.err"; then
		fail "$name" "no kzmalloc statistics report on stderr" "$base.kz.err"
	else
		reports=$(grep -c '^kzmalloc report:' "$base.kz.err" || true)
		printf 'ok   %-16s %s plain, %s kzmalloc (%s processes reported)\n' "$name" \
			"$(seconds $((t1 - t0)))" "$(seconds $((t2 - t1)))" "$reports"
	fi
}

# Peak RSS in KiB of a command (stdout discarded), preloaded with kzmalloc if the first word is kz.
peak_rss() {
	local preload=
	[ "$1" = kz ] && preload=$lib
	shift
	python3 -c 'import os, resource, subprocess, sys
env = dict(os.environ, LD_PRELOAD=sys.argv[1]) if sys.argv[1] else os.environ
subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, env=env, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$preload" "$@"
}

# sort mallocs a buffer far larger than its input and touches what it uses: freeing that buffer
# must not make the rest of it resident, so the peak RSS stays near the system allocator's.
check_sort_rss() {
	local name="sort RSS" plain kz

	if ! plain=$(peak_rss plain sort "$in/lines.txt") || ! kz=$(peak_rss kz sort "$in/lines.txt"); then
		fail "$name" "sort failed"
	elif [ "$kz" -gt $((2 * plain + 16384)) ]; then
		fail "$name" "peak RSS ${kz} KiB with kzmalloc, ${plain} KiB without"
	else
		printf 'ok   %-16s %s KiB plain, %s KiB kzmalloc\n' "$name" "$plain" "$kz"
	fi
}

# scripts/kzmalloc: KZMALLOC_LIB comes first in LD_PRELOAD, and kzmalloc runs.
check_wrapper() {
	local name=scripts/kzmalloc out=$work/wrapper.out err=$work/wrapper.err

	if ! "$src/scripts/kzmalloc" --help >"$out" 2>&1 || ! grep -q '^usage: kzmalloc' "$out"; then
		fail "$name" "--help does not print the usage" "$out"
	elif ! KZMALLOC_LIB=$lib KZMALLOC_STATS=1 LD_PRELOAD=libc.so.6 "$src/scripts/kzmalloc" \
		python3 -c "import os; print(os.environ['LD_PRELOAD'])" >"$out" 2>"$err"; then
		fail "$name" "fails to run python3" "$err"
	elif [ "$(cat "$out")" != "$lib:libc.so.6" ]; then
		fail "$name" "LD_PRELOAD is not $lib:libc.so.6" "$out"
	elif ! grep -Eq "$report" "$err"; then
		fail "$name" "no kzmalloc statistics report on stderr" "$err"
	elif grep -q '^kzmalloc: warning' "$err"; then
		fail "$name" "kzmalloc warns about the environment" "$err"
	else
		printf 'ok   %-16s --help, and KZMALLOC_LIB first in LD_PRELOAD\n' "$name"
	fi
}

gen_inputs
for prog in python3 gcc git perl sort; do
	check "$prog"
done
check_sort_rss
check_wrapper
[ "$failed" -eq 0 ] || {
	echo "run_programs: $failed failed"
	exit 1
}
echo "run_programs: all ok"
