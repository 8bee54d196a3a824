// mistral/impl/error.hpp: the definitions of error.hpp: an api_error's message, and the names of
// transport failures. Included at the end of error.hpp in a header-only build, else only by
// src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "../detail/config.hpp"
#include "../error.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL api_error::api_error(response_metadata metadata, std::string body,
                                  api_error_details details)
    : api_error(make_data(std::move(metadata), std::move(body), std::move(details))) {}

MISTRAL_DECL std::shared_ptr<const api_error::data> api_error::make_data(
    response_metadata metadata, std::string body, api_error_details details) {
    if (metadata.request_id.empty()) metadata.request_id = details.request_id;
    return std::make_shared<const data>(
        data{std::move(metadata), std::move(body), std::move(details)});
}

MISTRAL_DECL std::string api_error::describe(const data& d) {
    const api_error_details& details = d.details;
    std::string out = "Mistral API error " + std::to_string(d.metadata.status);
    if (!details.type.empty() || !details.code.empty()) {
        out += " (";
        out += details.type;
        if (!details.code.empty()) {
            out += (details.type.empty() ? "code " : ", code ") + details.code;
        }
        out += ')';
    }
    out += ": ";
    if (!details.message.empty()) {
        out += details.message;
    } else if (!d.body.empty()) {
        std::string body = detail::snippet(d.body);
        for (char& c : body) {
            if (c == '\n' || c == '\r' || c == '\t') c = ' ';
        }
        out += "unrecognised body: " + body;
    } else {
        out += "empty body";
    }
    if (!d.metadata.request_id.empty()) out += " [request id " + d.metadata.request_id + "]";
    return out;
}

MISTRAL_DECL const char* to_string(transport_error_kind kind) noexcept {
    switch (kind) {
        case transport_error_kind::connect:
            return "connect";
        case transport_error_kind::name_resolution:
            return "name_resolution";
        case transport_error_kind::tls:
            return "tls";
        case transport_error_kind::timeout:
            return "timeout";
        case transport_error_kind::reset:
            return "reset";
        case transport_error_kind::cancelled:
            return "cancelled";
        case transport_error_kind::proxy:
            return "proxy";
        case transport_error_kind::other:
            break;
    }
    return "other";
}

MISTRAL_NAMESPACE_END
