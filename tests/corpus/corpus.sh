#!/usr/bin/env bash
# corpus.sh SOURCE_DIR BUILD_DIR [KZMALLOC_X=VALUE...] - the real-program
# corpus (ctest label corpus). Owns the loop and the verdict: every job of the
# jobs_*.sh files runs twice through job.sh, plain (glibc's malloc), then with
# BUILD_DIR/lib/libkzmalloc.so preloaded and the settings given. A job passes
# when both runs exit the same way with the same stdout, and every command it
# measured peaked at most 1.5 x its plain RSS + 8 MiB with kzmalloc. One line
# per job: name, plain and kzmalloc wall time, the largest peak RSS of each
# run, verdict; a failed job's stderr follows. Exit 1 if any job failed.
# KZ_CORPUS_JOBS=REGEX runs only the jobs whose names match. Inputs are made
# once, without kzmalloc, in a scratch directory (in /dev/shm where it has
# room) removed at exit, or kept with KZ_CORPUS_KEEP=1 with each run's
# stdout, stderr and RSS lines.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
here=$src/tests/corpus
lib=$build/lib/libkzmalloc.so
for setting in "$@"; do
	case $setting in
	KZMALLOC_*=*) ;;
	*)
		echo "corpus: not a KZMALLOC_ setting: $setting" >&2
		exit 2
		;;
	esac
done
if [ ! -f "$lib" ]; then
	echo "corpus: $lib not found (build first)"
	exit 1
fi

# The scratch directory: in /dev/shm where it has room (tmpfs: the copies of
# the tree cost the file system a fifth of what they cost on disk), else TMPDIR.
scratch=${TMPDIR:-/tmp}
if [ -w /dev/shm ] && [ "$(df -P -k /dev/shm | awk 'NR == 2 { print $4 }')" -gt 4194304 ]; then
	scratch=/dev/shm
fi
work=$(mktemp -d "$scratch/kzcorpus.XXXXXX")
running= # the process group of the job now running (timeout leads it)
cleanup() {
	local f
	trap - EXIT INT TERM
	[ -z "$running" ] || kill -KILL -- "-$running" 2>/dev/null || true
	for f in "$work"/*/*.pid; do # servers a job left behind (jobs_redis.sh)
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
	if [ -n "${KZ_CORPUS_KEEP:-}" ]; then
		echo "corpus: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What every run sees (job.sh adds the preload): the system's programs first,
# C locale, UTC, a home and temporary directory in the scratch directory, no
# user or system git configuration, fixed identities and dates, and Python
# allocating every object with malloc, its hash seed fixed.
. "$src/tests/programs/setting.sh"
program_setting "$work"
export KZ_CORPUS_HERE=$here KZ_CORPUS_IN=$work/in KZ_CORPUS_LIB=$lib
export KZ_CORPUS_SETTINGS="$*"
mapfile -t settings < <(compgen -e KZMALLOC_ || true)
unset LD_PRELOAD "${settings[@]}"
mkdir -p "$HOME" "$TMPDIR" "$KZ_CORPUS_IN"

# The job files register their inputs and jobs with these two.
inputs=()
jobs=()
corpus_inputs() { inputs+=("$1"); }
corpus_job() { jobs+=("$1 $2"); } # NAME LIMIT: job_NAME, killed after LIMIT seconds
for f in "$here"/jobs_*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done

# spawn LIMIT CMD...: run CMD in a process group of its own (timeout's), killed
# with all it started after LIMIT seconds, and anything of it still there
# when it is done (a server a job failed to stop); sets rc (124: timed out).
spawn() {
	local limit=$1
	shift
	timeout -k 5 "$limit" "$@" </dev/null &
	running=$!
	rc=0
	wait "$running" || rc=$?
	kill -KILL -- "-$running" 2>/dev/null || true
	running=
}

now() { echo "${EPOCHREALTIME/./}"; }
seconds() { printf '%d.%02ds' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.1fM", k / 1024 }' || echo -; }
peak() { [ -s "$1" ] && sort -n "$1" | tail -n 1 | cut -f 1 || true; } # largest RSS in KiB

# rss_over PLAIN KZ: the commands whose kzmalloc peak passes 1.5 x plain + 8 MiB,
# paired by command line and by turn among equal command lines; and any
# command of one run the other did not run.
rss_over() {
	awk -F '\t' '
		{ key = $2 SUBSEP n[FILENAME, $2]++ }
		FILENAME == ARGV[1] { plain[key] = $1; next }
		!(key in plain) { printf "%s: run with kzmalloc only\n", $2; next }
		{ p = plain[key]; delete plain[key] }
		$1 > 1.5 * p + 8192 { printf "%s: %.1fM, plain %.1fM\n", $2, $1 / 1024, p / 1024 }
		END { for (key in plain) { split(key, f, SUBSEP); printf "%s: run without kzmalloc only\n", f[1] } }
		' "$1" "$2"
}

failed=0
verdict() { # NAME LINE WHY [FILE]: one failed job, with the tail of FILE
	printf '%s FAIL: %s\n' "$2" "$3"
	if [ -n "${4:-}" ] && [ -s "$4" ]; then
		echo "  --- stderr ($(basename "$4")):"
		tail -n 40 "$4" | sed 's/^/  /'
	fi
	failed=$((failed + 1))
}

# check NAME LIMIT: job NAME plain then with kzmalloc, each in a fresh directory.
check() {
	local name=$1 limit=$2 mode t0 line over
	local -A rcs times
	for mode in plain kz; do
		mkdir "$work/$name.$mode"
		spawn "$limit" "$here/job.sh" prep "$name" "$mode" "$work/$name.$mode" \
			>"$work/$name.$mode.prep" 2>&1
		if [ "$rc" -ne 0 ]; then
			verdict "$name" "$(printf '%-14s' "$name")" "preparing it exits $rc" \
				"$work/$name.$mode.prep"
			rm -rf "$work/$name".*/
			return
		fi
		t0=$(now)
		spawn "$limit" "$here/job.sh" run "$name" "$mode" "$work/$name.$mode" \
			>"$work/$name.$mode.out" 2>"$work/$name.$mode.err"
		times[$mode]=$(($(now) - t0))
		rcs[$mode]=$rc
		touch "$work/$name.$mode/rss"
		cp "$work/$name.$mode/rss" "$work/$name.$mode.rss"
		rm -rf "${work:?}/$name.$mode" # the copies of the tree are big
	done
	local p=$work/$name.plain k=$work/$name.kz
	line=$(printf '%-14s %8s %8s %10s %10s' "$name" "$(seconds "${times[plain]}")" \
		"$(seconds "${times[kz]}")" "$(mib "$(peak "$p.rss")")" "$(mib "$(peak "$k.rss")")")
	if [ "${rcs[plain]}" -ne 0 ]; then
		verdict "$name" "$line" "exits ${rcs[plain]} without kzmalloc" "$p.err"
	elif [ "${rcs[kz]}" -eq 124 ] || [ "${rcs[kz]}" -eq 137 ]; then
		verdict "$name" "$line" "timed out with kzmalloc (limit ${limit}s)" "$k.err"
	elif [ "${rcs[kz]}" -ne 0 ]; then
		verdict "$name" "$line" "exits ${rcs[kz]} with kzmalloc, 0 without" "$k.err"
	elif ! cmp -s "$p.out" "$k.out"; then
		diff "$p.out" "$k.out" | head -n 20 >>"$k.err" || true
		verdict "$name" "$line" "stdout differs with kzmalloc (diff at the end)" "$k.err"
	elif over=$(rss_over "$p.rss" "$k.rss") && [ -n "$over" ]; then
		echo "$over" >>"$k.err"
		verdict "$name" "$line" "peak RSS over 1.5 x plain + 8 MiB (commands at the end)" "$k.err"
	else
		echo "$line ok"
	fi
}

echo "corpus: kzmalloc settings: ${KZ_CORPUS_SETTINGS:-default}"
t0=$(now)
for f in "${inputs[@]}"; do
	spawn 300 "$here/job.sh" inputs "$f" plain "$KZ_CORPUS_IN" >"$work/inputs.log" 2>&1
	if [ "$rc" -ne 0 ]; then
		echo "corpus: making the inputs failed ($f exits $rc):"
		tail -n 20 "$work/inputs.log"
		exit 1
	fi
done
echo "corpus: inputs made in $(seconds $(($(now) - t0)))"
printf '%-14s %8s %8s %10s %10s %s\n' job plain kzmalloc 'plain RSS' 'kz RSS' verdict
ran=0
for spec in "${jobs[@]}"; do
	read -r name limit <<<"$spec"
	[[ $name =~ ${KZ_CORPUS_JOBS:-.} ]] || continue
	check "$name" "$limit"
	ran=$((ran + 1))
done
echo "corpus: $ran jobs in $(seconds $(($(now) - t0))), $failed failed"
[ "$failed" -eq 0 ]
