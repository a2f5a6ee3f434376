/*
 * test_malloc_info.c - the statistics that glibc's extras and the report
 * give, where the heap is busy or holds memory for reuse:
 *
 *   - two threads calling malloc_stats() at once: every line of the two
 *     reports comes out whole and well-formed, and each report once;
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

enum { STATS_THREADS = 2, STATS_CALLS = 2000 };

/* Every line the report may print (KZMALLOC_CHECK=zero-size adds the last). */
static const char *const report_lines[] = {
	"^kzmalloc slabinfo: # name +active_objs +num_objs +objsize +objperslab +pagesperslab$",
	"^kmalloc-[0-9]+k? +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$",
	"^kzmalloc buddyinfo: pool( +[0-9]+){11}$",
	"^kzmalloc pool: chunks [0-9]+, pages mapped [0-9]+, in use [0-9]+ \\(slab [0-9]+, large "
	"[0-9]+\\), free [0-9]+ \\(resident [0-9]+, dirty [0-9]+\\), zeroed [0-9]+, purged "
	"[0-9]+, chunks unmapped [0-9]+, huge mappings [0-9]+ \\([0-9]+ KiB\\), metadata [0-9]+ "
	"KiB$",
	"^kzmalloc zero-size: regions [0-9]+ \\([0-9]+ KiB no access\\), live [0-9]+$",
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
	char line[1024];

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
		headers += strncmp(line, "kzmalloc slabinfo:", 18) == 0;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_malloc_stats_lines_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
