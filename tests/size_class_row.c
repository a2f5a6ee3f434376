/*
 * size_class_row.c - one row put to the size-class table's own checks
 * (KZ_CLASS_CHECK in size_class.h); the row is KZ_ROW_SIZE, KZ_ROW_ORDER,
 * KZ_ROW_CAP from the command line. Only compiled, never run (tests/malloc.cmake):
 * a row the checks refuse fails to compile, with its message.
 */
#include "size_class.h"

#define CHECK_ROW(...) KZ_CLASS_CHECK(__VA_ARGS__)
CHECK_ROW(KZ_ROW_SIZE, KZ_ROW_ORDER, KZ_ROW_CAP)
