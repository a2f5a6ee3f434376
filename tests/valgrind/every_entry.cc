/*
 * every_entry.cc - every allocation function libkzmalloc.so exports, each
 * used as a program would and its result checked: the libc names, glibc's
 * other names for them, the C++ operators, kzmalloc's own kz_ names and
 * the page API. Exits 0 if all behaved.
 *
 * Run plainly, under memcheck with kzmalloc preloaded (memcheck then
 * replaces some of these functions and not others: each must still work
 * on the pointers the others return) and under memcheck with kzmalloc
 * active; memcheck must report no error in either case.
 */
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <new>

#include "kzmalloc.h"

extern "C" {
void cfree(void *ptr);
void free_sized(void *ptr, size_t size);
void free_aligned_sized(void *ptr, size_t alignment, size_t size);
void *__libc_malloc(size_t size);
void __libc_free(void *ptr);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
int __posix_memalign(void **memptr, size_t alignment, size_t size);
}

static int failures;
static volatile size_t huge_count = SIZE_MAX / 2; /* hidden from the compiler's checks */

/* A reallocarray that overflows leaves the block alone: using it afterwards is right. */
#pragma GCC diagnostic ignored "-Wuse-after-free"

static void expect(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "every_entry: %s\n", what);
		failures++;
	}
}

static bool aligned(const void *p, size_t alignment)
{
	return p && reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

/* Fill @n bytes, the way a program uses what it asked for. */
static void *use(void *p, size_t n)
{
	if (p)
		std::memset(p, 0x5a, n);
	return p;
}

static void libc_names()
{
	char *p = static_cast<char *>(use(std::malloc(100), 100));
	void *q = nullptr;

	expect(p && malloc_usable_size(p) >= 100, "malloc / malloc_usable_size");
	p = static_cast<char *>(std::realloc(p, 5000));
	expect(p && p[99] == 0x5a, "realloc keeps the contents");
	p = static_cast<char *>(reallocarray(p, 100, 300));
	expect(p && p[99] == 0x5a, "reallocarray keeps the contents");
	errno = 0;
	expect(!reallocarray(p, huge_count, 3) && errno == ENOMEM, "reallocarray overflows");
	std::free(p);
	p = static_cast<char *>(std::calloc(10, 10));
	expect(p && p[0] == 0 && p[99] == 0, "calloc");
	std::free(p);
	expect(posix_memalign(&q, 256, 1000) == 0 && aligned(use(q, 1000), 256), "posix_memalign");
	std::free(q);
	q = use(aligned_alloc(64, 640), 640);
	expect(aligned(q, 64), "aligned_alloc");
	std::free(q);
	q = use(memalign(4096, 10), 10);
	expect(aligned(q, 4096), "memalign");
	std::free(q);
	q = use(valloc(100), 100);
	expect(aligned(q, 4096), "valloc");
	std::free(q);
	q = use(pvalloc(5000), 8192);
	expect(aligned(q, 4096) && malloc_usable_size(q) >= 8192, "pvalloc");
	std::free(q);
	cfree(use(std::malloc(10), 10));
	free_sized(use(std::malloc(300), 300), 300);
	free_aligned_sized(use(aligned_alloc(128, 256), 256), 128, 256);
	free_sized(use(std::malloc(200 << 10), 200 << 10), 200 << 10);
	std::free(nullptr);
}

static void glibc_aliases()
{
	char *p = static_cast<char *>(use(__libc_malloc(50), 50));
	void *q = nullptr;

	p = static_cast<char *>(__libc_realloc(p, 500));
	expect(p && p[49] == 0x5a, "__libc_realloc");
	__libc_free(p);
	p = static_cast<char *>(__libc_calloc(4, 25));
	expect(p && p[99] == 0, "__libc_calloc");
	__libc_free(p);
	q = use(__libc_memalign(512, 100), 100);
	expect(aligned(q, 512), "__libc_memalign");
	std::free(q);
	q = use(__libc_valloc(10), 10);
	expect(aligned(q, 4096), "__libc_valloc");
	__libc_free(q);
	q = use(__libc_pvalloc(10), 4096);
	expect(aligned(q, 4096), "__libc_pvalloc");
	std::free(q);
	expect(__posix_memalign(&q, 32, 64) == 0 && aligned(use(q, 64), 32), "__posix_memalign");
	__libc_free(q);
}

static void statistics()
{
	void *hold = use(std::malloc(1 << 20), 1 << 20);
	struct mallinfo2 mi2 = mallinfo2();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	struct mallinfo mi = mallinfo();
#pragma GCC diagnostic pop
	FILE *devnull = std::fopen("/dev/null", "w");

	expect(mi2.uordblks >= 1 << 20, "mallinfo2 counts a live 1 MiB block");
	expect(mi.uordblks >= 1 << 20, "mallinfo counts a live 1 MiB block");
	expect(devnull && malloc_info(0, devnull) == 0, "malloc_info");
	if (devnull)
		std::fclose(devnull);
	expect(mallopt(M_TRIM_THRESHOLD, 1 << 20) == 1, "mallopt");
	malloc_stats();
	std::free(hold);
	malloc_trim(0);
}

static void cxx_operators()
{
	const std::align_val_t al{64};

	delete static_cast<char *>(use(::operator new(10), 10));
	::operator delete (use(::operator new(20), 20), std::size_t{20});
	::operator delete[](use(::operator new[](30), 30));
	::operator delete[](use(::operator new[](40), 40), std::size_t{40});
	::operator delete(use(::operator new(50, std::nothrow), 50), std::nothrow);
	::operator delete[](use(::operator new[](60, std::nothrow), 60), std::nothrow);

	void *p = use(::operator new(70, al), 70);
	expect(aligned(p, 64), "operator new aligned");
	::operator delete(p, al);
	::operator delete (use(::operator new(80, al), 80), std::size_t{80}, al);
	::operator delete[](use(::operator new[](90, al), 90), al);
	::operator delete[](use(::operator new[](100, al), 100), std::size_t{100}, al);
	::operator delete(use(::operator new(110, al, std::nothrow), 110), al, std::nothrow);
	::operator delete[](use(::operator new[](120, al, std::nothrow), 120), al, std::nothrow);
	delete[] new int[7]{};
	delete new int{7};
}

/* kzmalloc's own names, in pairs (they serve kzmalloc's heap whoever serves malloc). */
static void kz_names()
{
	char *p = static_cast<char *>(use(kz_malloc(100), 100));
	void *q = nullptr;

	p = static_cast<char *>(kz_realloc(p, 1000));
	expect(p && p[99] == 0x5a && kz_malloc_usable_size(p) >= 1000, "kz_realloc");
	p = static_cast<char *>(kz_reallocarray(p, 10, 200));
	expect(p && p[99] == 0x5a, "kz_reallocarray");
	kz_free(p);
	p = static_cast<char *>(kz_calloc(3, 33));
	expect(p && p[98] == 0, "kz_calloc");
	kz_free_sized(p, 99);
	expect(kz_posix_memalign(&q, 128, 10) == 0 && aligned(use(q, 10), 128),
	       "kz_posix_memalign");
	kz_free(q);
	q = use(kz_aligned_alloc(32, 64), 64);
	kz_free_aligned_sized(q, 32, 64);
	kz_free(use(kz_memalign(256, 10), 10));
	kz_free(use(kz_valloc(10), 10));
	kz_free(use(kz_pvalloc(10), 4096));

	unsigned order = kz_get_order(20000);
	char *pages = static_cast<char *>(kz_alloc_pages(order));
	expect(aligned(pages, KZ_PAGE_SIZE << order) && pages[20000] == 0, "kz_alloc_pages");
	use(pages, KZ_PAGE_SIZE << order);
	kz_free_pages(pages, order);
	kz_free_page(use(kz_get_zeroed_page(), KZ_PAGE_SIZE));
	kz_trim();

	struct kz_pool_stats st;
	FILE *devnull = std::fopen("/dev/null", "w");

	p = static_cast<char *>(use(kz_malloc(2 << 20), 2 << 20));
	kz_get_pool_stats(&st);
	expect(st.pages_in_use >= 512, "kz_get_pool_stats counts a live 2 MiB block");
	expect(kz_mallinfo2().uordblks >= 2 << 20 && kz_mallinfo().uordblks >= 2 << 20,
	       "kz_mallinfo2 and kz_mallinfo count a live 2 MiB block");
	expect(devnull && kz_malloc_info(0, devnull) == 0, "kz_malloc_info");
	if (devnull) {
		kz_stats_print(fileno(devnull));
		std::fclose(devnull);
	}
	expect(kz_mallopt(M_TRIM_THRESHOLD, 1 << 20) == 1, "kz_mallopt");
	kz_malloc_stats();
	kz_free(p);
	kz_malloc_trim(0);
}

int main()
{
	libc_names();
	glibc_aliases();
	statistics();
	cxx_operators();
	kz_names();
	if (failures)
		return 1;
	std::puts("every entry point behaved");
	return 0;
}
