/*
 * test_faults_new.cc - C++ operator new when the OS refuses memory (a
 * KZ_FAULT_INJECTION build): with every mmap failing, new throws
 * std::bad_alloc, the nothrow forms give nullptr, aligned forms too, a
 * new_handler is called and, once it makes memory available, new
 * succeeds; with the faults off everything works again.
 *
 * No framework, like test_new_delete.cc: each CHECK counts, the last line
 * is "N passed, N failed", and the exit status is 1 if anything failed.
 */
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>

#include "cxxcheck.h"
#include "kzmalloc.h"
extern "C" {
#include "os.h"
}

/* Large enough to need a new mapping (huge), and hidden from the optimizer. */
static volatile std::size_t big = std::size_t(16) << 20;

/* One object as large, for the single-object new. */
struct blob {
	char bytes[std::size_t(16) << 20];
};

static void mmap_fails(void)
{
	os_fault_plan plan = {};

	plan.calls = 1u << OS_MMAP;
	plan.nth = 1;
	plan.times = 0;	   /* every mmap from the next one on */
	kz_malloc_trim(0); /* nothing kept for reuse: the next big request needs mmap */
	os_fault_set(&plan);
}

template <typename F> static bool throws_bad_alloc(F f)
{
	try {
		f();
	} catch (const std::bad_alloc &) {
		return true;
	}
	return false;
}

static int handler_calls;

/* The standard's contract: make memory available and return, and new tries again. */
static void lift_faults(void)
{
	handler_calls++;
	os_fault_set(nullptr);
}

int main()
{
	os_fault_stats st;

	mmap_fails();
	CHECK(throws_bad_alloc([] { delete[] new char[big]; }));
	CHECK(throws_bad_alloc([] { delete new blob; }));
	CHECK(throws_bad_alloc([] { ::operator delete(::operator new(big)); }));
	CHECK(throws_bad_alloc([] {
		::operator delete(::operator new(big, std::align_val_t(64)), std::align_val_t(64));
	}));
	CHECK(throws_bad_alloc([] {
		::operator delete[](::operator new[](big, std::align_val_t(1 << 23)),
				    std::align_val_t(1 << 23));
	}));
	CHECK(new (std::nothrow) char[big] == nullptr);
	CHECK(::operator new(big, std::nothrow) == nullptr);
	CHECK(::operator new(big, std::align_val_t(4096), std::nothrow) == nullptr);
	CHECK(::operator new[](big, std::align_val_t(4096), std::nothrow) == nullptr);
	os_fault_get_stats(&st);
	CHECK(st.injected[OS_MMAP] >= 9);

	/* A handler that frees memory up: new returns after one call. */
	std::set_new_handler(lift_faults);
	char *p = new char[big];
	CHECK(handler_calls == 1);
	std::memset(p, 1, big);
	delete[] p;
	std::set_new_handler(nullptr);

	/* Faults off: every form works again. */
	os_fault_set(nullptr);
	p = new char[big];
	std::memset(p, 2, big);
	delete[] p;
	void *q = ::operator new(big, std::align_val_t(1 << 23), std::nothrow);
	CHECK(q != nullptr && reinterpret_cast<std::uintptr_t>(q) % (1 << 23) == 0);
	::operator delete(q, std::align_val_t(1 << 23));

	return cxxcheck_report();
}
