// examples/async_chat.cpp: several questions at once. Each chat_async() call runs on a thread of
// its own and returns a std::future; the answers are printed in the order asked, and usage()
// sums what they all cost.
//
//   async_chat ["question" ...]
#include <mistral/mistral.hpp>

#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "example_config.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> questions(argv + 1, argv + argc);
    if (questions.empty())
        questions = {"What is the capital of France?", "Write a haiku about streams.",
                     "Name a prime number."};
    mistral::client client{example::options()};
    std::vector<std::future<mistral::chat_response>> answers;
    for (const auto& q : questions) {  // all sent now, answered concurrently
        answers.push_back(client.chat_async(
            {.model = example::model(), .messages = {mistral::user(q)}, .max_tokens = 200}));
    }
    int failed = 0;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        try {
            std::cout << "Q: " << questions[i] << "\nA: " << answers[i].get().text() << "\n\n";
        } catch (const mistral::error& e) {  // each call fails on its own
            std::cerr << "Q: " << questions[i] << " failed: " << e.what() << "\n";
            ++failed;
        }
    }
    const mistral::usage_totals u = client.usage();
    std::cout << u.total_tokens << " tokens in " << u.requests << " requests\n";
    return failed == 0 ? 0 : 1;
}
