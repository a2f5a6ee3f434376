# jobs_git.sh - sourced by corpus.sh and job.sh. The git jobs, on the
# kernel's and libstdc++'s headers of /usr/include (about 1,500 files):
# git_commit builds a repository itself; the others work on a copy of one
# made once without kzmalloc, with seven commits (edits, a rename, deletions),
# packed but for the last two. Dates and identities are fixed (corpus.sh), so
# every commit id is the same in each run.
# shellcheck shell=bash disable=SC2154,SC2164 # sourced by job.sh: set -e, in, dir, m

git_headers() { # DIR: copy the headers into DIR
	mkdir "$1"
	cp -a /usr/include/linux /usr/include/c++ "$1"/
}

git_edit() { # N: edit every third file (a line at the top, another at line 7N), commit on day N
	git ls-files | awk -v n="$1" 'NR % 3 == n % 3' | xargs sed -i -e "1i /* edit $1 */" \
		-e "$(($1 * 7))s|\$| /* $1 */|"
	GIT_AUTHOR_DATE=2024-01-0${1}T12:00:00Z GIT_COMMITTER_DATE=2024-01-0${1}T12:00:00Z \
		git commit -q -a -m "edit $1"
}

corpus_inputs inputs_git
inputs_git() {
	local n
	git_headers "$KZ_CORPUS_IN/repo"
	cd "$KZ_CORPUS_IN/repo"
	n=$(find . -type f | wc -l)
	if [ "$n" -lt 1000 ]; then
		echo "inputs_git: only $n headers in linux/ and c++/ (want 1,000 or more)"
		return 1
	fi
	git init -q
	git add .
	git commit -q -m headers
	git_edit 1
	git_edit 2
	git mv linux/netfilter linux/nf
	git rm -q -r linux/usb
	git_edit 3
	git_edit 4
	git repack -a -d -q
	git_edit 5
	git_edit 6
}

corpus_job git_commit 90
prep_git_commit() { git_headers w; }
job_git_commit() {
	cd w
	m git init -q
	m git add .
	m git commit -q -m headers
	for i in 1 2 3; do
		git ls-files | awk -v n="$i" 'NR % 5 == n' | xargs sed -i "s/#define/# define/"
		m git add -u
		m git commit -q -m "edit $i"
	done
	m git rev-parse HEAD
	m git count-objects -v | grep -E '^(count|in-pack|packs):'
	m git diff --stat HEAD~3 | cksum
}

prep_git_repo() { cp -a "$in/repo" r; }

corpus_job git_log 90
prep_git_log() { prep_git_repo; }
job_git_log() {
	cd r
	m git rev-parse HEAD
	m git log -p | cksum
	m git log --stat -M --format='%H %ad %s' | cksum
	m git log --follow -p -- linux/nf/x_tables.h | cksum
	m git diff -M HEAD~6 HEAD | cksum
}

corpus_job git_blame 90
prep_git_blame() { prep_git_repo; }
job_git_blame() {
	cd r
	local f
	for f in $(git ls-files linux/nf | head -n 40); do # renamed, and edited before and after
		m git blame -s -M "$f"
	done | cksum
	m git blame -s -C -C linux/input.h | cksum
	m git blame -s -C -C c++/12/bits/stl_tree.h | cksum
}

corpus_job git_grep 90
prep_git_grep() { prep_git_repo; }
job_git_grep() {
	cd r
	m git grep -n -E 'struct [a-z_]+ \{' | cksum
	m git grep -c -i -e define -e include HEAD~3 | cksum
	m git grep -l -F -e template -e __u32 HEAD~6 | cksum
	m git grep -n -w -P '(?:const|static)\s+\w+\s*\*' -- 'c++/*' | cksum
}

corpus_job git_repack 120
prep_git_repack() { prep_git_repo; }
job_git_repack() {
	cd r
	m git repack -a -d -f -q --threads=2 --window=20 --depth=20
	m git count-objects -v | grep -E '^(count|in-pack|packs):'
	m git rev-list --all --objects | sort | cksum
}

corpus_job git_gc_fsck 120
prep_git_gc_fsck() { prep_git_repo; }
job_git_gc_fsck() {
	cd r
	m git gc -q --prune=now
	m git count-objects -v | grep -E '^(count|in-pack|packs|garbage):'
	m git fsck --full --strict --no-progress
	m git cat-file --batch-all-objects --batch-check | sort | cksum
}
