// tests/support/forward_proxy.cpp: the forward proxy for the proxy tests (see forward_proxy.hpp).
#include "forward_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mistral::test {

namespace {

int connect_to(const std::string& host_port) {
    const auto colon = host_port.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1))));
    std::string host = host_port.substr(0, colon);
    if (host == "localhost") host = "127.0.0.1";
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return -1;
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(s);
        return -1;
    }
    return s;
}

// Copies bytes both ways until one side closes.
void relay(int a, int b) {
    char buffer[16384];
    for (;;) {
        pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
        if (::poll(fds, 2, 30000) <= 0) return;
        for (int i = 0; i < 2; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            const auto n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (n <= 0 ||
                !raw_server::write_all(fds[1 - i].fd,
                                       std::string_view(buffer, static_cast<std::size_t>(n)))) {
                return;
            }
        }
    }
}

std::string header_value(const std::string& head, const std::string& name) {
    const auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
}

}  // namespace

forward_proxy::forward_proxy(std::string connect_answer)
    : connect_answer_(std::move(connect_answer)), server_([this](int client) { serve(client); }) {}

std::vector<std::string> forward_proxy::request_lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
}

std::string forward_proxy::last_proxy_authorization() const {
    std::lock_guard lock(mutex_);
    return proxy_authorization_;
}

void forward_proxy::serve(int client) {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(client, &c, 1, 0) == 1) head += c;
    const std::string line = head.substr(0, head.find("\r\n"));
    {
        std::lock_guard lock(mutex_);
        lines_.push_back(line);
        proxy_authorization_ = header_value(head, "Proxy-Authorization");
    }
    const auto sp1 = line.find(' ');
    const auto sp2 = line.rfind(' ');
    const std::string method = line.substr(0, sp1);
    const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (method == "CONNECT") {
        const int upstream = connect_to(target);
        if (upstream < 0) {
            raw_server::write_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        raw_server::write_all(client, connect_answer_ + "\r\n\r\n");
        relay(client, upstream);
        ::close(upstream);
        return;
    }
    // Absolute form: "POST http://host:port/path HTTP/1.1" is sent on as "POST /path HTTP/1.1".
    const auto authority_start = target.find("://") + 3;
    const auto path_start = target.find('/', authority_start);
    const int upstream = connect_to(target.substr(authority_start, path_start - authority_start));
    if (upstream < 0) return;
    raw_server::write_all(upstream, method + " " + target.substr(path_start) + line.substr(sp2) +
                                        head.substr(line.size()));
    relay(client, upstream);
    ::close(upstream);
}

}  // namespace mistral::test
