// examples/stream_chat.cpp: ask one question and print the answer as it streams in,
// token by token.
//
//   stream_chat ["your question"]
//
// Without MISTRAL_API_KEY it talks to the bundled fake server (see example_config.hpp).
#include <mistral/mistral.hpp>

#include <iostream>

#include "example_config.hpp"

int main(int argc, char** argv) {
    mistral::client client{example::options()};
    const mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::system("You are a concise assistant."),
                     mistral::user(argc > 1 ? argv[1]
                                            : "Write a haiku about streaming tokens in C++.")},
        .temperature = 0.7,
    };
    try {
        // The callback runs for every chunk as soon as it arrives.
        const mistral::chat_response full = client.stream(
            request,
            [](const mistral::chat_chunk& chunk) { std::cout << chunk.text() << std::flush; });
        // stream() also returns the chunks folded into one response.
        std::cout << "\n\n[" << full.usage.prompt_tokens << " prompt + "
                  << full.usage.completion_tokens << " completion tokens, finish reason: "
                  << full.choices.at(0).finish_reason.value_or("?") << "]\n";
    } catch (const mistral::error& e) {
        std::cerr << "\nerror: " << e.what() << "\n";
        if (const auto* partial = e.partial_response()) {
            std::cerr << "(received before the error: " << partial->text() << ")\n";
        }
        return 1;
    }
}
