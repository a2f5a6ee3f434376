/*
 * fuzz_malloc.c - a libFuzzer harness for the kz_ API, checked against a
 * shadow model.
 *
 * The input is a sequence of operations, one opcode byte and its argument
 * bytes each (missing bytes read as zero): malloc, calloc, realloc,
 * reallocarray, aligned_alloc, memalign, posix_memalign, valloc, pvalloc,
 * free, free_sized, free_aligned_sized, a free by another thread, a trim,
 * a usable-size check, page blocks (kz_alloc_pages / kz_free_pages), and
 * OS faults armed for the calls that follow (it needs a KZ_FAULT_INJECTION
 * build).
 * Objects live in SLOTS slots; an allocation into a taken slot frees the
 * old object first.
 *
 * The model knows each object's size, alignment, usable size, the pattern
 * it was filled with and how far into it anything was ever written, and
 * checks after every operation that:
 *   - a new object is aligned, has at least the usable size asked for, and
 *     overlaps no other live object (nor a live page block);
 *   - the zero contract (KZMALLOC_INIT=free, the default): every byte of an
 *     object's usable size that the program never wrote reads zero, for a
 *     fresh object and after realloc alike;
 *   - contents are preserved: by realloc up to the smaller size, and in
 *     every object until it is freed, whatever happened to the others;
 *   - a failure is NULL with ENOMEM (posix_memalign: the code, errno kept),
 *     and happens only for an impossible size or while faults are armed.
 * Every input ends with everything freed; in a debug build the pool's
 * invariants are then checked (buddy_verify).
 *
 * The allocator's state (cached chunks, thread caches) carries over from
 * one input to the next, as in any long-lived process, so a crash may need
 * the inputs run before it to reproduce; -runs on the crashing input alone
 * usually does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "kzmalloc.h"
#include "os.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

enum { SLOTS = 48, MAX_OPS = 400 };

/* Objects this big are filled and checked on samples, not whole. */
#define WHOLE_LIMIT (256 * KIB)
#define SAMPLE	    512
#define STRIDE	    (16 * KIB)

enum op {
	OP_MALLOC,
	OP_CALLOC,
	OP_REALLOC,
	OP_REALLOCARRAY,
	OP_ALIGNED_ALLOC,
	OP_MEMALIGN,
	OP_POSIX_MEMALIGN,
	OP_VALLOC,
	OP_PVALLOC,
	OP_FREE,
	OP_FREE_SIZED,
	OP_FREE_ALIGNED_SIZED,
	OP_REMOTE_FREE,
	OP_TRIM,
	OP_USABLE,
	OP_PAGES,
	OP_FAULT,
	NR_OPS
};

struct slot {
	unsigned char *p;
	size_t size;	/* asked for */
	size_t usable;	/* malloc_usable_size, or the page block's size */
	size_t align;	/* promised */
	size_t written; /* bytes [written, usable) were never written: they read zero */
	uint64_t seed;	/* the pattern in [0, size) */
	int order;	/* >= 0: a page block of this order */
};

static struct slot slots[SLOTS];
static uint64_t next_seed = 1;
static bool faults_armed;

/* The input, read a few bytes at a time; past its end everything reads zero. */
struct input {
	const uint8_t *data;
	size_t len, pos;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t) (in->pos < in->len ? in->data[in->pos++] : 0) << (8 * i);
	return v;
}

static void die(const char *what, size_t a, size_t b)
{
	fprintf(stderr, "fuzz_malloc: %s (%zu, %zu)\n", what, a, b);
	abort();
}

/*
 * The byte loops below are the harness's own bookkeeping: kept out of the
 * coverage instrumentation, whose comparison hooks would otherwise take
 * most of the time and feed the fuzzer nothing about the allocator.
 */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

/* Word @i of the pattern @seed: no byte is zero. Byte off is byte off % 8 of word off / 8. */
NO_COVERAGE static inline uint64_t pattern_word(uint64_t seed, size_t i)
{
	return ((seed + i) * 0x9E3779B97F4A7C15ULL) | 0x0101010101010101ULL;
}

NO_COVERAGE static inline unsigned char pattern(uint64_t seed, size_t off)
{
	return (unsigned char) (pattern_word(seed, off / 8) >> (8 * (off % 8)));
}

/* Write or (@check) compare the pattern over [from, to): whole words where it can. */
NO_COVERAGE static bool pattern_range(unsigned char *p, uint64_t seed, size_t from, size_t to,
				      bool check)
{
	size_t b = from;

	for (; b < to && b % 8; b++)
		if (check ? p[b] != pattern(seed, b) : !(p[b] = pattern(seed, b)))
			return false;
	for (; b + 8 <= to; b += 8) {
		uint64_t w = pattern_word(seed, b / 8), v;

		if (!check) {
			memcpy(p + b, &w, 8);
			continue;
		}
		memcpy(&v, p + b, 8);
		if (v != w)
			return false;
	}
	for (; b < to; b++)
		if (check ? p[b] != pattern(seed, b) : !(p[b] = pattern(seed, b)))
			return false;
	return true;
}

/* Is [from, to) all zero? */
NO_COVERAGE static bool zero_range(const unsigned char *p, size_t from, size_t to)
{
	size_t b = from;

	for (; b < to && b % 8; b++)
		if (p[b])
			return false;
	for (; b + 8 <= to; b += 8) {
		uint64_t v;

		memcpy(&v, p + b, 8);
		if (v)
			return false;
	}
	for (; b < to; b++)
		if (p[b])
			return false;
	return true;
}

/*
 * The part of an object of @size that its pattern covers: all of it up to
 * WHOLE_LIMIT, else the first SAMPLE bytes of every STRIDE and the last
 * SAMPLE bytes. The next such range at or after @off, clipped to @len, in
 * [*from, *to); false past the end.
 */
NO_COVERAGE static bool next_range(size_t size, size_t len, size_t off, size_t *from, size_t *to)
{
	size_t tail = size > SAMPLE ? size - SAMPLE : 0;

	if (size <= WHOLE_LIMIT) {
		*from = off;
		*to = len;
	} else if (off % STRIDE < SAMPLE) {
		*from = off;
		*to = off - off % STRIDE + SAMPLE;
	} else {
		*from = off - off % STRIDE + STRIDE;
		*to = *from + SAMPLE;
	}
	if (*from >= tail) {
		*from = off > tail ? off : tail;
		*to = size;
	} else if (*to > tail) {
		*to = tail;
	}
	if (*to > len)
		*to = len;
	return *from < *to;
}

NO_COVERAGE static void fill(struct slot *s)
{
	size_t from, to;

	for (size_t off = 0; next_range(s->size, s->size, off, &from, &to); off = to)
		pattern_range(s->p, s->seed, from, to, false);
}

/* The pattern of an object filled at @filled bytes, checked over its first @len bytes. */
NO_COVERAGE static void check_pattern(const struct slot *s, size_t filled, size_t len,
				      const char *when)
{
	size_t from, to;

	for (size_t off = 0; next_range(filled, len, off, &from, &to); off = to)
		if (!pattern_range(s->p, s->seed, from, to, true))
			die(when, from, len);
}

/* [written, usable) must read zero: all of it, or its first bytes and the samples. */
NO_COVERAGE static void check_zero_tail(const struct slot *s, const char *when)
{
	size_t from, to, head = s->written + SAMPLE < s->usable ? s->written + SAMPLE : s->usable;

	if (!zero_range(s->p, s->written, head))
		die(when, s->written, s->usable);
	for (size_t off = head; next_range(s->usable, s->usable, off, &from, &to); off = to)
		if (!zero_range(s->p, from, to))
			die(when, from, s->usable);
}

/* Live objects and page blocks must not overlap the new one at @i. */
static void check_no_overlap(size_t i)
{
	const struct slot *s = &slots[i];

	for (size_t j = 0; j < SLOTS; j++) {
		const struct slot *t = &slots[j];

		if (j == i || !t->p)
			continue;
		if (s->p < t->p + t->usable && t->p < s->p + s->usable)
			die("overlapping objects", i, j);
	}
}

/* A size: mostly small, some in every other range, a few huge, a few impossible. */
static size_t decode_size(struct input *in, bool *impossible)
{
	uint32_t r = (uint32_t) take(in, 3);
	size_t v = r >> 4;

	*impossible = false;
	switch (r & 15) {
	case 8:
	case 9:
	case 10:
		return v % (16 * KIB + 1);
	case 11:
	case 12:
		return v % (128 * KIB + 1);
	case 13:
		return 128 * KIB + v % (4 * MIB - 128 * KIB + 2);
	case 14:
		if (v & 3)
			return v % 2049;
		return 4 * MIB + (v >> 2) % 64 * (KZ_PAGE_SIZE * 31 + 7);
	case 15:
		*impossible = (v & 7) == 0;
		return *impossible ? SIZE_MAX - (v >> 3) : v % 4097;
	default:
		return v % 257;
	}
}

/* An alignment: a power of two up to 8 MiB, or (@odd) any value, which some functions round up. */
static size_t decode_align(struct input *in, bool odd)
{
	uint8_t b = (uint8_t) take(in, 1);

	if (odd && (b & 0x80))
		return (size_t) 1 + (b & 0x7f) * 24;
	return (size_t) 1 << (b % 24);
}

static size_t round_pow2(size_t x)
{
	return x <= 16 ? 16 : (size_t) 1 << (64 - __builtin_clzl(x - 1));
}

static void slot_free(size_t i, enum op how);

/* Faults injected since the input armed them. */
static unsigned long faults_injected(void)
{
	struct os_fault_stats st;

	if (!faults_armed)
		return 0;
	os_fault_get_stats(&st);
	return st.injected[OS_MMAP] + st.injected[OS_MADVISE] + st.injected[OS_MREMAP];
}

/* A failure must be ENOMEM, and only for an impossible request or after an injected fault. */
static void check_failure(const char *what, int err, size_t size, bool impossible)
{
	if (err != ENOMEM)
		die(what, (size_t) err, size);
	if (!impossible && !faults_injected())
		die(what, size, 0);
}

/* Take a new object into slot @i: promises of a fresh allocation, then a pattern. */
static void slot_take(size_t i, void *p, size_t size, size_t align, const char *what)
{
	struct slot *s = &slots[i];

	*s = (struct slot){p, size, kz_malloc_usable_size(p), align, 0, next_seed++, -1};
	if ((uintptr_t) p % align)
		die("misaligned", (uintptr_t) p, align);
	if (s->usable < size)
		die("usable size below the request", s->usable, size);
	check_zero_tail(s, what);
	check_no_overlap(i);
	fill(s);
	s->written = size;
}

static void do_alloc(size_t i, enum op op, struct input *in)
{
	bool impossible;
	size_t size = decode_size(in, &impossible), align = 16, nmemb = 1;
	void *p = NULL;
	int err;

	if (slots[i].p)
		slot_free(i, OP_FREE);
	errno = 0;
	switch (op) {
	case OP_CALLOC:
		nmemb = 1 + take(in, 1) % 8;
		if (impossible)
			nmemb = 2;
		else
			size /= nmemb;
		p = kz_calloc(nmemb, size);
		size *= nmemb;
		break;
	case OP_ALIGNED_ALLOC:
		align = decode_align(in, true);
		p = kz_aligned_alloc(align, size);
		align = round_pow2(align);
		break;
	case OP_MEMALIGN:
		align = decode_align(in, true);
		p = kz_memalign(align, size);
		align = round_pow2(align);
		break;
	case OP_POSIX_MEMALIGN:
		align = decode_align(in, true);
		errno = 4242;
		err = kz_posix_memalign(&p, align, size);
		if (errno != 4242)
			die("posix_memalign changed errno", (size_t) errno, size);
		if (align & (align - 1) || align % sizeof(void *)) {
			if (err != EINVAL)
				die("posix_memalign took a bad alignment", align, (size_t) err);
			return;
		}
		if (err) {
			check_failure("posix_memalign failed", err, size, impossible);
			return;
		}
		break;
	case OP_VALLOC:
		p = kz_valloc(size);
		align = KZ_PAGE_SIZE;
		break;
	case OP_PVALLOC:
		p = kz_pvalloc(size);
		align = KZ_PAGE_SIZE;
		/* pvalloc's size is whole pages, at least one: what free_sized is told, and what
		 * the canary (which knows the very size) records. */
		if (!impossible)
			size = size ? (size + KZ_PAGE_SIZE - 1) & ~(size_t) (KZ_PAGE_SIZE - 1)
				    : KZ_PAGE_SIZE;
		break;
	default:
		p = kz_malloc(size);
		break;
	}
	if (!p) {
		check_failure("allocation failed", errno, size, impossible);
		return;
	}
	if (impossible)
		die("an impossible request succeeded", size, 0);
	slot_take(i, p, size, align, "fresh object not zero");
}

/* realloc / reallocarray: the old contents up to the smaller size, zero beyond what was written. */
static void do_realloc(size_t i, enum op op, struct input *in)
{
	struct slot *s = &slots[i], old = *s;
	bool impossible;
	size_t size = decode_size(in, &impossible);
	void *p;

	if (!s->p || s->order >= 0) {
		do_alloc(i, OP_MALLOC, in);
		return;
	}
	errno = 0;
	if (op == OP_REALLOCARRAY) {
		size_t n = impossible ? 3 : 1 + take(in, 1) % 16;

		size = impossible ? SIZE_MAX / 2 : size / n;
		p = kz_reallocarray(s->p, n, size);
		size *= n;
	} else {
		p = kz_realloc(s->p, size);
	}
	if (size == 0) {
		/* glibc: realloc(p, 0) and reallocarray(p, n, 0) free and return NULL */
		if (p)
			die("realloc(p, 0) returned an object", 0, 0);
		s->p = NULL;
		return;
	}
	if (!p) {
		check_failure("realloc failed", errno, size, impossible);
		check_pattern(s, s->size, s->size, "a failed realloc changed the object");
		return;
	}
	if (impossible)
		die("an impossible realloc succeeded", size, 0);
	s->p = p;
	s->size = size;
	s->usable = kz_malloc_usable_size(p);
	if (s->usable < size || (uintptr_t) p % 16)
		die("realloc: usable size or alignment", s->usable, size);
	s->align = 16;
	/* Moved: only what was copied was written; in place, what was ever written. */
	s->written = p == old.p ? old.written : (old.written < size ? old.written : size);
	if (s->written > s->usable)
		s->written = s->usable;
	check_pattern(s, old.size, old.size < size ? old.size : size, "realloc lost the contents");
	check_zero_tail(s, "realloc: bytes never written are not zero");
	if (p != old.p)
		check_no_overlap(i);
	s->seed = next_seed++;
	fill(s);
	if (s->written < size)
		s->written = size;
}

/* The helper thread: frees what the fuzzing thread hands it, one object at a time. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void *ptr;
} helper = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL};

static void *helper_run(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&helper.lock);
	for (;;) {
		while (!helper.ptr)
			pthread_cond_wait(&helper.cond, &helper.lock);
		kz_free(helper.ptr);
		helper.ptr = NULL;
		pthread_cond_broadcast(&helper.cond);
	}
	return NULL;
}

static void remote_free(void *p)
{
	pthread_mutex_lock(&helper.lock);
	helper.ptr = p;
	pthread_cond_broadcast(&helper.cond);
	while (helper.ptr)
		pthread_cond_wait(&helper.cond, &helper.lock);
	pthread_mutex_unlock(&helper.lock);
}

/* Free slot @i the way @how says, after checking its pattern and the zero beyond it. */
static void slot_free(size_t i, enum op how)
{
	struct slot *s = &slots[i];

	if (!s->p)
		return;
	check_pattern(s, s->size, s->size, "an object changed while it was live");
	if (s->order >= 0) {
		kz_free_pages(s->p, (unsigned) s->order);
		s->p = NULL;
		return;
	}
	check_zero_tail(s, "bytes never written are not zero");
	if (how == OP_FREE_SIZED)
		kz_free_sized(s->p, s->size);
	else if (how == OP_FREE_ALIGNED_SIZED)
		kz_free_aligned_sized(s->p, s->align, s->size);
	else if (how == OP_REMOTE_FREE)
		remote_free(s->p);
	else
		kz_free(s->p);
	s->p = NULL;
}

static void do_pages(size_t i, struct input *in)
{
	unsigned order = (unsigned) take(in, 1) % 12; /* 11: EINVAL */
	struct slot *s = &slots[i];
	void *p;

	if (s->p)
		slot_free(i, OP_FREE);
	errno = 0;
	p = kz_alloc_pages(order);
	if (order > KZ_MAX_ORDER) {
		if (p || errno != EINVAL)
			die("kz_alloc_pages took an order above KZ_MAX_ORDER", order, 0);
		return;
	}
	if (!p) {
		check_failure("kz_alloc_pages failed", errno, order, false);
		return;
	}
	*s = (struct slot){p,
			   KZ_PAGE_SIZE << order,
			   KZ_PAGE_SIZE << order,
			   KZ_PAGE_SIZE << order,
			   0,
			   next_seed++,
			   (int) order};
	if ((uintptr_t) p % s->align)
		die("page block misaligned", (uintptr_t) p, s->align);
	check_zero_tail(s, "page block not zero");
	check_no_overlap(i);
	fill(s);
	s->written = s->size;
}

/* Arm faults for the next calls: which calls, from the how-manieth, for how many. */
static void do_fault(struct input *in)
{
	uint8_t b = (uint8_t) take(in, 1);
	struct os_fault_plan plan = {
		.calls = 1u + b % 7, /* a non-empty subset of mmap, madvise, mremap */
		.nth = 1 + (b >> 3) % 4,
		.times = 1 + (b >> 5),
	};

	os_fault_set(&plan);
	faults_armed = true;
}

static void do_op(struct input *in)
{
	enum op op = (enum op)(take(in, 1) % NR_OPS);
	size_t i = (size_t) take(in, 1) % SLOTS;

	switch (op) {
	case OP_REALLOC:
	case OP_REALLOCARRAY:
		do_realloc(i, op, in);
		break;
	case OP_FREE:
	case OP_FREE_SIZED:
	case OP_FREE_ALIGNED_SIZED:
	case OP_REMOTE_FREE:
		slot_free(i, op);
		break;
	case OP_TRIM:
		if (i % 2)
			kz_malloc_trim(0);
		else
			kz_trim();
		break;
	case OP_USABLE:
		if (slots[i].p && slots[i].order < 0 &&
		    kz_malloc_usable_size(slots[i].p) != slots[i].usable)
			die("usable size changed", kz_malloc_usable_size(slots[i].p),
			    slots[i].usable);
		break;
	case OP_PAGES:
		do_pages(i, in);
		break;
	case OP_FAULT:
		do_fault(in);
		break;
	default:
		do_alloc(i, op, in);
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pthread_t thread;

	(void) argc;
	(void) argv;
	if (pthread_create(&thread, NULL, helper_run, NULL) != 0)
		abort();
	pthread_detach(thread);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size, 0};
	static unsigned long runs;

	for (unsigned n = 0; n < MAX_OPS && in.pos < in.len; n++)
		do_op(&in);
	os_fault_set(NULL);
	faults_armed = false;
	for (size_t i = 0; i < SLOTS; i++)
		slot_free(i, OP_FREE);
	if (kz_debug && ++runs % 16 == 0)
		buddy_verify();
	return 0;
}
