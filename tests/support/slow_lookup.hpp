// tests/support/slow_lookup.hpp: name lookups of "localhost" slowed down on purpose (a cold DNS
// cache, modelled), for the tests of what a call does while a name is looked up. Linking
// slow_lookup.cpp puts a getaddrinfo() in front of libc's for the whole program.
#pragma once

#include <chrono>

namespace mistral::test {

/// While it lives, every getaddrinfo("localhost", ...) of the program takes `delay` longer.
struct slow_lookup {
    explicit slow_lookup(std::chrono::milliseconds delay);
    ~slow_lookup();
    slow_lookup(const slow_lookup&) = delete;
    slow_lookup& operator=(const slow_lookup&) = delete;
};

}  // namespace mistral::test
