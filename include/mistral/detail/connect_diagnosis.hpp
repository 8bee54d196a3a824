// mistral/detail/connect_diagnosis.hpp: why a connection could not be made, in the operating
// system's words ("connection refused", "network unreachable") and with the address tried, for
// transports whose HTTP library reports only "connection failed". POSIX; elsewhere it knows
// nothing and says so.
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
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "ascii.hpp"
#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

struct connect_diagnosis {
    bool resolved = true;  ///< false: the host name does not resolve
    std::string reason;    ///< e.g. "connection refused (127.0.0.1:9)"; "" if unknown
};

// Resolves the host and tries one connection to its first address, waiting at most `timeout`,
// to learn the reason the HTTP library did not report. Run only after a connect failed.
inline connect_diagnosis diagnose_connect(const std::string& host, int port,
                                          std::chrono::milliseconds timeout) {
    connect_diagnosis out;
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
    char numeric[INET6_ADDRSTRLEN] = {};
    const void* address =
        found->ai_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
            : &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr;
    ::inet_ntop(found->ai_family, address, numeric, sizeof numeric);
    const std::string where = found->ai_family == AF_INET6
                                  ? "[" + std::string(numeric) + "]:" + service
                                  : std::string(numeric) + ":" + service;
    int error = 0;
    const int s = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        error = errno;
    } else {
        ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
        if (::connect(s, found->ai_addr, found->ai_addrlen) != 0) {
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
        ::close(s);
    }
    ::freeaddrinfo(found);
    // A connection that succeeds now (the server came back) says nothing about why it failed.
    std::string why = error == 0 ? "connection failed" : std::generic_category().message(error);
    if (!why.empty()) why[0] = to_lower(why[0]);
    out.reason = why + " (" + where + ")";
#else
    (void)host;
    (void)port;
    (void)timeout;
#endif
    return out;
}

}  // namespace detail
MISTRAL_NAMESPACE_END
