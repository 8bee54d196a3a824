// mistral/error.hpp: the exception hierarchy. No Boost: the partial response of a failed stream
// is forward-declared.
// SPDX-License-Identifier: MIT
//
// Everything the library throws derives from mistral::error, which derives from
// std::runtime_error. Messages never contain the API key.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/config.hpp"
#include "fwd.hpp"
#include "http.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Base of every exception the library throws. When a stream fails after some of it arrived,
/// partial_response() holds what was accumulated up to the failure, so no received text is lost.
class error : public std::runtime_error {
public:
    /// An error with this message (never holding a secret: the client redacts it first).
    explicit error(const std::string& what) : std::runtime_error(what) {}

    /// What a failed stream delivered before it failed, folded into a response; nullptr when
    /// nothing arrived or the call was not a stream.
    const chat_response* partial_response() const noexcept { return partial_.get(); }
    /// Attaches the partial response (used by the client before it throws).
    void set_partial_response(std::shared_ptr<const chat_response> partial) noexcept {
        partial_ = std::move(partial);
    }

private:
    std::shared_ptr<const chat_response> partial_;
};

/// The caller asked for something that cannot be sent: no API key, an empty model, no messages,
/// a non-finite number, text that is not UTF-8. Thrown before any I/O.
class usage_error : public error {
public:
    using error::error;  ///< from the message
};

/// One entry of a 422 validation error: where (e.g. "body.max_completion_tokens"), what, and
/// the validator's error type (e.g. "extra_forbidden").
struct validation_issue {
    std::string location;  ///< where in the request: the `loc` path, e.g. "body.messages.0"
    std::string message;   ///< what is wrong, in the API's words
    std::string type;      ///< the kind of problem, e.g. "missing"
    bool operator==(const validation_issue&) const = default;
};

/// What the client could read out of an error body (every body shape the API is known to send;
/// see parse_error_body() in impl/error_body.hpp). Fields it could not find are empty.
struct api_error_details {
    std::string message;  ///< the API's message
    std::string type;     ///< the API's error type
    std::string code;     ///< the API's error code, as a string ("1300")
    std::string param;    ///< the request parameter the error is about, when the API says
    std::vector<validation_issue> validation_issues;  ///< each problem of a 422 answer
    /// `raw_status_code` of the body, when present (error events inside a stream carry it).
    std::optional<int> raw_status_code;
    /// `request_id` of the body, when present (the gateway's 401 body carries it).
    std::string request_id;
};

namespace detail {
// The start of a text, for error messages.
inline std::string snippet(std::string_view text) {
    constexpr std::size_t max = 200;
    return std::string(text.substr(0, max)) + (text.size() > max ? "..." : "");
}
}  // namespace detail

/// The statuses below 500 that the default retry_policy retries (it retries every 5xx too).
/// The one list: retry_policy::retry_statuses starts from it.
inline constexpr int default_retry_statuses[] = {408, 409, 425, 429};

/// True for the HTTP statuses the default retry_policy retries: 408, 409, 425, 429 and 5xx.
constexpr bool is_retryable_status(int status) noexcept {
    for (const int s : default_retry_statuses) {
        if (s == status) return true;
    }
    return status >= 500 && status <= 599;
}

/// The API answered with an error: an HTTP status >= 400, or an error event inside a 200 stream
/// (then status() is the event's `raw_status_code` when present, else the HTTP status).
class api_error : public error {
public:
    /// The error of a response: its metadata, its (redacted) body and what was parsed of it.
    MISTRAL_DECL api_error(response_metadata metadata, std::string body, api_error_details details);

    /// The HTTP status (or the stream error event's `raw_status_code`).
    int status() const noexcept { return data_->metadata.status; }
    /// The API's error `type`, e.g. "invalid_request_error", "rate_limited" ("" if none).
    const std::string& type() const noexcept { return data_->details.type; }
    /// The API's error `code` as a string, e.g. "1300", "3230" ("" if none).
    const std::string& code() const noexcept { return data_->details.code; }
    /// The API's `param` ("" if none).
    const std::string& param() const noexcept { return data_->details.param; }
    /// The API's error message, e.g. "Rate limit exceeded" ("" if the body had none).
    const std::string& message() const noexcept { return data_->details.message; }
    /// The 422 validation entries, from the top-level `detail` or from `message.detail`.
    const std::vector<validation_issue>& validation_issues() const noexcept {
        return data_->details.validation_issues;
    }
    /// The raw response body (JSON, HTML or empty).
    const std::string& body() const noexcept { return data_->body; }
    /// The response headers.
    const http_headers& headers() const noexcept { return data_->metadata.headers; }
    /// The request id (`x-request-id`, `mistral-correlation-id`, or the body's `request_id`).
    const std::string& request_id() const noexcept { return data_->metadata.request_id; }
    /// The rate-limit headers of the response.
    const rate_limit_info& rate_limits() const noexcept { return data_->metadata.rate_limits; }
    /// Status, headers, request id, rate limits and attempt count together.
    const response_metadata& metadata() const noexcept { return data_->metadata; }
    /// Whether the default retry_policy retries this status (is_retryable_status); a client
    /// with its own policy asks it: `policy.retries_status(e.status())`.
    bool retryable() const noexcept { return is_retryable_status(status()); }

private:
    struct data {
        response_metadata metadata;
        std::string body;
        api_error_details details;
    };

    MISTRAL_DECL static std::shared_ptr<const data> make_data(response_metadata metadata,
                                                              std::string body,
                                                              api_error_details details);
    explicit api_error(std::shared_ptr<const data> d) : error(describe(*d)), data_(std::move(d)) {}
    MISTRAL_DECL static std::string describe(const data& d);

    std::shared_ptr<const data> data_;
};

/// Why a transport failed.
enum class transport_error_kind {
    connect,          ///< the connection could not be established (refused, unreachable)
    name_resolution,  ///< the host name could not be resolved
    tls,              ///< TLS handshake or certificate verification failed
    timeout,          ///< a connect, read or total timeout expired
    reset,            ///< the connection broke while sending or receiving
    cancelled,        ///< the call was cancelled through its stop token
    proxy,            ///< the proxy refused the request (e.g. 407: it wants credentials)
    other,            ///< anything else
};

/// A readable name for a transport_error_kind ("connect", "timeout", ...).
MISTRAL_DECL const char* to_string(transport_error_kind kind) noexcept;

/// Whether a failure of this kind can have happened after the request reached the server:
/// false only for failures before any byte of it could be sent (connect, name resolution, TLS).
constexpr bool may_have_reached_server(transport_error_kind kind) noexcept {
    return kind != transport_error_kind::connect && kind != transport_error_kind::name_resolution &&
           kind != transport_error_kind::tls;
}

/// The HTTP exchange failed below the API: connect, name resolution, TLS, timeout, reset,
/// cancellation or a proxy's refusal. kind() tells which.
class transport_error : public error {
public:
    /// A failure of this kind; whether the request may have reached the server follows from
    /// the kind (see may_have_reached_server()).
    transport_error(transport_error_kind kind, const std::string& what)
        : transport_error(kind, what, may_have_reached_server(kind)) {}
    /// `request_sent`: whether the request may have reached the server (a transport that knows
    /// better than the kind, e.g. that a timeout happened while connecting, says so here).
    transport_error(transport_error_kind kind, const std::string& what, bool request_sent)
        : error(what), kind_(kind), request_sent_(request_sent) {}
    /// What failed: connect, name_resolution, tls, timeout, reset, cancelled, proxy, other.
    transport_error_kind kind() const noexcept { return kind_; }
    /// Whether the server may have received the request (and may have processed it): false for
    /// a connection that was refused, timed out while connecting, or failed its TLS handshake.
    bool request_sent() const noexcept { return request_sent_; }

private:
    transport_error_kind kind_;
    bool request_sent_;
};

namespace detail {
// The two failures every layer reports the same way. `where` prefixes the message (a transport
// names the exchange, "POST http://host:port/path: ").
inline transport_error cancelled(bool request_sent, const std::string& where = "") {
    return transport_error(transport_error_kind::cancelled, where + "call cancelled", request_sent);
}
inline transport_error total_timeout_expired(const std::string& where = "") {
    return transport_error(transport_error_kind::timeout, where + "total timeout expired");
}
}  // namespace detail

/// The server's answer broke the protocol: malformed JSON, a value of the wrong type (path()
/// names where, e.g. "choices[0].message.tool_calls[1].function.name"), a malformed event
/// stream, an oversized event, or a stream that ended before `[DONE]` (then
/// partial_response() holds what arrived).
class protocol_error : public error {
public:
    /// A malformed answer; `path` is the JSON path of the offending value, when there is one.
    explicit protocol_error(const std::string& what, std::string path = {})
        : error(what), path_(std::make_shared<const std::string>(std::move(path))) {}
    /// The JSON path of the offending value ("" when not about a value).
    const std::string& path() const noexcept { return *path_; }

private:
    std::shared_ptr<const std::string> path_;
};

/// basic_client::run_tools() made tool_loop_options::max_rounds chat calls and the last reply
/// still asks for tools. partial_response() is that reply (not appended to the history, since
/// its calls were not run).
class tool_loop_error : public error {
public:
    using error::error;  ///< from the message
};

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/error.hpp"
#endif
