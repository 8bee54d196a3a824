// mistral/detail/tcp.hpp: TCP connections made by hand, for what an HTTP library does not do
// well: a connect bounded by a timeout whose socket another thread can shut down (a proxy tunnel
// the transport opens itself), and why a connection could not be made, in the operating
// system's words ("connection refused", "network unreachable") with the address tried. POSIX;
// elsewhere it connects nothing and says so.
#pragma once

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

#ifndef _WIN32
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "ascii.hpp"
#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

/// The outcome of tcp_connect().
struct tcp_connection {
    int socket = -1;       ///< the connected socket (blocking, TCP_NODELAY), or -1
    bool resolved = true;  ///< false: the host name does not resolve
    int error = 0;         ///< errno of the last address tried (ETIMEDOUT for the timeout)
    std::string where;     ///< that address, "127.0.0.1:9" or "[::1]:9"

    /// Why it failed, in the operating system's words: "connection refused (127.0.0.1:9)".
    std::string reason() const {
        std::string why = std::generic_category().message(error);
        if (!why.empty()) why[0] = to_lower(why[0]);
        return why + " (" + where + ")";
    }
};

/// Resolves `host` and connects to its addresses in turn, each attempt bounded by `timeout`.
/// `on_socket(int)` sees every socket before it connects, so that another thread may shut it
/// down (the attempt then fails at once).
template <class OnSocket>
tcp_connection tcp_connect(const std::string& host, int port, std::chrono::milliseconds timeout,
                           OnSocket&& on_socket) {
    tcp_connection out;
#ifndef _WIN32
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
        if (found != nullptr) ::freeaddrinfo(found);
        out.resolved = false;
        return out;
    }
    for (const addrinfo* a = found; a != nullptr && out.socket < 0; a = a->ai_next) {
        char numeric[INET6_ADDRSTRLEN] = {};
        const void* address =
            a->ai_family == AF_INET6
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr)
                : &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr;
        ::inet_ntop(a->ai_family, address, numeric, sizeof numeric);
        out.where = a->ai_family == AF_INET6 ? "[" + std::string(numeric) + "]:" + service
                                             : std::string(numeric) + ":" + service;
        const int s = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            out.error = errno;
            continue;
        }
        on_socket(s);
        const int flags = ::fcntl(s, F_GETFL);
        ::fcntl(s, F_SETFL, flags | O_NONBLOCK);
        int error = 0;
        if (::connect(s, a->ai_addr, a->ai_addrlen) != 0) {
            error = errno;
            if (error == EINPROGRESS) {
                pollfd p{s, POLLOUT, 0};
                const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
                socklen_t len = sizeof error;
                if (ready <= 0) {
                    error = ETIMEDOUT;
                } else {
                    ::getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &len);
                }
            }
        }
        if (error != 0) {
            out.error = error;
            ::close(s);
            continue;
        }
        ::fcntl(s, F_SETFL, flags);
        const int on = 1;
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        out.socket = s;
        out.error = 0;
    }
    ::freeaddrinfo(found);
#else
    (void)host;
    (void)port;
    (void)timeout;
    (void)on_socket;
    out.error = ENOSYS;
#endif
    return out;
}

/// Why a connection failed, for transports whose HTTP library reports only "connection failed".
struct connect_diagnosis {
    bool resolved = true;  ///< false: the host name does not resolve
    std::string reason;    ///< e.g. "connection refused (127.0.0.1:9)"; "" if unknown
};

// Connects once more, waiting at most `timeout`, to learn the reason the HTTP library did not
// report. Run only after a connect failed.
inline connect_diagnosis diagnose_connect(const std::string& host, int port,
                                          std::chrono::milliseconds timeout) {
#ifndef _WIN32
    const tcp_connection c = tcp_connect(host, port, timeout, [](int) {});
    if (!c.resolved) return {false, {}};
    if (c.socket >= 0) {
        // A connection that succeeds now (the server came back) says nothing about why it
        // failed.
        ::close(c.socket);
        return {true, "connection failed (" + c.where + ")"};
    }
    return {true, c.reason()};
#else
    (void)host;
    (void)port;
    (void)timeout;
    return {};
#endif
}

}  // namespace detail
MISTRAL_NAMESPACE_END
