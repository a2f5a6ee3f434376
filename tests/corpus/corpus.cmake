# corpus.cmake - included by tests/CMakeLists.txt: the real-program corpus
# (tests/corpus/corpus.sh, label corpus) twice, so the two can run in
# parallel: corpus.default with kzmalloc's default settings, corpus.purge0
# with KZMALLOC_PURGE_DELAY=0 (every free purges). A few minutes each on two
# cores; scripts/test runs the label in its Release pass only, where COST
# starts the two first (ctest -j runs the costliest tests first).
foreach(spec "default|" "purge0|KZMALLOC_PURGE_DELAY=0")
  string(REPLACE "|" ";" spec "${spec}")
  list(GET spec 0 name)
  list(GET spec 1 settings)
  add_test(NAME corpus.${name} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/corpus/corpus.sh
    ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${settings})
  set_tests_properties(corpus.${name} PROPERTIES LABELS corpus TIMEOUT 600 COST 1000)
endforeach()
