// mistral/impl/error_body.hpp: parse_error_body(), which reads every error body shape the API is
// known to send into api_error_details (error.hpp). Included by json.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "../detail/config.hpp"
#include "../error.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {

inline std::string scalar_text(const boost::json::value& v) {
    if (const auto* s = v.if_string()) return std::string(*s);
    if (v.is_number() || v.is_bool()) return boost::json::serialize(v);
    return {};
}

// Reads a validation `detail` array: [{"loc": [...], "msg": "...", "type": "..."}].
inline std::vector<validation_issue> read_validation_issues(const boost::json::array& list) {
    std::vector<validation_issue> issues;
    for (const auto& entry : list) {
        const auto* obj = entry.if_object();
        if (obj == nullptr) continue;
        validation_issue issue;
        if (const auto* loc = obj->if_contains("loc"); loc != nullptr && loc->is_array()) {
            for (const auto& part : loc->get_array()) {
                if (!issue.location.empty()) issue.location += '.';
                issue.location += scalar_text(part);
            }
        }
        if (const auto* msg = obj->if_contains("msg")) issue.message = scalar_text(*msg);
        if (const auto* type = obj->if_contains("type")) issue.type = scalar_text(*type);
        issues.push_back(std::move(issue));
    }
    return issues;
}

inline std::string summarize(const std::vector<validation_issue>& issues) {
    std::string out;
    for (const auto& issue : issues) {
        if (!out.empty()) out += "; ";
        out += issue.location.empty() ? issue.message : issue.location + ": " + issue.message;
    }
    return out;
}

inline void read_error_object(const boost::json::object& obj, api_error_details& d) {
    if (const auto* message = obj.if_contains("message")) {
        if (const auto* nested = message->if_object()) {
            // 422: {"message": {"detail": [...]}} - the validation entries sit inside message.
            if (const auto* detail = nested->if_contains("detail")) {
                if (detail->is_array())
                    d.validation_issues = read_validation_issues(detail->get_array());
                else
                    d.message = scalar_text(*detail);
            }
        } else {
            d.message = scalar_text(*message);
        }
    }
    if (const auto* detail = obj.if_contains("detail")) {
        if (const auto* list = detail->if_array())
            d.validation_issues = read_validation_issues(*list);
        else if (d.message.empty())
            d.message = scalar_text(*detail);
    }
    if (d.message.empty() && !d.validation_issues.empty())
        d.message = summarize(d.validation_issues);
    if (const auto* v = obj.if_contains("type")) d.type = scalar_text(*v);
    if (const auto* v = obj.if_contains("code")) d.code = scalar_text(*v);
    if (const auto* v = obj.if_contains("param")) d.param = scalar_text(*v);
    if (const auto* v = obj.if_contains("request_id")) d.request_id = scalar_text(*v);
    if (const auto* v = obj.if_contains("raw_status_code")) {
        if (v->is_int64() && v->get_int64() >= 100 && v->get_int64() <= 999) {
            d.raw_status_code = static_cast<int>(v->get_int64());
        }
    }
}

}  // namespace detail

/// Reads an error body of any shape the API is known to send: `{"object":"error","message":
/// "...","type":"...","param":null,"code":"1300"}`, a 422 whose `detail` list is nested inside
/// `message`, a top-level `{"detail":[...]}` or `{"detail":"Unauthorized"}`, the gateway's
/// `{"message":"...","request_id":"..."}`, an OpenAI-style `{"error":{...}}`, `{"error":"..."}`,
/// HTML, or nothing.
/// Never throws: what it cannot read stays empty.
inline api_error_details parse_error_body(std::string_view body) {
    api_error_details details;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    if (ec) return details;
    if (const auto* obj = v.if_object()) {
        const auto* nested = obj->if_contains("error");
        if (nested != nullptr && nested->is_object()) {
            detail::read_error_object(nested->get_object(), details);
        } else if (nested != nullptr && nested->is_string()) {
            details.message = std::string(nested->get_string());  // Ollama's native API
        } else {
            detail::read_error_object(*obj, details);
        }
    } else if (v.is_string()) {
        details.message = std::string(v.get_string());
    }
    return details;
}

MISTRAL_NAMESPACE_END
