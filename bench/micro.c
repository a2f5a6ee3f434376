/*
 * micro.c - the single-threaded micro cases of ops.c as Google Benchmark
 * cases: one per row of ops_cases, timed in CPU time of the calling
 * thread, items_per_second counting allocator operations; a call of 0
 * iterations before the timing does a case's one-time set-up.
 */
#include "kzbench.h"
#include "ops.h"

static void ops_body(struct kzb_state *st)
{
	const struct ops_case *c = kzb_data(st);
	long n = kzb_max_iterations(st);

	/* 0 iterations, untimed: a case's one-time set-up (memset's resident buffer). */
	if (c->run(c, 0))
		kzb_skip_with_error(st, "allocation failed"); /* the loop then does not run */
	while (kzb_keep_running_batch(st, n))
		if (c->run(c, n))
			kzb_skip_with_error(st, "allocation failed"); /* the loop then ends */
	kzb_set_items_processed(st, kzb_iterations(st) * c->items);
}

KZB_REGISTER(micro_register)
{
	for (size_t i = 0; i < ops_ncases; i++)
		kzb_register(&(struct kzb_benchmark){
			.name = ops_cases[i].name, .body = ops_body, .data = &ops_cases[i]});
}
