#!/bin/bash
# stats_test.sh CHILD LIB: the report of KZMALLOC_STATS, on known work (stats_child.c) and on a
# preloaded process tree: its header, its exact counters, active_objs without the thread caches'
# objects, KZMALLOC_STATS=FILE with %p and %n (one file per process, a fork included; a relative
# name stays in the directory of start-up; a file that cannot be opened gives one warning), the
# JSON line, and every line starting with kzmalloc.
set -euo pipefail
umask 022 # the report file's 0644 shows as 644
child=$1 lib=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

fail() { # WHY [FILE]
	echo "FAIL: $1"
	[ -z "${2:-}" ] || sed 's/^/  | /' "$2"
	failed=1
}

# expect FILE REGEX WHY: a line of FILE matches REGEX (grep -E).
expect() {
	grep -Eq -- "$2" "$1" || fail "$3: no line matching $2" "$1"
}

# every_line_ours FILE: each line is the report's.
every_line_ours() {
	local bad

	bad=$(grep -Evc '^(kzmalloc |\{"kzmalloc":1,)' "$1" || true)
	[ "$bad" -eq 0 ] || fail "$1: $bad lines not starting with kzmalloc" "$1"
}

# json FILE PYTHON-EXPR: the last line parses as JSON, is the only JSON line, and EXPR (of j) holds.
json() {
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [l for l in lines if l.startswith("{\"kzmalloc\":")]
assert len(objs) == 1 and lines[-1] == objs[0], "one JSON line, the last"
j = json.loads(objs[0])
assert eval(sys.argv[2]), sys.argv[2] + ": " + objs[0]
' "$1" "$2" || fail "$1: JSON line: $2" "$1"
}

echo "== counts"
KZMALLOC_STATS=1 "$child" counts >"$work/counts.out" 2>"$work/counts.err"
pid=$(cat "$work/counts.out")
expect "$work/counts.err" "^kzmalloc report: program stats_child, pid $pid, run time [0-9]+\.[0-9]{3} s, peak RSS [1-9][0-9]* KiB\$" header
expect "$work/counts.err" '^kzmalloc counters: mallocs 101, frees 101, reallocs 0, bytes requested 304000, thread-cache hits 9[0-9] of 100 \(' counters
expect "$work/counts.err" '^kzmalloc counters: slabs made [1-9][0-9]*, pool grows 1, peak in use [0-9]+ pages, bytes zeroed [0-9]+ \(by free [0-9]+,' 'counters, pages'
# The 100 kmalloc-48 objects are in the thread cache (it holds 128): none of them is active.
expect "$work/counts.err" '^kzmalloc slabinfo: kmalloc-48 +0 +170 +48 +85 +1$' 'active_objs without the thread cache'
expect "$work/counts.err" '^kzmalloc slabinfo: # name +active_objs +num_objs +objsize +objperslab +pagesperslab$' 'slabinfo header'
expect "$work/counts.err" '^kzmalloc buddyinfo: pool( +[0-9]+){11}$' buddyinfo
every_line_ours "$work/counts.err"
json "$work/counts.err" "j['pid'] == $pid and j['program'] == 'stats_child' and j['mallocs'] == 101 and j['frees'] == 101 and j['bytes_requested'] == 304000 and j['class_mallocs'] == 100 and j['counting'] and j['pool_grows'] == 1"
# 100 objects of 48 bytes cleared at free, and the 300000-byte run (74 pages) the pool handed out
json "$work/counts.err" "j['zeroed_by_free'] >= 100 * 48"

echo "== huge: the peak counts a mapping's pages with the pool's; the trim unmaps it"
KZMALLOC_STATS=1 "$child" huge >/dev/null 2>"$work/huge.err"
expect "$work/huge.err" ', bytes unmapped (6[7-9]|[7-9][0-9])[0-9]{6}$' 'bytes unmapped'
# 16384 pages of the mapping and 256 of the run, held at once
json "$work/huge.err" "j['peak_pages_in_use'] >= 16384 + 256 and j['bytes_unmapped'] >= 64 << 20"

echo "== threads: eight exited threads' counts"
KZMALLOC_STATS=yes "$child" threads >"$work/threads.out" 2>"$work/threads.err"
expect "$work/threads.err" '^kzmalloc counters: mallocs 8000, frees 8000, reallocs 0, bytes requested 512000,' 'exited threads counted'
expect "$work/threads.err" '^kzmalloc slabinfo: kmalloc-64 +0 ' 'kmalloc-64 active_objs'
json "$work/threads.err" "j['mallocs'] == 8000 and j['tcache_hits'] + 8 <= 8000"

echo "== quarantine: no thread caches, and the line says why every class object misses"
KZMALLOC_STATS=1 KZMALLOC_CHECK=quarantine "$child" counts >/dev/null 2>"$work/quarantine.err"
expect "$work/quarantine.err" ', thread-cache hits 0 of 100 \(0\.0%; no thread caches with the quarantine\)$' 'quarantine hits'

echo "== off"
KZMALLOC_STATS=0 "$child" counts >/dev/null 2>"$work/off.err"
[ ! -s "$work/off.err" ] || fail "KZMALLOC_STATS=0 printed" "$work/off.err"

echo "== FILE with %p: one file per process, a fork's child too"
mkdir "$work/tree"
KZMALLOC_STATS="$work/tree/kz.%p.%n.txt" "$child" fork >"$work/fork.out" 2>"$work/fork.err"
[ ! -s "$work/fork.err" ] || fail "KZMALLOC_STATS=FILE wrote to stderr" "$work/fork.err"
read -r parent forked <"$work/fork.out"
[ "$(ls "$work/tree" | wc -l)" -eq 2 ] || fail "not two files: $(ls "$work/tree")"
for p in "$parent" "$forked"; do
	f=$work/tree/kz.$p.stats_child.txt
	[ -f "$f" ] || { fail "no file $f"; continue; }
	[ "$(stat -c %a "$f")" = 644 ] || fail "$f: mode $(stat -c %a "$f")"
	[ "$(grep -c '^kzmalloc report:' "$f")" -eq 1 ] || fail "$f: not one report" "$f"
	expect "$f" "^kzmalloc report: program stats_child, pid $p," "$f header"
	every_line_ours "$f"
done
# The parent: 3 before the fork and 5 after; the child: its own 7 only.
json "$work/tree/kz.$parent.stats_child.txt" "j['pid'] == $parent and j['mallocs'] == 8 and j['frees'] == 8"
json "$work/tree/kz.$forked.stats_child.txt" "j['pid'] == $forked and j['mallocs'] == 7 and j['bytes_requested'] == 700"

echo "== relative FILE: the directory of start-up"
mkdir "$work/start" "$work/elsewhere"
(cd "$work/start" && KZMALLOC_STATS=./rel.%n.%% "$child" chdir "$work/elsewhere" >/dev/null)
[ -f "$work/start/rel.stats_child.%" ] || fail "relative FILE: $(ls "$work/start" "$work/elsewhere")"
[ -z "$(ls "$work/elsewhere")" ] || fail "relative FILE followed chdir"

echo "== FILE that cannot be opened: one warning"
KZMALLOC_STATS=/nonexistent/kz.%p "$child" counts >/dev/null 2>"$work/bad.err"
[ "$(wc -l <"$work/bad.err")" -eq 1 ] || fail "not one line" "$work/bad.err"
expect "$work/bad.err" '^kzmalloc: warning: cannot open KZMALLOC_STATS=/nonexistent/kz.%p: ENOENT \(no report\)$' warning

echo "== a preloaded process tree: one file each, and a script sums them"
mkdir "$work/sh"
KZMALLOC_STATS="$work/sh/%n.%p" LD_PRELOAD=$lib /bin/bash -c 'sort /etc/passwd | cat >/dev/null; ls / >/dev/null; true' 2>"$work/sh.err"
[ ! -s "$work/sh.err" ] || fail "preloaded tree wrote to stderr" "$work/sh.err"
for prog in bash sort cat ls; do
	[ "$(ls "$work/sh" | grep -c "^$prog\.[0-9]*$")" -ge 1 ] || fail "no report of $prog: $(ls "$work/sh")"
done
for f in "$work/sh"/*; do
	every_line_ours "$f"
	json "$f" "j['mallocs'] >= 1 and j['mallocs'] >= j['class_mallocs'] >= j['tcache_hits']"
done
total=$(grep -h '^{"kzmalloc"' "$work/sh"/* | python3 -c 'import json, sys; print(sum(json.loads(l)["mallocs"] for l in sys.stdin))')
[ "$total" -gt 0 ] || fail "summed mallocs: $total"

echo "== KZMALLOC_STATS=1 preloaded: to stderr, with the program's own output around it"
LD_PRELOAD=$lib KZMALLOC_STATS=1 sort /etc/passwd 2>"$work/sort.err" >/dev/null
expect "$work/sort.err" '^kzmalloc report: program sort, pid [0-9]+,' 'sort header'
expect "$work/sort.err" '^kzmalloc counters: mallocs [1-9][0-9]*, frees [0-9]+, reallocs [0-9]+, bytes requested [1-9][0-9]*, thread-cache hits [0-9]+ of [0-9]+ \([0-9]+\.[0-9]%\)$' 'sort counters'
expect "$work/sort.err" '^kzmalloc slabinfo: kmalloc-[0-9]+k? +[0-9]+ +[0-9]+ ' 'sort slabinfo rows'
every_line_ours "$work/sort.err"
json "$work/sort.err" "j['program'] == 'sort' and j['mallocs'] >= j['frees']"

[ "$failed" -eq 0 ] && echo "stats test: ok"
exit "$failed"
