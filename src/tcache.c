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
#include "options.h"

#define KZ_CLASS_CAP_ITEM(size, order, cap) (cap),
static const uint16_t class_cap[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_CAP_ITEM)};

#define KZ_SMALL_BIN_ITEM(cls) ((cls) << TCACHE_BIN_SHIFT),
const uint16_t tcache_bin_of_small[1024 / 16 + 1] = {KZ_SMALL_CLASSES(KZ_SMALL_BIN_ITEM)};

enum tcache_state { TCACHE_NONE, TCACHE_LIVE, TCACHE_DEAD };

struct tcache tcache_none; /* all bins NULL: empty and full at once */
__thread struct tcache *tcache_self __attribute__((tls_model("initial-exec"))) = &tcache_none;
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
	tc->clear_on_alloc = kz_opt.init == KZ_INIT_ALLOC;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct tcache_bin *bin = &tc->bins[cls];

		bin->base = bin->top = &tc->storage[slot];
		bin->end = bin->base + class_cap[cls];
		slot += class_cap[cls];
	}
	tcache_self = tc;
	/* May allocate (keys past the first 32): the cache is in place by now. */
	pthread_setspecific(tcache_key, tc);
	return tc;
}

static size_t bin_count(const struct tcache_bin *bin)
{
	return (size_t) (bin->top - bin->base);
}

void *tcache_alloc_slow(unsigned cls)
{
	struct tcache *tc = tcache_self;
	struct tcache_bin *bin;
	struct tcache_entry e;
	size_t cap;

	kz_init();
	if (tc == &tcache_none && tcache_state == TCACHE_NONE)
		tc = tcache_create();
	if (!tc || tc == &tcache_none) {
		if (!slab_refill(cls, &e, 1))
			return NULL;
	} else {
		bin = &tc->bins[cls];
		cap = (size_t) (bin->end - bin->base);
		bin->top = bin->base + slab_refill(cls, bin->base, cap > 1 ? cap / 2 : 1);
		if (bin->top == bin->base)
			return NULL;
		e = *--bin->top;
	}
	*e.live = 1;
	if (kz_opt.init == KZ_INIT_ALLOC)
		memset(e.obj, 0, kz_class_size[cls]);
	return e.obj;
}

void tcache_free_slow(unsigned cls, void *obj, uint8_t *live)
{
	int saved_errno = errno;
	struct tcache_entry e = {obj, live};
	struct tcache *tc = tcache_self;

	if (tc == &tcache_none) {
		slab_flush(cls, &e, 1);
	} else {
		struct tcache_bin *bin = &tc->bins[cls];
		size_t n = bin_count(bin), keep = n / 2;

		slab_flush(cls, bin->base, n - keep);
		memmove(bin->base, bin->base + (n - keep), keep * sizeof(*bin->base));
		bin->top = bin->base + keep;
		*bin->top++ = e;
	}
	errno = saved_errno; /* free keeps errno */
}

void tcache_flush_all(void)
{
	struct tcache *tc = tcache_self;

	if (tc == &tcache_none)
		return;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct tcache_bin *bin = &tc->bins[cls];

		slab_flush(cls, bin->base, bin_count(bin));
		bin->top = bin->base;
	}
}

/* Thread exit: everything back to the slabs, the cache's pages back to the pool. */
static void tcache_destroy(void *arg)
{
	struct tcache *tc = arg;

	tcache_flush_all();
	tcache_self = &tcache_none;
	tcache_state = TCACHE_DEAD;
	buddy_free(tc->page, tcache_pages, KIND_META, false);
}
