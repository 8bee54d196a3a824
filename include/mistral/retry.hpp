// mistral-cpp: a header-only C++20 client for the Mistral AI Chat Completion API.
// SPDX-License-Identifier: MIT
//
// Retry policy: which failures are retried, how long to wait (full-jitter exponential backoff,
// or what the server asks for with Retry-After), and the bound on the total time. Time and
// randomness are injectable so that tests of retries run in milliseconds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "metadata.hpp"

namespace mistral {

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
    std::chrono::milliseconds max_backoff{8'000};
    double multiplier = 2.0;
    /// No retry is started when the call has run this long or would exceed it by waiting.
    std::chrono::milliseconds max_elapsed{30'000};
    /// A wait the server asks for (retry-after-ms, Retry-After) is used instead of the
    /// backoff; a longer one than this ends the retries with the error.
    std::chrono::milliseconds max_retry_after{60'000};
    /// HTTP statuses retried besides 5xx.
    std::vector<int> retry_statuses{408, 409, 425, 429};
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
    std::chrono::milliseconds backoff(int retry, double jitter) const {
        const double cap = static_cast<double>(max_backoff.count());
        const double grown =
            static_cast<double>(initial_backoff.count()) * std::pow(multiplier, retry);
        const double ceiling = std::min(cap, grown);
        return std::chrono::milliseconds(
            static_cast<std::int64_t>(std::clamp(jitter, 0.0, 1.0) * ceiling));
    }
};

/// The clock, sleep and randomness the client uses for retries and timeouts. Replace them in
/// tests to make retries instantaneous and deterministic; empty members use the defaults
/// (steady_clock, a sleep that wakes up as soon as the call's stop token is triggered, and a
/// per-thread Mersenne Twister).
struct retry_environment {
    std::function<std::chrono::steady_clock::time_point()> now;
    std::function<void(std::chrono::milliseconds, std::stop_token)> sleep;
    std::function<double()> jitter;
    /// The wall clock, for Retry-After given as an HTTP date.
    std::function<std::chrono::system_clock::time_point()> wall_now;
};

namespace detail {

// Sleeps for d unless stop is requested first.
inline void interruptible_sleep(std::chrono::milliseconds d, std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, d, [] { return false; });
}

inline double default_jitter() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// Days since 1970-01-01 of a proleptic Gregorian date.
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Parses the three HTTP date formats (RFC 9110 5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37
// GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994". Returns
// seconds since 1970 (an int64: years up to 9999 do not fit system_clock's nanoseconds).
inline std::optional<std::int64_t> parse_http_date(std::string_view s) {
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto number = [](std::string_view t) -> std::optional<int> {
        if (t.empty() || t.size() > 4) return std::nullopt;
        int v = 0;
        for (const char c : t) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + (c - '0');
        }
        return v;
    };
    auto month_of = [&](std::string_view t) -> std::optional<unsigned> {
        for (unsigned i = 0; i < 12; ++i) {
            if (t == months[i]) return i + 1;
        }
        return std::nullopt;
    };
    // Tokenise on spaces, commas, dashes and colons.
    std::string_view tokens[10];
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size() && count < 10;) {
        while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '-' || s[i] == ':')) ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '-' && s[i] != ':') ++i;
        if (i > start) tokens[count++] = s.substr(start, i - start);
    }
    std::optional<int> day, year, hh, mm, ss;
    std::optional<unsigned> month;
    if (count == 8 && tokens[7] == "GMT") {  // IMF-fixdate or RFC 850
        day = number(tokens[1]);
        month = month_of(tokens[2]);
        year = number(tokens[3]);
        hh = number(tokens[4]);
        mm = number(tokens[5]);
        ss = number(tokens[6]);
        if (year && tokens[3].size() == 2) *year += *year < 70 ? 2000 : 1900;
    } else if (count == 7) {  // asctime
        month = month_of(tokens[1]);
        day = number(tokens[2]);
        hh = number(tokens[3]);
        mm = number(tokens[4]);
        ss = number(tokens[5]);
        year = number(tokens[6]);
    }
    if (!day || !month || !year || !hh || !mm || !ss || *day < 1 || *day > 31 || *hh > 23 ||
        *mm > 59 || *ss > 60) {
        return std::nullopt;
    }
    const std::int64_t seconds =
        days_from_civil(*year, *month, static_cast<unsigned>(*day)) * 86400 + *hh * 3600 +
        *mm * 60 + *ss;
    return seconds;
}

inline std::optional<double> parse_decimal(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (s.empty()) return std::nullopt;
    double whole = 0;
    double scale = 0;
    for (const char c : s) {
        if (c == '.' && scale == 0) {
            scale = 1;
        } else if (c >= '0' && c <= '9') {
            if (scale == 0) {
                whole = whole * 10 + (c - '0');
            } else {
                scale /= 10;
                whole += (c - '0') * scale;
            }
        } else {
            return std::nullopt;
        }
    }
    return whole;
}

}  // namespace detail

/// The wait a response asks for before a retry: `retry-after-ms` (milliseconds), else
/// `Retry-After` as seconds (decimals allowed) or as an HTTP date (relative to `now`). A date in
/// the past means no wait. Malformed values are ignored.
inline std::optional<std::chrono::milliseconds> parse_retry_after(
    const http_headers& headers, std::chrono::system_clock::time_point now) {
    using std::chrono::milliseconds;
    if (const auto ms = headers.find("retry-after-ms")) {
        if (const auto v = detail::parse_decimal(*ms); v && *v < 1e12) {
            return milliseconds(static_cast<std::int64_t>(*v));
        }
    }
    if (const auto ra = headers.find("retry-after")) {
        if (const auto v = detail::parse_decimal(*ra); v && *v < 1e9) {
            return milliseconds(static_cast<std::int64_t>(*v * 1000));
        }
        if (const auto when = detail::parse_http_date(*ra)) {
            const std::int64_t now_s =
                std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
            return milliseconds(std::clamp<std::int64_t>(*when - now_s, 0, std::int64_t{1} << 40) *
                                1000);
        }
    }
    return std::nullopt;
}

}  // namespace mistral
