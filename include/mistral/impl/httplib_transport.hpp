// mistral/impl/httplib_transport.hpp: the default transport's definitions, the only code of the
// library that includes httplib.h: a pool of cpp-httplib clients, one exchange over it, and
// cpp-httplib's errors in the library's words. Included at the end of httplib_transport.hpp in
// a header-only build, else only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <httplib.h>

#ifndef _WIN32
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../detail/config.hpp"
#include "../detail/connect_diagnosis.hpp"
#include "../detail/proxy.hpp"
#include "../error.hpp"
#include "../http.hpp"
#include "../httplib_transport.hpp"
#include "../transport.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {

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

// Calls `expire` at the deadline unless disarmed first, from a thread of its own. Debian's
// cpp-httplib 0.11.4 bounds every single read by the read timeout but not a whole exchange, so
// a server that drips its response head (or its TLS handshake) a byte at a time could hold a
// call forever; releases with set_max_timeout (0.19+) bound it themselves and need no watchdog.
class deadline_watchdog {
public:
    template <class Expire>
    deadline_watchdog(std::chrono::steady_clock::time_point deadline, Expire expire)
        : thread_([this, deadline, expire] {
              std::unique_lock lock(mutex_);
              if (!wake_.wait_until(lock, deadline, [this] { return disarmed_; })) {
                  expired_ = true;
                  expire();
              }
          }) {}
    deadline_watchdog(const deadline_watchdog&) = delete;
    deadline_watchdog& operator=(const deadline_watchdog&) = delete;
    ~deadline_watchdog() { disarm(); }

    // Returns whether the deadline had passed (and `expire` ran).
    bool disarm() {
        if (thread_.joinable()) {
            {
                std::lock_guard lock(mutex_);
                disarmed_ = true;
            }
            wake_.notify_one();
            thread_.join();
        }
        return expired_;
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool disarmed_ = false;
    bool expired_ = false;
    std::thread thread_;
};

template <class Client>
concept has_max_timeout = requires(Client& c) {
    c.set_max_timeout(std::chrono::milliseconds(1));
};

// Bounds the whole exchange where cpp-httplib can (0 is "no limit" to it); returns whether it
// could.
template <class Client>
bool limit_exchange(Client& cli, std::optional<std::chrono::milliseconds> budget) {
    if constexpr (has_max_timeout<Client>) {
        cli.set_max_timeout(budget.value_or(std::chrono::milliseconds(0)));
        return true;
    } else {
        return false;
    }
}

// Why a file named in tls_options cannot be used, or "" when it can be read.
inline std::string unreadable_file(const char* option, const std::string& path) {
    if (path.empty()) return {};
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    std::string why;
    if (ec) {
        why = ec.message();
    } else if (std::string_view(option) == "tls.ca_dir") {
        if (!std::filesystem::is_directory(status)) why = "not a directory";
    } else if (!std::ifstream(path, std::ios::binary)) {
        why = std::filesystem::is_directory(status) ? "a directory" : "cannot be opened";
    }
    return why.empty() ? std::string() : std::string(option) + " \"" + path + "\": " + why;
}

// One reusable HTTP connection to an origin, and what another thread needs to abort it.
struct httplib_connection {
    std::string origin;
    std::unique_ptr<httplib::Client> client;
    std::mutex abort_mutex;
    int connecting_socket = -1;  // a duplicate of the socket this request opened (POSIX)
    bool abort_requested = false;

    httplib_connection() = default;
    httplib_connection(const httplib_connection&) = delete;
    httplib_connection& operator=(const httplib_connection&) = delete;
    // Recent httplib releases wait for the peer's TLS close_notify when a client is
    // destroyed, for as long as the socket's receive timeout (the read timeout); a peer that
    // never answers must not stall the destructor that long.
    ~httplib_connection() {
#ifndef _WIN32
        if (client && client->is_socket_open()) {
            timeval brief{0, 200'000};
            ::setsockopt(client->socket(), SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
        }
#endif
    }

    // Called from the cancelling thread (or the watchdog). Shutting the socket down wakes
    // up a connect, a TLS handshake or a read that is waiting on it.
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

    // Whether the idle connection can carry another request: still open, and nothing (a
    // late response, an unsolicited one, the peer's close) waiting to be read on it.
    bool reusable() const {
        if (!client->is_socket_open()) return true;  // httplib connects afresh
#ifndef _WIN32
        pollfd p{client->socket(), POLLIN, 0};
        return ::poll(&p, 1, 0) == 0;
#else
        return true;
#endif
    }
};

// The connections of a transport and its copies, idle ones kept per origin.
struct httplib_pool {
    explicit httplib_pool(transport_options o) : options(std::move(o)) {}
    transport_options options;
    std::mutex mutex;
    std::vector<std::unique_ptr<httplib_connection>> idle;

    // The error for a failed exchange, with the reason in words: the OS's for a connect, the
    // certificate check's for TLS.
    transport_error failure(httplib::Error err, httplib::Client& cli, const url_parts& url,
                            const std::string& what, bool silent,
                            std::chrono::milliseconds read_timeout,
                            const http_request& request) const {
        const transport_error_kind kind = detail::classify_httplib_error(err, silent);
        std::string why = httplib::to_string(err);
        switch (kind) {
            case transport_error_kind::connect: {
                const auto proxy = detail::select_proxy(options.proxy, url);
                const std::string host = proxy ? proxy->host : url.host;
                const auto diagnosis = detail::diagnose_connect(
                    host, proxy ? proxy->port : url.port,
                    std::min(request.connect_timeout, std::chrono::milliseconds(2000)));
                if (!diagnosis.resolved) {
                    return transport_error(transport_error_kind::name_resolution,
                                           what + "cannot resolve host name " + host, false);
                }
                why = (proxy ? "proxy " : "") + (diagnosis.reason.empty()
                                                     ? std::string("connection failed")
                                                     : diagnosis.reason);
                break;
            }
            case transport_error_kind::tls:
                why = tls_reason(err, cli, url.host);
                break;
            case transport_error_kind::timeout:
                if (err == httplib::Error::Read)
                    why = "no data for " + std::to_string(read_timeout.count()) + " ms";
                break;
            default:
                break;
        }
        const bool sent = err != httplib::Error::ConnectionTimeout && may_have_reached_server(kind);
        return transport_error(kind, what + to_string(kind) + " failure: " + why, sent);
    }

    static std::string tls_reason(httplib::Error err, [[maybe_unused]] httplib::Client& cli,
                                  const std::string& host) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
        if (err == httplib::Error::SSLServerVerification) {
            const long result = cli.get_openssl_verify_result();
            // cpp-httplib checks the host name itself, after OpenSSL accepted the chain.
            if (result == X509_V_OK)
                return "certificate verification failed: host name mismatch (" + host + ")";
            return std::string("certificate verification failed: ") +
                   X509_verify_cert_error_string(result) + " (" + host + ")";
        }
        if (const unsigned long e = ERR_peek_last_error(); e != 0) {
            char text[256];
            ERR_error_string_n(e, text, sizeof text);
            return std::string(httplib::to_string(err)) + ": " + text + " (" + host + ")";
        }
#endif
        return std::string(httplib::to_string(err)) + " (" + host + ")";
    }

    std::unique_ptr<httplib_connection> acquire(const url_parts& url) {
        std::string origin =
            url.scheme + "://" +
            (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" +
            std::to_string(url.port);
        {
            std::lock_guard lock(mutex);
            for (auto it = idle.rbegin(); it != idle.rend();) {
                if ((*it)->origin != origin) {
                    ++it;
                    continue;
                }
                std::unique_ptr<httplib_connection> conn = std::move(*it);
                it = decltype(it)(idle.erase(std::next(it).base()));
                if (conn->reusable()) return conn;
            }
        }
        for (const auto& [option, path] :
             {std::pair<const char*, const std::string&>{"tls.ca_file", options.tls.ca_file},
              {"tls.ca_dir", options.tls.ca_dir},
              {"tls.client_cert_file", options.tls.client_cert_file},
              {"tls.client_key_file", options.tls.client_key_file}}) {
            if (auto why = detail::unreadable_file(option, path); !why.empty())
                throw transport_error(transport_error_kind::tls, "cannot use " + why, false);
        }
        auto conn = std::make_unique<httplib_connection>();
        conn->origin = origin;
        if (!options.tls.client_cert_file.empty() || !options.tls.client_key_file.empty()) {
            conn->client = std::make_unique<httplib::Client>(origin, options.tls.client_cert_file,
                                                             options.tls.client_key_file);
        } else {
            conn->client = std::make_unique<httplib::Client>(origin);
        }
        httplib::Client& cli = *conn->client;
        if (!cli.is_valid()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
            throw transport_error(transport_error_kind::tls,
                                  "cannot use " + origin +
                                      ": the client certificate and key could not be loaded "
                                      "(PEM files of a matching pair?)",
                                  false);
#else
            throw transport_error(
                transport_error_kind::other,
                url.scheme == "https"
                    ? "cannot use " + origin + ": https needs cpp-httplib built with OpenSSL"
                    : "cannot use " + origin,
                false);
#endif
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
        httplib_connection* raw = conn.get();
        cli.set_socket_options([raw](::socket_t socket) { raw->on_new_socket(socket); });
        return conn;
    }

    void release(std::unique_ptr<httplib_connection> conn) {
        std::lock_guard lock(mutex);
        if (idle.size() < options.max_idle_connections) idle.push_back(std::move(conn));
    }
};

}  // namespace detail

MISTRAL_DECL httplib_transport::httplib_transport() : httplib_transport(transport_options{}) {}

MISTRAL_DECL httplib_transport::httplib_transport(transport_options options)
    : shared_(std::make_shared<detail::httplib_pool>(std::move(options))) {}

MISTRAL_DECL void httplib_transport::send(const http_request& request, response_handler& handler) {
    using clock = std::chrono::steady_clock;
    const url_parts url = parse_url(request.url);
    if (request.stop.stop_requested()) throw detail::cancelled(false);
    std::unique_ptr<detail::httplib_connection> conn = shared_->acquire(url);

    const auto start = clock::now();
    auto clamp = [&](std::chrono::milliseconds limit) {
        if (request.deadline) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(*request.deadline - start);
            limit = std::clamp(left, std::chrono::milliseconds(1), limit);
        }
        return limit;
    };
    const auto read_timeout = clamp(request.read_timeout);
    httplib::Client& cli = *conn->client;
    cli.set_connection_timeout(clamp(request.connect_timeout));
    cli.set_read_timeout(read_timeout);
    cli.set_write_timeout(read_timeout);
    const bool bounded_by_httplib = detail::limit_exchange(
        cli, request.deadline ? std::optional(clamp(std::chrono::hours(24))) : std::nullopt);

    httplib::Request req;
    req.method = request.method;
    req.path = url.target;
    for (const auto& h : request.headers) req.headers.emplace(h.name, h.value);
    const auto accept = request.headers.find("accept");
    if (accept && *accept == "text/event-stream" && !request.headers.contains("accept-encoding")) {
        req.headers.emplace("Accept-Encoding",
                            "identity");  // a compressed stream may be buffered
    }
    // The body is written straight from the request: a large request is not copied again.
    const std::string_view body = request.body;
    req.content_length_ = body.size();
    req.content_provider_ = [body](std::size_t offset, std::size_t length,
                                   httplib::DataSink& sink) {
        // A failed write is httplib's to report (as a write error); false here would make
        // it a cancellation.
        sink.write(body.data() + offset, std::min(length, body.size() - offset));
        return true;
    };

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
    req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
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
        std::optional<detail::deadline_watchdog> watchdog;
        if (!bounded_by_httplib && request.deadline)
            watchdog.emplace(*request.deadline, [&conn] { conn->abort(); });
        ok = cli.send(req, res, err);
        deadline_passed = (watchdog && watchdog->disarm()) || deadline_passed;
    }
    const bool aborted = conn->finish_request();
    const std::string what = request.method + " " + url.scheme + "://" + url.host + ":" +
                             std::to_string(url.port) + url.target + ": ";
    // An aborted exchange may look complete to cpp-httplib (a close-delimited body ends when
    // the socket is shut down): what aborted it decides, and the connection is not reused.
    if (request.stop.stop_requested() || (aborted && !deadline_passed)) {
        throw detail::cancelled(head_seen, what);
    }
    if (deadline_passed) throw detail::total_timeout_expired(what);
    if (ok && !head_seen) {  // httplib skips the head callback for bodiless answers (204)
        response_head head{res.status, {}};
        for (const auto& [name, value] : res.headers) head.headers.add(name, value);
        handler.on_head(std::move(head));
    }
    if (ok) {
        shared_->release(std::move(conn));
        return;
    }
    if (handler_stopped) return;  // the connection was cut short: not reused
    throw shared_->failure(err, cli, url, what,
                           clock::now() - last_activity >= read_timeout * 9 / 10, read_timeout,
                           request);
}

MISTRAL_NAMESPACE_END
