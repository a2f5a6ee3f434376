# zero_size.cmake - KZMALLOC_CHECK=zero-size (src/zero_size.c), included by
# tests/CMakeLists.txt after kz_unit_test is defined. Every test here runs
# with the flag set.
#
#   test_zero_size      the kz_ API on zero-size pointers (label unit; also
#                       under memcheck, which the flag does not change)
#   misuse.zero_*       misuse of them through the libc names, preloaded:
#                       SIGABRT with the exact line (in tests/CMakeLists.txt's
#                       misuse list, each with the flag)
#   segv.zero_*         a read or write through one: SIGSEGV at once, in
#                       silence (misuse_run --segv)
#   test_faults.zero-size  in tests/hardening.cmake (fault-injection builds)
#   options.stats-zero-size  the report's zero-size line
set(KZ_ZERO_ENV KZMALLOC_CHECK=zero-size)

kz_unit_test(test_zero_size ENV ${KZ_ZERO_ENV})

foreach(prog zero_read zero_write zero_memalign_write zero_cxx_new_read zero_cxx_new_array_write)
  kz_misuse_program(${prog} CHECK zero-size)
  add_test(NAME segv.${prog} COMMAND misuse_run --segv $<TARGET_FILE:${prog}>)
  set_tests_properties(segv.${prog} PROPERTIES LABELS misuse ENVIRONMENT "${KZ_MISUSE_ENV}")
endforeach()
# zero-size is on by default: the read dies with no setting at all.
add_test(NAME segv.zero_read.default COMMAND misuse_run --segv $<TARGET_FILE:zero_read>)
set_tests_properties(segv.zero_read.default PROPERTIES LABELS misuse
  ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:kzmalloc>")
# The same read with the defaults dropped (KZMALLOC_CHECK=none): malloc(0) is a readable 32-byte
# object, so the program lives (exit 3, "misuse went undetected") and the runner fails.
add_test(NAME segv.zero_read.flag-off COMMAND misuse_run --segv $<TARGET_FILE:zero_read>)
set_tests_properties(segv.zero_read.flag-off PROPERTIES LABELS misuse WILL_FAIL TRUE
  ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:kzmalloc>;KZMALLOC_CHECK=none")

# The report: one line for the regions (address space, not heap) and the live pointers.
add_executable(options_zero_child options_zero_child.c)
target_link_libraries(options_zero_child PRIVATE kzmalloc_static)
add_test(NAME options.stats-zero-size COMMAND options_zero_child)
set_tests_properties(options.stats-zero-size PROPERTIES LABELS options
  ENVIRONMENT "KZMALLOC_STATS=1;${KZ_ZERO_ENV}"
  PASS_REGULAR_EXPRESSION "kzmalloc zero-size: regions 1 \\(4096 KiB no access\\), live 2\n")
