/*
 * kzfault.h - one round of every allocating entry point, for the tests that
 * make memory run out (injected OS faults, an overcommit limit, a real
 * RLIMIT_AS). Whatever the OS does, each call must either succeed with a
 * correct object (aligned, zero, big enough) or fail the documented way
 * (NULL with errno ENOMEM; posix_memalign returns ENOMEM and keeps errno),
 * a failed realloc must leave the old object as it was, and every object
 * must keep its contents until it is freed.
 *
 * Usage: fx_round() allocates, resizes and trims; fx_release() checks and
 * frees what is left. Both stop at the first broken promise and say what it
 * was in fx->error.
 */
#ifndef KZFAULT_H
#define KZFAULT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kztest.h"

#define FX_KIB ((size_t) 1 << 10)
#define FX_MIB ((size_t) 1 << 20)
#define FX_MAX 96

enum fx_kind { FX_MALLOC, FX_ALIGNED, FX_PAGES };

struct fx_obj {
	void *p;
	size_t size;
	size_t align;
	unsigned order; /* FX_PAGES */
	enum fx_kind kind;
	uint64_t id;
};

struct fx {
	struct fx_obj obj[FX_MAX];
	size_t n;
	uint64_t next_id;
	unsigned long ok;     /* calls that succeeded */
	unsigned long failed; /* calls that failed the documented way */
	char error[256];      /* the first broken promise */
};

static inline bool fx_fail(struct fx *fx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline bool fx_fail(struct fx *fx, const char *fmt, ...)
{
	va_list ap;

	if (!fx->error[0]) {
		va_start(ap, fmt);
		vsnprintf(fx->error, sizeof(fx->error), fmt, ap);
		va_end(ap);
	}
	return false;
}

/*
 * Objects up to 1 MiB are filled and checked whole; bigger ones on the
 * first 256 bytes of every eighth page, so that rounds stay fast (faulting
 * pages in is most of their cost) and a range that went missing or came
 * back stale is still seen.
 */
#define FX_SAMPLE 256
#define FX_STRIDE (8 * KZ_PAGE_SIZE)

static inline void fx_fill(const struct fx_obj *o)
{
	if (o->size <= FX_MIB) {
		kzt_fill(o->p, o->size, o->id);
		return;
	}
	for (size_t off = 0; off < o->size; off += FX_STRIDE)
		kzt_fill((char *) o->p + off, o->size - off < FX_SAMPLE ? o->size - off : FX_SAMPLE,
			 o->id + off);
}

/* The first @len bytes, as fx_fill() wrote them for the object's size. */
static inline bool fx_intact(const struct fx_obj *o, size_t len)
{
	if (o->size <= FX_MIB)
		return kzt_check(o->p, len, o->id);
	for (size_t off = 0; off < len; off += FX_STRIDE)
		if (!kzt_check((char *) o->p + off, len - off < FX_SAMPLE ? len - off : FX_SAMPLE,
			       o->id + off))
			return false;
	return true;
}

static inline bool fx_zero(const void *p, size_t len)
{
	if (len <= FX_MIB)
		return kzt_is_zero(p, len);
	for (size_t off = 0; off < len; off += FX_STRIDE)
		if (!kzt_is_zero((const char *) p + off,
				 len - off < FX_SAMPLE ? len - off : FX_SAMPLE))
			return false;
	return true;
}

/* Hide a size from the compiler (the kz_ prototypes carry alloc_size). */
static inline size_t fx_opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

/*
 * Take the result of one allocating call: a new object to keep (checked
 * aligned, zero and big enough), or a failure that must be ENOMEM.
 */
static inline bool fx_took(struct fx *fx, const char *what, void *p, int err, size_t size,
			   size_t align, enum fx_kind kind, unsigned order)
{
	struct fx_obj *o;

	if (!p) {
		if (err != ENOMEM)
			return fx_fail(fx, "%s(%zu) failed with errno %d, not ENOMEM", what, size,
				       err);
		fx->failed++;
		return true;
	}
	fx->ok++;
	if ((uintptr_t) p % align)
		return fx_fail(fx, "%s(%zu): %p not aligned to %zu", what, size, p, align);
	if (kind != FX_PAGES && kz_malloc_usable_size(p) < size)
		return fx_fail(fx, "%s(%zu): usable size %zu", what, size,
			       kz_malloc_usable_size(p));
	if (!fx_zero(p, size))
		return fx_fail(fx, "%s(%zu): fresh memory not zero", what, size);
	if (fx->n == FX_MAX)
		return fx_fail(fx, "more than %d objects", FX_MAX);
	o = &fx->obj[fx->n++];
	*o = (struct fx_obj){p, size, align, order, kind, ++fx->next_id << 32};
	fx_fill(o);
	return true;
}

static inline bool fx_malloc(struct fx *fx, size_t size)
{
	void *p;

	errno = 0;
	p = kz_malloc(fx_opaque(size));
	return fx_took(fx, "malloc", p, errno, size, 16, FX_MALLOC, 0);
}

static inline bool fx_calloc(struct fx *fx, size_t nmemb, size_t size)
{
	void *p;

	errno = 0;
	p = kz_calloc(fx_opaque(nmemb), size);
	return fx_took(fx, "calloc", p, errno, nmemb * size, 16, FX_MALLOC, 0);
}

/* The size pvalloc asks for: @size rounded up to whole pages, at least one. */
static inline size_t fx_pvalloc_size(size_t size)
{
	return size ? (size + KZ_PAGE_SIZE - 1) & ~(size_t) (KZ_PAGE_SIZE - 1) : KZ_PAGE_SIZE;
}

static inline bool fx_memalign(struct fx *fx, unsigned which, size_t align, size_t size)
{
	static const char *const names[] = {"aligned_alloc", "memalign", "valloc", "pvalloc"};
	void *p;

	errno = 0;
	switch (which) {
	case 0:
		p = kz_aligned_alloc(fx_opaque(align), fx_opaque(size));
		break;
	case 1:
		p = kz_memalign(fx_opaque(align), fx_opaque(size));
		break;
	case 2:
		p = kz_valloc(fx_opaque(size));
		align = KZ_PAGE_SIZE;
		break;
	default:
		p = kz_pvalloc(fx_opaque(size));
		size = fx_pvalloc_size(size);
		align = KZ_PAGE_SIZE;
		break;
	}
	return fx_took(fx, names[which], p, errno, size, align, FX_ALIGNED, 0);
}

/* posix_memalign reports through its result and must leave errno alone. */
static inline bool fx_posix_memalign(struct fx *fx, size_t align, size_t size)
{
	void *p = NULL;
	int ret;

	bool took;
	int err;

	errno = 12345;
	ret = kz_posix_memalign(&p, align, fx_opaque(size));
	err = errno;
	if (ret != 0 && ret != ENOMEM)
		return fx_fail(fx, "posix_memalign(%zu, %zu) returned %d", align, size, ret);
	/* recorded first, so that a failure below still frees it */
	took = fx_took(fx, "posix_memalign", ret ? NULL : p, ret, size, align, FX_ALIGNED, 0);
	if (err != 12345)
		return fx_fail(fx, "posix_memalign(%zu, %zu) %s changed errno to %d", align, size,
			       ret ? "failing" : "succeeding", err);
	return took;
}

static inline bool fx_pages(struct fx *fx, unsigned order)
{
	void *p;

	errno = 0;
	p = order ? kz_alloc_pages(order) : kz_get_zeroed_page();
	return fx_took(fx, "kz_alloc_pages", p, errno, KZ_PAGE_SIZE << order, KZ_PAGE_SIZE << order,
		       FX_PAGES, order);
}

/*
 * Resize object @i to @size (reallocarray if @array): on success the old
 * contents must be there up to the smaller size; on failure, NULL with
 * ENOMEM and the old object untouched and still ours.
 */
static inline bool fx_realloc(struct fx *fx, size_t i, size_t size, bool array)
{
	struct fx_obj *o = &fx->obj[i];
	size_t keep = o->size < size ? o->size : size;
	void *p;

	if (i >= fx->n || o->kind != FX_MALLOC)
		return true;
	errno = 0;
	p = array ? kz_reallocarray(o->p, fx_opaque(size / 16), 16)
		  : kz_realloc(o->p, fx_opaque(size));
	if (array)
		size = size / 16 * 16;
	if (!p) {
		if (errno != ENOMEM)
			return fx_fail(fx, "realloc(%zu -> %zu) failed with errno %d", o->size,
				       size, errno);
		fx->failed++;
		if (!fx_intact(o, o->size))
			return fx_fail(fx, "a failed realloc(%zu -> %zu) changed the object",
				       o->size, size);
		return true;
	}
	fx->ok++;
	o->p = p;
	if (!fx_intact(o, keep))
		return fx_fail(fx, "realloc(%zu -> %zu) lost the contents", o->size, size);
	if (kz_malloc_usable_size(p) < size)
		return fx_fail(fx, "realloc(%zu -> %zu): usable size %zu", o->size, size,
			       kz_malloc_usable_size(p));
	o->size = size;
	o->id = ++fx->next_id << 32;
	fx_fill(o);
	return true;
}

/* Check object @i and free it the way it was allocated (sized frees too); the last takes its place.
 */
static inline bool fx_free(struct fx *fx, size_t i)
{
	struct fx_obj *o = &fx->obj[i];
	bool ok = fx_intact(o, o->size);

	if (!ok)
		fx_fail(fx, "a %zu-byte object changed before its free", o->size);
	switch (o->kind) {
	case FX_PAGES:
		kz_free_pages(o->p, o->order);
		break;
	case FX_ALIGNED:
		kz_free_aligned_sized(o->p, o->align, o->size);
		break;
	default:
		if (o->id & (1ull << 32))
			kz_free_sized(o->p, o->size);
		else
			kz_free(o->p);
		break;
	}
	*o = fx->obj[--fx->n];
	return ok;
}

/*
 * Pages freed dirty, then a trim (madvise), then the same orders again:
 * whether or not the purge happened, they must come back zero.
 */
static inline bool fx_dirty_trim(struct fx *fx)
{
	void *p[4];

	for (unsigned order = 0; order < 4; order++) {
		p[order] = kz_alloc_pages(order);
		if (p[order])
			memset(p[order], 0xa5, KZ_PAGE_SIZE << order);
	}
	for (unsigned order = 0; order < 4; order++)
		kz_free_pages(p[order], order);
	kz_trim();
	for (unsigned order = 0; order < 4; order++)
		if (!fx_pages(fx, order))
			return false;
	return true;
}

/* Every allocating entry point at every size range, then resizes across the ranges. */
static inline bool fx_round(struct fx *fx)
{
	static const size_t sizes[] = {0,	   24,		100,	      1000,
				       5000,	   40 * FX_KIB, 100 * FX_KIB, 200 * FX_KIB,
				       1 * FX_MIB, 3 * FX_MIB,	5 * FX_MIB,   9 * FX_MIB};
	size_t first = fx->n;
	bool ok = true;

	for (size_t i = 0; ok && i < sizeof(sizes) / sizeof(sizes[0]); i++)
		ok = fx_malloc(fx, sizes[i]);
	ok = ok && fx_calloc(fx, 3, 33) && fx_calloc(fx, 100, 1000) && fx_calloc(fx, 5, FX_MIB + 7);
	ok = ok && fx_memalign(fx, 0, 64, 100) && fx_memalign(fx, 1, 4096, 10000) &&
	     fx_memalign(fx, 1, FX_MIB, 300 * FX_KIB) &&
	     fx_memalign(fx, 0, 8 * FX_MIB, 5 * FX_MIB) && fx_memalign(fx, 2, 0, 5000) &&
	     fx_memalign(fx, 3, 0, 100);
	ok = ok && fx_posix_memalign(fx, 256, 3000) && fx_posix_memalign(fx, 64 * FX_KIB, FX_MIB) &&
	     fx_posix_memalign(fx, 16 * FX_MIB, FX_MIB);
	for (unsigned order = 0; ok && order <= KZ_MAX_ORDER; order += 2)
		ok = fx_pages(fx, order);
	ok = ok && fx_dirty_trim(fx);
	/* small -> large -> huge -> bigger huge (mremap) -> smaller huge -> small, for every
	 * third object of the round: every size range, without a dozen times the work */
	for (size_t i = first; ok && i < fx->n && i < first + 12; i += 3)
		ok = fx_realloc(fx, i, 3000, false) && fx_realloc(fx, i, 300 * FX_KIB, true) &&
		     fx_realloc(fx, i, 5 * FX_MIB, false) && fx_realloc(fx, i, 9 * FX_MIB, false) &&
		     fx_realloc(fx, i, 6 * FX_MIB, true) && fx_realloc(fx, i, 48, false);
	return ok;
}

/* Check and free every object, newest first. */
static inline bool fx_release(struct fx *fx)
{
	bool ok = true;

	while (fx->n)
		ok &= fx_free(fx, fx->n - 1);
	return ok;
}

/* The ways to ask for memory that need free pages or a new mapping, for fx_exhaust(). */
enum fx_ask {
	FX_ASK_HUGE,
	FX_ASK_LARGE,
	FX_ASK_CALLOC,
	FX_ASK_MEMALIGN,
	FX_ASK_POSIX,
	FX_ASK_VALLOC,
	FX_ASK_PAGE,
	FX_ASK_CHUNK,
	FX_ASK_SMALL,
	FX_NR_ASKS
};

static const char *const fx_ask_names[FX_NR_ASKS] = {"malloc(8 MiB)",
						     "malloc(1 MiB)",
						     "calloc(1, 2 MiB)",
						     "memalign(1 MiB, 1 MiB)",
						     "posix_memalign(4096, 4 MiB)",
						     "valloc(300 KiB)",
						     "kz_get_zeroed_page()",
						     "kz_alloc_pages(10)",
						     "malloc(64)"};

struct fx_held {
	void *p;
	unsigned order; /* FX_ASK_PAGE, FX_ASK_CHUNK: a page block */
	bool pages;
};

/*
 * Ask the same way until it fails, which it must do with ENOMEM, before
 * @cap objects are held; the successes are added to @held[*@n].
 */
static inline bool fx_exhaust(struct fx *fx, enum fx_ask ask, struct fx_held *held, size_t *n,
			      size_t cap)
{
	for (;;) {
		void *p = NULL;
		int err;

		if (*n == cap)
			return fx_fail(fx, "%s never failed", fx_ask_names[ask]);
		errno = 0;
		switch (ask) {
		case FX_ASK_HUGE:
			p = kz_malloc(fx_opaque(8 * FX_MIB));
			break;
		case FX_ASK_LARGE:
			p = kz_malloc(fx_opaque(1 * FX_MIB));
			break;
		case FX_ASK_CALLOC:
			p = kz_calloc(1, fx_opaque(2 * FX_MIB));
			break;
		case FX_ASK_MEMALIGN:
			p = kz_memalign(FX_MIB, fx_opaque(FX_MIB));
			break;
		case FX_ASK_POSIX:
			err = kz_posix_memalign(&p, 4096, fx_opaque(4 * FX_MIB));
			if (err && err != ENOMEM)
				return fx_fail(fx, "posix_memalign returned %d", err);
			if (err) {
				errno = err;
				p = NULL;
			}
			break;
		case FX_ASK_VALLOC:
			p = kz_valloc(fx_opaque(300 * FX_KIB));
			break;
		case FX_ASK_PAGE:
			p = kz_get_zeroed_page();
			break;
		case FX_ASK_CHUNK:
			p = kz_alloc_pages(KZ_MAX_ORDER);
			break;
		default:
			p = kz_malloc(fx_opaque(64));
			break;
		}
		if (!p && errno != ENOMEM)
			return fx_fail(fx, "%s failed with errno %d", fx_ask_names[ask], errno);
		if (!p)
			return true;
		held[(*n)++] = (struct fx_held){p, ask == FX_ASK_CHUNK ? KZ_MAX_ORDER : 0,
						ask == FX_ASK_PAGE || ask == FX_ASK_CHUNK};
	}
}

static inline void fx_held_free(struct fx_held *held, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (held[i].pages)
			kz_free_pages(held[i].p, held[i].order);
		else
			kz_free(held[i].p);
}

#endif /* KZFAULT_H */
