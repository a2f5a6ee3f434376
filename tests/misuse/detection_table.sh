#!/usr/bin/env bash
# detection_table.sh [OPTIONS] BUILD_DIR [ROW...] - run every heap-misuse
# program on glibc, jemalloc, mimalloc, scudo and kzmalloc (its default, and
# KZMALLOC_CHECK=all), and print the markdown table of what each did: the
# README's detection table, with a line under it counting the rows each
# column stops (kills by a signal, with a message or without) in every run.
#
# The rows are the misuse tests ctest has registered in BUILD_DIR (label
# misuse) that run a program of this directory through the libc names (with
# libkzmalloc.so preloaded), one row per program and arguments: a new program
# or a new argument shows up once it is registered, with no list here. Each
# row is described by its program's first line. The page API's programs
# (page_*, linked to the static library) are not rows: no other allocator has
# those functions.
#
# Each allocator runs as it is: every setting of any of them is removed from
# the environment, and only kzmalloc's `all` column sets one. Each program runs
# in a child with stdin closed, stdout dropped, no core dump and a time limit.
# A cell is the first line the program wrote to stderr (addresses as ADDR,
# long lines cut) and the signal that killed it; "SIGSEGV at once" for a
# fault with nothing said; "crash (SIG...)" for another signal with nothing
# said; "not detected" when the program lived past the misuse (exit 3:
# misuse_survived); "not installed" for a peer this machine lacks
# (scripts/install-deps bench installs them).
#
#   --columns LIST  a comma list of glibc, jemalloc, mimalloc, scudo, kzmalloc
#                   (its defaults) and kzmalloc-WORDS (with KZMALLOC_CHECK=WORDS);
#                   by default: the peers, kzmalloc and kzmalloc-all
#   --runs N        run each program N times (default 10): a cell that differs
#                   from run to run lists each outcome, "(varies)"
#   ROW...          only these rows: a program's name, with its arguments
#                   after a space ("guard_overflow large")
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
columns=glibc,jemalloc,mimalloc,scudo,kzmalloc,kzmalloc-all
runs=10
while [ $# -ge 2 ]; do
	case $1 in
	--columns) columns=$2 ;;
	--runs) runs=$2 ;;
	*) break ;;
	esac
	shift 2
done
if [ $# -lt 1 ] || [[ $1 == -* ]]; then
	echo "usage: $0 [--columns LIST] [--runs N] BUILD_DIR [ROW...]" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
shift
only=("$@")
limit=10 # seconds a program may run: an allocator may spin on a corrupted heap
libdir=/usr/lib/x86_64-linux-gnu

# The allocators as they are: nobody's settings from the caller.
for var in $(compgen -e); do
	case $var in
	KZMALLOC_* | MALLOC_* | MIMALLOC_* | SCUDO_* | GLIBC_TUNABLES | LD_PRELOAD) unset "$var" ;;
	esac
done

# Debian 12's scudo (libclang-rt-14-dev), or that of another LLVM version.
scudo_lib() {
	local lib=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so
	if [ ! -e "$lib" ]; then
		lib=$(printf '%s\n' /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.scudo_standalone-x86_64.so |
			sort -V | tail -n 1)
	fi
	printf '%s' "$lib"
}

# A Debian package's upstream version ("5.3.0"), or nothing.
version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed 's/^[0-9]*://; s/-[^-]*$//; s/+.*//' || true
}

# column ID -> "HEADING|LIBRARY|KZMALLOC_CHECK" (no library: glibc's own malloc)
column() {
	local v
	case $1 in
	glibc) echo "glibc $(getconf GNU_LIBC_VERSION | sed 's/^glibc //')||" ;;
	jemalloc)
		v=$(version libjemalloc2)
		echo "jemalloc${v:+ $v}|$libdir/libjemalloc.so.2|"
		;;
	mimalloc)
		v=$(version libmimalloc2.0)
		echo "mimalloc${v:+ $v}|$libdir/libmimalloc.so.2|"
		;;
	scudo)
		v=$(scudo_lib | sed -n 's|^/usr/lib/llvm-\([0-9]*\)/.*|\1|p')
		echo "scudo${v:+ (LLVM $v)}|$(scudo_lib)|"
		;;
	kzmalloc) echo "kzmalloc|$build/lib/libkzmalloc.so|" ;;
	kzmalloc-*) echo "kzmalloc \`${1#kzmalloc-}\`|$build/lib/libkzmalloc.so|${1#kzmalloc-}" ;;
	*)
		echo "$0: unknown column $1" >&2
		exit 2
		;;
	esac
}

# The rows: "NAME<TAB>PROGRAM<TAB>ARGS" for each misuse test that runs a program
# preloaded, from ctest's listing of the commands and their environments.
rows() {
	ctest --test-dir "$build" -N -V -L misuse | awk '
		/^[0-9]+: Test command: / {
			sub(/^[0-9]+: Test command: /, "")
			runner = $1
			sub(/^[^ ]+ /, "")
			cmd = $0
			preload = 0
			next
		}
		/^[0-9]+:  LD_PRELOAD=/ { preload = 1; next }
		/^ *Test +#[0-9]+: / {
			if (runner ~ /\/misuse_run$/ && preload) {
				gsub(/^"|"$/, "", cmd)
				n = split(cmd, arg, /" "/)
				first = arg[1] == "--segv" ? 2 : 3
				name = arg[first]
				sub(/.*\//, "", name)
				args = ""
				for (i = first + 1; i <= n; i++)
					args = args (args == "" ? "" : " ") arg[i]
				printf "%s\t%s\t%s\n", name, arg[first], args
			}
			runner = ""
		}' | LC_ALL=C sort -u
}

# The first line of tests/misuse/NAME.c (or .cc), without the comment marks.
describe() {
	sed -n '1{s|^/\* *||; s| *\*/ *$||; p}' "$here/$1".c* 2>/dev/null
}

# One line fit for a table cell: addresses as ADDR, pipes escaped, no
# backquotes, and a line longer than 72 characters cut at a word.
tidy() {
	local s
	s=$(printf '%s' "$1" | sed -E 's/0x[0-9a-fA-F]+/ADDR/g; s/[[:space:]]+$//; s/`/'"'"'/g')
	if [ ${#s} -gt 72 ]; then
		s=${s:0:68}
		s="${s% *} ..."
	fi
	printf '%s' "${s//|/\\|}"
}

# run_once LIBRARY CHECK PROGRAM ARGS...: what happened, in a few words, into
# $text; $stopped is 1 when the program was stopped (killed by a signal).
run_once() {
	local lib=$1 check=$2 err rc=0 msg sig
	shift 2
	stopped=0
	err=$(
		ulimit -c 0
		timeout -k 1 "$limit" env ${lib:+LD_PRELOAD="$lib"} ${check:+KZMALLOC_CHECK="$check"} \
			"$@" 2>&1 >/dev/null 0<&-
	) || rc=$?
	# The first line the allocator said: not the program's own "misuse went
	# undetected", nor timeout's note about a core.
	msg=$(printf '%s\n' "$err" | grep -v -e '^misuse went undetected$' -e '^timeout: ' -e '^$' |
		head -n 1 || true)
	msg=$(tidy "$msg")
	case $rc in
	124 | 137) text="hangs (killed after $limit s)" ;;
	3) # misuse_survived: the allocator let it pass, maybe with a warning
		text="not detected"
		[ -z "$msg" ] || text="\`$msg\`, went on"
		;;
	4) text=$msg ;; # misuse_unavailable: "free_sized: not in this C library"
	*)
		if [ "$rc" -le 128 ]; then
			text="exit $rc${msg:+ ($msg)}" # the program's own: "no block"
			return
		fi
		stopped=1
		sig=SIG$(kill -l $((rc - 128)))
		if [ -n "$msg" ]; then
			text="\`$msg\` ($sig)"
		elif [ "$sig" = SIGSEGV ]; then
			text="SIGSEGV at once"
		else
			text="crash ($sig)"
		fi
		;;
	esac
}

# cell LIBRARY CHECK PROGRAM ARGS...: run_once $runs times, since where a
# misuse lands can change with the address space's layout (ASLR). $text is the
# outcome, or the outcomes (the stops first) when the runs differ; $stopped is
# 2 when every run was stopped, 1 when some were, 0 when none.
cell() {
	local all="" stops=0 n
	for ((n = 0; n < runs; n++)); do
		run_once "$@"
		stops=$((stops + stopped))
		all+="$((1 - stopped)) $text"$'\n'
	done
	stopped=$((stops == runs ? 2 : stops > 0 ? 1 : 0))
	text=$(printf '%s' "$all" | LC_ALL=C sort -u | cut -d' ' -f2-)
	[[ $text != *$'\n'* ]] || text="${text//$'\n'/ or } (varies)"
}

# The columns: heading, library (none: glibc's own malloc), KZMALLOC_CHECK.
heads=() libs=() checks=()
IFS=, read -r -a ids <<<"$columns"
for id in "${ids[@]}"; do
	IFS='|' read -r head lib check <<<"$(column "$id")"
	heads+=("$head") libs+=("$lib") checks+=("$check")
done
stops=() some=() # per column: rows stopped in every run, in some runs
for i in "${!ids[@]}"; do stops[i]=0 some[i]=0; done

line='| program | misuse |'
rule='|---|---|'
for head in "${heads[@]}"; do
	line+=" $head |"
	rule+='---|'
done
echo "$line"
echo "$rule"
count=0
while IFS=$'\t' read -r name prog args; do
	row=$name${args:+ $args}
	if [ ${#only[@]} -gt 0 ]; then
		want=0
		for o in "${only[@]}"; do [ "$o" = "$row" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	count=$((count + 1))
	line="| \`$row\` | $(describe "$name" | sed 's/|/\\|/g') |"
	for i in "${!ids[@]}"; do
		if [ -n "${libs[i]}" ] && [ ! -e "${libs[i]}" ]; then
			line+=' not installed |'
			continue
		fi
		# shellcheck disable=SC2086 # the arguments are words
		cell "${libs[i]}" "${checks[i]}" "$prog" $args
		line+=" $text |"
		stops[i]=$((stops[i] + (stopped == 2)))
		some[i]=$((some[i] + (stopped == 1)))
	done
	echo "$line"
done < <(rows)
if [ $count = 0 ]; then
	echo "$0: no row: no such misuse test in $build (is it configured and built?)" >&2
	exit 1
fi

line='| | **stops** (a message or a fault) |'
for i in "${!ids[@]}"; do
	if [ -n "${libs[i]}" ] && [ ! -e "${libs[i]}" ]; then
		line+=' not installed |'
	else
		line+=" **${stops[i]} of $count**"
		[ "${some[i]}" = 0 ] || line+=" (and ${some[i]} in some runs)"
		line+=' |'
	fi
done
echo "$line"
