# Owned by the stats work; included from tests/CMakeLists.txt.
#
# bastion_stats, malloc_stats, malloc_info, mallinfo2/mallinfo and the
# stats_at_exit option through the prefixed API: every flavour. Sampling off,
# so a small allocation always lands in its class and the counts are exact.
bst_test(test_stats SOURCES test_stats.c LIBS bastion_prefixed Threads::Threads)
set_tests_properties(test_stats PROPERTIES TIMEOUT 120
                     ENVIRONMENT "BASTION_OPTIONS=sample_rate=0")
# stats_format=json read by a JSON parser, as a monitoring agent reads it.
if(EXISTS /usr/bin/python3)
  add_test(NAME stats_json COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/stats_json_test.py
                                   $<TARGET_FILE:test_stats>)
endif()
