# jobs_python.sh - sourced by corpus.sh and job.sh. CPython's own regression
# tests (Debian's libpython3.11-testsuite) run by Debian's /usr/bin/python3
# with PYTHONMALLOC=malloc (corpus.sh), so every object comes from malloc.
# regrtest prints timings, so a job's stdout is only its summary (the result,
# the tests that failed, were skipped or changed the environment) and the
# list of tests that passed; the whole log goes to stderr. A test that hangs past 60 s has every thread's stack
# dumped by regrtest, which then exits 1.
# shellcheck shell=bash disable=SC2154,SC2164 # sourced by job.sh: set -e, in, dir, m

regrtest() { # TEST...: run them in one process, print the summary; regrtest's status
	local rc=0 summary t passed=
	m /usr/bin/python3 -m test --timeout 60 "$@" >log 2>&1 || rc=$?
	cat log >&2
	summary=$(sed -n '/^== Tests result:/,$p' log | grep -v '^Total duration:' || true)
	echo "$summary"
	# passed: those the summary does not name (it names failed, skipped, ... tests)
	if [ -n "$summary" ]; then
		for t; do
			grep -qw -- "$t" <<<"$summary" || passed+=" $t"
		done
	fi
	echo "passed:$passed"
	return "$rc"
}

corpus_job py_threading 120
job_py_threading() { regrtest test_threading; }

corpus_job py_threads 120
job_py_threads() { regrtest test_thread test_fork1 test_gc; }

corpus_job py_objects 120
job_py_objects() { regrtest test_weakref test_pickle test_json; }

corpus_job py_text 120
job_py_text() { regrtest test_re test_dict test_set test_unicode test_decimal; }

corpus_job py_native 120
job_py_native() { regrtest test_tracemalloc test_ctypes test_mmap test_bigmem; }
