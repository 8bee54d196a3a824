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
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../detail/config.hpp"
#include "../detail/proxy.hpp"
#include "../detail/tcp.hpp"
#include "../error.hpp"
#include "../http.hpp"
#include "../httplib_transport.hpp"
#include "../stop_token.hpp"
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

// Calls `expire` once, from a thread of its own, at the earliest time it was armed for, unless
// disarmed first. Debian's cpp-httplib 0.11.4 bounds every single read by the read timeout but
// not a whole exchange, so a server that drips its response head (or its TLS handshake) a byte
// at a time could hold a call forever. Later releases' set_max_timeout (0.19+) does not bound
// every way of dripping either (0.53.1 lets leading zeros of a chunk size through), so the
// watchdog serves them all. It also ends the short wait for the rest of a body whose receiver
// is complete (drain_grace). The thread starts at the first arm() only. `expire` runs without
// the watchdog's lock held, so it may take locks of its own.
class deadline_watchdog {
public:
    using clock = std::chrono::steady_clock;
    enum class reason { none, deadline, drain };

    explicit deadline_watchdog(std::function<void()> expire) : expire_(std::move(expire)) {}
    deadline_watchdog(const deadline_watchdog&) = delete;
    deadline_watchdog& operator=(const deadline_watchdog&) = delete;
    ~deadline_watchdog() { disarm(); }

    // Arms the watchdog for `at`, or brings it forward to `at`; a later time than the one armed
    // changes nothing. Called by the thread that owns the watchdog.
    void arm(clock::time_point at, reason why) {
        {
            std::lock_guard lock(mutex_);
            if (disarmed_ || fired_ != reason::none || (armed_ != reason::none && at >= at_))
                return;
            at_ = at;
            armed_ = why;
        }
        if (thread_.joinable()) {
            wake_.notify_one();
        } else {
            thread_ = std::thread([this] { run(); });
        }
    }

    // Stops the watchdog (waiting for an `expire` under way); returns why it fired, if it did.
    reason disarm() {
        {
            std::lock_guard lock(mutex_);
            disarmed_ = true;
        }
        wake_.notify_one();
        if (thread_.joinable()) thread_.join();
        return fired_;
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        while (!disarmed_) {
            if (clock::now() >= at_) {
                fired_ = armed_;
                lock.unlock();
                expire_();
                return;
            }
            wake_.wait_until(lock, at_);
        }
    }

    std::function<void()> expire_;
    std::mutex mutex_;
    std::condition_variable wake_;
    clock::time_point at_{};
    reason armed_ = reason::none;
    reason fired_ = reason::none;
    bool disarmed_ = false;
    std::thread thread_;
};

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
    std::unique_ptr<httplib::ClientImpl> client;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    httplib::SSLClient* tls = nullptr;  // the same client, for https (OpenSSL's verdict)
#endif
    // Why the tunnel that the transport opens itself failed (see tunnelled_client).
    std::optional<transport_error> tunnel_failure;
    std::mutex abort_mutex;
    int socket_copy = -1;  // a duplicate of the socket of the request under way (POSIX)
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

    // Called from the cancelling thread (or the watchdog). Shutting the socket down wakes up a
    // connect, a TLS handshake or a read that is waiting on it; a socket not made yet is shut
    // down as soon as it is (on_new_socket). It never calls into cpp-httplib, whose stop() waits
    // for the mutex the requesting thread holds while it connects, and that thread may be
    // waiting for abort_mutex in on_new_socket: the two would wait for each other forever.
    void abort() {
        {
            std::lock_guard lock(abort_mutex);
            abort_requested = true;
#ifndef _WIN32
            if (socket_copy >= 0) ::shutdown(socket_copy, SHUT_RDWR);
#endif
        }
#ifdef _WIN32
        client->stop();  // no socket copies there: cpp-httplib's own way, outside our lock
#endif
    }

    // Called by httplib with each new socket, before it connects, and by the exchange with the
    // socket of a reused connection.
    void on_new_socket([[maybe_unused]] ::socket_t socket) {
#ifndef _WIN32
        std::lock_guard lock(abort_mutex);
        if (socket_copy >= 0) ::close(socket_copy);
        socket_copy = ::fcntl(socket, F_DUPFD_CLOEXEC, 0);
        if (abort_requested) ::shutdown(socket, SHUT_RDWR);
#endif
    }

    // Ends a request; returns whether it was aborted.
    bool finish_request() {
        std::lock_guard lock(abort_mutex);
#ifndef _WIN32
        if (socket_copy >= 0) ::close(socket_copy);
#endif
        socket_copy = -1;
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

// "0.11.4" -> 11004 (the minor and patch of a 0.x release), for the release checks below.
constexpr int httplib_release(std::string_view version) {
    int parts[3] = {0, 0, 0};
    int at = 0;
    for (const char c : version) {
        if (c == '.') {
            if (++at == 3) break;
        } else if (c >= '0' && c <= '9') {
            parts[at] = parts[at] * 10 + (c - '0');
        }
    }
    return parts[0] * 1'000'000 + parts[1] * 1000 + parts[2];
}

// Releases before 0.14 (Debian 12's 0.11.4 among them) lock a mutex they already hold when a
// proxy answers CONNECT with "Connection: close" or with HTTP/1.0 but "Connection established"
// (cpp-httplib #1590, fixed by #1630): a refused tunnel (502, 407) or an old proxy would hang
// the call forever, past any timeout or cancellation. The transport opens such tunnels itself.
inline constexpr bool httplib_connect_deadlocks = httplib_release(CPPHTTPLIB_VERSION) < 14'000;

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
// An https client whose tunnel through the proxy is opened by the transport: the TCP connection
// to the proxy and the CONNECT exchange, under the client's connect and read timeouts, on a
// socket that a cancellation shuts down; cpp-httplib then speaks TLS through it to the origin
// (SNI and certificate checks for the origin's host, as without a proxy). A refusal is the
// proxy's error, in its words (a 502 is not a TLS failure). Overrides cpp-httplib's socket
// factory, so a template: only the releases that need it instantiate it.
template <class Base>
class tunnelled_client final : public Base {
public:
    tunnelled_client(const url_parts& target, const tls_options& tls, proxy_endpoint proxy,
                     httplib_connection& conn)
        : Base(target.host, target.port, tls.client_cert_file, tls.client_key_file),
          target_(target),
          proxy_(std::move(proxy)),
          conn_(conn) {}

private:
    using socket_type = typename Base::Socket;

    bool create_and_connect_socket(socket_type& socket, httplib::Error& error) override {
        conn_.tunnel_failure.reset();
        if (!this->is_valid()) return false;
        error = httplib::Error::Connection;
        const auto connect_timeout = std::chrono::seconds(this->connection_timeout_sec_) +
                                     std::chrono::microseconds(this->connection_timeout_usec_);
        const tcp_connection c = tcp_connect(
            proxy_.host, proxy_.port,
            std::chrono::duration_cast<std::chrono::milliseconds>(connect_timeout), [this](int s) {
                if (this->socket_options_) this->socket_options_(s);  // on_new_socket
            });
        if (c.socket < 0) {
            if (!c.resolved) {
                conn_.tunnel_failure.emplace(transport_error_kind::name_resolution,
                                             "cannot resolve the proxy's host name " + proxy_.host,
                                             false);
            } else {
                conn_.tunnel_failure.emplace(c.error == ETIMEDOUT ? transport_error_kind::timeout
                                                                  : transport_error_kind::connect,
                                             "proxy " + c.reason(), false);
            }
            return false;
        }
        if (const auto refused = open_tunnel(c.socket)) {
            conn_.tunnel_failure = *refused;
            ::close(c.socket);
            return false;
        }
        socket.sock = c.socket;
        error = httplib::Error::Success;
        return true;
    }

    // Sends CONNECT and reads the proxy's answer head; nothing when the tunnel is open.
    std::optional<transport_error> open_tunnel(int s) {
        const auto read_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::seconds(this->read_timeout_sec_) +
            std::chrono::microseconds(this->read_timeout_usec_));
        const std::string request = connect_request(target_, proxy_);
        for (std::size_t sent = 0; sent < request.size();) {
            const auto n = ::send(s, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return lost("writing CONNECT to the proxy");
            sent += static_cast<std::size_t>(n);
        }
        // The head is read a byte at a time: whatever follows it is the origin's TLS.
        constexpr std::size_t max_head = 16 * 1024;
        std::string head;
        while (!head.ends_with("\r\n\r\n") && !head.ends_with("\n\n")) {
            if (head.size() == max_head)
                return transport_error(transport_error_kind::proxy,
                                       "the proxy's answer to CONNECT has a head over 16 KiB",
                                       false);
            pollfd p{s, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(read_timeout.count()));
            if (ready == 0) {
                return transport_error(transport_error_kind::timeout,
                                       "the proxy did not answer CONNECT within " +
                                           std::to_string(read_timeout.count()) + " ms",
                                       false);
            }
            char c = 0;
            if (ready < 0 || ::recv(s, &c, 1, 0) != 1) return lost("reading the proxy's answer");
            head += c;
        }
        const int status = connect_status(head);
        if (status >= 200 && status <= 299) return std::nullopt;
        if (status == 0) {
            return transport_error(transport_error_kind::proxy,
                                   "the proxy's answer to CONNECT is not HTTP: " + snippet(head),
                                   false);
        }
        return connect_refused(head, target_);
    }

    transport_error lost(const std::string& doing) const {
        return transport_error(transport_error_kind::proxy,
                               "the connection to the proxy was lost " + doing, false);
    }

    url_parts target_;
    proxy_endpoint proxy_;
    httplib_connection& conn_;
};
#endif

// The connections of a transport and its copies, idle ones kept per origin.
struct httplib_pool {
    explicit httplib_pool(transport_options o) : options(std::move(o)) {}
    transport_options options;
    std::mutex mutex;
    std::vector<std::unique_ptr<httplib_connection>> idle;

    // The error for a failed exchange, with the reason in words: the OS's for a connect, the
    // certificate check's for TLS.
    // `verify`: OpenSSL's verdict on the server's chain, when cpp-httplib told it.
    transport_error failure(httplib::Error err, std::optional<long> verify, const url_parts& url,
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
                why = tls_reason(err, verify, url.host);
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

    // OpenSSL's verdict on the server's chain: the client keeps it in releases before the
    // abstract TLS API (0.30), the Result of the exchange in later ones; none without TLS
    // support, where every failure still reaches failure() through here.
    template <class Result>
    static std::optional<long> verify_result([[maybe_unused]] const httplib_connection& conn,
                                             [[maybe_unused]] const Result* result) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
        if (conn.tls != nullptr) {
            if (const auto verdict = client_verdict(*conn.tls)) return verdict;
        }
#endif
        if constexpr (requires { result->ssl_backend_error(); }) {
            if (result != nullptr) return static_cast<long>(result->ssl_backend_error());
        }
        return std::nullopt;
    }
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    template <class TLS>
    static std::optional<long> client_verdict([[maybe_unused]] TLS& tls) {
        if constexpr (requires { tls.get_openssl_verify_result(); }) {
            return tls.get_openssl_verify_result();
        } else {
            return std::nullopt;
        }
    }
#endif
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    // Later releases tell a host-name mismatch from a rejected chain.
    template <class E>
    static bool is_host_name_error(E err) {
        if constexpr (requires { E::SSLServerHostnameVerification; }) {
            return err == E::SSLServerHostnameVerification;
        } else {
            return false;
        }
    }
#endif

    static std::string tls_reason(httplib::Error err, [[maybe_unused]] std::optional<long> verify,
                                  const std::string& host) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
        if (err == httplib::Error::SSLServerVerification) {
            // cpp-httplib checks the host name itself, after OpenSSL accepted the chain.
            if (verify == X509_V_OK)
                return "certificate verification failed: host name mismatch (" + host + ")";
            if (!verify) return "certificate verification failed (" + host + ")";
            return std::string("certificate verification failed: ") +
                   X509_verify_cert_error_string(*verify) + " (" + host + ")";
        }
        if (is_host_name_error(err))
            return "certificate verification failed: host name mismatch (" + host + ")";
        if (const unsigned long e = ERR_peek_last_error(); e != 0) {
            char text[256];
            ERR_error_string_n(e, text, sizeof text);
            return std::string(httplib::to_string(err)) + ": " + text + " (" + host + ")";
        }
#endif
        return std::string(httplib::to_string(err)) + " (" + host + ")";
    }

    // A connection to the URL's origin: an idle one of the pool unless `fresh`, else a new one.
    std::unique_ptr<httplib_connection> acquire(const url_parts& url, bool fresh = false) {
        std::string origin =
            url.scheme + "://" +
            (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" +
            std::to_string(url.port);
        if (!fresh) {
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
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
        // cpp-httplib without TLS would throw std::invalid_argument for this origin.
        if (url.scheme == "https") {
            throw transport_error(
                transport_error_kind::other,
                "cannot use " + origin + ": https needs cpp-httplib built with OpenSSL", false);
        }
#endif
        auto conn = std::make_unique<httplib_connection>();
        conn->origin = origin;
        const auto proxy = detail::select_proxy(options.proxy, url);
        bool tunnelled = false;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
        if (url.scheme == "https") {
            std::unique_ptr<httplib::SSLClient> tls =
                make_tls_client<httplib::SSLClient>(url, options.tls, proxy, *conn);
            tunnelled = proxy && httplib_connect_deadlocks;
            conn->tls = tls.get();
            conn->client = std::move(tls);
        }
#endif
        if (!conn->client) conn->client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
        httplib::ClientImpl& cli = *conn->client;
        if (!cli.is_valid()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
            throw transport_error(transport_error_kind::tls,
                                  "cannot use " + origin +
                                      ": the client certificate and key could not be loaded "
                                      "(PEM files of a matching pair?)",
                                  false);
#else
            throw transport_error(transport_error_kind::other, "cannot use " + origin, false);
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
        if (proxy && !tunnelled) {
            cli.set_proxy(proxy->host, proxy->port);
            if (!proxy->user.empty()) cli.set_proxy_basic_auth(proxy->user, proxy->password);
        }
        httplib_connection* raw = conn.get();
        cli.set_socket_options([raw](::socket_t socket) { raw->on_new_socket(socket); });
        return conn;
    }

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    // The https client of a new connection: one whose tunnel the transport opens itself where
    // cpp-httplib's own CONNECT can hang (a template, so that other releases compile none of it).
    template <class Client>
    static std::unique_ptr<Client> make_tls_client(const url_parts& url, const tls_options& tls,
                                                   const std::optional<proxy_endpoint>& proxy,
                                                   httplib_connection& conn) {
        if constexpr (httplib_connect_deadlocks) {
            if (proxy) return std::make_unique<tunnelled_client<Client>>(url, tls, *proxy, conn);
        }
        return std::make_unique<Client>(url.host, url.port, tls.client_cert_file,
                                        tls.client_key_file);
    }
#endif

    void release(std::unique_ptr<httplib_connection> conn) {
        std::lock_guard lock(mutex);
        if (idle.size() < options.max_idle_connections) idle.push_back(std::move(conn));
    }
};

}  // namespace detail

MISTRAL_DECL httplib_transport::httplib_transport() : httplib_transport(transport_options{}) {}

MISTRAL_DECL httplib_transport::httplib_transport(transport_options options)
    : shared_(std::make_shared<detail::httplib_pool>(std::move(options))) {}

namespace detail {

// What send() and open() do before the exchange: the URL, a connection of the pool, and the
// request's timeouts clamped to its deadline.
struct httplib_exchange {
    url_parts url;
    std::unique_ptr<httplib_connection> conn;
    std::chrono::steady_clock::time_point start;
    std::chrono::milliseconds read_timeout{};
    std::string what;  // "POST https://host:port/path: ", for errors

    httplib_exchange(httplib_pool& pool, const http_request& request, bool fresh = false)
        : url(parse_url(request.url)), start(std::chrono::steady_clock::now()) {
        if (request.stop.stop_requested()) throw cancelled(false);
        conn = pool.acquire(url, fresh);
        auto clamp = [&](std::chrono::milliseconds limit) {
            if (request.deadline) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    *request.deadline - start);
                limit = std::clamp(left, std::chrono::milliseconds(1), limit);
            }
            return limit;
        };
        read_timeout = clamp(request.read_timeout);
        httplib::ClientImpl& cli = *conn->client;
        cli.set_connection_timeout(clamp(request.connect_timeout));
        cli.set_read_timeout(read_timeout);
        cli.set_write_timeout(read_timeout);
        what = request.method + " " + url.scheme + "://" + url.host + ":" +
               std::to_string(url.port) + url.target + ": ";
    }

    // The request's headers for cpp-httplib: an event stream asks for no compression, which a
    // server or proxy may buffer.
    static httplib::Headers headers(const http_request& request) {
        httplib::Headers out;
        for (const auto& h : request.headers) out.emplace(h.name, h.value);
        const auto accept = request.headers.find("accept");
        if (accept && *accept == "text/event-stream" &&
            !request.headers.contains("accept-encoding")) {
            out.emplace("Accept-Encoding", "identity");
        }
        return out;
    }

    static response_head head_of(const httplib::Response& res) {
        response_head head{res.status, {}};
        head.headers.reserve(res.headers.size());
        for (const auto& [name, value] : res.headers) head.headers.add(name, value);
        return head;
    }
};

// cpp-httplib 0.29+ can hand out a response body on demand (ClientImpl::open_stream).
template <class Client>
concept httplib_can_pull = requires(Client& c, const std::string& s, const httplib::Headers& h) {
    c.open_stream(s, s, httplib::Params{}, h, s, s).read(static_cast<char*>(nullptr), 0);
};

// A response body read on demand over cpp-httplib's stream API. The handle owns the socket: a
// body read to its end gives the connection's client back to the pool (it connects afresh);
// a reader destroyed early closes the socket.
template <class Client>
class httplib_body_reader final : public body_reader {
public:
    httplib_body_reader(std::shared_ptr<httplib_pool> pool, const http_request& request)
        : pool_(std::move(pool)), request_(request), exchange_(*pool_, request) {
        httplib_connection& conn = *exchange_.conn;
        Client& cli = *conn.client;
        // A reused connection's socket was announced when it was made: announce it again, so
        // that a cancellation can shut it down.
        if (cli.is_socket_open()) conn.on_new_socket(cli.socket());
        on_stop_.emplace(request.stop, [&conn] { conn.abort(); });
        if (request.deadline) watchdog_.arm(*request.deadline, deadline_watchdog::reason::deadline);
        handle_ = cli.open_stream(request.method, exchange_.url.target, {},
                                  httplib_exchange::headers(request), request.body, "");
        if (!handle_.is_valid()) fail(handle_.error, false);
        head_ = httplib_exchange::head_of(*handle_.response);
        last_activity_ = std::chrono::steady_clock::now();
    }
    httplib_body_reader(const httplib_body_reader&) = delete;
    httplib_body_reader& operator=(const httplib_body_reader&) = delete;
    ~httplib_body_reader() override { end_exchange(); }

    const response_head& head() const noexcept override { return head_; }

    void content_complete() override {
        if (ended_ || complete_) return;
        complete_ = true;
        watchdog_.arm(std::chrono::steady_clock::now() + drain_grace,
                      deadline_watchdog::reason::drain);
    }

    std::string_view read() override {
        if (ended_) return {};
        const auto n = handle_.read(buffer_, sizeof buffer_);
        if (complete_ && n <= 0) {  // the rest did not come: what matters has arrived
            const bool aborted = end_exchange();
            if (n == 0 && !handle_.has_read_error() && !aborted)
                pool_->release(std::move(exchange_.conn));
            return {};
        }
        if (n > 0) {
            last_activity_ = std::chrono::steady_clock::now();
            if (request_.deadline && last_activity_ >= *request_.deadline) {
                end_exchange();
                throw total_timeout_expired(exchange_.what);
            }
            return {buffer_, static_cast<std::size_t>(n)};
        }
        if (n == 0 && !handle_.has_read_error()) {
            const bool aborted = end_exchange();
            if (aborted || request_.stop.stop_requested())
                throw cancelled(true, exchange_.what);  // a shut-down socket reads as the end
            pool_->release(std::move(exchange_.conn));
            return {};
        }
        fail(handle_.has_read_error() ? handle_.get_read_error() : httplib::Error::Read, true);
    }

private:
    // Ends the exchange (once); returns whether it was aborted.
    bool end_exchange() {
        if (ended_) return false;
        ended_ = true;
        on_stop_.reset();
        deadline_passed_ = watchdog_.disarm() == deadline_watchdog::reason::deadline;
        return exchange_.conn->finish_request();
    }

    [[noreturn]] void fail(httplib::Error err, bool head_seen) {
        const bool aborted = end_exchange();
        if (request_.stop.stop_requested() || (aborted && !deadline_passed_))
            throw cancelled(head_seen, exchange_.what);
        if (deadline_passed_) throw total_timeout_expired(exchange_.what);
        const auto silence = std::chrono::steady_clock::now() - last_activity_;
        throw pool_->failure(err,
                             httplib_pool::verify_result(
                                 *exchange_.conn, static_cast<const httplib::Result*>(nullptr)),
                             exchange_.url, exchange_.what,
                             silence >= exchange_.read_timeout * 9 / 10, exchange_.read_timeout,
                             request_);
    }

    std::shared_ptr<httplib_pool> pool_;
    const http_request& request_;
    httplib_exchange exchange_;
    std::optional<stop_callback<std::function<void()>>> on_stop_;
    deadline_watchdog watchdog_{[this] { exchange_.conn->abort(); }};
    decltype(std::declval<Client&>().open_stream("", "")) handle_;
    response_head head_;
    std::chrono::steady_clock::time_point last_activity_ = exchange_.start;
    bool ended_ = false;
    bool complete_ = false;
    bool deadline_passed_ = false;
    char buffer_[16384];
};

template <class Client>
std::unique_ptr<body_reader> open_httplib(httplib_transport transport,
                                          const std::shared_ptr<httplib_pool>& pool,
                                          const http_request& request) {
    if constexpr (httplib_can_pull<Client>) {
        return std::make_unique<httplib_body_reader<Client>>(pool, request);
    } else {
        return open_on_helper_thread(
            [transport](const http_request& r, response_handler& h) mutable {
                transport.send(r, h);
            },
            request);
    }
}

}  // namespace detail

MISTRAL_DECL std::unique_ptr<body_reader> httplib_transport::open(const http_request& request) {
    return detail::open_httplib<httplib::ClientImpl>(*this, shared_, request);
}

namespace detail {

// One exchange of send() on one connection. Returns false when the request must go once more
// on a new connection: it went on a pooled connection that the server had closed while it was
// idle, and failed before a byte of an answer, so the server never processed it (browsers and
// curl send it again, at once, too).
inline bool send_once(httplib_pool& pool, const http_request& request, response_handler& handler,
                      bool fresh) {
    using clock = std::chrono::steady_clock;
    httplib_exchange exchange(pool, request, fresh);
    std::unique_ptr<httplib_connection>& conn = exchange.conn;
    httplib::ClientImpl& cli = *conn->client;
    const auto read_timeout = exchange.read_timeout;
    const bool reused = cli.is_socket_open();

    httplib::Request req;
    req.method = request.method;
    req.path = exchange.url.target;
    req.headers = httplib_exchange::headers(request);
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
    int informational = 0;
    auto last_activity = exchange.start;
    deadline_watchdog watchdog([&conn] { conn->abort(); });
    if (request.deadline) watchdog.arm(*request.deadline, deadline_watchdog::reason::deadline);
    req.response_handler = [&](const httplib::Response& res) {
        if (request.stop.stop_requested()) return false;
        last_activity = clock::now();
        if (res.status >= 100 && res.status <= 199) {
            informational = res.status;  // see below
            return false;
        }
        head_seen = true;
        handler_stopped = !handler.on_head(httplib_exchange::head_of(res));
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
        if (!handler_stopped && handler.complete())
            watchdog.arm(clock::now() + drain_grace, deadline_watchdog::reason::drain);
        return !handler_stopped;
    };

    // A reused connection's socket was announced when it was made: announce it again, so that a
    // cancellation can shut it down.
    if (reused) conn->on_new_socket(cli.socket());
    std::optional<httplib::Result> result;
    {
        stop_callback on_stop(request.stop, [&conn] { conn->abort(); });
        result.emplace(cli.send(req));
    }
    deadline_passed = watchdog.disarm() == deadline_watchdog::reason::deadline || deadline_passed;
    const bool ok = static_cast<bool>(*result);
    const bool aborted = conn->finish_request();
    const std::string& what = exchange.what;
    if (handler.complete()) {  // all that matters arrived: how the rest went does not
        if (ok && !aborted) pool.release(std::move(conn));
        return true;
    }
    // An aborted exchange may look complete to cpp-httplib (a close-delimited body ends when
    // the socket is shut down): what aborted it decides, and the connection is not reused.
    if (request.stop.stop_requested() || (aborted && !deadline_passed)) {
        throw cancelled(head_seen, what);
    }
    if (deadline_passed) throw total_timeout_expired(what);
    if (informational != 0) {
        // cpp-httplib before 0.14 takes an informational answer other than 100 (103 Early
        // Hints) for the response and would wait for its body: the call fails at once instead.
        throw protocol_error(what + "the server sent " + std::to_string(informational) +
                             " before its response, which this cpp-httplib release cannot read "
                             "past (it skips 100 only)");
    }
    if (ok && !head_seen) {  // httplib skips the head callback for bodiless answers (204)
        handler.on_head(httplib_exchange::head_of(result->value()));
    }
    if (ok) {
        pool.release(std::move(conn));
        return true;
    }
    if (handler_stopped) return true;  // the connection was cut short: not reused
    if (conn->tunnel_failure) {
        const transport_error& e = *conn->tunnel_failure;
        throw transport_error(e.kind(), what + e.what(), false);
    }
    const transport_error failure = pool.failure(
        result->error(), httplib_pool::verify_result(*conn, &*result), exchange.url, what,
        clock::now() - last_activity >= read_timeout * 9 / 10, read_timeout, request);
    if (reused && !fresh && !head_seen && failure.kind() == transport_error_kind::reset)
        return false;
    throw failure;
}

}  // namespace detail

MISTRAL_DECL void httplib_transport::send(const http_request& request, response_handler& handler) {
    if (!detail::send_once(*shared_, request, handler, false))
        detail::send_once(*shared_, request, handler, true);
}

MISTRAL_NAMESPACE_END
