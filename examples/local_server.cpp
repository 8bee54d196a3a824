// examples/local_server.cpp: the chat program of stream_chat, against a server of your own that
// serves a Mistral model in the OpenAI-compatible dialect: vLLM, llama.cpp's llama-server,
// Ollama, LM Studio, mistral.rs. The model's reasoning, when it sends some, is printed dimmed
// before the answer.
//
//   local_server ["your question"]
//
// MISTRAL_BASE_URL says where the server is, MISTRAL_MODEL which model it serves:
//   Ollama        MISTRAL_BASE_URL=http://127.0.0.1:11434 MISTRAL_MODEL=magistral:24b
//   llama-server  MISTRAL_BASE_URL=http://127.0.0.1:8080  (the model it loaded)
//   vLLM          MISTRAL_BASE_URL=http://127.0.0.1:8000
//   MISTRAL_MODEL=mistralai/Magistral-Small-2509
// LOCAL_API_KEY is sent when the server wants a key; MISTRAL_API_KEY never is. Without
// MISTRAL_BASE_URL it talks to the bundled fake server at http://127.0.0.1:8088, started with
// --openai-compatible.
#include <mistral/mistral.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    mistral::client_options options;
    const char* url = std::getenv("MISTRAL_BASE_URL");
    options.base_url = url != nullptr ? url : "http://127.0.0.1:8088";
    const char* key = std::getenv("LOCAL_API_KEY");
    options.api_key = key != nullptr ? key : "";  // a local server needs none: none is sent
    options.dialect = mistral::dialect::openai_compatible;
    mistral::client client{options};

    const char* model = std::getenv("MISTRAL_MODEL");
    const mistral::chat_request request{
        .model = model != nullptr ? model : "magistral-small",
        .messages = {mistral::user(argc > 1 ? argv[1] : "Say hello to a C++ programmer.")},
        .random_seed = 42,  // sent as "seed", the name these servers know
    };
    try {
        bool dimmed = false;
        const mistral::chat_response full =
            client.stream(request, [&](const mistral::chat_chunk& chunk) {
                for (const auto& choice : chunk.choices) {
                    const std::string thought = choice.delta.thinking();
                    const std::string text = choice.delta.text();
                    if (!thought.empty() && !dimmed) std::cout << "\033[2m";
                    if (!thought.empty()) dimmed = true;
                    std::cout << thought;
                    if (!text.empty() && dimmed) std::cout << "\033[0m\n\n";
                    if (!text.empty()) dimmed = false;
                    std::cout << text << std::flush;
                }
            });
        // The servers send usage in a stream only when asked: the dialect asks.
        std::cout << "\n\n[" << full.usage.prompt_tokens << " prompt + "
                  << full.usage.completion_tokens << " completion tokens, finish reason: "
                  << full.choices.at(0).finish_reason.value_or("?") << "]\n";
    } catch (const mistral::error& e) {
        std::cerr << "\033[0m\nerror: " << e.what() << "\n";
        return 1;
    }
}
