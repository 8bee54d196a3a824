// mistral/retry.hpp: retry_policy: which failures are retried, backoff, Retry-After.
// SPDX-License-Identifier: MIT
//
// Retry policy: which failures are retried, how long to wait (full-jitter exponential backoff,
// or what the server asks for with Retry-After), and the bound on the total time. Time and
// randomness are injectable so that tests of retries run in milliseconds.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <iterator>
#include <optional>
#include <vector>

#include "detail/config.hpp"
#include "error.hpp"
#include "http.hpp"
#include "stop_token.hpp"

MISTRAL_NAMESPACE_BEGIN

/// When and how the client retries a call. Defaults: at most 2 retries (3 attempts), waits of
/// 0.5 s, 1 s, 2 s... (randomised by full jitter, capped at 8 s), no retry starting more than
/// 30 s after the call began, Retry-After honoured up to 60 s. A stream is never retried once
/// any of it reached the caller.
struct retry_policy {
    /// Retries after the first attempt; 0 disables retries.
    int max_retries = 2;
    /// The first backoff; the n-th retry waits a random time in [0, min(max_backoff,
    /// initial_backoff * multiplier^n)) ("full jitter").
    std::chrono::milliseconds initial_backoff{500};
    /// The longest wait between two attempts.
    std::chrono::milliseconds max_backoff{8'000};
    /// How much the wait grows after each attempt.
    double multiplier = 2.0;
    /// No retry is started when the call has run this long or would exceed it by waiting.
    std::chrono::milliseconds max_elapsed{30'000};
    /// A wait the server asks for (retry-after-ms, Retry-After) is used instead of the
    /// backoff; a longer one than this ends the retries with the error.
    std::chrono::milliseconds max_retry_after{60'000};
    /// HTTP statuses retried besides 5xx.
    std::vector<int> retry_statuses =
        std::vector<int>(std::begin(default_retry_statuses), std::end(default_retry_statuses));
    /// Retry every 5xx status.
    bool retry_server_errors = true;
    /// Retry connection failures, resets and timeouts (not TLS or name-resolution failures).
    bool retry_connection_errors = true;
    /// Also retry a transport failure after the request may have reached the server (a reset
    /// or a read timeout once it was sent). The server may have processed it, and a completion
    /// it produced is billed: a retry can cost a second completion. That is what the official
    /// SDKs do, and the default; false retries only failures that happened before the request
    /// could be sent (refused connections, connect timeouts).
    bool retry_sent_requests = true;

    /// A policy that never retries.
    static retry_policy none() {
        retry_policy p;
        p.max_retries = 0;
        return p;
    }

    /// Whether a response with this status is retried.
    bool retries_status(int status) const {
        if (retry_server_errors && status >= 500 && status <= 599) return true;
        return std::find(retry_statuses.begin(), retry_statuses.end(), status) !=
               retry_statuses.end();
    }

    /// Whether this transport failure is retried.
    bool retries_transport(const transport_error& e) const noexcept {
        const auto kind = e.kind();
        return retry_connection_errors && (retry_sent_requests || !e.request_sent()) &&
               (kind == transport_error_kind::connect || kind == transport_error_kind::reset ||
                kind == transport_error_kind::timeout);
    }

    /// The backoff before retry number `retry` (0 for the first retry), for a jitter in [0, 1).
    MISTRAL_DECL std::chrono::milliseconds backoff(int retry, double jitter) const;
};

/// The clock, sleep and randomness the client uses for retries and timeouts. Replace them in
/// tests to make retries instantaneous and deterministic; empty members use the defaults
/// (steady_clock, a sleep that wakes up as soon as the call's stop token is triggered, and a
/// per-thread Mersenne Twister).
struct retry_environment {
    /// The clock (default: std::chrono::steady_clock).
    std::function<std::chrono::steady_clock::time_point()> now;
    /// The wait between attempts (default: an interruptible sleep).
    std::function<void(std::chrono::milliseconds, stop_token)> sleep;
    /// A random factor in [0, 1) for the backoff (default: a PRNG).
    std::function<double()> jitter;
    /// The wall clock, for Retry-After given as an HTTP date.
    std::function<std::chrono::system_clock::time_point()> wall_now;
};

namespace detail {

// A random factor in [0, 1) from a per-thread PRNG.
MISTRAL_DECL double default_jitter();

}  // namespace detail

/// The wait a response asks for before a retry: `retry-after-ms` (milliseconds), else
/// `Retry-After` as seconds (decimals allowed) or as an HTTP date (relative to `now`). A date in
/// the past means no wait. Malformed values are ignored.
MISTRAL_DECL std::optional<std::chrono::milliseconds> parse_retry_after(
    const http_headers& headers, std::chrono::system_clock::time_point now);

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/retry.hpp"
#endif
