// mistral/http.hpp: HTTP headers and what the client reads out of a response's headers:
// request id, rate limits, model deprecation. Standard library only.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/ascii.hpp"
#include "detail/config.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Compares two ASCII strings ignoring case, as HTTP header names are compared.
using detail::iequals;

/// One HTTP header field.
struct http_header {
    std::string name;   ///< as given; compared case-insensitively
    std::string value;  ///< the field value
    bool operator==(const http_header&) const = default;
};

/// An ordered list of HTTP header fields with case-insensitive lookup. Repeated names are kept
/// (find() returns the first). Used for request headers, response headers and error headers.
class http_headers {
public:
    http_headers() = default;
    /// Builds the list from {name, value} pairs: `http_headers{{"X-Trace", "1"}}`.
    http_headers(std::initializer_list<http_header> list) : list_(list) {}

    /// Appends a field, keeping any existing field of the same name.
    MISTRAL_DECL void add(std::string name, std::string value);
    /// Replaces every field of that name (case-insensitively) with one field.
    MISTRAL_DECL void set(std::string name, std::string value);
    /// Removes every field of that name (case-insensitively).
    MISTRAL_DECL void erase(std::string_view name);
    /// The value of the first field of that name (case-insensitively), if any.
    MISTRAL_DECL std::optional<std::string_view> find(std::string_view name) const noexcept;
    /// Whether a header of this name (case-insensitive) is present.
    bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

    /// The headers in order, as http_header values.
    auto begin() const noexcept { return list_.begin(); }
    /// The end of the headers.
    auto end() const noexcept { return list_.end(); }
    /// How many headers (repeated names count each time).
    std::size_t size() const noexcept { return list_.size(); }
    /// Whether there is none.
    bool empty() const noexcept { return list_.empty(); }
    /// Room for n headers.
    void reserve(std::size_t n) { list_.reserve(n); }
    bool operator==(const http_headers&) const = default;

private:
    std::vector<http_header> list_;
};

/// One rate-limit window the API reported: `x-ratelimit-limit-<resource>-<window>` and
/// `x-ratelimit-remaining-<resource>-<window>`, e.g. resource "tokens" and window "minute".
/// Names are lower-cased; resources seen on the live API are "req", "tokens" and "ocr-pages",
/// windows "second", "10-second", "minute", "5-minute" and "month". The legacy gateway's
/// `x-ratelimitbysize-{limit,remaining}-<window>` headers appear with resource "bysize".
struct rate_limit_window {
    std::string resource;                   ///< what is counted: "req" or "tokens"
    std::string window;                     ///< the period: "minute", "month"...
    std::optional<std::int64_t> limit;      ///< the budget of the period
    std::optional<std::int64_t> remaining;  ///< what is left of it
    bool operator==(const rate_limit_window&) const = default;
};

/// Every rate-limit header of a response, parsed. Absent or malformed headers leave fields
/// empty; parsing never throws.
struct rate_limit_info {
    /// One entry per resource and window, in the order their headers first appeared.
    std::vector<rate_limit_window> windows;
    /// `x-ratelimit-tokens-query-cost`: tokens this call consumed.
    std::optional<std::int64_t> tokens_query_cost;
    /// `x-ratelimit-ocr-pages-query-cost`.
    std::optional<std::int64_t> ocr_pages_query_cost;
    /// Legacy gateway: `ratelimitbysize-limit`, `-remaining`, `-reset` (seconds), `-query-cost`.
    std::optional<std::int64_t> legacy_limit;
    /// X-ratelimitbysize-remaining, from older gateways.
    std::optional<std::int64_t> legacy_remaining;
    std::optional<std::int64_t> legacy_reset_seconds;  ///< x-ratelimitbysize-reset, in seconds
    /// X-ratelimitbysize-query-cost: what this request cost.
    std::optional<std::int64_t> legacy_query_cost;

    /// The window for that resource and window name ("tokens", "minute"), or nullptr.
    MISTRAL_DECL const rate_limit_window* find(std::string_view resource,
                                               std::string_view window) const;
    /// True when the response carried no rate-limit header at all.
    bool empty() const noexcept {
        return windows.empty() && !tokens_query_cost && !ocr_pages_query_cost && !legacy_limit &&
               !legacy_remaining && !legacy_reset_seconds && !legacy_query_cost;
    }
    bool operator==(const rate_limit_info&) const = default;
};

/// Parses the rate-limit headers of a response (all `x-ratelimit-*` families, the legacy
/// `ratelimitbysize-*` ones included). Unknown or malformed values are skipped.
MISTRAL_DECL rate_limit_info parse_rate_limits(const http_headers& headers);

/// What the client learned from the HTTP response of a call, besides its body: available on a
/// successful chat_response (member `http`) and on every api_error.
struct response_metadata {
    /// HTTP status code (0 when no response was received).
    int status = 0;
    /// The response headers, as received.
    http_headers headers;
    /// `x-request-id`, else `mistral-correlation-id`, else `x-kong-request-id`; "" if none.
    /// Quote it in support requests.
    std::string request_id;
    /// The parsed rate-limit headers.
    rate_limit_info rate_limits;
    /// `x-model-deprecation-timestamp`: the model is deprecated and will be removed then.
    std::optional<std::string> model_deprecation;
    /// How many HTTP requests the call sent: 1 + retries (+ resumes, with their own retries).
    int attempts = 0;
    /// How many times a cut stream was resumed (call_options::max_resumes).
    int resumes = 0;

    bool operator==(const response_metadata&) const = default;
};

/// Builds the metadata of a response from its status and headers.
MISTRAL_DECL response_metadata make_response_metadata(int status, http_headers headers);

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/http.hpp"
#endif
