# setting.sh - sourced by tests/programs/run_programs.sh and tests/corpus/corpus.sh:
# the one setting real programs run in, so every run gives the same answer, and
# the one generator of sort's input.
#
# program_setting WORK: the system's programs first, C locale, UTC, a home and a
# temporary directory under WORK, no user or system git configuration, fixed git
# identities and dates, and Python allocating every object with malloc (rather
# than its own arenas), its hash seed fixed.
program_setting() {
	export PATH=/usr/bin:/bin:$PATH LC_ALL=C TZ=UTC HOME=$1/home TMPDIR=$1/tmp
	export PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_COUNT=2 \
		GIT_CONFIG_KEY_0=init.defaultBranch GIT_CONFIG_VALUE_0=main \
		GIT_CONFIG_KEY_1=gc.auto GIT_CONFIG_VALUE_1=0 \
		GIT_AUTHOR_NAME=kzmalloc GIT_AUTHOR_EMAIL=kzmalloc@example.org \
		GIT_COMMITTER_NAME=kzmalloc GIT_COMMITTER_EMAIL=kzmalloc@example.org \
		GIT_AUTHOR_DATE=2024-01-01T00:00:00Z GIT_COMMITTER_DATE=2024-01-01T00:00:00Z
}

# sort_lines N: N lines of a hex key, a number and a word (45 MB for 2,000,000), the same every time.
sort_lines() {
	awk -v n="$1" 'BEGIN {
		s = 42
		for (i = 0; i < n; i++) {
			s = (s * 1103515245 + 12345) % 2147483648
			t = (s * 1103515245 + 12345) % 2147483648
			printf "%08x %d %s\n", s, t % 100000, substr("abcdefghijklmnopqrstuvwxyz", s % 26 + 1, t % 20 + 1)
		}
	}'
}
