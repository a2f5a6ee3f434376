#!/usr/bin/env bash
# vg_check.sh MODE ERRORS PATTERN PROGRAM [ARGS...] - run PROGRAM under
# Valgrind with $KZMALLOC_LIB (libkzmalloc.so) preloaded and check the report.
#
#   MODE     preload   memcheck replaces the malloc functions it knows (plain
#                      `valgrind PROGRAM`); kzmalloc serves the others
#            kzmalloc  memcheck with kzmalloc active: scripts/kzmalloc --valgrind
#            helgrind  helgrind with kzmalloc active: scripts/kzmalloc --valgrind=helgrind
#   ERRORS   how many errors the report must count ("ERROR SUMMARY: N errors");
#            the exit status must then be 99 (--error-exitcode) or, for 0, 0
#   PATTERN  a Perl regular expression the report must match, after the
#            "==pid== " prefixes are removed ("" for none); (?&kz) stands
#            for a frame in libkzmalloc, (?&frame) for any frame
#
# On failure prints why and the whole report. Everything lives in a scratch
# directory removed at exit.
set -euo pipefail
mode=$1 errors=$2 pattern=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/valgrind.log

: "${KZMALLOC_LIB:?set KZMALLOC_LIB to build/lib/libkzmalloc.so}"
set +e
case $mode in
preload)
	lib=$KZMALLOC_LIB
	unset KZMALLOC_LIB # scripts/kzmalloc's, not a setting of the library
	LD_PRELOAD=$lib valgrind --leak-check=full --error-exitcode=99 \
		--log-file="$log" "$@" >"$work/out" 2>&1
	;;
kzmalloc | helgrind)
	tool=memcheck
	[ "$mode" = helgrind ] && tool=helgrind
	VALGRIND_OPTS="--log-file=$log ${VALGRIND_OPTS:-}" \
		"$root/scripts/kzmalloc" --valgrind=$tool "$@" >"$work/out" 2>&1
	;;
*)
	echo "vg_check: unknown mode $mode" >&2
	exit 2
	;;
esac
rc=$?
set -e

want_rc=0
[ "$errors" -gt 0 ] && want_rc=99
why=
if [ ! -s "$log" ]; then
	why="no Valgrind report"
elif [ "$rc" -ne "$want_rc" ]; then
	why="exit status $rc, expected $want_rc"
elif ! grep -Eq "ERROR SUMMARY: $errors errors" "$log"; then
	why="expected $errors errors"
elif [ -n "$pattern" ] && ! KZ_PATTERN=$pattern perl -0777 -ne '
	s/^==\d+== ?//mg;
	my $defs = q{(?(DEFINE)(?<frame>0x[0-9A-F]+: .*\n)(?<kz>0x[0-9A-F]+: \w+ \((?:in \S*libkzmalloc\S*|\w+\.(?:c|h|cc):\d+)\)\n))};
	exit(/$ENV{KZ_PATTERN}$defs/m ? 0 : 1);' "$log"; then
	why="the report does not match: $pattern"
fi
if [ -n "$why" ]; then
	echo "vg_check: $mode $*: $why"
	echo "--- program output:"
	cat "$work/out"
	echo "--- Valgrind report:"
	cat "$log"
	exit 1
fi
echo "vg_check: $mode $*: $(grep -Eo 'ERROR SUMMARY: [0-9]+ errors from [0-9]+ contexts' "$log")"
