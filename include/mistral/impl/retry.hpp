// mistral/impl/retry.hpp: the definitions of retry.hpp: the backoff, its randomness and the
// reading of Retry-After. Included at the end of retry.hpp in a header-only build, else only by
// src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "../detail/ascii.hpp"
#include "../detail/config.hpp"
#include "../detail/http_date.hpp"
#include "../retry.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL std::chrono::milliseconds retry_policy::backoff(int retry, double jitter) const {
    const double cap = static_cast<double>(max_backoff.count());
    const double grown = static_cast<double>(initial_backoff.count()) * std::pow(multiplier, retry);
    const double ceiling = std::min(cap, grown);
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(std::clamp(jitter, 0.0, 1.0) * ceiling));
}

namespace detail {

MISTRAL_DECL double default_jitter() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace detail

MISTRAL_DECL std::optional<std::chrono::milliseconds> parse_retry_after(
    const http_headers& headers, std::chrono::system_clock::time_point now) {
    using std::chrono::milliseconds;
    if (const auto ms = headers.find("retry-after-ms")) {
        if (const auto v = detail::parse_header_decimal(*ms); v && *v < 1e12) {
            return milliseconds(static_cast<std::int64_t>(*v));
        }
    }
    if (const auto ra = headers.find("retry-after")) {
        if (const auto v = detail::parse_header_decimal(*ra); v && *v < 1e9) {
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

MISTRAL_NAMESPACE_END
