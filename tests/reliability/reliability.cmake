# reliability.cmake - included by tests/CMakeLists.txt: the programs that
# broke real programs, each a plain C program run with libkzmalloc.so
# preloaded (label reliability; early_canary links the static library).
# A hang fails by ctest's time limit: a deadlocked thread may have every
# signal blocked, so the programs' own alarm cannot be relied on.
#
#   nested_free    a flush never hands a live object out twice (`rm -rf`)
#   join_helper    joins of 8 MiB-stack threads a helper created; in a forked child too
#   thread_storm   64 threads created and joined in a loop while others allocate
#   early_canary   131,065-131,072-byte allocations before start-up, with the canary
foreach(prog nested_free join_helper thread_storm)
  add_executable(${prog} reliability/${prog}.c)
  target_link_libraries(${prog} PRIVATE Threads::Threads)
endforeach()

# kz_reliability_test(NAME ENV vars... COMMAND prog args...): preloaded, in label reliability.
function(kz_reliability_test name)
  cmake_parse_arguments(T "" "" "ENV;COMMAND" ${ARGN})
  add_test(NAME reliability.${name} COMMAND ${T_COMMAND})
  set_tests_properties(reliability.${name} PROPERTIES LABELS reliability TIMEOUT 120
    ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:kzmalloc>;${T_ENV}")
endfunction()

foreach(mode free alloc none)
  foreach(how reuse classes)
    kz_reliability_test(nested_free.${how}.${mode} ENV KZMALLOC_INIT=${mode}
      COMMAND nested_free ${how})
  endforeach()
endforeach()
kz_reliability_test(nested_free.purge0 ENV KZMALLOC_PURGE_DELAY=0 COMMAND nested_free classes)
kz_reliability_test(join_helper COMMAND join_helper)
kz_reliability_test(join_helper.purge0 ENV KZMALLOC_PURGE_DELAY=0 COMMAND join_helper)
kz_reliability_test(thread_storm COMMAND thread_storm 3)
kz_reliability_test(thread_storm.none ENV KZMALLOC_INIT=none KZMALLOC_PURGE_DELAY=5
  COMMAND thread_storm 2)

add_executable(early_canary reliability/early_canary.c)
target_link_libraries(early_canary PRIVATE kzmalloc_static)
add_test(NAME reliability.early_canary COMMAND early_canary)
set_tests_properties(reliability.early_canary PROPERTIES LABELS reliability TIMEOUT 60
  ENVIRONMENT KZMALLOC_CHECK=canary)
