// examples/asio_chat.cpp: the Asio client in a coroutine: a question awaited, a stream pulled chunk
// by chunk, and a stream cancelled by a timer, all on one thread that the library never leaves.
//
//   asio_chat ["question"]
#include <mistral/asio.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <string>

#include "example_config.hpp"

namespace net = boost::asio;

net::awaitable<void> converse(mistral::asio_client& client, std::string question) {
    // 1. Ask, and await the answer. (With GCC 12, keep a request in a named variable rather than
    // a braced temporary inside the co_await expression.)
    const mistral::chat_request ask{.model = example::model(),
                                    .messages = {mistral::user(question)}};
    const mistral::chat_response answer = co_await client.async_chat(ask, net::use_awaitable);
    std::cout << answer.text() << "\n[" << answer.usage.total_tokens << " tokens]\n";

    // 2. A stream, pulled: each co_await reads until the next chunk.
    const mistral::chat_request story{.model = example::model(),
                                      .messages = {mistral::user("Write a haiku about C++")}};
    mistral::asio_stream stream = co_await client.async_open_stream(story, net::use_awaitable);
    while (std::optional<mistral::chat_chunk> chunk =
               co_await stream.async_next(net::use_awaitable)) {
        std::cout << chunk->text() << std::flush;
    }
    std::cout << "\n[finish reason: "
              << stream.response().choices.at(0).finish_reason.value_or("none") << "]\n";

    // 3. A stream cancelled by a timer: the operation ends with transport_error `cancelled`,
    // keeping what had arrived, and its connection is released.
    const mistral::chat_request long_one{
        .model = example::model(),
        .messages = {mistral::user("Tell me a long story about a lighthouse keeper.")}};
    net::cancellation_signal cancel;
    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(300));
    // (A cancelled wait does nothing: `cancel` may be gone by the time it completes.)
    timer.async_wait([&cancel](boost::system::error_code ec) {
        if (!ec) cancel.emit(net::cancellation_type::terminal);
    });
    try {
        (void)co_await client.async_stream(
            long_one, [](const mistral::chat_chunk& c) { std::cout << c.text() << std::flush; },
            net::bind_cancellation_slot(cancel.slot(), net::use_awaitable));
        std::cout << "\n[finished before the timer]\n";
    } catch (const mistral::transport_error& e) {
        std::cout << "\n[" << mistral::to_string(e.kind()) << " after 300 ms";
        if (const auto* partial = e.partial_response())
            std::cout << ", " << partial->text().size() << " characters kept";
        std::cout << "]\n";
    }
    timer.cancel();
    std::cout << "[" << client.usage().requests << " requests, all on this thread]\n";
}

int main(int argc, char** argv) {
    net::io_context io;
    mistral::asio_client client{io.get_executor(), example::options()};
    int status = 0;
    net::co_spawn(io, converse(client, argc > 1 ? argv[1] : "What is the capital of France?"),
                  [&status](std::exception_ptr failure) {
                      if (!failure) return;
                      try {
                          std::rethrow_exception(failure);
                      } catch (const std::exception& e) {
                          std::cerr << "error: " << e.what() << "\n";
                          status = 1;
                      }
                  });
    io.run();  // the only thread: every handler and callback runs here
    return status;
}
