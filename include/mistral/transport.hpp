// mistral/transport.hpp: the transport concept and the HTTP exchange it carries (no Boost).
// SPDX-License-Identifier: MIT
//
// The transport concept: what the client needs from an HTTP library, and nothing more. Any HTTP
// stack (cpp-httplib, libcurl, Boost.Beast, WinHTTP, a test double) can be plugged into
// basic_client by writing one class:
//
//     struct my_transport {
//         // Performs the exchange. Calls handler.on_head() once with the status and headers,
//         // then handler.on_body() with each piece of the body as it arrives. Returns when the
//         // body is complete or when a handler call returned false (then it aborts the
//         // transfer and releases the connection). Throws mistral::transport_error on failure,
//         // with kind() cancelled once request.stop is triggered (from any thread) and timeout
//         // when a timeout or the deadline expires.
//         void send(const mistral::http_request& request, mistral::response_handler& handler);
//     };
//
// The concept is push-based so that every library can satisfy it. A transport that can also hand
// out the body on demand (cpp-httplib >= 0.29's stream API, the mock) is a pull_transport: it adds
//
//         // Sends the request and returns once the response head has arrived; the reader then
//         // gives the body piece by piece as the caller asks for it. Throws as send() does.
//         std::unique_ptr<mistral::body_reader> open(const mistral::http_request& request);
//
// which lets basic_client::open_stream() read a stream on the caller's thread. A push-only
// transport works there too: open_stream() then runs its send() on one helper thread per open
// stream (see impl/threaded_reader.hpp).
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "detail/config.hpp"
#include "error.hpp"
#include "http.hpp"
#include "stop_token.hpp"

MISTRAL_NAMESPACE_BEGIN

/// One HTTP exchange, as the client hands it to a transport.
struct http_request {
    /// "POST" for chat completions.
    std::string method = "POST";
    /// Absolute URL: scheme://host[:port]/path[?query]. See parse_url().
    std::string url;
    /// Request headers, including Authorization: never log them unredacted.
    http_headers headers;
    /// Request body.
    std::string body;
    /// Longest time to establish the connection (TCP and TLS).
    std::chrono::milliseconds connect_timeout{10'000};
    /// Longest silence while waiting for the response head, and between two pieces of the body.
    std::chrono::milliseconds read_timeout{60'000};
    /// When set, the whole exchange must have ended by then (else transport_error timeout).
    std::optional<std::chrono::steady_clock::time_point> deadline;
    /// Cancellation: once stop is requested (from any thread) the transport aborts the exchange
    /// promptly and throws transport_error with kind cancelled.
    stop_token stop;
};

/// The status line and headers of a response; delivered before any body byte.
struct response_head {
    int status = 0;        ///< the HTTP status code
    http_headers headers;  ///< the response headers
};

/// Receives a response from a transport. on_head() is called once, then on_body() for every
/// piece of the body, in order, as it arrives; the piece is valid only during the call. Either
/// may return false to stop the transfer: the transport then aborts it, releases the
/// connection and returns normally from send().
class response_handler {
public:
    /// The status and headers, once, before any body byte; false stops the transfer.
    virtual bool on_head(response_head head) = 0;
    /// The next piece of the body, valid during the call only; false stops the transfer.
    virtual bool on_body(std::string_view piece) = 0;
    /// Whether the handler has all of the body it needs (a stream's [DONE] arrived) while the
    /// transfer goes on. A transport that asks, after on_body(), gives the rest of the body
    /// drain_grace to arrive (the connection is then reused) and otherwise ends the exchange and
    /// returns normally, not waiting for its read timeout (the connection is then closed).
    virtual bool complete() const noexcept { return false; }

protected:
    ~response_handler() = default;
};

/// How long a transport waits for the rest of a body once its receiver has all it needs (see
/// response_handler::complete() and body_reader::content_complete()): long enough for the end of
/// a chunked body already on its way, short enough that a server holding the response open
/// after a stream's [DONE] does not hold the call.
inline constexpr std::chrono::milliseconds drain_grace{250};

/// The body of a response, read on demand: what a pull_transport's open() returns, once the
/// response head has arrived. The request given to open() must outlive the reader. Destroying
/// the reader before the body ended aborts the exchange and closes its connection (it is not
/// reused); a reader read to the end may return its connection to a pool.
class body_reader {
public:
    virtual ~body_reader() = default;
    /// The status line and headers.
    virtual const response_head& head() const noexcept = 0;
    /// Waits for the next piece of the body and returns it, valid until the next call; an empty
    /// view once the body has ended. Throws transport_error as send() does (cancelled once
    /// request.stop is triggered, timeout when the read timeout or the deadline expires).
    virtual std::string_view read() = 0;
    /// Tells the reader that the caller has all of the body it needs (a stream's [DONE]
    /// arrived): later reads give the rest of the body if it arrives within drain_grace, and
    /// otherwise end it (an empty view) without waiting for the read timeout.
    virtual void content_complete() {}
};

/// A transport provides `send(const http_request&, response_handler&)`. Named sub-requirements
/// make a compile error say which part is missing.
template <class T>
concept transport_has_send = requires(T& t, const http_request& request,
                                      response_handler& handler) {
    { t.send(request, handler) } -> std::same_as<void>;
};

template <class T>
concept transport = std::move_constructible<T> && transport_has_send<T>;

/// A transport that can also give a response body on demand (see body_reader).
template <class T>
concept pull_transport = transport<T> && requires(T& t, const http_request& request) {
    { t.open(request) } -> std::same_as<std::unique_ptr<body_reader>>;
};

/// Certificates for HTTPS. Verification of the server certificate and host name is always on;
/// these options only say what to trust and which client certificate to present.
struct tls_options {
    /// A PEM bundle of CA certificates to trust instead of the system store ("" = system store).
    std::string ca_file;
    /// A directory of hashed PEM CA certificates (OpenSSL c_rehash layout).
    std::string ca_dir;
    /// Client certificate and private key (PEM) for mutual TLS; both or neither.
    std::string client_cert_file;
    std::string client_key_file;  ///< the client certificate's private key (PEM)
};

/// An HTTP proxy. HTTPS goes through it with CONNECT, so the proxy never sees the API key.
struct proxy_options {
    /// "http://[user:password@]host:port"; "" = none, or the environment's when use_environment.
    std::string url;
    /// When url is empty, use HTTPS_PROXY / https_proxy (for https) or HTTP_PROXY / http_proxy
    /// (for http), except for hosts listed in NO_PROXY / no_proxy.
    bool use_environment = true;
    /// Extra hosts that bypass the proxy, comma-separated, with NO_PROXY's syntax ("*" = all,
    /// "example.com" also matches its subdomains).
    std::string no_proxy;
};

/// Settings of the default transport that belong to connections rather than to requests.
struct transport_options {
    tls_options tls;      ///< what to trust, and a client certificate
    proxy_options proxy;  ///< an HTTP proxy
    /// Idle keep-alive connections kept for reuse (per transport, across threads).
    std::size_t max_idle_connections = 8;
};

/// The parts of an absolute http(s) URL.
struct url_parts {
    std::string scheme;  ///< "http" or "https"
    std::string host;    ///< without brackets for IPv6 literals
    int port = 0;        ///< explicit, or 80/443 from the scheme
    std::string target;  ///< path and query, at least "/"
};

/// Splits an absolute http or https URL. Throws transport_error (kind other) for anything else.
MISTRAL_DECL url_parts parse_url(std::string_view url);

namespace detail {
using push_send = std::function<void(const http_request&, response_handler&)>;
// A body_reader over a push-only transport: runs send() on one helper thread per reader, which
// hands each piece over to the reading thread (impl/threaded_reader.hpp). The request is copied.
MISTRAL_DECL std::unique_ptr<body_reader> open_on_helper_thread(push_send send,
                                                                const http_request& request);

// Opens a response on any transport: its own open() when it has one, else the helper thread.
// The transport must outlive the reader.
template <transport T>
std::unique_ptr<body_reader> open_response(T& t, const http_request& request) {
    if constexpr (pull_transport<T>) {
        return t.open(request);
    } else {
        return open_on_helper_thread(
            [&t](const http_request& r, response_handler& h) { t.send(r, h); }, request);
    }
}
}  // namespace detail

/// A transport behind a type-erased handle: lets one translation unit create the default
/// transport (and pay for httplib.h) while every other one uses basic_client<any_transport>
/// with only core.hpp. Copies share the same underlying transport. It is a pull_transport
/// whatever it holds: open() is the held transport's own, or else its send() on a helper thread.
class any_transport {
public:
    /// Wraps a transport (moved or copied in; copies of the handle share it).
    template <class T>
    requires(!std::same_as<std::remove_cvref_t<T>, any_transport> &&
             transport<std::remove_cvref_t<T>>)
        any_transport(T&& t)  // NOLINT(google-explicit-constructor): wrapping is the point
        : impl_(std::make_shared<model<std::remove_cvref_t<T>>>(std::forward<T>(t))) {}

    /// The held transport's send().
    void send(const http_request& request, response_handler& handler) {
        impl_->send(request, handler);
    }

    /// The held transport's open(), or its send() on a helper thread when it has no open().
    std::unique_ptr<body_reader> open(const http_request& request) { return impl_->open(request); }

private:
    struct interface {
        virtual ~interface() = default;
        virtual void send(const http_request& request, response_handler& handler) = 0;
        virtual std::unique_ptr<body_reader> open(const http_request& request) = 0;
    };
    template <class T>
    struct model final : interface {
        explicit model(T t) : transport(std::move(t)) {}
        void send(const http_request& request, response_handler& handler) override {
            transport.send(request, handler);
        }
        std::unique_ptr<body_reader> open(const http_request& request) override {
            return detail::open_response(transport, request);
        }
        T transport;
    };
    std::shared_ptr<interface> impl_;
};

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/threaded_reader.hpp"
#include "impl/url.hpp"
#endif
