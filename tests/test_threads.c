/*
 * test_threads.c - the pool under several threads: each allocates, fills,
 * checks and frees blocks of random orders, and hands some to its
 * neighbour to free (cross-thread frees); contents are checked at every
 * step. Then a fork while the others keep allocating: the child's pool
 * works and is consistent.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"

enum { THREADS = 8, LIVE = 32, MAILBOX = 16 };

struct mailbox {
	pthread_mutex_t lock;
	void *addr[MAILBOX];
	unsigned order[MAILBOX];
	uint64_t id[MAILBOX];
	size_t n;
};

struct worker {
	pthread_t thread;
	unsigned index;
	size_t ops;
	atomic_bool *stop;
	struct mailbox *inbox, *outbox;
};

static size_t check_size(unsigned order)
{
	return order <= 1 ? KZ_PAGE_SIZE << order : 256;
}

static void mailbox_drain(struct mailbox *box)
{
	pthread_mutex_lock(&box->lock);
	for (size_t i = 0; i < box->n; i++) {
		if (!kzt_check(box->addr[i], check_size(box->order[i]), box->id[i]))
			fail_msg("a block handed over changed");
		kz_free_pages(box->addr[i], box->order[i]);
	}
	box->n = 0;
	pthread_mutex_unlock(&box->lock);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	void *addr[LIVE] = {0};
	unsigned order[LIVE] = {0};
	uint64_t id[LIVE] = {0}, rng = kzt_seed(0) + w->index;

	for (size_t op = 0; op < w->ops || (w->stop && !atomic_load(w->stop)); op++) {
		size_t slot = kzt_rand(&rng) % LIVE;

		if (addr[slot]) {
			if (!kzt_check(addr[slot], check_size(order[slot]), id[slot]))
				fail_msg("thread %u: block contents changed", w->index);
			pthread_mutex_lock(&w->outbox->lock);
			if (w->outbox->n < MAILBOX && (op & 3) == 0) {
				size_t n = w->outbox->n++;

				w->outbox->addr[n] = addr[slot];
				w->outbox->order[n] = order[slot];
				w->outbox->id[n] = id[slot];
				addr[slot] = NULL;
			}
			pthread_mutex_unlock(&w->outbox->lock);
			if (addr[slot])
				kz_free_pages(addr[slot], order[slot]);
			addr[slot] = NULL;
		} else {
			order[slot] = (unsigned) (kzt_rand(&rng) % 5);
			addr[slot] = kz_alloc_pages(order[slot]);
			if (!addr[slot] || !kzt_is_zero(addr[slot], check_size(order[slot])))
				fail_msg("thread %u: allocation failed or not zero", w->index);
			id[slot] = ((uint64_t) w->index << 48) | op;
			kzt_fill(addr[slot], check_size(order[slot]), id[slot]);
		}
		if ((op & 63) == 0)
			mailbox_drain(w->inbox);
	}
	for (size_t i = 0; i < LIVE; i++)
		kz_free_pages(addr[i], order[i]);
	return NULL;
}

static void run_workers(size_t ops, atomic_bool *stop, void (*during)(void))
{
	static struct mailbox boxes[THREADS];
	static struct worker workers[THREADS];
	struct kz_pool_stats st;

	for (unsigned i = 0; i < THREADS; i++) {
		pthread_mutex_init(&boxes[i].lock, NULL);
		boxes[i].n = 0;
	}
	for (unsigned i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){.index = i,
					     .ops = ops,
					     .stop = stop,
					     .inbox = &boxes[i],
					     .outbox = &boxes[(i + 1) % THREADS]};
		assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]),
				 0);
	}
	if (during)
		during();
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(workers[i].thread, NULL);
	for (unsigned i = 0; i < THREADS; i++)
		mailbox_drain(&boxes[i]);
	buddy_verify();
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_in_use, 0);
}

static void threads_alloc_free(void **state)
{
	(void) state;
	run_workers(40000 / kzt_scale(), NULL, NULL);
}

static atomic_bool fork_stop;

/* In the child only this thread exists; the pool must work and be consistent. */
static void fork_while_allocating(void)
{
	for (int round = 0; round < 8; round++) {
		pid_t pid;
		int status;

		usleep(2000);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			void *p[64];

			buddy_verify();
			for (int i = 0; i < 64; i++) {
				p[i] = kz_alloc_pages((unsigned) i % 4);
				if (!p[i] || !kzt_is_zero(p[i], KZ_PAGE_SIZE))
					_exit(2);
				memset(p[i], i, KZ_PAGE_SIZE);
			}
			for (int i = 0; i < 64; i++)
				kz_free_pages(p[i], (unsigned) i % 4);
			kz_trim();
			buddy_verify();
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	atomic_store(&fork_stop, true);
}

static void fork_with_threads(void **state)
{
	(void) state;
	run_workers(0, &fork_stop, fork_while_allocating);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_alloc_free),
		cmocka_unit_test(fork_with_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
