// examples/chat.cpp: one question, one answer, and what it cost.
//
//   chat ["your question"]
//
// Without MISTRAL_API_KEY it talks to the bundled fake server (see example_config.hpp).
#include <mistral/mistral.hpp>

#include <iostream>

#include "example_config.hpp"

int main(int argc, char** argv) {
    mistral::client client{example::options()};
    const mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::user(argc > 1 ? argv[1] : "What is the capital of France?")},
        .max_tokens = 200,
    };
    try {
        const mistral::chat_response response = client.chat(request);
        std::cout << response.text() << "\n\n";
        // Token accounting, and what the HTTP response said about rate limits.
        std::cout << "usage: " << response.usage.prompt_tokens << " prompt + "
                  << response.usage.completion_tokens
                  << " completion = " << response.usage.total_tokens << " tokens\n";
        if (const auto* requests = response.http.rate_limits.find("req", "minute")) {
            std::cout << "requests left this minute: " << requests->remaining.value_or(-1) << " of "
                      << requests->limit.value_or(-1) << "\n";
        }
        std::cout << "request id: " << response.http.request_id << "\n";
    } catch (const mistral::api_error& e) {
        std::cerr << "the API refused: " << e.what() << "\n";
        return 1;
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
