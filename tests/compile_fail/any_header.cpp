// tests/compile_fail/any_header.cpp: any header of the library, compiled with what it refuses
// (tests/CMakeLists.txt passes the flags).
#include <mistral/core.hpp>
