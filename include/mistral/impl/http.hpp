// mistral/impl/http.hpp: the definitions of http.hpp: header lookup and the parsing of the
// rate-limit and request-id headers. Included at the end of http.hpp in a header-only build, else
// only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include "../detail/config.hpp"
#include "../http.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL void http_headers::add(std::string name, std::string value) {
    list_.push_back({std::move(name), std::move(value)});
}

MISTRAL_DECL void http_headers::set(std::string name, std::string value) {
    erase(name);
    add(std::move(name), std::move(value));
}

MISTRAL_DECL void http_headers::erase(std::string_view name) {
    std::erase_if(list_, [&](const http_header& h) { return iequals(h.name, name); });
}

MISTRAL_DECL std::optional<std::string_view> http_headers::find(
    std::string_view name) const noexcept {
    for (const auto& h : list_) {
        if (iequals(h.name, name)) return std::string_view(h.value);
    }
    return std::nullopt;
}

MISTRAL_DECL const rate_limit_window* rate_limit_info::find(std::string_view resource,
                                                            std::string_view window) const {
    for (const auto& w : windows) {
        if (w.resource == resource && w.window == window) return &w;
    }
    return nullptr;
}

namespace detail {

// Splits "tokens-minute" / "ocr-pages-10-second" into resource and window.
MISTRAL_DECL std::pair<std::string, std::string> split_rate_limit_key(std::string_view rest) {
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

MISTRAL_DECL void record_window(rate_limit_info& info, std::string resource, std::string window,
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

MISTRAL_DECL rate_limit_info parse_rate_limits(const http_headers& headers) {
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

MISTRAL_DECL response_metadata make_response_metadata(int status, http_headers headers) {
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
