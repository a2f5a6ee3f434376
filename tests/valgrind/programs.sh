#!/usr/bin/env bash
# programs.sh SOURCE_DIR BUILD_DIR - real programs under memcheck with
# kzmalloc active (scripts/kzmalloc --valgrind, every child process traced):
# python3, perl, sort, git and gcc (with cc1, as and ld) each do a small
# job. Each must print what it prints without Valgrind and kzmalloc, and
# memcheck must find no error in any process: none of kzmalloc's code, nor
# the programs' use of its heap. Leaks are the programs' own business
# (several never free at exit) and are not checked here; tests/valgrind's
# planted leak is. One line per program; exit 1 if any failed.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export KZMALLOC_LIB=$build/lib/libkzmalloc.so
export PATH=/usr/bin:/bin:$PATH LC_ALL=C TZ=UTC HOME=$work/home
export PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
	GIT_AUTHOR_NAME=kzmalloc GIT_AUTHOR_EMAIL=kzmalloc@example.org \
	GIT_COMMITTER_NAME=kzmalloc GIT_COMMITTER_EMAIL=kzmalloc@example.org \
	GIT_AUTHOR_DATE=2024-01-01T00:00:00Z GIT_COMMITTER_DATE=2024-01-01T00:00:00Z
unset LD_PRELOAD
mkdir -p "$HOME"

job_python3() {
	python3 -c '
d = {}
for i in range(20000):
    d["k%d" % i] = [i] * (i % 40) + [str(i) * (i % 7)]
s = sorted(d.items(), key=lambda kv: (len(kv[1]), kv[0]))
print(len(d), sum(len(v) for v in d.values()), s[-1][0])'
}

job_perl() {
	perl -e 'my %h; for my $i (1 .. 20000) { $h{"k$i"} = [ ($i) x ($i % 30), "x" x ($i % 50) ] }
		my @k = sort { @{ $h{$a} } <=> @{ $h{$b} } || $a cmp $b } keys %h;
		print scalar(@k), " $k[-1]\n"'
}

job_sort() {
	awk 'BEGIN { s = 7; for (i = 0; i < 20000; i++) { s = (s * 1103515245 + 12345) % 2147483648; printf "%08x %d\n", s, s % 1000 } }' >lines
	sort lines | cksum
	sort -k2,2n -S 64K -T . lines | cksum # external merge through temporary files
}

job_git() {
	awk 'BEGIN { for (f = 1; f <= 40; f++) for (i = f; i <= 20 * f; i++) print i >("f" f ".txt") }'
	git init -q -b main .
	git add .
	git commit -q -m files
	sed -i 's/^1/one/' f*.txt
	git commit -q -a -m edit
	git log --stat --format='%H %s' | cksum
	git rev-parse HEAD
}

job_gcc() {
	printf '%s\n' '#include <stdio.h>' 'static int sq(int x) { return x * x; }' \
		'int main(void) { int s = 0; for (int i = 0; i < 100; i++) s += sq(i); printf("%d\n", s); return 0; }' >t.c
	gcc -O1 -o t t.c
	./t
}

failed=0
for name in python3 perl sort git gcc; do
	dir=$work/$name
	mkdir -p "$dir/plain" "$dir/vg"
	if ! (cd "$dir/plain" && "job_$name") >"$dir/plain.out" 2>&1; then
		echo "FAIL $name: fails without Valgrind and kzmalloc"
		failed=1
		continue
	fi
	start=$SECONDS
	set +e
	(cd "$dir/vg" && VALGRIND_OPTS="--leak-check=no --trace-children=yes --log-file=$dir/vg.%p.log" \
		"$src/scripts/kzmalloc" --valgrind bash -c "$(declare -f "job_$name"); job_$name") \
		>"$dir/vg.out" 2>&1
	rc=$?
	set -e
	logs=$(ls "$dir"/vg.*.log | wc -l)
	bad=$(grep -L 'ERROR SUMMARY: 0 errors' "$dir"/vg.*.log || true)
	if [ -n "$bad" ] || [ "$rc" -ne 0 ]; then
		echo "FAIL $name: exit status $rc; memcheck errors in:"
		for f in $bad; do
			grep -v '^==[0-9]*== *$' "$f" | head -40 | sed 's/^/  /'
		done
		failed=1
	elif ! cmp -s "$dir/plain.out" "$dir/vg.out"; then
		echo "FAIL $name: output differs under memcheck with kzmalloc"
		diff "$dir/plain.out" "$dir/vg.out" | head -20 | sed 's/^/  /'
		failed=1
	else
		echo "ok   $name: $logs processes, no memcheck error ($((SECONDS - start)) s)"
	fi
done
exit $failed
