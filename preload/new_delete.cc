/*
 * new_delete.cc - the replaceable C++ operator new and delete, every form
 * C++17/20 lists ([new.delete.single], [new.delete.array]), on the malloc
 * API layer's hidden functions (kmalloc.h): direct calls, no PLT.
 *
 * The throwing forms loop as the standard says: while the allocation fails,
 * call the installed new_handler; with none installed, throw bad_alloc. The
 * nothrow forms run the same loop and turn bad_alloc into nullptr. Aligned
 * forms take any power-of-two alignment (kmemalign: below 16 is fine).
 * Delete of nullptr does nothing (kfree and its sized variants ignore NULL).
 *
 * No globals and no static constructors: libstdc++ is called only when an
 * allocation fails (get_new_handler, the bad_alloc throw), so a C program
 * pays just for loading libstdc++. It must be the program's libstdc++.so,
 * never a static copy: the new_handler lives there.
 */
#include <cstddef>
#include <new>

#include "kmalloc.h"

#define KZ_EXPORT __attribute__((visibility("default")))

namespace
{

/*
 * One attempt; operator new(0) relies on kmalloc(0) being unique, as glibc's is (with
 * KZMALLOC_CHECK=zero-size, a unique no-access address: kmalloc and kmemalign both give one).
 */
inline void *try_alloc(std::size_t size, std::size_t align)
{
	return align ? kmemalign(align, size) : kmalloc(size);
}

/*
 * The standard's loop once the first attempt has failed: the new_handler
 * frees something and returns (try again), throws bad_alloc, or terminates.
 * Out of line, so that the fast path is one call and one test.
 */
[[gnu::noinline]] void *new_retry(std::size_t size, std::size_t align)
{
	for (;;) {
		std::new_handler handler = std::get_new_handler();

		if (!handler)
			throw std::bad_alloc();
		handler();
		if (void *p = try_alloc(size, align))
			return p;
	}
}

/* @align 0: the default alignment (16, __STDCPP_DEFAULT_NEW_ALIGNMENT__). */
inline void *new_impl(std::size_t size, std::size_t align = 0)
{
	void *p = try_alloc(size, align);

	return __builtin_expect(p != nullptr, 1) ? p : new_retry(size, align);
}

void *new_nothrow(std::size_t size, std::size_t align = 0) noexcept
{
	try {
		return new_impl(size, align);
	} catch (const std::bad_alloc &) {
		return nullptr;
	}
}

inline std::size_t to_size(std::align_val_t align)
{
	return static_cast<std::size_t>(align);
}

} // namespace

/* new: plain, array, nothrow, aligned, aligned nothrow. */
KZ_EXPORT void *operator new(std::size_t size)
{
	return new_impl(size);
}

KZ_EXPORT void *operator new[](std::size_t size)
{
	return new_impl(size);
}

KZ_EXPORT void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	return new_nothrow(size);
}

KZ_EXPORT void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
	return new_nothrow(size);
}

KZ_EXPORT void *operator new(std::size_t size, std::align_val_t align)
{
	return new_impl(size, to_size(align));
}

KZ_EXPORT void *operator new[](std::size_t size, std::align_val_t align)
{
	return new_impl(size, to_size(align));
}

KZ_EXPORT void *operator new(std::size_t size, std::align_val_t align,
			     const std::nothrow_t &) noexcept
{
	return new_nothrow(size, to_size(align));
}

KZ_EXPORT void *operator new[](std::size_t size, std::align_val_t align,
			       const std::nothrow_t &) noexcept
{
	return new_nothrow(size, to_size(align));
}

/* delete: plain, sized, nothrow, aligned, aligned sized, aligned nothrow. */
KZ_EXPORT void operator delete(void *p) noexcept
{
	kfree(p);
}

KZ_EXPORT void operator delete[](void *p) noexcept
{
	kfree(p);
}

KZ_EXPORT void operator delete(void *p, std::size_t size) noexcept
{
	kfree_checked(p, size, __STDCPP_DEFAULT_NEW_ALIGNMENT__, "operator delete");
}

KZ_EXPORT void operator delete[](void *p, std::size_t size) noexcept
{
	kfree_checked(p, size, __STDCPP_DEFAULT_NEW_ALIGNMENT__, "operator delete[]");
}

KZ_EXPORT void operator delete(void *p, const std::nothrow_t &) noexcept
{
	kfree(p);
}

KZ_EXPORT void operator delete[](void *p, const std::nothrow_t &) noexcept
{
	kfree(p);
}

KZ_EXPORT void operator delete(void *p, std::align_val_t) noexcept
{
	kfree(p);
}

KZ_EXPORT void operator delete[](void *p, std::align_val_t) noexcept
{
	kfree(p);
}

KZ_EXPORT void operator delete(void *p, std::size_t size, std::align_val_t align) noexcept
{
	kfree_checked(p, size, to_size(align), "operator delete");
}

KZ_EXPORT void operator delete[](void *p, std::size_t size, std::align_val_t align) noexcept
{
	kfree_checked(p, size, to_size(align), "operator delete[]");
}

KZ_EXPORT void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
	kfree(p);
}

KZ_EXPORT void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
	kfree(p);
}
