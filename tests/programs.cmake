# programs.cmake - included by tests/CMakeLists.txt. The C++ operators of
# preload/new_delete.cc: cxx_new_delete takes them from the static library,
# cxx_new_delete.shared from libkzmalloc.so at run time, as any dynamically
# linked C++ program would (label unit; not under memcheck, which replaces
# operator new and aborts where bad_alloc must be thrown). Then real
# programs, each run plain and with libkzmalloc.so preloaded (label programs).
enable_language(CXX) # a no-op once the top-level project() lists CXX, which src/ needs

add_executable(test_new_delete test_new_delete.cc)
target_link_libraries(test_new_delete PRIVATE kzmalloc_static)
add_executable(test_new_delete_shared test_new_delete.cc)
target_link_libraries(test_new_delete_shared PRIVATE kzmalloc)
set_target_properties(test_new_delete test_new_delete_shared PROPERTIES
  CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
add_test(NAME cxx_new_delete COMMAND test_new_delete)
add_test(NAME cxx_new_delete.shared COMMAND test_new_delete_shared)
set_tests_properties(cxx_new_delete cxx_new_delete.shared PROPERTIES LABELS unit)

# python3, gcc, git, perl and sort: about 20 s on two cores.
add_test(NAME programs COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/programs/run_programs.sh
  ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(programs PROPERTIES LABELS programs TIMEOUT 300)

# Start-up: the first calls come from a constructor that runs before kzmalloc's.
add_library(startup_early SHARED startup/early.c)
add_executable(startup startup/startup.c)
target_link_libraries(startup PRIVATE startup_early)
add_test(NAME startup COMMAND startup)
set_tests_properties(startup PROPERTIES LABELS unit
  ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:kzmalloc>"
  PASS_REGULAR_EXPRESSION "early constructor: 0, kzmalloc arena: [1-9]")
