// examples/moderation.cpp: check what people type before a game, a forum or a chat shows it
// (POST /v1/moderations), and check a whole exchange, the assistant's reply included
// (POST /v1/chat/moderations).
//
//   moderation ["text to check" ...]
//
// Without MISTRAL_API_KEY it talks to the bundled fake server (see example_config.hpp), which
// flags a text that holds words such as "kill", "hate" or "password".
#include <mistral/mistral.hpp>

#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "example_config.hpp"

namespace {

// The categories that apply, with their scores; "ok" when none does.
void print_verdict(const std::string& what, const mistral::moderation_result& result) {
    std::cout << std::left << std::setw(44) << what.substr(0, 42) << " ";
    bool flagged = false;
    for (const auto& [category, applies] : result.categories) {
        if (!applies) continue;
        std::cout << (flagged ? ", " : "") << category;
        if (const auto score = result.category_scores.find(category);
            score != result.category_scores.end())
            std::cout << " (" << std::fixed << std::setprecision(2) << score->second << ")";
        flagged = true;
    }
    std::cout << (flagged ? "" : "ok") << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    mistral::client client{example::options()};
    mistral::moderation_request request{.model = "mistral-moderation-latest"};
    for (int i = 1; i < argc; ++i) request.input.emplace_back(argv[i]);
    if (request.input.empty()) {
        request.input = {"Great match, well played everyone!", "I will kill you after school.",
                         "My password is hunter2, log in as me."};
    }
    try {
        const mistral::moderation_response texts = client.moderations(request);
        for (std::size_t i = 0; i < texts.results.size() && i < request.input.size(); ++i)
            print_verdict(request.input[i], texts.results[i]);

        // A conversation: the last message (here, the assistant's) judged in its context.
        const mistral::moderation_response chat = client.chat_moderations(
            {.model = "mistral-moderation-latest",
             .input = {mistral::user("My neighbour is away. How do I get into the house?"),
                       mistral::assistant("Steal the spare key from under the mat.")}});
        if (!chat.results.empty()) print_verdict("[the assistant's reply]", chat.results[0]);
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
