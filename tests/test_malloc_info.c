/*
 * test_malloc_info.c - the statistics that glibc's extras and the report
 * give, where the heap is busy or holds memory for reuse:
 *
 *   - two threads calling malloc_stats() at once: every line of the two
 *     reports comes out whole and well-formed, and each report once;
 *   - a freed huge block waits in the cache for reuse: mallinfo2 counts it
 *     free (fordblks, keepcost), not in use (uordblks, hblks, hblkhd), and
 *     kz_get_pool_stats and the report say the same of it.
 *
 * Run with KZMALLOC_PURGE_DELAY long, so that the cache keeps what it got.
 */
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "kztest.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIB	      ((size_t) 1 << 20)

enum { STATS_THREADS = 2, STATS_CALLS = 2000 };

/* Every line the report may print (KZMALLOC_CHECK=zero-size adds the one before the JSON). */
static const char *const report_lines[] = {
	"^kzmalloc report: program [!-~]+, pid [0-9]+, run time [0-9]+\\.[0-9]{3} s, peak RSS "
	"[0-9]+ "
	"KiB$",
	"^kzmalloc counters: (off \\(KZMALLOC_STATS counts\\)|mallocs [0-9]+, .*%\\)|slabs made "
	".*)$",
	"^kzmalloc slabinfo: # name +active_objs +num_objs +objsize +objperslab +pagesperslab$",
	"^kzmalloc slabinfo: kmalloc-[0-9]+k? +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$",
	"^kzmalloc buddyinfo: pool( +[0-9]+){11}$",
	"^kzmalloc pool: chunks [0-9]+, pages mapped [0-9]+, in use [0-9]+ \\(slab [0-9]+, large "
	"[0-9]+\\), free [0-9]+ \\(resident [0-9]+, dirty [0-9]+\\), zeroed [0-9]+, purged "
	"[0-9]+, chunks unmapped [0-9]+, huge mappings [0-9]+ \\([0-9]+ KiB\\), of them cached "
	"[0-9]+ \\([0-9]+ KiB\\), metadata [0-9]+ "
	"KiB$",
	"^kzmalloc zero-size: regions [0-9]+ \\([0-9]+ KiB no access\\), live [0-9]+$",
	"^\\{\"kzmalloc\":1,\"program\":\"[!-~]+\",\"pid\":[0-9]+,.*,\"metadata_bytes\":[0-9]+\\}$",
};

static void *stats_run(void *arg)
{
	unsigned calls = *(const unsigned *) arg;

	for (unsigned i = 0; i < calls; i++)
		kz_malloc_stats();
	return NULL;
}

static void concurrent_malloc_stats_lines_whole(void **state)
{
	static void *objects[256];
	unsigned calls = STATS_CALLS / kzt_scale(), headers = 0, lines = 0;
	regex_t re[ARRAY_SIZE(report_lines)];
	pthread_t threads[STATS_THREADS];
	int saved = dup(STDERR_FILENO);
	FILE *f = tmpfile();
	char line[4096];

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(report_lines); i++)
		assert_int_equal(regcomp(&re[i], report_lines[i], REG_EXTENDED | REG_NOSUB), 0);
	/* Rows in the table: objects in many classes. */
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
		assert_non_null(objects[i] = kz_malloc(16 + i * 509));
	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	for (unsigned i = 0; i < STATS_THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, stats_run, &calls), 0);
	for (unsigned i = 0; i < STATS_THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		bool known = false;

		if (len == 0 || line[len - 1] != '\n')
			fail_msg("line %u unterminated or too long: \"%s\"", lines, line);
		line[len - 1] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(report_lines) && !known; i++)
			known = regexec(&re[i], line, 0, NULL, 0) == 0;
		if (!known)
			fail_msg("line %u malformed: \"%s\"", lines, line);
		headers += strncmp(line, "kzmalloc report:", 16) == 0;
		lines++;
	}
	print_message("%u lines, %u reports\n", lines, headers);
	assert_int_equal(headers, STATS_THREADS * calls);
	fclose(f);
	for (size_t i = 0; i < ARRAY_SIZE(report_lines); i++)
		regfree(&re[i]);
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
		kz_free(objects[i]);
}

static void print_mallinfo2(const char *when, const struct mallinfo2 *mi)
{
	print_message("%-8s arena %zu, uordblks %zu, fordblks %zu, hblks %zu, hblkhd %zu, keepcost "
		      "%zu\n",
		      when, mi->arena, mi->uordblks, mi->fordblks, mi->hblks, mi->hblkhd,
		      mi->keepcost);
}

/* The report's huge mappings and cached ones agree with the pool's counters of the same moment. */
static void assert_report_agrees(const struct kz_pool_stats *st)
{
	size_t mappings, kib, cached, cached_kib;
	FILE *f = tmpfile();
	char line[1024];
	bool found = false;

	assert_non_null(f);
	kz_stats_print(fileno(f));
	rewind(f);
	while (!found && fgets(line, sizeof(line), f)) {
		const char *h = strstr(line, "huge mappings ");

		found = h && sscanf(h, "huge mappings %zu (%zu KiB), of them cached %zu (%zu KiB)",
				    &mappings, &kib, &cached, &cached_kib) == 4;
	}
	fclose(f);
	assert_true(found);
	assert_int_equal(mappings, st->huge_mappings);
	assert_int_equal(kib, st->huge_bytes >> 10);
	assert_int_equal(cached, st->huge_cached);
	assert_int_equal(cached_kib, st->huge_cached_bytes >> 10);
}

static void cached_huge_block_is_free(void **state)
{
	const size_t size = 64 * MIB;
	struct mallinfo2 before, during, after, again;
	struct kz_pool_stats st0, st;
	char *p;

	(void) state;
	kz_malloc_trim(0); /* nothing cached yet */
	before = kz_mallinfo2();
	kz_get_pool_stats(&st0);
	assert_int_equal(st0.huge_cached, 0);
	p = kz_malloc(size);
	assert_non_null(p);
	p[0] = p[size - 1] = 1;
	during = kz_mallinfo2();
	kz_free(p);
	after = kz_mallinfo2();
	print_mallinfo2("before", &before);
	print_mallinfo2("during", &during);
	print_mallinfo2("after", &after);
	assert_true(during.uordblks >= before.uordblks + size);
	assert_true(during.hblkhd >= before.hblkhd + size);
	assert_int_equal(during.hblks, before.hblks + 1);
	/* Freed, kept mapped for reuse: free memory, none of it in use. */
	assert_int_equal(after.uordblks, before.uordblks);
	assert_int_equal(after.hblkhd, before.hblkhd);
	assert_int_equal(after.hblks, before.hblks);
	assert_int_equal(after.arena, during.arena);
	assert_int_equal(after.fordblks, during.fordblks + (during.uordblks - after.uordblks));
	assert_true(after.keepcost >= before.keepcost + size);
	/* The pool still has it mapped, as one of the huge mappings, cached; the report agrees. */
	kz_get_pool_stats(&st);
	assert_int_equal(st.huge_mappings, st0.huge_mappings + 1);
	assert_int_equal(st.huge_bytes, st0.huge_bytes + size);
	assert_int_equal(st.huge_cached, 1);
	assert_int_equal(st.huge_cached_bytes, size);
	assert_int_equal(after.hblkhd, st.huge_bytes - st.huge_cached_bytes);
	assert_int_equal(after.hblks, st.huge_mappings - st.huge_cached);
	assert_report_agrees(&st);
	/* Taken again from the cache: in use again. */
	p = kz_malloc(size);
	assert_non_null(p);
	again = kz_mallinfo2();
	print_mallinfo2("again", &again);
	assert_int_equal(again.hblkhd, during.hblkhd);
	assert_int_equal(again.uordblks, during.uordblks);
	kz_get_pool_stats(&st);
	assert_int_equal(st.huge_cached, 0);
	assert_report_agrees(&st);
	kz_free(p);
	kz_malloc_trim(0);
	kz_get_pool_stats(&st);
	assert_int_equal(st.huge_mappings, st0.huge_mappings);
	assert_int_equal(st.huge_cached, 0);
	after = kz_mallinfo2();
	assert_int_equal(after.arena, before.arena);
	assert_int_equal(after.uordblks, before.uordblks);
	assert_int_equal(after.keepcost, before.keepcost);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_malloc_stats_lines_whole),
		cmocka_unit_test(cached_huge_block_is_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
