// tests/support/raw_server.cpp: the raw-socket test server (see raw_server.hpp).
#include "raw_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace mistral::test {

raw_server::raw_server(session on_connection) : on_connection_(std::move(on_connection)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 128) != 0) {
        throw std::runtime_error("raw_server: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (::pipe(wake_) != 0) throw std::runtime_error("raw_server: pipe");
    acceptor_ = std::thread([this] { accept_loop(); });
}

raw_server::~raw_server() {
    const char byte = 0;
    (void)!::write(wake_[1], &byte, 1);
    acceptor_.join();
    {
        std::lock_guard lock(mutex_);
        for (const int s : sockets_) ::shutdown(s, SHUT_RDWR);  // wakes sessions blocked on it
    }
    for (auto& t : sessions_) t.join();
    for (const int s : sockets_) ::close(s);
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void raw_server::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents != 0) return;
        if ((fds[0].revents & POLLIN) == 0) continue;
        const int s = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (s < 0) continue;
        ++connections_;
        std::lock_guard lock(mutex_);
        sockets_.push_back(s);
        sessions_.emplace_back([this, s] {
            on_connection_(s);
            ::shutdown(s, SHUT_RDWR);  // the peer sees the end; the descriptor is closed at exit
        });
    }
}

std::string raw_server::read_request(int socket) {
    std::string data;
    char buffer[4096];
    std::size_t body_needed = std::string::npos;
    for (;;) {
        const auto head_end = data.find("\r\n\r\n");
        if (head_end != std::string::npos && body_needed == std::string::npos) {
            body_needed = 0;
            const std::string head = data.substr(0, head_end);
            for (const char* name : {"Content-Length:", "content-length:"}) {
                if (const auto at = head.find(name); at != std::string::npos) {
                    body_needed = std::stoul(head.substr(at + std::string(name).size()));
                }
            }
            body_needed += head_end + 4;
        }
        if (body_needed != std::string::npos && data.size() >= body_needed) return data;
        const auto n = ::recv(socket, buffer, sizeof buffer, 0);
        if (n <= 0) return {};
        data.append(buffer, static_cast<std::size_t>(n));
    }
}

bool raw_server::write_all(int socket, std::string_view data) {
    while (!data.empty()) {
        const auto n = ::send(socket, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool raw_server::peer_closed(int socket, int timeout_ms) {
    pollfd fd{socket, POLLIN, 0};
    if (::poll(&fd, 1, timeout_ms) <= 0) return false;
    char byte;
    return ::recv(socket, &byte, 1, MSG_PEEK) == 0;
}

}  // namespace mistral::test
