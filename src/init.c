/*
 * init.c - process start-up and exit.
 *
 * Owns kz_ready. Start-up runs once under pthread_once (no allocation, so a
 * first call from any constructor is safe); at exit the destructor prints
 * the statistics report if KZMALLOC_STATS asks for it, and Debug builds
 * check the pool's invariants one last time.
 */
#include "init.h"

#include <pthread.h>
#include <unistd.h>

#include "buddy.h"
#include "kzmalloc.h"
#include "options.h"
#include "purge.h"

atomic_bool kz_ready;

static pthread_once_t kz_once = PTHREAD_ONCE_INIT;

static void fork_child(void)
{
	buddy_fork_child();
	purge_fork_child();
}

static void kz_init_once(void)
{
	options_init();
	buddy_init();
	pthread_atfork(buddy_fork_prepare, buddy_fork_parent, fork_child);
	atomic_store_explicit(&kz_ready, true, memory_order_release);
}

void kz_init_slow(void)
{
	pthread_once(&kz_once, kz_init_once);
}

__attribute__((constructor)) static void kz_constructor(void)
{
	kz_init();
}

__attribute__((destructor)) static void kz_destructor(void)
{
	if (!atomic_load(&kz_ready))
		return;
	if (kz_debug)
		buddy_verify();
	if (kz_opt.stats)
		kz_stats_print(STDERR_FILENO);
}
