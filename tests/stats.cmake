# Owned by the stats work; included from tests/CMakeLists.txt.
#
# bastion_stats, malloc_stats, malloc_info, mallinfo2/mallinfo and the
# stats_at_exit option through the prefixed API: every flavour. Sampling off,
# so a small allocation always lands in its class and the counts are exact.
bst_test(test_stats SOURCES test_stats.c LIBS bastion_prefixed Threads::Threads)
set_tests_properties(test_stats PROPERTIES TIMEOUT 120
                     ENVIRONMENT "BASTION_OPTIONS=sample_rate=0")
