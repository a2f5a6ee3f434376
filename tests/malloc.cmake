# The malloc family's unit programs, registered with kz_unit_test() (so each
# also runs under memcheck). Included from tests/CMakeLists.txt after that
# function is defined.
#
#   test_malloc_api     glibc 2.36 semantics and errno of every kz_ entry point
#   test_malloc_zero    the zero contract, once per KZMALLOC_INIT mode (the
#                       mode is also the program's argument)
#   test_canary         KZMALLOC_CHECK=canary is invisible to a correct program,
#                       once per KZMALLOC_INIT mode, and again with guard pages
#   test_malloc_aligned every alignment to a page with every size up to twice it, mixed with
#                       plain objects, and the pages many live ones take; once per
#                       KZMALLOC_INIT mode and with KZMALLOC_CHECK=canary
#   test_malloc_stress  threads with cross-thread frees, thread churn, fork
#   test_fork           fork while threads are born (their first allocation needs the arena)
#   test_fatal          the fatal line and kz_write_all get out whole though a signal
#                       interrupts the write (EINTR, a short write)
#   test_malloc_info    malloc_stats from two threads at once: whole, well-formed lines;
#                       a cached huge block counted free by mallinfo2, the pool stats, the report
#   test_malloc_trim    RSS falls after an allocate/free cycle and malloc_trim(0)
#   test_size_class     the class table, size_to_class, the slot-index reciprocal
#   size_class_row.*    the table's row check refuses a slab of one object (memcheck's half)
#   test_guard          KZMALLOC_CHECK=guard: overflows past large and huge blocks
#                       fault (in a child), guard pages reused read as zero; again
#                       with the canary, which then lives in a run's last page only
#   test_protect        KZMALLOC_CHECK=protect and quarantine: freed runs and mappings
#                       fault (in a child), their pages reused read as zero, reuse is
#                       delayed, realloc, kz_trim empties the quarantine, the pool's
#                       invariants; with protect, quarantine, both, and all
#   test_sparse_free    a big block barely touched frees in milliseconds and no RSS,
#                       and every freed block comes back zero, once per
#                       KZMALLOC_INIT mode, and again with KZMALLOC_CHECK=guard
kz_unit_test(test_malloc_api)
foreach(mode free alloc none)
  kz_unit_test(test_malloc_zero.${mode} SOURCE test_malloc_zero ARGS ${mode}
    ENV KZMALLOC_INIT=${mode})
endforeach()
foreach(mode free alloc none)
  kz_unit_test(test_canary.${mode} SOURCE test_canary ARGS ${mode}
    ENV KZMALLOC_CHECK=canary KZMALLOC_INIT=${mode})
endforeach()
kz_unit_test(test_canary.guard SOURCE test_canary ARGS free ENV KZMALLOC_CHECK=canary,guard)
foreach(mode free alloc none)
  kz_unit_test(test_malloc_aligned.${mode} SOURCE test_malloc_aligned ARGS ${mode}
    ENV KZMALLOC_INIT=${mode})
  kz_unit_test(test_malloc_aligned.canary-${mode} SOURCE test_malloc_aligned ARGS ${mode}
    ENV KZMALLOC_CHECK=canary KZMALLOC_INIT=${mode})
endforeach()
kz_unit_test(test_malloc_stress)
kz_unit_test(test_malloc_trim)
kz_unit_test(test_size_class)
# The table's row check on rows not in it (tests/size_class_row.c, only compiled): a slab of one
# object, none left when memcheck hands out half, is refused; a slab of two is accepted.
foreach(spec "one-object|5|kmalloc-131072: objects per slab" "two-objects|6|")
  string(REPLACE "|" ";" spec "${spec}")
  list(GET spec 0 name)
  list(GET spec 1 order)
  list(GET spec 2 regex)
  add_test(NAME size_class_row.${name} COMMAND ${CMAKE_C_COMPILER} -std=gnu11 -fsyntax-only
    -I${PROJECT_SOURCE_DIR}/src -I${PROJECT_SOURCE_DIR}/include -DKZ_ROW_SIZE=131072
    -DKZ_ROW_ORDER=${order} -DKZ_ROW_CAP=1 ${CMAKE_CURRENT_SOURCE_DIR}/size_class_row.c)
  set_tests_properties(size_class_row.${name} PROPERTIES LABELS unit)
  if(regex)
    set_tests_properties(size_class_row.${name} PROPERTIES PASS_REGULAR_EXPRESSION "${regex}")
  endif()
endforeach()
foreach(mode free alloc none)
  kz_unit_test(test_sparse_free.${mode} SOURCE test_sparse_free ARGS ${mode}
    ENV KZMALLOC_INIT=${mode} KZMALLOC_PURGE_DELAY=600000)
endforeach()
kz_unit_test(test_sparse_free.guard SOURCE test_sparse_free ARGS free
  ENV KZMALLOC_CHECK=guard KZMALLOC_PURGE_DELAY=600000)
kz_unit_test(test_guard ENV KZMALLOC_CHECK=guard KZMALLOC_PURGE_DELAY=600000)
kz_unit_test(test_guard.canary SOURCE test_guard
  ENV KZMALLOC_CHECK=canary,guard KZMALLOC_PURGE_DELAY=600000)
# The API's promises hold with guard pages too (not again under memcheck).
add_test(NAME test_malloc_api.guard COMMAND test_malloc_api)
set_tests_properties(test_malloc_api.guard PROPERTIES LABELS unit ENVIRONMENT KZMALLOC_CHECK=guard)
foreach(spec "protect|protect" "quarantine|quarantine" "both|protect,quarantine" "all|all")
  string(REPLACE "|" ";" spec "${spec}")
  list(GET spec 0 name)
  list(GET spec 1 check)
  kz_unit_test(test_protect.${name} SOURCE test_protect
    ENV KZMALLOC_CHECK=${check} KZMALLOC_PURGE_DELAY=600000)
endforeach()
kz_unit_test(test_protect.expiry SOURCE test_protect ARGS purger_empties
  ENV KZMALLOC_CHECK=quarantine KZMALLOC_PURGE_DELAY=200)
# The API's promises hold with freed blocks no-access and waiting in the quarantine too.
add_test(NAME test_malloc_api.protect-quarantine COMMAND test_malloc_api)
set_tests_properties(test_malloc_api.protect-quarantine PROPERTIES LABELS unit
  ENVIRONMENT KZMALLOC_CHECK=protect,quarantine)
kz_unit_test(test_fork)
# fork with freed blocks no-access and quarantined: nothing special to do, and nothing breaks.
add_test(NAME test_fork.protect-quarantine COMMAND test_fork)
set_tests_properties(test_fork.protect-quarantine PROPERTIES LABELS unit
  ENVIRONMENT KZMALLOC_CHECK=protect,quarantine)
kz_unit_test(test_fatal)
kz_unit_test(test_malloc_info ENV KZMALLOC_PURGE_DELAY=600000)
