# Owned by the programs test work; included from tests/CMakeLists.txt.
#
# Real-program tests: each runs one workload with and without
# LD_PRELOAD=libbastion.so and requires exit status 0 in both, identical
# output, no "bastion:" report, and proof that bastion was loaded in the
# preloaded run. The scripts are in tests/programs/. A program missing on the
# machine (python3, sqlite3, git, perl) makes its test fail, not skip.
if(TARGET bastion)
  set(BST_PROG_DIR ${CMAKE_CURRENT_LIST_DIR}/programs)

  # Built as an ordinary executable: no bastion link, only LD_PRELOAD.
  add_executable(bst_prog_cxx_threads ${BST_PROG_DIR}/cxx_threads.cpp)
  target_compile_options(bst_prog_cxx_threads PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(bst_prog_cxx_threads PRIVATE Threads::Threads)
  set_target_properties(bst_prog_cxx_threads PROPERTIES OUTPUT_NAME cxx_threads)

  foreach(prog python sqlite3 git perl)
    add_test(NAME prog_${prog}
             COMMAND sh ${BST_PROG_DIR}/${prog}.sh $<TARGET_FILE:bastion>)
  endforeach()
  add_test(NAME prog_cxx_threads
           COMMAND sh ${BST_PROG_DIR}/cxx_threads.sh $<TARGET_FILE:bastion>
                   $<TARGET_FILE:bst_prog_cxx_threads>)

  set_tests_properties(prog_python prog_sqlite3 prog_git prog_perl prog_cxx_threads
                       PROPERTIES TIMEOUT 120 LABELS programs)
endif()
