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
    void add(std::string name, std::string value) {
        list_.push_back({std::move(name), std::move(value)});
    }
    /// Replaces every field of that name (case-insensitively) with one field.
    void set(std::string name, std::string value) {
        erase(name);
        add(std::move(name), std::move(value));
    }
    /// Removes every field of that name (case-insensitively).
    void erase(std::string_view name) {
        std::erase_if(list_, [&](const http_header& h) { return iequals(h.name, name); });
    }
    /// The value of the first field of that name (case-insensitively), if any.
    std::optional<std::string_view> find(std::string_view name) const noexcept {
        for (const auto& h : list_) {
            if (iequals(h.name, name)) return std::string_view(h.value);
        }
        return std::nullopt;
    }
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
    const rate_limit_window* find(std::string_view resource, std::string_view window) const {
        for (const auto& w : windows) {
            if (w.resource == resource && w.window == window) return &w;
        }
        return nullptr;
    }
    /// True when the response carried no rate-limit header at all.
    bool empty() const noexcept {
        return windows.empty() && !tokens_query_cost && !ocr_pages_query_cost && !legacy_limit &&
               !legacy_remaining && !legacy_reset_seconds && !legacy_query_cost;
    }
    bool operator==(const rate_limit_info&) const = default;
};

namespace detail {

// Splits "tokens-minute" / "ocr-pages-10-second" into resource and window.
inline std::pair<std::string, std::string> split_rate_limit_key(std::string_view rest) {
    for (const std::string_view resource : {"ocr-pages-", "tokens-", "req-"}) {
        if (starts_with_icase(rest, resource)) {
            return {to_lower(resource.substr(0, resource.size() - 1)),
                    to_lower(rest.substr(resource.size()))};
        }
    }
    const auto dash = rest.find('-');
    if (dash == std::string_view::npos) return {to_lower(rest), std::string()};
    return {to_lower(rest.substr(0, dash)), to_lower(rest.substr(dash + 1))};
}

inline void record_window(rate_limit_info& info, std::string resource, std::string window,
                          bool is_limit, std::optional<std::int64_t> value) {
    rate_limit_window* slot = nullptr;
    for (auto& w : info.windows) {
        if (w.resource == resource && w.window == window) slot = &w;
    }
    if (slot == nullptr) {
        info.windows.push_back({std::move(resource), std::move(window), {}, {}});
        slot = &info.windows.back();
    }
    (is_limit ? slot->limit : slot->remaining) = value;
}

}  // namespace detail

/// Parses the rate-limit headers of a response (all `x-ratelimit-*` families, the legacy
/// `ratelimitbysize-*` ones included). Unknown or malformed values are skipped.
inline rate_limit_info parse_rate_limits(const http_headers& headers) {
    rate_limit_info info;
    for (const auto& h : headers) {
        const std::string_view name = h.name;
        const auto value = detail::parse_header_integer(h.value);
        if (detail::starts_with_icase(name, "x-ratelimit-")) {
            const std::string_view rest = name.substr(12);
            if (iequals(rest, "tokens-query-cost")) {
                info.tokens_query_cost = value;
            } else if (iequals(rest, "ocr-pages-query-cost")) {
                info.ocr_pages_query_cost = value;
            } else if (detail::starts_with_icase(rest, "limit-") ||
                       detail::starts_with_icase(rest, "remaining-")) {
                const bool is_limit = detail::starts_with_icase(rest, "limit-");
                auto [resource, window] =
                    detail::split_rate_limit_key(rest.substr(is_limit ? 6 : 10));
                detail::record_window(info, std::move(resource), std::move(window), is_limit,
                                      value);
            }
        } else if (detail::starts_with_icase(name, "x-ratelimitbysize-")) {
            const std::string_view rest = name.substr(18);
            const bool is_limit = detail::starts_with_icase(rest, "limit-");
            if (is_limit || detail::starts_with_icase(rest, "remaining-")) {
                detail::record_window(info, "bysize",
                                      detail::to_lower(rest.substr(is_limit ? 6 : 10)), is_limit,
                                      value);
            }
        } else if (iequals(name, "ratelimitbysize-limit")) {
            info.legacy_limit = value;
        } else if (iequals(name, "ratelimitbysize-remaining")) {
            info.legacy_remaining = value;
        } else if (iequals(name, "ratelimitbysize-reset")) {
            info.legacy_reset_seconds = value;
        } else if (iequals(name, "ratelimitbysize-query-cost")) {
            info.legacy_query_cost = value;
        }
    }
    return info;
}

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
inline response_metadata make_response_metadata(int status, http_headers headers) {
    response_metadata meta;
    meta.status = status;
    for (const std::string_view id :
         {"x-request-id", "mistral-correlation-id", "x-kong-request-id"}) {
        if (auto v = headers.find(id)) {
            meta.request_id = std::string(*v);
            break;
        }
    }
    if (auto v = headers.find("x-model-deprecation-timestamp")) {
        meta.model_deprecation = std::string(*v);
    }
    meta.rate_limits = parse_rate_limits(headers);
    meta.headers = std::move(headers);
    return meta;
}

MISTRAL_NAMESPACE_END
