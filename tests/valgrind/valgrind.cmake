# valgrind.cmake - included by tests/CMakeLists.txt: kzmalloc under Valgrind
# (label valgrind; scripts/test runs the label in its Valgrind pass). Each
# test is tests/valgrind/vg_check.sh MODE ERRORS PATTERN PROGRAM ARGS: the
# program runs with libkzmalloc.so preloaded, under
#   preload   plain memcheck, which replaces the malloc functions it knows
#             (mode 1: the program's errors, on memcheck's own heap)
#   kzmalloc  memcheck with kzmalloc active, scripts/kzmalloc --valgrind
#             (mode 2: kzmalloc describes its heap with client requests)
#   helgrind  helgrind with kzmalloc active
# and the report must count exactly ERRORS errors and match PATTERN. The
# unit programs run under memcheck too (kz_unit_test), with kzmalloc active:
# their kz_ calls are not memcheck's to replace.
if(NOT VALGRIND)
  return()
endif()
set(KZ_VG_CHECK ${CMAKE_CURRENT_SOURCE_DIR}/valgrind/vg_check.sh)

foreach(prog leak use_after_free overflow zero realloc_huge threads)
  add_executable(vg_${prog} valgrind/${prog}.c)
  target_link_libraries(vg_${prog} PRIVATE Threads::Threads)
endforeach()
add_executable(vg_every_entry valgrind/every_entry.cc)
target_link_libraries(vg_every_entry PRIVATE kzmalloc)
set_target_properties(vg_every_entry PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)

# kz_vg_test(NAME MODE ERRORS PATTERN PROGRAM [ARGS...] [ENV vars...])
function(kz_vg_test name mode errors pattern prog)
  cmake_parse_arguments(T "" "" "ENV" ${ARGN})
  add_test(NAME valgrind.${name}
    COMMAND ${KZ_VG_CHECK} ${mode} ${errors} "${pattern}" $<TARGET_FILE:${prog}>
    ${T_UNPARSED_ARGUMENTS})
  set_tests_properties(valgrind.${name} PROPERTIES LABELS valgrind
    ENVIRONMENT "KZMALLOC_LIB=$<TARGET_FILE:kzmalloc>;${T_ENV}")
endfunction()

# Mode 1: memcheck's malloc, kzmalloc's other entry points on its pointers.
add_test(NAME valgrind.every_entry.native COMMAND vg_every_entry)
set_tests_properties(valgrind.every_entry.native PROPERTIES LABELS valgrind)
kz_vg_test(mode1.every_entry preload 0 "" vg_every_entry)
kz_vg_test(mode2.every_entry kzmalloc 0 "" vg_every_entry)

# Mode 2, the planted errors: each reported once, with kzmalloc's frames.
set(alloc_at "Block was alloc'd at\n   at (?&kz)")
set(freed_at "free'd\n   at (?&kz)(?:   by (?&kz))*   by 0x[0-9A-F]+: main ")
# Exact sizes: each block is described at the size asked for (vg.h), 777 bytes past a class
# object's, a run's or a mapping's start; realloc grows a 700-byte object to 777 where it is.
set(lost "bytes in 1 blocks are definitely lost in loss record \\d+ of \\d+\n   at (?&kz)(?:   by (?&kz))*   by 0x[0-9A-F]+: leak_one ")
kz_vg_test(leak.small kzmalloc 1 "777 ${lost}" vg_leak small)
kz_vg_test(leak.large kzmalloc 1 "307,977 ${lost}" vg_leak large)
kz_vg_test(leak.huge kzmalloc 1 "5,243,657 ${lost}" vg_leak huge)
kz_vg_test(use_after_free.read kzmalloc 1
  "Invalid read of size 1\n   at 0x[0-9A-F]+: main .*\n Address 0x[0-9a-f]+ is 3 bytes inside a block of size 40 ${freed_at}.*\n(?:(?&frame))* ${alloc_at}"
  vg_use_after_free read)
kz_vg_test(use_after_free.write kzmalloc 1
  "Invalid write of size 1\n   at 0x[0-9A-F]+: main .*\n Address 0x[0-9a-f]+ is 3 bytes inside a block of size 40 ${freed_at}.*\n(?:(?&frame))* ${alloc_at}"
  vg_use_after_free write)
kz_vg_test(use_after_free.large kzmalloc 1
  "Invalid read of size 1\n   at 0x[0-9A-F]+: main .*\n Address 0x[0-9a-f]+ is 3 bytes inside a block of size 307,200 ${freed_at}"
  vg_use_after_free large)
set(past "0 bytes after a block of size")
foreach(case "read;read;777" "write;write;777" "large;read;307,977" "huge;read;5,243,657"
    "realloc;write;777")
  list(GET case 0 how)
  list(GET case 1 op)
  list(GET case 2 size)
  kz_vg_test(overflow.${how} kzmalloc 1
    "Invalid (?i:${op}) of size 1\n   at 0x[0-9A-F]+: main .*\n Address 0x[0-9a-f]+ is ${past} ${size} alloc'd\n   at (?&kz)"
    vg_overflow ${how})
endforeach()
foreach(mode free alloc)
  kz_vg_test(zero.malloc.${mode} kzmalloc 0 "" vg_zero malloc ENV KZMALLOC_INIT=${mode})
  kz_vg_test(zero.reuse.${mode} kzmalloc 0 "" vg_zero reuse ENV KZMALLOC_INIT=${mode})
endforeach()
kz_vg_test(zero.reuse.none kzmalloc 1
  "Conditional jump or move depends on uninitialised value\\(s\\)\n   at 0x[0-9A-F]+: main "
  vg_zero reuse ENV KZMALLOC_INIT=none)
kz_vg_test(zero.calloc.none kzmalloc 0 "" vg_zero calloc ENV KZMALLOC_INIT=none)
kz_vg_test(zero.pages.none kzmalloc 0 "" vg_zero pages ENV KZMALLOC_INIT=none)
kz_vg_test(realloc_huge kzmalloc 0 "" vg_realloc_huge)

# Threads: helgrind finds no race in kzmalloc's thread caches, slabs, pool or purger.
kz_vg_test(helgrind.threads helgrind 0 "" vg_threads)
kz_vg_test(helgrind.test_threads helgrind 0 "" test_threads)

# Mode 2 for the C++ operators, from the static library and from libkzmalloc.so.
kz_vg_test(mode2.cxx_new_delete kzmalloc 0 "" test_new_delete)
kz_vg_test(mode2.cxx_new_delete.shared kzmalloc 0 "" test_new_delete_shared)

# Real programs (python3, perl, sort, git, gcc) with kzmalloc active under memcheck.
add_test(NAME valgrind.programs COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/valgrind/programs.sh
  ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(valgrind.programs PROPERTIES LABELS valgrind TIMEOUT 600)
