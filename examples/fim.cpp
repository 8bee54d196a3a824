// examples/fim.cpp: fill-in-the-middle, as an editor's code completion does it: the code before
// the cursor is the prompt, the code after it the suffix, and Codestral writes what goes between,
// streamed as it is written.
//
//   fim
//
// Without MISTRAL_API_KEY it talks to the bundled fake server (see example_config.hpp), which
// fills a gap between "def f(a, b):" and "return c" with "c = a + b".
#include <mistral/mistral.hpp>

#include <iostream>

#include "example_config.hpp"

int main() {
    mistral::client client{example::options()};
    const mistral::fim_request request{.model = "codestral-latest",
                                       .prompt = "def add(a, b):",
                                       .max_tokens = 64,
                                       .suffix = "    return c"};
    try {
        std::cout << request.prompt << "\033[1m";  // the completion in bold, where supported
        const mistral::chat_response response = client.fim_stream(
            request,
            [](const mistral::chat_chunk& chunk) { std::cout << chunk.text() << std::flush; });
        std::cout << "\033[0m" << *request.suffix << "\n";
        std::cout << "[" << response.choices.at(0).finish_reason.value_or("?") << ", "
                  << response.usage.completion_tokens << " tokens]\n";
    } catch (const mistral::error& e) {
        std::cerr << "\033[0m\nerror: " << e.what() << "\n";
        return 1;
    }
}
