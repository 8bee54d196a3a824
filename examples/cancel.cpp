// examples/cancel.cpp: stop a stream from another thread after a deadline. The call returns
// promptly with transport_error kind `cancelled`, the connection is released, and what arrived is
// kept.
//
//   cancel [milliseconds]   (default 1500)
#include <mistral/mistral.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <thread>

#include "example_config.hpp"

int main(int argc, char** argv) {
    const auto deadline = std::chrono::milliseconds(argc > 1 ? std::atoi(argv[1]) : 1500);
    mistral::client client{example::options()};
    const mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::user("Tell me a long story about a lighthouse keeper.")},
    };

    std::stop_source stop;
    mistral::call_options call;
    call.stop = stop.get_token();
    // Another thread decides when to give up: a UI button, a shutdown, a deadline...
    std::jthread watchdog([&stop, deadline](std::stop_token finished) {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, finished, deadline, [] { return false; }) &&
            !finished.stop_requested()) {
            stop.request_stop();
        }
    });
    try {
        client.stream(
            request,
            [](const mistral::chat_chunk& chunk) { std::cout << chunk.text() << std::flush; },
            call);
        std::cout << "\n(finished before the deadline)\n";
    } catch (const mistral::error& e) {
        // One handler for every error: a `throw;` from a handler of a derived type would skip
        // its siblings and end the program.
        const auto* failure = dynamic_cast<const mistral::transport_error*>(&e);
        if (failure == nullptr || failure->kind() != mistral::transport_error_kind::cancelled) {
            std::cerr << "error: " << e.what() << "\n";
            return 1;
        }
        std::cout << "\n(cancelled after " << deadline.count() << " ms";
        if (const auto* partial = e.partial_response()) {
            std::cout << "; " << partial->text().size() << " characters had arrived";
        }
        std::cout << ")\n";
    }
}
