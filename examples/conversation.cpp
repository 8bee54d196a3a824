// examples/conversation.cpp: a multi-turn chat on the terminal. Every turn is
// streamed, and the whole history is sent each time so the model remembers. An empty line or end of
// input quits.
#include <mistral/mistral.hpp>

#include <iostream>
#include <string>

#include "example_config.hpp"

int main() {
    mistral::client client{example::options()};
    mistral::chat_request request{
        .model = example::model(),
        .messages = {mistral::system("You are a friendly assistant. Keep answers short.")},
    };
    std::string line;
    while (std::cout << "\nyou> " << std::flush && std::getline(std::cin, line) && !line.empty()) {
        request.messages.push_back(mistral::user(line));
        std::cout << "assistant> ";
        try {
            const mistral::chat_response reply = client.stream(
                request,
                [](const mistral::chat_chunk& chunk) { std::cout << chunk.text() << std::flush; });
            // Keep the assistant's answer in the history for the next turn.
            request.messages.push_back(reply.choices.at(0).message);
        } catch (const mistral::error& e) {
            std::cerr << "\nerror: " << e.what() << "\n";
            request.messages.pop_back();  // forget the question that failed
        }
        std::cout << "\n";
    }
    std::cout << "\n(" << request.messages.size() << " messages in the conversation)\n";
}
