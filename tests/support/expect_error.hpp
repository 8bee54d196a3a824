// tests/support/expect_error.hpp: expect_error<E>(f): runs f, which must throw E, and returns the
// exception for the test to inspect.
#pragma once

#include <stdexcept>

#include "../catch.hpp"

namespace mistral::test {

template <class Error, class F>
Error expect_error(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("the expected exception was not thrown");
    throw std::logic_error("unreachable");
}

}  // namespace mistral::test
