// tests/support/black_hole.hpp: a listener whose accept queue is full and which never accepts:
// connects to it hang (SYN), for the connect timeout and cancellation-while-connecting tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace mistral::test {

class black_hole {
public:
    black_hole() {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(listener_, 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        for (int i = 0; i < 8; ++i) {
            fillers_.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
            ::connect(fillers_.back(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        }
    }
    ~black_hole() {
        for (const int s : fillers_) ::close(s);
        ::close(listener_);
    }
    black_hole(const black_hole&) = delete;
    black_hole& operator=(const black_hole&) = delete;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    int listener_ = -1;
    int port_ = 0;
    std::vector<int> fillers_;
};

}  // namespace mistral::test
