// tests/platforms/asio_smoke.cpp: the Asio client where the default transport cannot be built
// (MinGW-w64, run under Wine in CI): a question awaited, a stream pushed and one pulled, from the
// fake server running beside it. Exits 0 when every answer is the one the fake server gives.
//
//   asio_smoke http://127.0.0.1:PORT
#include <mistral/asio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/src.hpp>

#include <iostream>
#include <string>

namespace net = boost::asio;

net::awaitable<int> run(mistral::asio_client& client) {
    const mistral::chat_request ask{.model = "mistral-small-latest",
                                    .messages = {mistral::user("What is the capital of France?")}};
    const std::string expected = "The capital of France is Paris.";
    const mistral::chat_response answer = co_await client.async_chat(ask, net::use_awaitable);
    std::string pushed;
    const mistral::chat_response streamed = co_await client.async_stream(
        ask, [&](const mistral::chat_chunk& c) { pushed += c.text(); }, net::use_awaitable);
    mistral::asio_stream stream = co_await client.async_open_stream(ask, net::use_awaitable);
    std::string pulled;
    while (auto chunk = co_await stream.async_next(net::use_awaitable)) pulled += chunk->text();
    std::cout << answer.text() << "\n"
              << pushed << "\n"
              << pulled << "\n"
              << client.usage().requests << " requests\n";
    co_return answer.text() == expected&& pushed == expected&& streamed.text() ==
            expected&& pulled == expected&& client.usage().requests == 3
        ? 0
        : 1;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: asio_smoke http://127.0.0.1:PORT\n";
        return 2;
    }
    net::io_context io;
    mistral::client_options options;
    options.api_key = "platform-smoke";
    options.base_url = argv[1];
    options.transport.proxy.use_environment = false;
    mistral::asio_client client{io.get_executor(), options};
    int status = 1;
    net::co_spawn(io, run(client), [&](std::exception_ptr e, int result) {
        status = result;
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& failure) {
            std::cerr << "error: " << failure.what() << "\n";
        }
    });
    io.run();
    return status;
}
