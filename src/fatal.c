/*
 * fatal.c - fatal errors and warnings.
 *
 * Owns: nothing but the message format. A message is assembled in a stack
 * buffer and written with one write(2), repeated only after a signal or a
 * short write (kz_write_all), so lines from several threads do not
 * interleave. No locks, no allocation, no stdio: the heap may be corrupt or
 * its lock held when we get here.
 */
#include "fatal.h"

#include <stdatomic.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct line {
	char buf[256];
	size_t len;
};

static void line_add(struct line *l, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n) /* NULL too: memcpy may not be given one, even for 0 bytes */
		return;
	if (n > sizeof(l->buf) - 1 - l->len)
		n = sizeof(l->buf) - 1 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_add_hex(struct line *l, uintptr_t v)
{
	char hex[2 + 2 * sizeof(v) + 1], *p = hex + sizeof(hex) - 1;

	*p = '\0';
	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	line_add(l, p);
}

/*
 * A signal handler installed without SA_RESTART makes a blocked write return EINTR, or short
 * once some bytes are in: neither is the end of the message. errno is the caller's again after.
 */
void kz_write_all(int fd, const char *buf, size_t len)
{
	int saved_errno = errno;

	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t) n;
	}
	errno = saved_errno;
}

static void line_write(struct line *l)
{
	l->buf[l->len++] = '\n';
	kz_write_all(STDERR_FILENO, l->buf, l->len);
}

/* Append the decimal digits of @v to @buf (NUL-terminated); returns the end. */
static char *fmt_u64(char *buf, unsigned long long v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	while (p < tmp + sizeof(tmp))
		*buf++ = *p++;
	*buf = '\0';
	return buf;
}

void kz_fatal(const char *func, const char *what, const void *addr)
{
	struct line l = {.len = 0};

	line_add(&l, "kzmalloc: ");
	line_add(&l, func);
	line_add(&l, "(): ");
	line_add(&l, what);
	line_add(&l, " ");
	line_add_hex(&l, (uintptr_t) addr);
	line_write(&l);
	abort();
}

void kz_warn(const char *a, const char *b, const char *c)
{
	struct line l = {.len = 0};

	line_add(&l, "kzmalloc: warning: ");
	line_add(&l, a);
	line_add(&l, b);
	line_add(&l, c);
	line_write(&l);
}

void kz_warn_guard_refused(void)
{
	static atomic_bool warned;

	if (!atomic_exchange_explicit(&warned, true, memory_order_relaxed))
		kz_warn("the OS refused a guard page (vm.max_map_count?): ",
			"blocks it refuses one are served without", NULL);
}

void kz_assert_fail(const char *expr, const char *file, int line)
{
	char num[24];
	struct line l = {.len = 0};

	fmt_u64(num, (unsigned long long) line);
	line_add(&l, "kzmalloc: invariant broken: ");
	line_add(&l, expr);
	line_add(&l, " at ");
	line_add(&l, file);
	line_add(&l, ":");
	line_add(&l, num);
	line_write(&l);
	abort();
}
