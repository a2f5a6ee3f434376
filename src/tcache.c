/*
 * tcache.c - creating, refilling, flushing and destroying thread caches.
 *
 * A thread gets its cache on its first allocation: one run of pages from
 * the pool (KIND_META) holding the bins and their slots. A pthread key's
 * destructor flushes it when the thread exits; from then on the thread's
 * late allocations (other destructors) go straight to the slabs.
 *
 * Refill takes half a bin's capacity; a full bin flushes its older half,
 * keeping the objects freed last (the warm ones) for reuse.
 *
 * No locks of its own: a cache is its thread's alone. tcache_key is
 * created at start-up (kz_init), before any thread has a cache.
 */
#include "tcache.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "buddy.h"
#include "init.h"

#define KZ_CLASS_CAP_ITEM(size, order, cap) (cap),
static const uint16_t class_cap[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_CAP_ITEM)};

enum tcache_state { TCACHE_NONE, TCACHE_LIVE, TCACHE_DEAD };

__thread struct tcache *tcache_self __attribute__((tls_model("initial-exec")));
static __thread unsigned char tcache_state __attribute__((tls_model("initial-exec")));

static pthread_key_t tcache_key;
static size_t tcache_pages;

static void tcache_destroy(void *arg);

void tcache_init(void)
{
	size_t slots = 0;

	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++)
		slots += class_cap[cls];
	tcache_pages =
		(sizeof(struct tcache) + slots * sizeof(struct tcache_entry) + KZ_PAGE_SIZE - 1) >>
		KZ_PAGE_SHIFT;
	pthread_key_create(&tcache_key, tcache_destroy);
}

static struct tcache *tcache_create(void)
{
	struct kz_page *page;
	struct tcache *tc;
	size_t slot = 0;

	tcache_state = TCACHE_LIVE;
	page = buddy_alloc(tcache_pages, 0, KIND_META);
	if (!page) {
		tcache_state = TCACHE_NONE; /* try again later */
		return NULL;
	}
	tc = page_address(page);
	tc->page = page;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		tc->bins[cls].cap = class_cap[cls];
		tc->bins[cls].slots = &tc->storage[slot];
		slot += class_cap[cls];
	}
	tcache_self = tc;
	/* May allocate (keys past the first 32): the cache is in place by now. */
	pthread_setspecific(tcache_key, tc);
	return tc;
}

void *tcache_alloc_slow(unsigned cls)
{
	struct tcache *tc = tcache_self;
	struct tcache_entry e;
	struct tcache_bin *bin;

	kz_init();
	if (!tc && tcache_state == TCACHE_NONE)
		tc = tcache_create();
	if (!tc) {
		if (!slab_refill(cls, &e, 1))
			return NULL;
		*e.live = 1;
		return e.obj;
	}
	bin = &tc->bins[cls];
	bin->n = (uint16_t) slab_refill(cls, bin->slots, bin->cap > 1 ? bin->cap / 2 : 1);
	if (!bin->n)
		return NULL;
	e = bin->slots[--bin->n];
	*e.live = 1;
	return e.obj;
}

void tcache_free_slow(unsigned cls, void *obj, uint8_t *live)
{
	int saved_errno = errno;
	struct tcache_entry e = {obj, live};
	struct tcache *tc = tcache_self;
	struct tcache_bin *bin;
	uint16_t keep;

	if (!tc) {
		slab_flush(cls, &e, 1);
	} else {
		bin = &tc->bins[cls];
		keep = bin->n / 2;
		slab_flush(cls, bin->slots, (size_t) (bin->n - keep));
		memmove(bin->slots, bin->slots + (bin->n - keep), keep * sizeof(*bin->slots));
		bin->n = keep;
		bin->slots[bin->n++] = e;
	}
	errno = saved_errno; /* free keeps errno */
}

void tcache_flush_all(void)
{
	struct tcache *tc = tcache_self;

	if (!tc)
		return;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		slab_flush(cls, tc->bins[cls].slots, tc->bins[cls].n);
		tc->bins[cls].n = 0;
	}
}

/* Thread exit: everything back to the slabs, the cache's pages back to the pool. */
static void tcache_destroy(void *arg)
{
	struct tcache *tc = arg;

	tcache_flush_all();
	tcache_self = NULL;
	tcache_state = TCACHE_DEAD;
	buddy_free(tc->page, tcache_pages, KIND_META, false);
}
