// tests/platforms/compiled.cpp: the one translation unit that compiles mistral-cpp and Boost.JSON
// for the platform tests (separate compilation, Boost.JSON header-only).
#include <boost/json/src.hpp>
#include <mistral/src.hpp>
