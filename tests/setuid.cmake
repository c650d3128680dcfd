# Privileged processes (issue 13); included from tests/CMakeLists.txt where
# libbastion.a is built. Two programs statically linked with bastion, so a
# set-user-ID copy needs no library path: test_options (its measuring modes
# and the "privileged" probe) and the write-after-free attack.
# tests/setuid_test.sh makes set-user-ID copies and runs them as root.
bst_test(test_options_static SOURCES test_options.c LIBS bastion_static)
set_tests_properties(test_options_static PROPERTIES ENVIRONMENT "BASTION_OPTIONS=")
add_executable(setuid_waf ${PROJECT_SOURCE_DIR}/security-tests/attacks/write_after_free_small.c)
target_include_directories(setuid_waf PRIVATE ${PROJECT_SOURCE_DIR}/security-tests)
target_compile_options(setuid_waf PRIVATE -O0 -g)
target_link_libraries(setuid_waf PRIVATE bastion_static)
add_test(NAME setuid
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/setuid_test.sh $<TARGET_FILE:test_options_static>
                 $<TARGET_FILE:setuid_waf>)
set_tests_properties(setuid PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
