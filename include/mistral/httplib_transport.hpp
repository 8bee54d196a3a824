// mistral/httplib_transport.hpp: the default transport, over cpp-httplib (+ OpenSSL for https).
// SPDX-License-Identifier: MIT
//
// The default transport, over cpp-httplib (with OpenSSL for https). Works with Debian 12's
// cpp-httplib 0.11.4 and with current upstream releases. Its definitions, the only code of the
// library that includes httplib.h, are in impl/httplib_transport.hpp: with
// MISTRAL_SEPARATE_COMPILATION they are compiled once, and other translation units never parse
// httplib.h.
#pragma once

#include <memory>

#include "detail/config.hpp"
#include "http.hpp"
#include "transport.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {
struct httplib_pool;
}  // namespace detail

/// The default transport: HTTP/1.1 over cpp-httplib, HTTPS through OpenSSL.
///
/// - Certificate and host-name verification are always on (tls_options choose what to trust
///   and a client certificate; nothing turns verification off). A failed verification says
///   why, in OpenSSL's words (self-signed, expired, unknown issuer) or "host name mismatch".
/// - Proxy from transport_options::proxy or from HTTPS_PROXY / HTTP_PROXY / NO_PROXY; https is
///   tunnelled with CONNECT.
/// - Keep-alive: connections are pooled per origin and reused by later calls, but only when
///   nothing is waiting to be read on them (a late or unsolicited response is never taken as the
///   answer to the next request); a stream that was stopped early, failed or was cancelled closes
///   its connection instead of returning it.
/// - Timeouts: connect and read-idle per request, clamped to the request's deadline. The
///   deadline bounds the whole exchange: a watchdog thread that lives as long as the exchange,
///   started only for a request with a deadline (client_options::timeouts.total), closes the
///   connection when it expires (no cpp-httplib release bounds every way a server can drip).
///   The same watchdog is started when a stream's [DONE] has arrived before the end of its body
///   (response_handler::complete()): the rest has drain_grace to come, else the connection is
///   closed and the call returns (a server holding the response open does not hold the call).
/// - Cancellation: the request's stop token aborts connecting, the TLS handshake and reading
///   promptly (POSIX: the socket is shut down from the cancelling thread).
/// - The request body is handed to cpp-httplib without a copy.
///
/// Thread safety: one transport may serve any number of threads at once; each request uses a
/// connection of its own from the pool. Copies share the pool.
class httplib_transport {
public:
    /// A transport with the default options (system CA store, proxy from the environment).
    MISTRAL_DECL httplib_transport();
    /// A transport with these options (client_options::transport, for basic_client).
    MISTRAL_DECL explicit httplib_transport(transport_options options);

    /// Performs one exchange (see the transport concept in transport.hpp).
    MISTRAL_DECL void send(const http_request& request, response_handler& handler);

    /// Opens a response for basic_client::open_stream() (see pull_transport in transport.hpp).
    /// With cpp-httplib 0.29 or later the body is read on the caller's thread, through
    /// cpp-httplib's stream API (whose handle owns the socket: the connection is not kept for
    /// reuse afterwards). With older releases, Debian 12's 0.11.4 among them, which can only push
    /// a body, send() runs on one helper thread per open stream and hands each piece over.
    MISTRAL_DECL std::unique_ptr<body_reader> open(const http_request& request);

private:
    std::shared_ptr<detail::httplib_pool> shared_;
};

static_assert(pull_transport<httplib_transport>);

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/httplib_transport.hpp"
#endif
