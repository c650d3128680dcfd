# Owned by the threads test work; included from tests/CMakeLists.txt.
#
# Concurrency, fork, thread exit, out-of-memory and purge tests. They link
# the prefixed library only, so they also run in the sanitizer flavours,
# with smaller workloads there (the counts reach the tests through the
# environment; a command-line argument overrides them).
if(CMAKE_C_FLAGS MATCHES "sanitize")
  set(BST_THR_SANITIZED TRUE)
  set(BST_THR_OPS 100000)
  set(BST_THR_FORKS 20)
  set(BST_THR_THREADS 4000)
  set(BST_THR_RSS_MB 256)
else()
  set(BST_THR_SANITIZED FALSE)
  set(BST_THR_OPS 1000000)
  set(BST_THR_FORKS 50)
  set(BST_THR_THREADS 10000)
  set(BST_THR_RSS_MB 32)
endif()

# 4 threads x BST_THR_OPS random operations on a shared slot table.
bst_test(test_threads SOURCES test_threads.c LIBS bastion_prefixed Threads::Threads)
set_tests_properties(test_threads PROPERTIES TIMEOUT 300
                     ENVIRONMENT "BST_TEST_OPS=${BST_THR_OPS}")

# ThreadSanitizer kills a child of a multithreaded parent that starts
# threads unless told otherwise; some children here do.
bst_test(test_fork SOURCES test_fork.c LIBS bastion_prefixed Threads::Threads)
set_tests_properties(test_fork PROPERTIES TIMEOUT 300
                     ENVIRONMENT "BST_TEST_FORKS=${BST_THR_FORKS};TSAN_OPTIONS=die_after_fork=0")

bst_test(test_thread_exit SOURCES test_thread_exit.c LIBS bastion_prefixed Threads::Threads)
set_tests_properties(test_thread_exit PROPERTIES TIMEOUT 300
                     ENVIRONMENT "BST_TEST_THREADS=${BST_THR_THREADS};BST_TEST_RSS_MB=${BST_THR_RSS_MB}")

# RLIMIT_AS means nothing with a sanitizer's terabytes of shadow mappings.
if(NOT BST_THR_SANITIZED)
  bst_test(test_oom SOURCES test_oom.c LIBS bastion_prefixed)
  set_tests_properties(test_oom PROPERTIES TIMEOUT 120)
endif()

# ThreadSanitizer's shadow of the 200 MiB stays resident after the purge:
# the resident size says nothing there.
if(NOT CMAKE_C_FLAGS MATCHES "sanitize=thread")
  bst_test(test_purge SOURCES test_purge.c LIBS bastion_prefixed Threads::Threads)
  set_tests_properties(test_purge PROPERTIES TIMEOUT 120)
endif()

# Quarantine budgets hold (peak resident size) under a size-ascending
# malloc/free pattern. Sanitizer shadow memory distorts the resident size.
if(NOT BST_THR_SANITIZED)
  bst_test(test_quarantine SOURCES test_quarantine.c LIBS bastion_prefixed)
endif()
