# Owned by the api test work; included from tests/CMakeLists.txt.

# API conformance through the prefixed names: every flavour, sanitizers too.
bst_test(test_api SOURCES test_api.c LIBS bastion_prefixed)
# Sampled allocations (one in 4096 by default) have usable size round16(n)
# rather than the class's: the exact-usable checks here are about zone
# chunks. Sampling has its own tests in security-tests/.
set_tests_properties(test_api PROPERTIES ENVIRONMENT "BASTION_OPTIONS=sample_rate=0")

if(TARGET bastion)
  # The same source through the standard names, resolved to libbastion.so
  # by the dynamic linker (the test checks that first).
  bst_test(test_api_std SOURCES test_api.c LIBS bastion ${CMAKE_DL_LIBS})
  target_compile_definitions(test_api_std PRIVATE BST_TEST_STD)
  set_tests_properties(test_api_std PROPERTIES ENVIRONMENT "BASTION_OPTIONS=sample_rate=0")

  # libbastion.so exports exactly the names in exported-symbols.txt.
  add_test(NAME test_symbols
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_symbols.sh $<TARGET_FILE:bastion>
                   ${CMAKE_CURRENT_SOURCE_DIR}/exported-symbols.txt)
  set_tests_properties(test_symbols PROPERTIES ENVIRONMENT "NM=${CMAKE_NM}")

  # With libsodium's archive, only its ChaCha20 and randombytes are linked.
  if(BASTION_STATIC_SODIUM AND BST_SODIUM_SLIM_OK)
    add_test(NAME sodium_slim
             COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/sodium_slim_test.sh $<TARGET_FILE:bastion>)
    set_tests_properties(sodium_slim PROPERTIES ENVIRONMENT "NM=${CMAKE_NM}")
  endif()
endif()
