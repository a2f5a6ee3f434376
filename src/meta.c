/*
 * meta.c - the metadata arena (jemalloc's "base"): a bump allocator over
 * 2 MiB regions from the OS layer.
 *
 * Invariant: cur <= end, both inside the newest region; nothing is freed.
 * Lock: meta_lock, a leaf taken under the pool lock (pool.lock -> meta_lock).
 */
#include "meta.h"

#include <pthread.h>

#include "os.h"
#include "util.h"

#define META_REGION_SIZE ((size_t) 2 << 20)

static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t meta_cur, meta_end;
static size_t meta_total;

void *meta_alloc(size_t size, size_t align)
{
	uintptr_t p;

	kz_assert(align && (align & (align - 1)) == 0 && align <= META_REGION_SIZE);
	kz_assert(size <= META_REGION_SIZE);
	pthread_mutex_lock(&meta_lock);
	p = ALIGN_DOWN(meta_cur + align - 1, align);
	if (!meta_cur || p + size > meta_end) {
		char *region = os_map_aligned(META_REGION_SIZE, META_REGION_SIZE);

		if (!region) {
			pthread_mutex_unlock(&meta_lock);
			return NULL;
		}
		meta_total += META_REGION_SIZE;
		p = (uintptr_t) region;
		meta_end = p + META_REGION_SIZE;
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
