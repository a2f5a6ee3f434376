/*
 * kzbench.cc - the thin C++ shim between Google Benchmark and the C
 * benchmark bodies (kzbench.h): it owns main(), keeps the cases that C
 * constructors register, hands them to Google Benchmark once main runs,
 * and forwards the state loop. Nothing allocator-specific lives here.
 *
 * Registration happens before main, in constructors of C files, so the
 * cases are kept in a fixed array (no allocation, no C++ static whose
 * construction order matters) until Google Benchmark is initialised.
 */
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kzbench.h"

struct kzb_state {
	benchmark::State *st;
	const kzb_benchmark *b;
};

namespace
{

constexpr int max_benchmarks = 256;
kzb_benchmark registered[max_benchmarks];
int nregistered;

void run_case(benchmark::State &st, const kzb_benchmark *b)
{
	kzb_state s{&st, b};

	b->body(&s);
}

void register_with_google_benchmark(const kzb_benchmark *b)
{
	benchmark::internal::Benchmark *gb = benchmark::RegisterBenchmark(b->name, run_case, b);

	if (b->nargs > 0)
		gb->Args(std::vector<int64_t>(b->args, b->args + b->nargs));
	/* One thread: the process's CPU time, so work an allocator does in a
	 * background thread of its own counts too; threads: wall-clock time. */
	if (b->threads > 0)
		gb->Threads(b->threads)->UseRealTime();
	else
		gb->MeasureProcessCPUTime();
}

} // namespace

extern "C" {

void kzb_register(const kzb_benchmark *b)
{
	if (nregistered == max_benchmarks) {
		std::fputs("kzbench: too many benchmarks\n", stderr);
		std::abort();
	}
	registered[nregistered++] = *b;
}

bool kzb_keep_running(kzb_state *s)
{
	return s->st->KeepRunning();
}

bool kzb_keep_running_batch(kzb_state *s, long n)
{
	return s->st->KeepRunningBatch(n);
}

long kzb_max_iterations(const kzb_state *s)
{
	return s->st->max_iterations;
}

long kzb_iterations(const kzb_state *s)
{
	return s->st->iterations();
}

const void *kzb_data(const kzb_state *s)
{
	return s->b->data;
}

long kzb_arg(const kzb_state *s, int i)
{
	return s->b->args[i];
}

int kzb_thread_index(const kzb_state *s)
{
	return s->st->thread_index();
}

int kzb_threads(const kzb_state *s)
{
	return s->st->threads();
}

void kzb_set_items_processed(kzb_state *s, long items)
{
	s->st->SetItemsProcessed(items);
}

void kzb_skip_with_error(kzb_state *s, const char *message)
{
	s->st->SkipWithError(message);
}
}

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	for (int i = 0; i < nregistered; i++)
		register_with_google_benchmark(&registered[i]);
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
