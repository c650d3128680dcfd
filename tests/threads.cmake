# Owned by the threads test work; included from tests/CMakeLists.txt.
#
# Concurrency, fork, thread exit, out-of-memory and purge tests. They link
# the prefixed library only, so they also run in the sanitizer flavours,
# with smaller workloads there.
if(CMAKE_C_FLAGS MATCHES "sanitize")
  set(BST_THR_SANITIZED TRUE)
  set(BST_THR_OPS 100000)
else()
  set(BST_THR_SANITIZED FALSE)
  set(BST_THR_OPS 1000000)
endif()

bst_test(test_threads SOURCES test_threads.c LIBS bastion_prefixed Threads::Threads)
set_tests_properties(test_threads PROPERTIES TIMEOUT 300 ENVIRONMENT "BST_TEST_OPS=${BST_THR_OPS}")
