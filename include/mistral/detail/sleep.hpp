// mistral/detail/sleep.hpp: the sleep of retry waits, which ends as soon as the call is
// cancelled. Standard library only.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "../stop_token.hpp"
#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// Sleeps for d unless stop is requested first.
inline void interruptible_sleep(std::chrono::milliseconds d, const stop_token& stop) {
    std::mutex m;
    std::condition_variable cv;
    bool stopped = false;
    const stop_callback wake(stop, [&] {
        {
            std::lock_guard lock(m);
            stopped = true;
        }
        cv.notify_all();
    });
    std::unique_lock lock(m);
    cv.wait_for(lock, d, [&] { return stopped; });
}

}  // namespace detail
MISTRAL_NAMESPACE_END
