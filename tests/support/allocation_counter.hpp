// Counts heap allocations, for tests and benchmarks that must not allocate. Link
// allocation_counter.cpp (which replaces the global operator new) into the program.
#pragma once

#include <cstddef>

namespace mistral::test {

/// Number of calls to the global operator new so far, in every thread.
std::size_t allocation_count() noexcept;

}  // namespace mistral::test
