// mistral-cpp: a header-only C++20 client for the Mistral AI Chat Completion API.
// SPDX-License-Identifier: MIT
//
// The default transport, over cpp-httplib (with OpenSSL for https). This is the only file of the
// library that includes httplib.h. Works with Debian 12's cpp-httplib 0.11.4 and with current
// upstream releases.
#pragma once

#include <httplib.h>

#ifndef _WIN32
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hpp"
#include "metadata.hpp"
#include "transport.hpp"

namespace mistral {

namespace detail {

/// The proxy a request should use, from explicit options or the environment.
struct proxy_endpoint {
    std::string host;
    int port = 0;
    std::string user;
    std::string password;
};

// NO_PROXY semantics: entries separated by commas or spaces; "*" matches everything; an entry
// matches the host itself and its subdomains; a leading dot and a ":port" suffix are ignored.
inline bool no_proxy_matches(std::string_view list, std::string_view host) {
    while (!list.empty()) {
        const auto sep = list.find_first_of(", ");
        std::string_view entry = list.substr(0, sep);
        list = sep == std::string_view::npos ? std::string_view() : list.substr(sep + 1);
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (entry.front() == '.') entry.remove_prefix(1);
        if (const auto colon = entry.rfind(':');
            colon != std::string_view::npos && entry.find(':') == colon) {
            entry = entry.substr(0, colon);
        }
        if (iequals(host, entry)) return true;
        if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
            iequals(host.substr(host.size() - entry.size()), entry)) {
            return true;
        }
    }
    return false;
}

inline std::string first_env(std::initializer_list<const char*> names) {
    for (const char* name : names) {
        const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
        if (value != nullptr && *value != '\0') return value;
    }
    return {};
}

// Decodes %XX escapes (proxy credentials in a URL are percent-encoded).
inline std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

inline std::optional<proxy_endpoint> select_proxy(const proxy_options& options,
                                                  const url_parts& target) {
    std::string url = options.url;
    std::string no_proxy = options.no_proxy;
    if (url.empty() && options.use_environment) {
        url = target.scheme == "https" ? first_env({"https_proxy", "HTTPS_PROXY"})
                                       : first_env({"http_proxy", "HTTP_PROXY"});
        const std::string env_no_proxy = first_env({"no_proxy", "NO_PROXY"});
        if (!env_no_proxy.empty()) no_proxy += "," + env_no_proxy;
    }
    if (url.empty() || no_proxy_matches(no_proxy, target.host)) return std::nullopt;
    if (url.find("://") == std::string::npos) url.insert(0, "http://");
    const url_parts parts = parse_url(url);
    proxy_endpoint proxy{parts.host, parts.port, {}, {}};
    const auto scheme_end = url.find("://") + 3;
    const auto at = url.find('@', scheme_end);
    if (at != std::string::npos && at < url.find('/', scheme_end)) {
        const std::string credentials = url.substr(scheme_end, at - scheme_end);
        const auto colon = credentials.find(':');
        proxy.user = percent_decode(credentials.substr(0, colon));
        if (colon != std::string::npos)
            proxy.password = percent_decode(credentials.substr(colon + 1));
    }
    return proxy;
}

// httplib's Error has gained values over the releases (Timeout, ConnectionClosed, ...): they
// are looked up by name, so the same code compiles against every release.
template <class E>
transport_error_kind classify_httplib_error(E error, bool silent_for_read_timeout) {
    if constexpr (requires { E::Timeout; }) {
        if (error == E::Timeout) return transport_error_kind::timeout;
    }
    if constexpr (requires { E::ConnectionClosed; }) {
        if (error == E::ConnectionClosed) return transport_error_kind::reset;
    }
    if constexpr (requires { E::ProxyConnection; }) {
        if (error == E::ProxyConnection) return transport_error_kind::connect;
    }
    if constexpr (requires { E::SSLServerHostnameVerification; }) {
        if (error == E::SSLServerHostnameVerification) return transport_error_kind::tls;
    }
    switch (error) {
        case E::Connection:
            return transport_error_kind::connect;
        case E::ConnectionTimeout:
            return transport_error_kind::timeout;
        case E::Read:
            return silent_for_read_timeout ? transport_error_kind::timeout
                                           : transport_error_kind::reset;
        case E::Write:
            return transport_error_kind::reset;
        case E::SSLConnection:
        case E::SSLLoadingCerts:
        case E::SSLServerVerification:
            return transport_error_kind::tls;
        case E::Canceled:
            return transport_error_kind::cancelled;
        default:
            return transport_error_kind::other;
    }
}

inline bool host_resolves(const std::string& host) {
#ifndef _WIN32
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
    if (result != nullptr) ::freeaddrinfo(result);
    return rc == 0;
#else
    (void)host;
    return true;
#endif
}

}  // namespace detail

/// The default transport: HTTP/1.1 over cpp-httplib, HTTPS through OpenSSL.
///
/// - Certificate and host-name verification are always on (tls_options choose what to trust
///   and a client certificate; nothing turns verification off).
/// - Proxy from transport_options::proxy or from HTTPS_PROXY / HTTP_PROXY / NO_PROXY; https is
///   tunnelled with CONNECT.
/// - Keep-alive: connections are pooled per origin and reused by later calls; a stream that
///   was stopped early or failed closes its connection instead of returning it.
/// - Timeouts: connect and read-idle per request, clamped to the request's deadline; the
///   deadline is also checked on every piece of the body.
/// - Cancellation: the request's stop token aborts connecting, the TLS handshake and reading
///   promptly (POSIX: the socket is shut down from the cancelling thread).
///
/// Thread safety: one transport may serve any number of threads at once; each request uses a
/// connection of its own from the pool. Copies share the pool.
class httplib_transport {
public:
    httplib_transport() : httplib_transport(transport_options{}) {}
    explicit httplib_transport(transport_options options)
        : shared_(std::make_shared<pool>(std::move(options))) {}

    /// Performs one exchange (see the transport concept in transport.hpp).
    void send(const http_request& request, response_handler& handler) {
        using clock = std::chrono::steady_clock;
        const url_parts url = parse_url(request.url);
        if (request.stop.stop_requested())
            throw transport_error(transport_error_kind::cancelled, "call cancelled");
        std::unique_ptr<connection> conn = acquire(url);

        const auto start = clock::now();
        auto clamp = [&](std::chrono::milliseconds limit) {
            if (request.deadline) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    *request.deadline - start);
                limit = std::clamp(left, std::chrono::milliseconds(1), limit);
            }
            return limit;
        };
        const auto read_timeout = clamp(request.read_timeout);
        httplib::Client& cli = *conn->client;
        cli.set_connection_timeout(clamp(request.connect_timeout));
        cli.set_read_timeout(read_timeout);
        cli.set_write_timeout(read_timeout);

        httplib::Request req;
        req.method = request.method;
        req.path = url.target;
        for (const auto& h : request.headers) req.headers.emplace(h.name, h.value);
        const auto accept = request.headers.find("accept");
        if (accept && *accept == "text/event-stream" &&
            !request.headers.contains("accept-encoding")) {
            req.headers.emplace("Accept-Encoding",
                                "identity");  // a compressed stream may be buffered
        }
        req.body = request.body;

        bool handler_stopped = false;
        bool deadline_passed = false;
        bool head_seen = false;
        auto last_activity = start;
        req.response_handler = [&](const httplib::Response& res) {
            if (request.stop.stop_requested()) return false;
            last_activity = clock::now();
            head_seen = true;
            response_head head{res.status, {}};
            head.headers.reserve(res.headers.size());
            for (const auto& [name, value] : res.headers) head.headers.add(name, value);
            handler_stopped = !handler.on_head(std::move(head));
            return !handler_stopped;
        };
        req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t,
                                   std::uint64_t) {
            last_activity = clock::now();
            if (request.deadline && last_activity >= *request.deadline) {
                deadline_passed = true;
                return false;
            }
            if (request.stop.stop_requested()) return false;
            handler_stopped = !handler.on_body(std::string_view(data, size));
            return !handler_stopped;
        };

        httplib::Response res;
        httplib::Error err = httplib::Error::Success;
        bool ok = false;
        {
            std::stop_callback on_stop(request.stop, [&conn] { conn->abort(); });
            ok = cli.send(req, res, err);
        }
        const bool cancelled = conn->finish_request();
        if (ok && !head_seen) {  // httplib skips the head callback for bodiless answers (204)
            response_head head{res.status, {}};
            for (const auto& [name, value] : res.headers) head.headers.add(name, value);
            handler.on_head(std::move(head));
        }
        if (ok || handler_stopped) {
            release(std::move(conn));
            return;
        }
        const std::string what = request.method + " " + url.scheme + "://" + url.host + ":" +
                                 std::to_string(url.port) + url.target + ": ";
        if (cancelled || request.stop.stop_requested()) {
            throw transport_error(transport_error_kind::cancelled, what + "cancelled");
        }
        if (deadline_passed)
            throw transport_error(transport_error_kind::timeout, what + "total timeout expired");
        const auto silent = clock::now() - last_activity;
        transport_error_kind kind =
            detail::classify_httplib_error(err, silent >= read_timeout * 9 / 10);
        std::string detail = httplib::to_string(err);
        if (kind == transport_error_kind::connect && !detail::host_resolves(url.host)) {
            kind = transport_error_kind::name_resolution;
            detail = "cannot resolve host name";
        }
        if (kind == transport_error_kind::timeout && err == httplib::Error::Read) {
            detail = "no data for " + std::to_string(read_timeout.count()) + " ms";
        }
        throw transport_error(kind, what + to_string(kind) + " failure: " + detail);
    }

private:
    // One reusable HTTP connection to an origin, and what another thread needs to abort it.
    struct connection {
        std::string origin;
        std::unique_ptr<httplib::Client> client;
        std::mutex abort_mutex;
        int connecting_socket = -1;  // a duplicate of the socket this request opened (POSIX)
        bool abort_requested = false;

        connection() = default;
        connection(const connection&) = delete;
        connection& operator=(const connection&) = delete;
        // Recent httplib releases wait for the peer's TLS close_notify when a client is
        // destroyed, for as long as the socket's receive timeout (the read timeout); a peer that
        // never answers must not stall the destructor that long.
        ~connection() {
#ifndef _WIN32
            if (client && client->is_socket_open()) {
                timeval brief{0, 200'000};
                ::setsockopt(client->socket(), SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
            }
#endif
        }

        // Called from the cancelling thread. Shutting the socket down wakes up a connect, a TLS
        // handshake or a read that is waiting on it.
        void abort() {
            std::lock_guard lock(abort_mutex);
            abort_requested = true;
#ifndef _WIN32
            if (connecting_socket >= 0) {
                ::shutdown(connecting_socket, SHUT_RDWR);
                return;
            }
#endif
            client->stop();
        }

        // Called by httplib with each new socket, before it connects.
        void on_new_socket([[maybe_unused]] ::socket_t socket) {
#ifndef _WIN32
            std::lock_guard lock(abort_mutex);
            if (connecting_socket >= 0) ::close(connecting_socket);
            connecting_socket = ::fcntl(socket, F_DUPFD_CLOEXEC, 0);
            if (abort_requested) ::shutdown(socket, SHUT_RDWR);
#endif
        }

        // Ends a request; returns whether it was aborted.
        bool finish_request() {
            std::lock_guard lock(abort_mutex);
#ifndef _WIN32
            if (connecting_socket >= 0) ::close(connecting_socket);
#endif
            connecting_socket = -1;
            return std::exchange(abort_requested, false);
        }
    };

    struct pool {
        explicit pool(transport_options o) : options(std::move(o)) {}
        transport_options options;
        std::mutex mutex;
        std::vector<std::unique_ptr<connection>> idle;
    };

    std::unique_ptr<connection> acquire(const url_parts& url) {
        std::string origin =
            url.scheme + "://" +
            (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" +
            std::to_string(url.port);
        {
            std::lock_guard lock(shared_->mutex);
            auto& idle = shared_->idle;
            for (auto it = idle.rbegin(); it != idle.rend(); ++it) {
                if ((*it)->origin == origin) {
                    std::unique_ptr<connection> conn = std::move(*it);
                    idle.erase(std::next(it).base());
                    return conn;
                }
            }
        }
        const transport_options& options = shared_->options;
        auto conn = std::make_unique<connection>();
        conn->origin = origin;
        if (!options.tls.client_cert_file.empty() || !options.tls.client_key_file.empty()) {
            conn->client = std::make_unique<httplib::Client>(origin, options.tls.client_cert_file,
                                                             options.tls.client_key_file);
        } else {
            conn->client = std::make_unique<httplib::Client>(origin);
        }
        httplib::Client& cli = *conn->client;
        if (!cli.is_valid()) {
            throw transport_error(
                transport_error_kind::other,
                url.scheme == "https"
                    ? "cannot use " + origin + ": https needs cpp-httplib built with OpenSSL"
                    : "cannot use " + origin);
        }
        cli.set_keep_alive(true);
        // httplib writes the head and the body separately; with Nagle's algorithm the body of a
        // request on a reused connection waits for the peer's delayed ACK (tens of ms).
        cli.set_tcp_nodelay(true);
        cli.set_follow_location(false);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
        cli.enable_server_certificate_verification(true);
        if (!options.tls.ca_file.empty() || !options.tls.ca_dir.empty()) {
            cli.set_ca_cert_path(options.tls.ca_file, options.tls.ca_dir);
        }
#endif
        if (const auto proxy = detail::select_proxy(options.proxy, url)) {
            cli.set_proxy(proxy->host, proxy->port);
            if (!proxy->user.empty()) cli.set_proxy_basic_auth(proxy->user, proxy->password);
        }
        connection* raw = conn.get();
        cli.set_socket_options([raw](::socket_t socket) { raw->on_new_socket(socket); });
        return conn;
    }

    void release(std::unique_ptr<connection> conn) {
        std::lock_guard lock(shared_->mutex);
        if (shared_->idle.size() < shared_->options.max_idle_connections)
            shared_->idle.push_back(std::move(conn));
    }

    std::shared_ptr<pool> shared_;
};

static_assert(transport<httplib_transport>);

}  // namespace mistral
