// mistral/detail/sleep.hpp: the sleep of retry waits, which ends as soon as the call is
// cancelled. Standard library only.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// Sleeps for d unless stop is requested first.
inline void interruptible_sleep(std::chrono::milliseconds d, std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, d, [] { return false; });
}

}  // namespace detail
MISTRAL_NAMESPACE_END
