# Runtime options (BASTION_OPTIONS); included from tests/CMakeLists.txt.
#
# Options are read once per process, so test_options runs once per
# setting: bst_option_test(<name> <BASTION_OPTIONS> <mode and expectation>)
# adds the ctest options_<name>. The modes are described at the top of
# test_options.c. Run without arguments, test_options checks the parser
# and the lines printed at start-up (it sets BASTION_OPTIONS for the
# children it starts). Everything links the prefixed library, so it runs
# in the sanitizer flavours too; test_options_std repeats the start-up
# checks with libbastion.so as the process malloc.
bst_test(test_options SOURCES test_options.c LIBS bastion_prefixed)

function(bst_option_test name options)
  add_test(NAME options_${name} COMMAND test_options ${ARGN})
  # An empty BASTION_OPTIONS means the defaults, whatever the caller's
  # environment holds.
  set_tests_properties(options_${name} PROPERTIES ENVIRONMENT "BASTION_OPTIONS=${options}")
endfunction()

# Quarantines: the first malloc that returns an address handed out before,
# in a loop of malloc/free pairs. 1000-byte requests use 1024-byte chunks
# (the 256-slot ring is full before its 1 MiB), 5000-byte ones 5120-byte
# chunks (the 8 MiB FIFO holds 1,600 of them). Each lower bound is what the
# quarantine holds; each upper bound is the next setting's lower bound.
bst_option_test(quarantine_slots_0 "quarantine_slots=0,shared_quarantine_bytes=0" reuse 1000 0 99)
bst_option_test(quarantine_slots_100 "quarantine_slots=100,shared_quarantine_bytes=0" reuse 1000 100 255)
bst_option_test(quarantine_slots_default "shared_quarantine_bytes=0" reuse 1000 256 1023)
bst_option_test(quarantine_bytes_0 "quarantine_bytes=0,shared_quarantine_bytes=0" reuse 1000 0 127)
bst_option_test(quarantine_bytes_128k "quarantine_bytes=128k,shared_quarantine_bytes=0" reuse 1000 128 255)
bst_option_test(shared_quarantine_bytes_0 "quarantine_slots=0,shared_quarantine_bytes=0" reuse 5000 0 199)
bst_option_test(shared_quarantine_bytes_1m "quarantine_slots=0,shared_quarantine_bytes=1m" reuse 5000 200 1599)
bst_option_test(shared_quarantine_bytes_default "quarantine_slots=0" reuse 5000 1600 30000)
bst_option_test(quarantine_defaults "" reuse 1000 4096 30000)

# Large blocks: reserved and inaccessible for N more large frees, then unmapped.
bst_option_test(large_quarantine_default "" large 64)
bst_option_test(large_quarantine_0 "large_quarantine=0" large 0)
bst_option_test(large_quarantine_5 "large_quarantine=5" large 5)

# Sampled blocks among 40,000: one in N on average, the gap between two
# at most 2N - 1, so at least 40000 / (2N - 1) of them.
bst_option_test(sample_rate_default "" sample 40000 4 40)
bst_option_test(sample_rate_0 "sample_rate=0" sample 40000 0 0)
bst_option_test(sample_rate_1 "sample_rate=1" sample 40000 40000 40000)
bst_option_test(sample_rate_64 "sample_rate=64" sample 40000 314 1000)

# Canary chunks in a zone's first 64 chunks: 64 / N random picks, at least one.
bst_option_test(canary_chunks_default "" canary 1 1)
bst_option_test(canary_chunks_0 "canary_chunks=0" canary 0 0)
bst_option_test(canary_chunks_4 "canary_chunks=4" canary 8 16)

bst_option_test(wipe_default "" wipe zero)
bst_option_test(wipe_0 "wipe=0" wipe kept)
bst_option_test(neighbour_checks_default "" neighbour caught)
bst_option_test(neighbour_checks_0 "neighbour_checks=0" neighbour missed)
bst_option_test(verify_abort_default "" verify abort)
bst_option_test(verify_abort_0 "verify_abort=0" verify count)

if(TARGET bastion)
  bst_test(test_options_std SOURCES test_options.c LIBS bastion)
  target_compile_definitions(test_options_std PRIVATE BST_TEST_STD)
endif()

# The options tables in docs/usage.md and man/bastion.3 are
# tools/gen-options' output. gen-options is a host tool: built, never
# installed.
add_executable(gen-options ${PROJECT_SOURCE_DIR}/tools/gen-options.c)
target_include_directories(gen-options PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_options(gen-options PRIVATE ${BST_WARNINGS})
add_test(NAME options_doc
         COMMAND sh ${PROJECT_SOURCE_DIR}/tools/update-options-doc --check
                 $<TARGET_FILE:gen-options>)
