// benchmarks/many_streams_server.cpp: a loopback server for the concurrency benchmark: every
// connection gets one chat completion stream of N chunks ("w0 ", "w1 "...), one every D
// milliseconds, then `data: [DONE]`, so that thousands of streams are open at once. One thread,
// Boost.Asio coroutines; deliberately minimal, so that the clients, not the server, are measured.
//
//   many_streams_server [--chunks 20] [--interval-ms 50]   prints "listening on
//   http://127.0.0.1:<port>"
#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace net = boost::asio;
using tcp = net::ip::tcp;
constexpr auto tuple = net::as_tuple(net::use_awaitable);

std::string chunk(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
}

net::awaitable<void> serve(tcp::socket socket, int chunks, std::chrono::milliseconds interval) {
    std::string request;
    auto [ec, n] =
        co_await net::async_read_until(socket, net::dynamic_buffer(request), "\r\n\r\n", tuple);
    if (ec) co_return;
    const auto length_at = request.find("ontent-Length: ");
    const std::size_t body = length_at == std::string::npos
                                 ? 0
                                 : std::strtoul(request.c_str() + length_at + 15, nullptr, 10);
    while (request.size() < n + body) {
        auto [read_ec, more] = co_await net::async_read(socket, net::dynamic_buffer(request),
                                                        net::transfer_at_least(1), tuple);
        if (read_ec) co_return;
    }
    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n";
    net::steady_timer timer(socket.get_executor());
    for (int i = 0; i < chunks; ++i) {
        out += chunk(
            R"(data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"w)" +
            std::to_string(i) + R"( "},"finish_reason":)" +
            (i + 1 == chunks ? R"("stop")" : "null") + "}]" +
            (i + 1 == chunks
                 ? R"(,"usage":{"prompt_tokens":3,"completion_tokens":20,"total_tokens":23})"
                 : "") +
            "}\n\n");
        if (i + 1 == chunks) out += chunk("data: [DONE]\n\n") + "0\r\n\r\n";
        auto [write_ec, written] = co_await net::async_write(socket, net::buffer(out), tuple);
        if (write_ec) co_return;
        out.clear();
        if (i + 1 < chunks) {
            timer.expires_after(interval);
            co_await timer.async_wait(tuple);
        }
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> accept(tcp::acceptor& acceptor, int chunks,
                            std::chrono::milliseconds interval) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(tuple);
        if (ec) continue;
        net::co_spawn(acceptor.get_executor(), serve(std::move(socket), chunks, interval),
                      net::detached);
    }
}

int main(int argc, char** argv) {
    int chunks = 20;
    int interval = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--chunks") chunks = std::atoi(argv[i + 1]);
        if (flag == "--interval-ms") interval = std::atoi(argv[i + 1]);
    }
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;  // thousands of connections at once
    ::setrlimit(RLIMIT_NOFILE, &files);
    net::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    acceptor.listen(16384);
    std::cout << "listening on http://127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
    net::co_spawn(io, accept(acceptor, chunks, std::chrono::milliseconds(interval)), net::detached);
    io.run();
}
