/*
 * os_linux.c - the OS layer on Linux: mmap, munmap, madvise and the clock.
 *
 * Owns no state and takes no locks. mremap moves huge mappings without copying. Aligned mappings
 * are made by mapping size + align and trimming both ends, so no address hint games are needed and
 * nothing is left mapped beyond what was asked for.
 */
#include "os.h"

#include <errno.h>
#include <sys/mman.h>
#include <time.h>

#include "util.h"

void *os_map_aligned(size_t size, size_t align)
{
	size_t span = size + align;
	char *raw, *start;

	if (span < size) {
		errno = ENOMEM;
		return NULL;
	}
	raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	start = (char *) ALIGN_DOWN((uintptr_t) raw + align - 1, align);
	if (start > raw)
		munmap(raw, (size_t) (start - raw));
	if (start + size < raw + span)
		munmap(start + size, (size_t) (raw + span - (start + size)));
	return start;
}

void os_unmap(void *addr, size_t size)
{
	munmap(addr, size);
}

bool os_remap_inplace(void *addr, size_t old_size, size_t new_size)
{
	return mremap(addr, old_size, new_size, 0) != MAP_FAILED;
}

bool os_remap_move(void *addr, size_t old_size, void *new_addr, size_t new_size)
{
	return mremap(addr, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, new_addr) !=
	       MAP_FAILED;
}

void os_purge(void *addr, size_t size)
{
	madvise(addr, size, MADV_DONTNEED);
}

/*
 * glibc on x86-64: the thread pointer is the TCB, whose second word is the
 * dtv pointer, which points one 16-byte entry into the block that
 * allocate_dtv got from calloc (dtv[-1] holds its length).
 */
void *os_thread_tls_block(void)
{
#if defined(__x86_64__) && defined(__GLIBC__)
	char *dtv = ((char *const *) __builtin_thread_pointer())[1];

	return dtv ? dtv - 16 : NULL;
#else
	return NULL;
#endif
}

uint32_t os_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t) ((uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000);
}
