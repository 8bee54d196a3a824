// tests/support/allocation_counter.hpp: counts heap allocations and the bytes they hold, for tests
// and benchmarks that must not allocate, or must not hold much. Link allocation_counter.cpp (which
// replaces the global operator new) into the program.
#pragma once

#include <cstddef>

namespace mistral::test {

/// Number of calls to the global operator new so far, in every thread.
std::size_t allocation_count() noexcept;

/// Bytes held by the global operator new now (0 where the allocator cannot tell sizes).
std::size_t allocated_bytes() noexcept;

/// The most bytes held at once since the last reset_peak_bytes().
std::size_t peak_bytes() noexcept;
void reset_peak_bytes() noexcept;

}  // namespace mistral::test
