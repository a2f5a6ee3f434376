/*
 * meta.c - the metadata arena (jemalloc's "base"): a bump allocator over
 * 2 MiB regions from the OS layer, each between two no-access pages, so
 * that a linear overflow out of a neighbouring mapping (a huge block, a
 * chunk of the pool) faults before it reaches a descriptor or a thread
 * cache. A region whose guards the OS refuses is used without them.
 *
 * Invariant: cur <= end, both inside the newest region's usable part;
 * nothing is freed.
 * Lock: meta_lock, a leaf taken under a cache lock or chunk_lock, and
 * with no lock held by a new thread's first allocation (its thread cache),
 * the zero-size regions and the stats report: last in init.c's lock order.
 */
#include "meta.h"

#include <errno.h>
#include <pthread.h>

#include "os.h"
#include "page.h"
#include "util.h"

#define META_REGION_SIZE ((size_t) 2 << 20)
#define META_MAX_ALIGN	 ((size_t) 64 << 10) /* a chunk descriptor's (KZ_CHUNK_DESC_ALIGN) */

static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t meta_cur, meta_end;
static size_t meta_total;

/* A new region, its guard pages set; NULL + ENOMEM. Under meta_lock. */
static char *meta_region(void)
{
	char *region = os_map_aligned(META_REGION_SIZE, META_REGION_SIZE);
	int saved_errno = errno;

	if (!region)
		return NULL;
	meta_total += META_REGION_SIZE;
	/* A guard refused is no failure: the region serves without it. */
	os_set_memory_np(region, KZ_PAGE_SIZE);
	os_set_memory_np(region + META_REGION_SIZE - KZ_PAGE_SIZE, KZ_PAGE_SIZE);
	errno = saved_errno;
	return region;
}

void *meta_alloc(size_t size, size_t align)
{
	uintptr_t p;

	kz_assert(align && (align & (align - 1)) == 0 && align <= META_MAX_ALIGN);
	kz_assert(size <= META_REGION_SIZE - META_MAX_ALIGN - KZ_PAGE_SIZE);
	pthread_mutex_lock(&meta_lock);
	p = ALIGN_DOWN(meta_cur + align - 1, align);
	if (!meta_cur || p + size > meta_end) {
		char *region = meta_region();

		if (!region) {
			pthread_mutex_unlock(&meta_lock);
			return NULL;
		}
		p = ALIGN_DOWN((uintptr_t) region + KZ_PAGE_SIZE + align - 1, align);
		meta_end = (uintptr_t) region + META_REGION_SIZE - KZ_PAGE_SIZE;
	}
	meta_cur = p + size;
	pthread_mutex_unlock(&meta_lock);
	return (void *) p;
}

size_t meta_mapped(void)
{
	size_t total;

	pthread_mutex_lock(&meta_lock);
	total = meta_total;
	pthread_mutex_unlock(&meta_lock);
	return total;
}

pthread_mutex_t *meta_arena_lock(unsigned i)
{
	(void) i;
	return &meta_lock;
}
