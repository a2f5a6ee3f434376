/*
 * stats.c - the statistics report (KZMALLOC_STATS), in the formats people already read: a header
 * line (program, PID, run time, peak RSS), the counters (vmstat.h), a /proc/slabinfo table (one
 * row per kmalloc cache in use), a /proc/buddyinfo line of free blocks per order, the pool's
 * pages, with KZMALLOC_CHECK=zero-size the no-access regions (address space only, never counted
 * as heap) and the zero-size pointers live in them, and last the same numbers as one JSON object.
 * Every line but the JSON one starts with "kzmalloc ", the JSON one with {"kzmalloc":, so that
 * a report can be picked out of a stderr it shares with the program and other processes.
 *
 * Formatted with snprintf (no allocation) into a buffer on the caller's stack, one per call, and
 * written with write(2) whenever it fills, in whole lines, each write at most PIPE_BUF bytes
 * (atomic on a pipe, and at the end of a file opened O_APPEND): two reports written at once may
 * alternate runs of lines, as glibc's malloc_stats does, but never share a buffer or split a
 * line. No locks of its own: each number comes from its owner, read directly (not through
 * kz_get_pool_stats, which starts the library: the report is printed by init.c's destructor, and
 * the layers it calls never call up into it).
 *
 * Owns where the report goes: with KZMALLOC_STATS=1 a private copy of stderr, taken at start-up,
 * because programs such as coreutils close stderr in their own exit handlers, which run before
 * library destructors; with KZMALLOC_STATS=FILE the file, opened at exit (so that a forked child
 * writes its own, under its own PID), relative to the directory of start-up, whose descriptor is
 * kept for that. Both descriptors are placed high and close-on-exec, out of the program's way.
 * Written once at start-up (and in a forked child, by its one thread), read at exit.
 */
#include "stats.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buddy.h"
#include "clear.h"
#include "fatal.h"
#include "harden.h"
#include "huge.h"
#include "kzmalloc.h"
#include "meta.h"
#include "options.h"
#include "slab.h"
#include "vg.h"
#include "vmstat.h"
#include "zero_size.h"

/* Where the report's descriptors go: above what programs use. */
#define STATS_FD_MIN 512

KZ_RO_AFTER_INIT static int stats_fd = -1;     /* KZMALLOC_STATS=1: stderr's copy */
KZ_RO_AFTER_INIT static int stats_dir_fd = -1; /* KZMALLOC_STATS=FILE: the directory of start-up */
static struct timespec stats_start;	       /* the run time counts from here */

void stats_init(void)
{
	clock_gettime(CLOCK_MONOTONIC, &stats_start);
	if (!kz_opt.stats)
		return;
	vmstat_init();
	stats_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, STATS_FD_MIN);
	if (kz_stats_file[0] && kz_stats_file[0] != '/') {
		int dir = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (dir >= 0) {
			stats_dir_fd = fcntl(dir, F_DUPFD_CLOEXEC, STATS_FD_MIN);
			close(dir);
		}
	}
}

void stats_fork_child(void)
{
	clock_gettime(CLOCK_MONOTONIC, &stats_start);
	vmstat_fork_child();
}

/* Small enough for any thread's stack; whole lines of it go out at once, at most PIPE_BUF bytes. */
struct report {
	int fd;
	size_t len;	 /* bytes in buf */
	size_t line_end; /* bytes of buf up to its last newline: what a flush writes */
	char buf[2048];
};

static_assert(sizeof(((struct report *) 0)->buf) <= PIPE_BUF, "a flush is one atomic write");

/* Write the whole lines, keep the unfinished one. */
static void report_flush(struct report *r)
{
	kz_write_all(r->fd, r->buf, r->line_end);
	memmove(r->buf, r->buf + r->line_end, r->len - r->line_end);
	r->len -= r->line_end;
	r->line_end = 0;
}

__attribute__((format(printf, 2, 3))) static void report_add(struct report *r, const char *fmt, ...)
{
	char piece[1024];
	const char *nl;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t) n >= sizeof(piece))
		n = sizeof(piece) - 1;
	if (r->len + (size_t) n > sizeof(r->buf))
		report_flush(r);
	if (r->len + (size_t) n > sizeof(r->buf)) /* a line longer than the buffer: cut */
		n = (int) (sizeof(r->buf) - r->len);
	memcpy(r->buf + r->len, piece, (size_t) n);
	nl = memrchr(piece, '\n', (size_t) n);
	r->len += (size_t) n;
	if (nl)
		r->line_end = r->len - (size_t) n + (size_t) (nl - piece) + 1;
}

/* kmalloc-<size>, in KiB when it is a whole number of them, as the kernel names them. */
static void cache_name(char *name, size_t len, unsigned size)
{
	if (size >= 1024 && size % 1024 == 0)
		snprintf(name, len, "kmalloc-%uk", size / 1024);
	else
		snprintf(name, len, "kmalloc-%u", size);
}

/*
 * The program's name, as ps shows it (/proc/self/comm; the whole of argv[0]'s basename where comm
 * is the kernel's 15-byte cut of it), else its executable's basename, else "?"; read without
 * allocating. Anything but printable ASCII, a quote, a backslash or a slash
 * becomes '_', so that the name goes into a line, a JSON string and a file name as it is.
 */
static void program_name(char *name, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = -1;
	int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, name, len - 1);
		close(fd);
		while (n > 0 && name[n - 1] == '\n')
			n--;
	}
	if (n == 15 && !strncmp(program_invocation_short_name, name, 15)) {
		n = (ssize_t) strnlen(program_invocation_short_name, len - 1);
		memcpy(name, program_invocation_short_name, (size_t) n);
	}
	if (n <= 0) {
		ssize_t p = readlink("/proc/self/exe", path, sizeof(path) - 1);
		const char *base;

		path[p > 0 ? p : 0] = '\0';
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		n = (ssize_t) strnlen(base, len - 1);
		memcpy(name, base, (size_t) n);
	}
	if (n <= 0)
		name[n++] = '?';
	name[n] = '\0';
	for (char *c = name; *c; c++)
		if (*c <= ' ' || *c > '~' || *c == '"' || *c == '\\' || *c == '/')
			*c = '_';
}

/* Everything the report prints, gathered first: the text and the JSON line show the same. */
struct report_data {
	char program[64];
	long pid;
	double run_time;	      /* seconds since start-up (or the fork) */
	long peak_rss_kib;	      /* getrusage's ru_maxrss */
	bool counting;		      /* KZMALLOC_STATS is on: the counters count */
	struct vm_totals vm;	      /* the counters */
	unsigned long mallocs, frees; /* of every kind */
	unsigned long zeroed_by_free; /* bytes: class objects' and the other kinds' */
	unsigned long class_allocs;   /* of the mallocs, class objects */
	unsigned long hits;	      /* of those, popped from the thread's stack */
	size_t peak_pages;	      /* the most pages held: pool pages handed out, mappings */
	struct kz_pool_stats st;
	size_t metadata;
};

static void report_gather(struct report_data *d)
{
	struct rusage ru;
	struct timespec now;

	program_name(d->program, sizeof(d->program));
	d->pid = (long) getpid();
	clock_gettime(CLOCK_MONOTONIC, &now);
	d->run_time = (double) (now.tv_sec - stats_start.tv_sec) +
		      (double) (now.tv_nsec - stats_start.tv_nsec) / 1e9;
	d->peak_rss_kib = getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_maxrss;
	d->counting = kz_opt.stats;
	vmstat_sum(&d->vm);
	d->class_allocs = 0;
	d->frees = d->vm.event[VM_FREE];
	d->zeroed_by_free = d->vm.event[VM_ZEROED_FREE];
	/* A forked child's own: what it inherited is the parent's to report. */
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		unsigned long freed = d->vm.class_free[cls] - d->vm.class_free_inherited[cls];

		d->class_allocs += d->vm.class_alloc[cls] - d->vm.class_alloc_inherited[cls];
		d->frees += freed;
		d->zeroed_by_free += freed * clear_class_bytes(cls);
	}
	d->mallocs = d->vm.event[VM_MALLOC] + d->class_allocs;
	d->hits = d->class_allocs > d->vm.event[VM_TCACHE_MISS]
			  ? d->class_allocs - d->vm.event[VM_TCACHE_MISS]
			  : 0;
	d->peak_pages = vmstat_held_peak();
	memset(&d->st, 0, sizeof(d->st));
	buddy_stats(&d->st);
	huge_stats(&d->st);
	d->metadata = meta_mapped();
}

/* Tenths of a percent of @part in @whole, for "95.3%". */
static unsigned long permille(unsigned long part, unsigned long whole)
{
	return whole ? (unsigned long) ((double) part * 1000.0 / (double) whole + 0.5) : 0;
}

static void report_counters(struct report *r, const struct report_data *d)
{
	const unsigned long *ev = d->vm.event;
	unsigned long rate = permille(d->hits, d->class_allocs);
	/* why every class object is a miss, where no thread has a cache */
	const char *none = vg_memcheck		 ? "; no thread caches under memcheck"
			   : harden_quarantine() ? "; no thread caches with the quarantine"
						 : "";

	if (!d->counting) {
		report_add(r, "kzmalloc counters: off (KZMALLOC_STATS counts)\n");
		return;
	}
	report_add(r,
		   "kzmalloc counters: mallocs %lu, frees %lu, reallocs %lu, bytes requested %lu, "
		   "thread-cache hits %lu of %lu (%lu.%lu%%%s)\n",
		   d->mallocs, d->frees, ev[VM_REALLOC], ev[VM_BYTES_REQUESTED], d->hits,
		   d->class_allocs, rate / 10, rate % 10, none);
	report_add(
		r,
		"kzmalloc counters: slabs made %lu, pool grows %lu, peak in use %zu pages, bytes "
		"zeroed %lu (by free %lu, by the purger %lu, at allocation %lu), bytes purged "
		"%zu, bytes unmapped %lu\n",
		ev[VM_SLAB_NEW], ev[VM_POOL_GROW], d->peak_pages,
		d->zeroed_by_free + ev[VM_ZEROED_PURGER] + ev[VM_ZEROED_ALLOC], d->zeroed_by_free,
		ev[VM_ZEROED_PURGER], ev[VM_ZEROED_ALLOC], d->st.pages_purged << KZ_PAGE_SHIFT,
		ev[VM_HUGE_UNMAPPED]);
}

/*
 * A class's objects the program holds: with the counters, exactly its mallocs less its frees;
 * without, slab_info's (the thread caches' objects counted in).
 */
static size_t class_active(const struct report_data *d, unsigned cls, const struct slab_info *info)
{
	unsigned long in = d->vm.class_alloc[cls], out = d->vm.class_free[cls];

	if (!d->counting)
		return info->active_objs;
	return in > out ? in - out : 0;
}

static void report_slabinfo(struct report *r, const struct report_data *d)
{
	report_add(r, "kzmalloc slabinfo: %-14s %10s %10s %8s %11s %12s\n", "# name", "active_objs",
		   "num_objs", "objsize", "objperslab", "pagesperslab");
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct slab_info info;
		char name[24];

		slab_info(cls, &info);
		if (!info.num_objs)
			continue;
		cache_name(name, sizeof(name), kz_class_size[cls]);
		report_add(r, "kzmalloc slabinfo: %-14s %10zu %10zu %8u %11u %12u\n", name,
			   class_active(d, cls, &info), info.num_objs, kz_class_size[cls],
			   info.objs_per_slab, info.pages_per_slab);
	}
}

static void report_pool(struct report *r, const struct report_data *d)
{
	const struct kz_pool_stats *st = &d->st;

	report_add(r, "kzmalloc buddyinfo: pool ");
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++)
		report_add(r, " %6zu", st->free_blocks[order]);
	report_add(
		r,
		"\nkzmalloc pool: chunks %zu, pages mapped %zu, in use %zu (slab %zu, large %zu), "
		"free %zu (resident %zu, dirty %zu), zeroed %zu, purged %zu, chunks unmapped "
		"%zu, huge mappings %zu (%zu KiB), of them cached %zu (%zu KiB), metadata %zu "
		"KiB\n",
		st->chunks, st->pages_mapped, st->pages_in_use, st->pages_slab, st->pages_large,
		st->pages_mapped - st->pages_in_use, st->pages_resident, st->pages_dirty,
		st->pages_zeroed, st->pages_purged, st->chunks_unmapped, st->huge_mappings,
		st->huge_bytes >> 10, st->huge_cached, st->huge_cached_bytes >> 10,
		d->metadata >> 10);
}

/* The same numbers as one JSON object on one line: the counters only when they count. */
static void report_json(struct report *r, const struct report_data *d)
{
	const unsigned long *ev = d->vm.event;
	const struct kz_pool_stats *st = &d->st;

	report_add(r,
		   "{\"kzmalloc\":1,\"program\":\"%s\",\"pid\":%ld,\"run_time_s\":%.3f,"
		   "\"peak_rss_kib\":%ld,\"counting\":%s",
		   d->program, d->pid, d->run_time, d->peak_rss_kib,
		   d->counting ? "true" : "false");
	if (d->counting)
		report_add(
			r,
			",\"mallocs\":%lu,\"frees\":%lu,\"reallocs\":%lu,\"bytes_requested\":%lu,"
			"\"tcache_hits\":%lu,\"class_mallocs\":%lu,\"slabs_made\":%lu,"
			"\"pool_grows\":%lu,\"peak_pages_in_use\":%zu,\"zeroed_by_free\":%lu,"
			"\"zeroed_by_purger\":%lu,\"zeroed_at_alloc\":%lu,\"bytes_unmapped\":%lu",
			d->mallocs, d->frees, ev[VM_REALLOC], ev[VM_BYTES_REQUESTED], d->hits,
			d->class_allocs, ev[VM_SLAB_NEW], ev[VM_POOL_GROW], d->peak_pages,
			d->zeroed_by_free, ev[VM_ZEROED_PURGER], ev[VM_ZEROED_ALLOC],
			ev[VM_HUGE_UNMAPPED]);
	report_add(r,
		   ",\"chunks\":%zu,\"pages_mapped\":%zu,\"pages_in_use\":%zu,\"pages_slab\":%zu,"
		   "\"pages_large\":%zu,\"pages_free\":%zu,\"pages_resident\":%zu,"
		   "\"pages_dirty\":%zu,\"pages_zeroed\":%zu,\"pages_purged\":%zu,"
		   "\"chunks_unmapped\":%zu,\"huge_mappings\":%zu,\"huge_bytes\":%zu,"
		   "\"huge_cached\":%zu,\"huge_cached_bytes\":%zu,\"metadata_bytes\":%zu}\n",
		   st->chunks, st->pages_mapped, st->pages_in_use, st->pages_slab, st->pages_large,
		   st->pages_mapped - st->pages_in_use, st->pages_resident, st->pages_dirty,
		   st->pages_zeroed, st->pages_purged, st->chunks_unmapped, st->huge_mappings,
		   st->huge_bytes, st->huge_cached, st->huge_cached_bytes, d->metadata);
}

void kz_stats_print(int fd)
{
	struct report r = {.fd = fd, .len = 0, .line_end = 0};
	struct report_data d;

	report_gather(&d);
	report_add(&r, "kzmalloc report: program %s, pid %ld, run time %.3f s, peak RSS %ld KiB\n",
		   d.program, d.pid, d.run_time, d.peak_rss_kib);
	report_counters(&r, &d);
	report_slabinfo(&r, &d);
	report_pool(&r, &d);
	if (kz_opt.check & KZ_CHECK_ZERO_SIZE) {
		size_t regions, live;

		zero_size_stats(&regions, &live);
		report_add(&r, "kzmalloc zero-size: regions %zu (%zu KiB no access), live %zu\n",
			   regions, regions * (KZ_CHUNK_SIZE >> 10), live);
	}
	report_json(&r, &d);
	r.line_end = r.len;
	report_flush(&r);
}

/* KZMALLOC_STATS=FILE's name for this process into @path: %p the PID, %n the program, %% a %. */
static bool stats_file_name(char *path, size_t len)
{
	char name[64], num[24];
	size_t n = 0;

	program_name(name, sizeof(name));
	snprintf(num, sizeof(num), "%ld", (long) getpid());
	for (const char *s = kz_stats_file; *s; s++) {
		const char *piece = s, *with = NULL;
		size_t plen = 1;

		if (s[0] == '%' && (s[1] == 'p' || s[1] == 'n' || s[1] == '%')) {
			with = s[1] == 'p' ? num : s[1] == 'n' ? name : "%";
			s++;
		}
		if (with) {
			piece = with;
			plen = strlen(with);
		}
		if (n + plen >= len)
			return false;
		memcpy(path + n, piece, plen);
		n += plen;
	}
	path[n] = '\0';
	return true;
}

/* The report's file, opened for appending (several processes may share one name), or -1. */
static int stats_file_open(void)
{
	char path[PATH_MAX];
	int fd;

	if (!stats_file_name(path, sizeof(path))) {
		errno = ENAMETOOLONG;
		fd = -1;
	} else {
		fd = openat(stats_dir_fd >= 0 ? stats_dir_fd : AT_FDCWD, path,
			    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	}
	if (fd < 0) {
		const char *err = strerrorname_np(errno);
		struct report r = {.fd = stats_fd >= 0 ? stats_fd : STDERR_FILENO};

		report_add(&r, "kzmalloc: warning: cannot open KZMALLOC_STATS=%s: %s (no report)\n",
			   kz_stats_file, err ? err : "error");
		report_flush(&r);
	}
	return fd;
}

void stats_exit(void)
{
	int fd;

	if (!kz_opt.stats)
		return;
	if (!kz_stats_file[0]) {
		kz_stats_print(stats_fd >= 0 ? stats_fd : STDERR_FILENO);
		return;
	}
	fd = stats_file_open();
	if (fd < 0)
		return;
	kz_stats_print(fd);
	close(fd);
}
