#!/usr/bin/env bash
# job.sh prep|run|inputs NAME plain|kz DIR - one run of one corpus job, in
# DIR, for corpus.sh (which sets the environment and the time limit). prep
# runs prep_NAME if there is one (setup, never preloaded or measured); run
# runs job_NAME; inputs runs the inputs function NAME (in DIR, the inputs
# directory, plain); each under set -e. Owns m, the one way a job runs the
# program under test: preloaded in the kz run, and measured.
set -euo pipefail
stage=$1 name=$2 mode=$3 dir=$4
in=$KZ_CORPUS_IN
here=$KZ_CORPUS_HERE
corpus_inputs() { :; }
corpus_job() { :; }
# shellcheck source=../programs/setting.sh
. "$here/../programs/setting.sh" # sort_lines
for f in "$here"/jobs_*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done

preload=
if [ "$mode" = kz ]; then
	preload=$KZ_CORPUS_LIB
	for setting in $KZ_CORPUS_SETTINGS; do
		export "${setting?}"
	done
fi

# m CMD [ARGS...]: run CMD (with libkzmalloc.so preloaded in the kz run) and
# append a line to DIR/rss: its peak RSS in KiB (GNU time: the largest of CMD
# and each of its descendants), a tab, the command line (with $in and DIR
# written so, the same in both runs). Returns CMD's status. In a pipeline
# each command is its own m.
m() {
	local t=$dir/.rss.$BASHPID rc=0 cmd=$*
	/usr/bin/time -q -f %M -o "$t" env ${preload:+"LD_PRELOAD=$preload"} "$@" || rc=$?
	cmd=${cmd//"$in"/\$in}
	printf '%s\t%.60s\n' "$(tail -n 1 "$t" 2>/dev/null)" "${cmd//"$dir"/DIR}" >>"$dir/rss"
	rm -f "$t"
	return "$rc"
}

cd "$dir"
case $stage in
prep) if declare -F "prep_$name" >/dev/null; then "prep_$name"; fi ;;
run) "job_$name" ;;
inputs) "$name" ;;
*)
	echo "usage: job.sh prep|run|inputs NAME plain|kz DIR" >&2
	exit 2
	;;
esac
