/*
 * test_new_delete.cc - the C++ operators of preload/new_delete.cc, linked
 * in from the static library: every form of new and delete, aligned new
 * from 16 to 8192, the new_handler loop, bad_alloc and the nothrow forms on
 * an impossible size, and the standard containers under heavy use.
 *
 * No framework: each CHECK counts, the last line is "N passed, N failed",
 * and the exit status is 1 if anything failed.
 */
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "cxxcheck.h"
#include "kzmalloc.h"

/* Sizes no allocator can serve; volatile so that g++ cannot see them at compile time. */
static volatile std::size_t impossible = SIZE_MAX / 2;

static bool aligned(const void *p, std::size_t align)
{
	return reinterpret_cast<std::uintptr_t>(p) % align == 0;
}

/*
 * A block of ours: writable over its whole size, and known to kzmalloc
 * (kz_malloc_usable_size aborts on a pointer it never handed out, so this
 * also proves the operators did not come from libstdc++).
 */
static bool usable(void *p, std::size_t size)
{
	if (!p)
		return false;
	std::memset(p, 0xa5, size);
	return kz_malloc_usable_size(p) >= size;
}

static void test_plain_forms()
{
	for (std::size_t size : {0ul, 1ul, 16ul, 100ul, 4096ul, 100000ul, 1ul << 22}) {
		void *p = ::operator new(size);
		void *a = ::operator new[](size);
		void *n = ::operator new(size, std::nothrow);
		void *na = ::operator new[](size, std::nothrow);

		CHECK(usable(p, size) && usable(a, size) && usable(n, size) && usable(na, size));
		CHECK(aligned(p, 16) && aligned(a, 16) && aligned(n, 16) && aligned(na, 16));
		::operator delete(p, size);
		::operator delete[](a, size);
		::operator delete(n, std::nothrow);
		::operator delete[](na, std::nothrow);

		p = ::operator new(size);
		a = ::operator new[](size);
		CHECK(usable(p, size) && usable(a, size));
		::operator delete(p);
		::operator delete[](a);
	}

	/* new(0) is a unique pointer each time. */
	void *z1 = ::operator new(0), *z2 = ::operator new(0);
	void *z3 = ::operator new[](0), *z4 = ::operator new(0, std::align_val_t(64));

	CHECK(z1 && z2 && z3 && z4 && z1 != z2 && z1 != z3 && z2 != z3 && z4 != z1);
	::operator delete(z1);
	::operator delete(z2, std::size_t(0));
	::operator delete[](z3);
	::operator delete(z4, std::align_val_t(64));

	/* Delete of nullptr, every form, does nothing. */
	const auto al = std::align_val_t(64);

	::operator delete(nullptr);
	::operator delete[](nullptr);
	::operator delete(nullptr, 16);
	::operator delete[](nullptr, 16);
	::operator delete(nullptr, std::nothrow);
	::operator delete[](nullptr, std::nothrow);
	::operator delete(nullptr, al);
	::operator delete[](nullptr, al);
	::operator delete(nullptr, 16, al);
	::operator delete[](nullptr, 16, al);
	::operator delete(nullptr, al, std::nothrow);
	::operator delete[](nullptr, al, std::nothrow);
	CHECK(true);
}

static void test_aligned_forms()
{
	for (std::size_t align = 16; align <= 8192; align *= 2) {
		const auto al = std::align_val_t(align);
		bool ok = true;

		for (std::size_t size : {1ul, align - 1, align, 3 * align + 1}) {
			void *p = ::operator new(size, al);
			void *a = ::operator new[](size, al);
			void *n = ::operator new(size, al, std::nothrow);
			void *na = ::operator new[](size, al, std::nothrow);

			ok &= usable(p, size) && usable(a, size) && usable(n, size) &&
			      usable(na, size);
			ok &= aligned(p, align) && aligned(a, align) && aligned(n, align) &&
			      aligned(na, align);
			::operator delete(p, size, al);
			::operator delete[](a, size, al);
			::operator delete(n, al, std::nothrow);
			::operator delete[](na, al, std::nothrow);

			p = ::operator new(size, al);
			a = ::operator new[](size, al);
			ok &= aligned(p, align) && aligned(a, align);
			::operator delete(p, al);
			::operator delete[](a, al);
		}
		if (!ok)
			std::printf("alignment %zu: misaligned or unusable block\n", align);
		CHECK(ok);
	}

	/* Alignments below the default are allowed too. */
	for (std::size_t align = 1; align < 16; align *= 2) {
		void *p = ::operator new(24, std::align_val_t(align));

		CHECK(usable(p, 24) && aligned(p, align));
		::operator delete(p, 24, std::align_val_t(align));
	}
}

/* New-expressions: the compiler picks the aligned and sized forms itself. */
struct alignas(256) page_part {
	unsigned char bytes[256];
};

struct counted {
	static int live;
	std::string name;
	explicit counted(int i) : name(std::to_string(i))
	{
		live++;
	}
	~counted()
	{
		live--;
	}
};
int counted::live;

static void test_expressions()
{
	page_part *one = new page_part();
	page_part *many = new page_part[7]();

	CHECK(aligned(one, 256) && aligned(many, 256) && one->bytes[255] == 0 &&
	      many[6].bytes[0] == 0);
	delete one;
	delete[] many;

	counted *c = new counted(42);
	counted *cs = new counted[3]{counted(1), counted(2), counted(3)};

	CHECK(counted::live == 4 && c->name == "42" && cs[2].name == "3");
	delete c;
	delete[] cs;
	CHECK(counted::live == 0);

	int *none = new (std::nothrow) int[1000];

	CHECK(none != nullptr);
	delete[] none;
}

/* A handler that frees a reserve, counts, and uninstalls itself after @handler_budget calls. */
static int handler_calls, handler_budget;
static void *reserve;

static void release_reserve()
{
	handler_calls++;
	::operator delete(reserve);
	reserve = nullptr;
	if (handler_calls >= handler_budget)
		std::set_new_handler(nullptr);
}

static void throwing_handler()
{
	handler_calls++;
	throw std::bad_alloc();
}

static void arm_handler(int budget)
{
	reserve = ::operator new(1 << 20);
	handler_calls = 0;
	handler_budget = budget;
	std::set_new_handler(release_reserve);
}

/* Runs @alloc_free (allocate, then free what it got): true if it threw bad_alloc. */
template <typename F> static bool throws_bad_alloc(F alloc_free)
{
	try {
		alloc_free();
		return false;
	} catch (const std::bad_alloc &) {
		return true;
	}
}

static void test_failure()
{
	const std::size_t huge = impossible;
	const auto al = std::align_val_t(4096);

	/* No handler: bad_alloc from every throwing form. */
	std::set_new_handler(nullptr);
	CHECK(throws_bad_alloc([=] { ::operator delete(::operator new(huge)); }));
	CHECK(throws_bad_alloc([=] { ::operator delete[](::operator new[](huge)); }));
	CHECK(throws_bad_alloc([=] { ::operator delete(::operator new(huge, al), al); }));
	CHECK(throws_bad_alloc([=] { ::operator delete[](::operator new[](huge, al), al); }));

	/* No handler: nullptr from every nothrow form. */
	CHECK(::operator new(huge, std::nothrow) == nullptr);
	CHECK(::operator new[](huge, std::nothrow) == nullptr);
	CHECK(::operator new(huge, al, std::nothrow) == nullptr);
	CHECK(::operator new[](huge, al, std::nothrow) == nullptr);

	/* The handler runs once per failed attempt until it uninstalls itself, then bad_alloc. */
	arm_handler(1);
	CHECK(throws_bad_alloc([=] { ::operator delete(::operator new(huge)); }));
	CHECK(handler_calls == 1 && reserve == nullptr && std::get_new_handler() == nullptr);

	arm_handler(3);
	CHECK(throws_bad_alloc([=] { ::operator delete[](::operator new[](huge, al), al); }));
	CHECK(handler_calls == 3 && std::get_new_handler() == nullptr);

	/* The nothrow forms call it the same way, then return nullptr. */
	arm_handler(2);
	CHECK(::operator new(huge, std::nothrow) == nullptr);
	CHECK(handler_calls == 2 && std::get_new_handler() == nullptr);

	arm_handler(1);
	CHECK(::operator new[](huge, al, std::nothrow) == nullptr);
	CHECK(handler_calls == 1 && std::get_new_handler() == nullptr);

	/* A handler that throws: its bad_alloc propagates, or becomes nullptr for nothrow. */
	handler_calls = 0;
	std::set_new_handler(throwing_handler);
	CHECK(throws_bad_alloc([=] { ::operator delete(::operator new(huge)); }));
	CHECK(::operator new(huge, al, std::nothrow) == nullptr);
	CHECK(handler_calls == 2);
	std::set_new_handler(nullptr);

	/* Still working afterwards. */
	void *p = ::operator new(64);

	CHECK(usable(p, 64));
	::operator delete(p, 64);
}

static void test_containers()
{
	std::vector<std::string> words;
	std::map<std::string, std::size_t> counts;
	std::uint64_t state = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 200000; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		std::string w = "w" + std::to_string(state >> 50);

		w.append(static_cast<std::size_t>(state >> 60), 'x'); /* past the SSO buffer */
		words.push_back(w);
	}
	for (const std::string &w : words)
		counts[w]++;

	std::size_t total = 0;

	for (const auto &kv : counts)
		total += kv.second;
	CHECK(total == words.size());

	std::vector<std::string> sorted = words;

	std::sort(sorted.begin(), sorted.end());
	sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
	CHECK(sorted.size() == counts.size());

	/* Grow and shrink: reallocation copies, erase from a map, long strings. */
	std::string big;

	for (const std::string &w : sorted)
		big += w;
	std::size_t len = 0;

	for (const std::string &w : sorted)
		len += w.size();
	CHECK(big.size() == len);

	for (auto it = counts.begin(); it != counts.end();)
		it = it->second % 2 ? counts.erase(it) : std::next(it);
	std::size_t even = 0;

	for (const auto &kv : counts)
		even += kv.second % 2 == 0;
	CHECK(even == counts.size());

	std::vector<std::vector<int>> nested(1000);

	for (std::size_t i = 0; i < nested.size(); i++)
		nested[i].assign(i, static_cast<int>(i));
	nested.erase(nested.begin(), nested.begin() + 500);
	nested.shrink_to_fit();
	CHECK(nested.size() == 500 && nested[0].size() == 500 && nested[499][498] == 999);
}

int main()
{
	test_plain_forms();
	test_aligned_forms();
	test_expressions();
	test_failure();
	test_containers();
	return cxxcheck_report();
}
