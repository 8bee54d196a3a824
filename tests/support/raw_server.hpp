// tests/support/raw_server.hpp: A TCP server on 127.0.0.1 whose every connection runs a test's
// script on the raw socket: for faults an HTTP library would not produce (garbage chunked encoding,
// a close before the headers, a 10 MB event line...).
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mistral::test {

class raw_server {
public:
    /// Runs for every accepted connection, on its own thread, with the connected socket.
    using session = std::function<void(int socket)>;

    explicit raw_server(session on_connection);
    ~raw_server();
    raw_server(const raw_server&) = delete;
    raw_server& operator=(const raw_server&) = delete;

    int port() const noexcept { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::size_t connection_count() const noexcept { return connections_; }

    /// Reads one HTTP request (head and Content-Length body); "" if the peer closed first.
    static std::string read_request(int socket);
    /// Writes everything; false if the peer is gone.
    static bool write_all(int socket, std::string_view data);
    /// Whether the peer has closed its end (waits up to timeout_ms for that).
    static bool peer_closed(int socket, int timeout_ms);

private:
    void accept_loop();

    session on_connection_;
    int listener_ = -1;
    int wake_[2] = {-1, -1};
    int port_ = 0;
    std::atomic<std::size_t> connections_{0};
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<std::thread> sessions_;
    std::vector<int> sockets_;
};

/// The head of a 200 event stream sent chunked, for sessions that write the body by hand.
inline constexpr const char* sse_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

/// `data` as one HTTP chunk ("" is the last chunk).
inline std::string chunked(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
}

}  // namespace mistral::test
