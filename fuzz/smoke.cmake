# cmake -DFUZZER=... -DSEEDS=dir -DWORK=dir -DSECONDS=n [-DDICT=-dict=file] -P smoke.cmake
# Runs a libFuzzer harness for SECONDS on a copy of its seed corpus. A crash
# fails the test; the input is left in WORK for fuzz/run --replay.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
file(GLOB _seeds "${SEEDS}/*")
file(COPY ${_seeds} DESTINATION "${WORK}/corpus")
set(_extra "")
if(DICT)
  set(_extra "${DICT}")
endif()
execute_process(COMMAND "${FUZZER}" -seed=1 -max_total_time=${SECONDS} -print_final_stats=1
                        -len_control=0
                        -artifact_prefix=${WORK}/ ${_extra} "${WORK}/corpus"
                WORKING_DIRECTORY "${WORK}"
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} exited with ${_rc}; the crashing input is in ${WORK}")
endif()
