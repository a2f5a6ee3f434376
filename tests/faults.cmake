# Faults, included by tests/CMakeLists.txt (after kz_unit_test is defined).
#
#   test_faults        OS calls failing on purpose (a KZ_FAULT_INJECTION build
#                      only): sweeps, random faults, an overcommit limit
#   test_faults_new    C++ operator new under the same faults
if(KZ_FAULT_INJECTION)
  # No purger thread and a long delay: the only purges are the tests' own
  # trims, so fault n of a sweep is the same call in every run.
  kz_unit_test(test_faults ENV KZMALLOC_PURGE_THREAD=0 KZMALLOC_PURGE_DELAY=600000)
  set_tests_properties(test_faults PROPERTIES LABELS "unit;faults")
endif()
