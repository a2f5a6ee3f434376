/*
 * chunk.c - chunk descriptors and the registration of regions in the page
 * map (chunk.h).
 *
 * Owns the spare descriptors (those of unmapped chunks and huge mappings,
 * reused before the metadata arena is asked for a new one) and every write
 * to the page map. A region is registered by giving it a descriptor whose
 * pages are all zero but for a prepared head, then pointing each page-map
 * entry it spans at that descriptor; so a lookup that finds the region
 * finds its head ready. Unregistering clears the entries first and gives
 * the descriptor back only when its owner is done with it (chunk_release):
 * a purged chunk's descriptor is read until its memory is unmapped.
 *
 * Invariants: a descriptor is on the spare list or registered, never both;
 * every page-map entry of a registered region points at its descriptor, and
 * no other entry does.
 *
 * Lock: chunk_lock guards the spare list and the page map's writes; it is
 * taken alone or under pool.lock (a purge isolating a whole chunk, and
 * giving its descriptor back), and the metadata arena is called under it.
 */
#include "chunk.h"

#include <errno.h>
#include <string.h>

#include "meta.h"
#include "pagemap.h"

static struct {
	pthread_mutex_t lock;
	struct kz_list spare; /* descriptors not in use, for reuse */
} chunks = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.spare = {&chunks.spare, &chunks.spare},
};

/* A chunk descriptor: a spare one reset, or a new one from the arena. Lock held. */
static struct kz_chunk *chunk_desc_get(void *base, size_t size)
{
	struct kz_chunk *chunk;

	if (list_empty(&chunks.spare)) {
		chunk = meta_alloc(sizeof(struct kz_chunk), KZ_CHUNK_DESC_ALIGN);
		if (!chunk)
			return NULL;
	} else {
		chunk = list_entry(chunks.spare.next, struct kz_chunk, link);
		list_del(&chunk->link);
		memset(chunk->pages, 0, sizeof(chunk->pages));
	}
	chunk->base = (uintptr_t) base;
	chunk->size = size;
	return chunk;
}

/*
 * Point the page map's entries for [base, base + size) at @chunk, which
 * must find them empty, or clear them (NULL). False if the range is beyond
 * the address space the map covers, taken, or a leaf cannot be allocated.
 * Lock held.
 */
static bool pagemap_set_range(uintptr_t base, size_t size, struct kz_chunk *chunk)
{
	const uintptr_t limit = (uintptr_t) 1 << PAGEMAP_VA_BITS;

	if (base >= limit || size > limit - base)
		return false;
	for (size_t off = 0; chunk && off < size; off += KZ_CHUNK_SIZE)
		if (pagemap_chunk((void *) (base + off)))
			return false;
	for (size_t off = 0; off < size; off += KZ_CHUNK_SIZE) {
		if (!pagemap_set(base + off, chunk)) {
			while (off) {
				off -= KZ_CHUNK_SIZE;
				pagemap_set(base + off, NULL);
			}
			return false;
		}
	}
	return true;
}

struct kz_chunk *chunk_register(void *base, size_t size, enum page_kind kind, void *owner)
{
	struct kz_chunk *chunk;

	pthread_mutex_lock(&chunks.lock);
	chunk = chunk_desc_get(base, size);
	if (chunk && kind != KIND_NR) {
		page_prep_compound(&chunk->pages[0], 0, KZ_CHUNK_PAGES, kind);
		chunk->pages[0].owner = owner;
	}
	if (chunk && !pagemap_set_range((uintptr_t) base, size, chunk)) {
		list_add(&chunk->link, &chunks.spare);
		chunk = NULL;
	}
	pthread_mutex_unlock(&chunks.lock);
	if (!chunk)
		errno = ENOMEM;
	return chunk;
}

void chunk_hide(struct kz_chunk *chunk)
{
	pthread_mutex_lock(&chunks.lock);
	pagemap_set_range(chunk->base, chunk->size, NULL);
	pthread_mutex_unlock(&chunks.lock);
}

void chunk_release(struct kz_chunk *chunk)
{
	pthread_mutex_lock(&chunks.lock);
	list_add(&chunk->link, &chunks.spare);
	pthread_mutex_unlock(&chunks.lock);
}

void chunk_unregister(struct kz_chunk *chunk)
{
	pthread_mutex_lock(&chunks.lock);
	pagemap_set_range(chunk->base, chunk->size, NULL);
	list_add(&chunk->link, &chunks.spare);
	pthread_mutex_unlock(&chunks.lock);
}

/* The end of the page-map range a region of @size bytes at @base spans. */
static uintptr_t range_end(uintptr_t base, size_t size)
{
	return ALIGN_DOWN(base + size - 1, KZ_CHUNK_SIZE) + KZ_CHUNK_SIZE;
}

bool chunk_resize(struct kz_chunk *chunk, size_t size)
{
	uintptr_t old_end = range_end(chunk->base, chunk->size);
	uintptr_t new_end = range_end(chunk->base, size);
	bool ok = true;

	pthread_mutex_lock(&chunks.lock);
	if (new_end > old_end)
		ok = pagemap_set_range(old_end, new_end - old_end, chunk);
	else if (new_end < old_end)
		pagemap_set_range(new_end, old_end - new_end, NULL);
	if (ok)
		chunk->size = size;
	pthread_mutex_unlock(&chunks.lock);
	if (!ok)
		errno = ENOMEM;
	return ok;
}

pthread_mutex_t *chunk_lock(unsigned i)
{
	(void) i;
	return &chunks.lock;
}
