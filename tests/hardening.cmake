# Hardening tests, included by tests/CMakeLists.txt (after kz_unit_test is
# defined). Labels: unit, and faults or stress.
#
#   test_faults         OS calls failing on purpose (a KZ_FAULT_INJECTION build
#                       only): sweeps, random faults, an overcommit limit;
#                       test_faults.guard: the same with KZMALLOC_CHECK=guard,
#                       test_faults.zero-size with KZMALLOC_CHECK=zero-size,
#                       test_faults.all with every check at once,
#                       test_faults.protect-quarantine with protect,quarantine
#   test_faults_new     C++ operator new under the same faults
#   test_faults_rlimit  a real `ulimit -v` (RLIMIT_AS) in a child
#   test_stress16       16 threads, every operation at random, 3 s; again with
#                       guard pages, with every check (all), with freed large and
#                       huge blocks no-access and quarantined, and with the purger
#                       at every free
#   test_cross_free     rptest's shape: random sizes to 16 KB freed by the next
#                       thread of a ring, fresh threads each round, the purger
#                       busy (5 ms delay), in every KZMALLOC_INIT mode and with
#                       every check (all)
#   test_quarantine     KZMALLOC_CHECK=quarantine: no slot comes back within the quarantine's
#                       delay, its bounds hold, kz_trim and thread exit empty it, refills
#                       hand out slots in random order; test_stress16 and test_cross_free
#                       run with it too (.quarantine), and its misuse programs (misuse label)
#                       with it and again with KZMALLOC_CHECK=all (.all)
#   fuzz/               the libFuzzer harness, in the tree scripts/fuzz configures
if(KZ_FAULT_INJECTION)
  # No purger thread and a long delay: the only purges are the tests' own
  # trims, so fault n of a sweep is the same call in every run.
  kz_unit_test(test_faults ENV KZMALLOC_PURGE_THREAD=0 KZMALLOC_PURGE_DELAY=600000)
  set_tests_properties(test_faults PROPERTIES LABELS "unit;faults")
  # Again with guard pages: every case on top of them, and the mprotect sweep.
  add_test(NAME test_faults.guard COMMAND test_faults)
  set_tests_properties(test_faults.guard PROPERTIES LABELS "unit;faults"
    ENVIRONMENT "KZMALLOC_PURGE_THREAD=0;KZMALLOC_PURGE_DELAY=600000;KZMALLOC_CHECK=guard")
  # And with every check at once (KZMALLOC_CHECK=all): the sweeps reach each check's own calls.
  add_test(NAME test_faults.all COMMAND test_faults)
  set_tests_properties(test_faults.all PROPERTIES LABELS "unit;faults"
    ENVIRONMENT "KZMALLOC_PURGE_THREAD=0;KZMALLOC_PURGE_DELAY=600000;KZMALLOC_CHECK=all")
  # Again with freed large and huge blocks no-access and quarantined: the mprotect sweep reaches
  # the pool and the cache making them accessible again, every free degrades when refused.
  add_test(NAME test_faults.protect-quarantine COMMAND test_faults)
  set_tests_properties(test_faults.protect-quarantine PROPERTIES LABELS "unit;faults" ENVIRONMENT
    "KZMALLOC_PURGE_THREAD=0;KZMALLOC_PURGE_DELAY=600000;KZMALLOC_CHECK=protect,quarantine")
  # Only the multi-threaded case: what the ThreadSanitizer pass runs of it.
  add_test(NAME test_faults.threads COMMAND test_faults random_faults_threads)
  set_tests_properties(test_faults.threads PROPERTIES LABELS "faults"
    ENVIRONMENT "KZMALLOC_PURGE_THREAD=0;KZMALLOC_PURGE_DELAY=600000")

  # All of it again with malloc(0) in no-access regions: the sweeps reach their
  # mmap and a realloc from a zero-size pointer; zero_size_region_refused runs.
  add_test(NAME test_faults.zero-size COMMAND test_faults)
  set_tests_properties(test_faults.zero-size PROPERTIES LABELS "unit;faults" ENVIRONMENT
    "KZMALLOC_PURGE_THREAD=0;KZMALLOC_PURGE_DELAY=600000;KZMALLOC_CHECK=zero-size")

  add_executable(test_faults_new test_faults_new.cc)
  target_link_libraries(test_faults_new PRIVATE kzmalloc_internal)
  set_target_properties(test_faults_new PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF)
  add_test(NAME test_faults_new COMMAND test_faults_new)
  set_tests_properties(test_faults_new PROPERTIES LABELS "unit;faults")
endif()

# A real `ulimit -v` (RLIMIT_AS, in a child), in every build.
kz_unit_test(test_faults_rlimit)
set_tests_properties(test_faults_rlimit PROPERTIES LABELS "unit;faults")

# Sixteen threads, every operation, for a fixed time (the argument: seconds).
kz_unit_test(test_stress16)
set_tests_properties(test_stress16 PROPERTIES LABELS "unit;stress")
add_test(NAME test_stress16.guard COMMAND test_stress16 2)
set_tests_properties(test_stress16.guard PROPERTIES LABELS "unit;stress"
  ENVIRONMENT KZMALLOC_CHECK=guard)
add_test(NAME test_stress16.all COMMAND test_stress16 2)
set_tests_properties(test_stress16.all PROPERTIES LABELS "unit;stress"
  ENVIRONMENT KZMALLOC_CHECK=all)
add_test(NAME test_stress16.protect-quarantine COMMAND test_stress16 2)
set_tests_properties(test_stress16.protect-quarantine PROPERTIES LABELS "unit;stress"
  ENVIRONMENT KZMALLOC_CHECK=protect,quarantine)
add_test(NAME test_stress16.purge0 COMMAND test_stress16 2)
set_tests_properties(test_stress16.purge0 PROPERTIES LABELS "unit;stress"
  ENVIRONMENT KZMALLOC_PURGE_DELAY=0)

foreach(mode free alloc none)
  kz_unit_test(test_cross_free.${mode} SOURCE test_cross_free
    ENV KZMALLOC_INIT=${mode} KZMALLOC_PURGE_DELAY=5)
  set_tests_properties(test_cross_free.${mode} PROPERTIES LABELS "unit;stress")
endforeach()
add_test(NAME test_cross_free.all COMMAND test_cross_free)
set_tests_properties(test_cross_free.all PROPERTIES LABELS "unit;stress"
  ENVIRONMENT "KZMALLOC_CHECK=all;KZMALLOC_PURGE_DELAY=5")

# KZMALLOC_CHECK=quarantine: its own test, the stress tests with it (not under memcheck, where
# the quarantine is memcheck's own), and the misuse it catches, with it and with every check.
kz_unit_test(test_quarantine ENV KZMALLOC_CHECK=quarantine)
add_test(NAME test_stress16.quarantine COMMAND test_stress16 2)
set_tests_properties(test_stress16.quarantine PROPERTIES LABELS "unit;stress"
  ENVIRONMENT KZMALLOC_CHECK=quarantine)
add_test(NAME test_cross_free.quarantine COMMAND test_cross_free)
set_tests_properties(test_cross_free.quarantine PROPERTIES LABELS "unit;stress"
  ENVIRONMENT "KZMALLOC_CHECK=quarantine;KZMALLOC_PURGE_DELAY=5")
foreach(spec
    "malloc_quarantine_write|free|write after free"
    "malloc_quarantine_write_later|malloc|write after free"
    "malloc_quarantine_double_free|free|double free")
  string(REPLACE "|" ";" spec "${spec}")
  list(GET spec 0 prog)
  list(GET spec 1 func)
  list(GET spec 2 what)
  kz_misuse_program(${prog} CHECK quarantine)
  add_test(NAME misuse.${prog} COMMAND misuse_run ${func} ${what} $<TARGET_FILE:${prog}>)
  set_tests_properties(misuse.${prog} PROPERTIES LABELS misuse ENVIRONMENT "${KZ_MISUSE_ENV}")
  add_test(NAME misuse.${prog}.all COMMAND misuse_run ${func} ${what} $<TARGET_FILE:${prog}>)
  set_tests_properties(misuse.${prog}.all PROPERTIES LABELS misuse
    ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:kzmalloc>;KZMALLOC_CHECK=all")
endforeach()

# The fuzzer: a clang tree instrumented for it, with fault injection (scripts/fuzz).
if(KZ_FAULT_INJECTION AND CMAKE_C_COMPILER_ID MATCHES "Clang" AND CMAKE_C_FLAGS MATCHES "fuzzer-no-link")
  add_subdirectory(fuzz)
endif()

# Every cmocka program and nothing else (no shared library, no preload): what
# the sanitizer builds of scripts/test compile.
get_property(KZ_UNIT_PROGRAMS GLOBAL PROPERTY KZ_UNIT_PROGRAMS)
add_custom_target(unit_programs DEPENDS ${KZ_UNIT_PROGRAMS})
