// tests/catch_main.cpp: catch2 v2's main, for builds that have no Catch2WithMain library (Meson
// with Debian's catch2).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
