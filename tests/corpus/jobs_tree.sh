# jobs_tree.sh - sourced by corpus.sh and job.sh. The file-tree jobs, on a
# copy of /usr/include made once (about 8,000 files), and sort on 2,000,000
# generated lines. Each job's stdout is checksums of what it made or printed.
# shellcheck shell=bash disable=SC2154,SC2164 # sourced by job.sh: set -e, in, dir, m

corpus_inputs inputs_tree
inputs_tree() {
	cp -a /usr/include "$KZ_CORPUS_IN/tree"
	sort_lines 2000000 >"$KZ_CORPUS_IN/lines" # about 45 MB
}

listing() { # DIR: each entry's path, type, mode, mtime (and a file's size, a link's target), as a checksum
	(cd "$1" && find . \( -type d -printf '%p d %m %T@\n' \) -o -printf '%p %y %m %T@ %s %l\n' |
		sort | cksum)
}

contents() { # DIR: every file's bytes, in path order, as a checksum
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 cat | cksum)
}

corpus_job tree_rm 60
prep_tree_rm() { cp -a "$in/tree" t; }
job_tree_rm() {
	m rm -rf t
	[ ! -e t ] && echo removed
}

corpus_job tree_cp 60
job_tree_cp() {
	m cp -a "$in/tree" copy
	listing copy
	contents copy
}

corpus_job tree_find 60
job_tree_find() {
	m find "$in/tree" -printf '%P %y %s %m\n' | sort | cksum
	m find "$in/tree" -type f -name '*.h' -size +8k | sort | cksum
	m find "$in/tree" -depth -regex '.*/[a-z]+_[a-z0-9_]+\.h' -printf '%d %f\n' | sort | cksum
	m find "$in/tree" -type f -exec grep -l 'extern "C"' {} + | sort | cksum
}

corpus_job tree_du 60
job_tree_du() {
	m du -a "$in/tree" | sort -k2 | cksum
	m du -s -b "$in/tree" | cut -f 1
	m du --inodes -d 2 "$in/tree" | sort -k2 | cksum
}

corpus_job tree_tar 60
job_tree_tar() {
	mkdir x
	m tar -C "$in/tree" -cf - . | m tar -C x -xf -
	listing x
	m tar --sort=name --owner=0 --group=0 --numeric-owner -C x -cf - . | cksum
}

corpus_job sort_2m 90
job_sort_2m() {
	m sort "$in/lines" | cksum
	m sort -k2,2n -k1,1r "$in/lines" | cksum
}

corpus_job sort_merge 90
job_sort_merge() { # through temporary files in ., two threads
	m sort -S 16M -T . --parallel=2 -u -k3,3 -k1,1 "$in/lines" | cksum
}
