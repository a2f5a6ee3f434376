/*
 * cxxcheck.h - the C++ tests' harness, no framework: CHECK counts each
 * condition, cxxcheck_report prints "N passed, N failed" and gives the exit
 * status (1 if anything failed). The C++ operators are what these tests
 * replace, so cmocka's C harness cannot stand between them and the program.
 */
#ifndef KZ_CXXCHECK_H
#define KZ_CXXCHECK_H

#include <cstdio>

static int passed, failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			passed++;                                                                  \
		} else {                                                                           \
			failed++;                                                                  \
			std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                \
		}                                                                                  \
	} while (0)

static inline int cxxcheck_report()
{
	std::printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif /* KZ_CXXCHECK_H */
