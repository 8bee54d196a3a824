# tests/compile_fail/expect_error.cmake: compiles SOURCE with CXX (-std=c++20, or the FLAGS given, a ;-list) and succeeds only if
# compilation fails with a message containing EXPECT (misuse is rejected with a readable error).
if(NOT DEFINED FLAGS)
    set(FLAGS -std=c++20)
endif()
execute_process(
    COMMAND ${CXX} ${FLAGS} -fsyntax-only -I${INCLUDE} ${SOURCE}
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(result EQUAL 0)
    message(FATAL_ERROR "${SOURCE} compiled, but must not")
endif()
string(FIND "${out}${err}" "${EXPECT}" found)
if(found EQUAL -1)
    message(FATAL_ERROR "the compile error does not mention ${EXPECT}:\n${err}")
endif()
