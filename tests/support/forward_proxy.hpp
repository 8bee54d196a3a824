// tests/support/forward_proxy.hpp: A minimal HTTP forward proxy on 127.0.0.1 for the proxy tests:
// CONNECT tunnels (https) and absolute-form requests (http), one request per client connection. It
// records the request lines it received.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "raw_server.hpp"

namespace mistral::test {

class forward_proxy {
public:
    /// `connect_answer`: the status line a CONNECT that can be served is answered with.
    explicit forward_proxy(std::string connect_answer = "HTTP/1.1 200 Connection established");
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
    int port() const { return server_.port(); }
    /// The first line of every request received, e.g. "CONNECT 127.0.0.1:4433 HTTP/1.1".
    std::vector<std::string> request_lines() const;
    /// The Proxy-Authorization header of the last request ("" if none).
    std::string last_proxy_authorization() const;

private:
    void serve(int client);

    std::string connect_answer_;
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
    std::string proxy_authorization_;
    raw_server server_;
};

}  // namespace mistral::test
