/*
 * test_size_class.c - the size-class table and the arithmetic around it:
 * every request up to 128 KiB maps to the smallest class that holds it,
 * the worst-case waste stays at or under 20% (16-byte-aligned requests),
 * and the multiply-by-reciprocal slot index is exact for every slot start
 * of every class's slab, and never exact for a pointer inside an object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "size_class.h"
#include "slab.h"

static void every_size_maps_to_smallest_class(void **state)
{
	(void) state;
	for (size_t size = 0; size <= KZ_SMALL_MAX; size++) {
		unsigned cls = size_to_class(size);

		assert_true(cls < KZ_NR_CLASSES);
		assert_true(kz_class_size[cls] >= size);
		if (cls > 0 && size > 0)
			assert_true(kz_class_size[cls - 1] < size);
	}
	assert_int_equal(kz_class_size[0], 32);
	assert_int_equal(kz_class_size[KZ_NR_CLASSES - 1], KZ_SMALL_MAX);
}

static void waste_at_most_a_fifth(void **state)
{
	unsigned prev = 16;

	(void) state;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		unsigned size = kz_class_size[cls], smallest = prev + 16;

		assert_true(size > prev && size % 16 == 0);
		/* The smallest 16-byte-aligned request this class serves. */
		assert_true((size - smallest) * 5 <= size);
		prev = size;
	}
}

static void reciprocal_slot_is_exact(void **state)
{
	static struct kz_page head;

	(void) state;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		size_t size = kz_class_size[cls], slab_bytes = (size_t) 1 << 22;
		const char *base = (const char *) ((uintptr_t) 1 << 40);

		head.slab.base = base;
		head.slab.recip = kz_class_recip[cls];
		for (size_t off = 0; off + size <= slab_bytes; off += size) {
			size_t slot;

			assert_true(page_slab_slot(&head, base + off, &slot));
			assert_int_equal(slot, off / size);
			/* Inside an object (a byte, a word, then every 16-byte step): never a
			 * start. */
			for (size_t in = 1; in < size; in += in < 8 ? 7 : in < 16 ? 8 : 16) {
				assert_false(page_slab_slot(&head, base + off + in, &slot));
				assert_int_equal(slot, off / size);
			}
		}
	}
}

/* The slow path's table above 1 KiB, filled at start-up, is size_to_class exactly. */
static void medium_table_is_size_to_class(void **state)
{
	(void) state;
	kz_free(kz_malloc(1)); /* start-up */
	for (size_t size = 1025; size <= KZ_SMALL_MAX; size++)
		assert_int_equal(kz_class_of_medium[(size - 1) >> KZ_MEDIUM_SHIFT],
				 size_to_class(size));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_size_maps_to_smallest_class),
		cmocka_unit_test(waste_at_most_a_fifth),
		cmocka_unit_test(reciprocal_slot_is_exact),
		cmocka_unit_test(medium_table_is_size_to_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
