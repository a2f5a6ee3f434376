/*
 * quarantine.c - the FIFO of freed class objects waiting for reuse (quarantine.h).
 *
 * Owns the ring: ring[(first + i) % QUARANTINE_MAX] for i < count, oldest first, from the
 * metadata arena. Invariants (quarantine.lock): count <= QUARANTINE_MAX; bytes is the sum of the
 * held objects' class sizes, per_class[cls] the number held of class cls; a slot outside the
 * held range is all zero (no stale pointer for the leak checker). Objects taken off the ring go
 * to slab_flush after the lock is dropped, so the lock is a leaf.
 */
#include "quarantine.h"

#include "meta.h"
#include "vg.h"

struct held {
	struct tcache_entry e;
	unsigned cls;
};

static struct {
	pthread_mutex_t lock;
	struct held *ring; /* NULL: objects go back at once */
	size_t first, count, bytes;
	size_t per_class[KZ_NR_CLASSES];
} quarantine = {.lock = PTHREAD_MUTEX_INITIALIZER};

void quarantine_init(void)
{
	if (vg_memcheck)
		quarantine.ring = meta_alloc(QUARANTINE_MAX * sizeof(struct held), 16);
}

/* Off the FIFO, oldest first: up to @max objects, all if @all, else the excess. Locked. */
static size_t quarantine_take(struct held *out, size_t max, bool all)
{
	size_t n = 0;

	while (n < max && quarantine.count && (all || quarantine.bytes > QUARANTINE_BYTES)) {
		struct held *h = &quarantine.ring[quarantine.first];

		out[n++] = *h;
		*h = (struct held){{NULL, NULL}, 0}; /* no stale copy for the leak checker */
		quarantine.first = (quarantine.first + 1) % QUARANTINE_MAX;
		quarantine.count--;
		quarantine.bytes -= kz_class_size[out[n - 1].cls];
		quarantine.per_class[out[n - 1].cls]--;
	}
	return n;
}

/* The objects taken off the FIFO back to their slabs; the pages given to the pool. */
static size_t quarantine_release(const struct held *h, size_t n)
{
	size_t nr_pages = 0;

	for (size_t i = 0; i < n; i++)
		nr_pages += slab_flush(h[i].cls, &h[i].e, 1);
	return nr_pages;
}

size_t quarantine_add(unsigned cls, struct tcache_entry e)
{
	struct held old[8];
	size_t n = 0;

	if (!quarantine.ring)
		return slab_flush(cls, &e, 1);
	pthread_mutex_lock(&quarantine.lock);
	if (quarantine.count == QUARANTINE_MAX)
		n = quarantine_take(old, 1, true);
	quarantine.ring[(quarantine.first + quarantine.count) % QUARANTINE_MAX] =
		(struct held){e, cls};
	quarantine.count++;
	quarantine.bytes += kz_class_size[cls];
	quarantine.per_class[cls]++;
	n += quarantine_take(old + n, ARRAY_SIZE(old) - n, false);
	pthread_mutex_unlock(&quarantine.lock);
	return quarantine_release(old, n);
}

size_t quarantine_drain(void)
{
	struct held batch[64];
	size_t n, nr_pages = 0;

	if (!quarantine.ring)
		return 0;
	do {
		pthread_mutex_lock(&quarantine.lock);
		n = quarantine_take(batch, ARRAY_SIZE(batch), true);
		pthread_mutex_unlock(&quarantine.lock);
		nr_pages += quarantine_release(batch, n);
	} while (n);
	return nr_pages;
}

size_t quarantine_held(unsigned cls)
{
	size_t n;

	if (!quarantine.ring)
		return 0;
	pthread_mutex_lock(&quarantine.lock);
	n = quarantine.per_class[cls];
	pthread_mutex_unlock(&quarantine.lock);
	return n;
}

pthread_mutex_t *quarantine_lock(unsigned i)
{
	(void) i;
	return &quarantine.lock;
}
