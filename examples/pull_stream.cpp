// examples/pull_stream.cpp: a stream you pull. open_stream() returns once the response head is
// in; the range-for reads each chunk as it arrives, on this thread. Leaving the loop early (here
// after --words N words) closes the connection and leaves the client usable. max_resumes lets a
// stream cut mid-text go on where it stopped.
//
//   pull_stream [--words N] ["question"]
#include <mistral/mistral.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "example_config.hpp"

int main(int argc, char** argv) {
    int max_words = -1;  // read everything
    std::string question = "Tell me about the Mistral wind.";
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--words" && i + 1 < argc) {
            max_words = std::atoi(argv[++i]);
        } else {
            question = argv[i];
        }
    }
    mistral::client client{example::options()};
    mistral::call_options call;
    call.max_resumes = 1;  // a cut after text arrived is asked to continue, once
    try {
        mistral::chat_stream stream = client.open_stream(
            {.model = example::model(), .messages = {mistral::user(question)}, .max_tokens = 300},
            call);
        std::cerr << "[request id " << stream.response().http.request_id << "]\n";
        int words = 0;
        for (const mistral::chat_chunk& chunk : stream) {
            const std::string text = chunk.text();
            if (text.empty()) continue;
            if (max_words >= 0 && words++ == max_words) break;
            std::cout << text << std::flush;
        }
        std::cout << '\n';
        if (stream.finished()) {
            std::cerr << "[" << stream.response().usage.total_tokens << " tokens]\n";
        } else {
            std::cerr << "[stopped after " << max_words << " words]\n";
        }
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    // The client is still usable after a stream left early: a second, separate question.
    std::cerr << "[a second call on the same client: \"Say hello.\"]\n";
    std::cout << client.chat({.model = example::model(), .messages = {mistral::user("Say hello.")}})
                     .text()
              << '\n';
    return 0;
}
