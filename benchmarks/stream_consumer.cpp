// benchmarks/stream_consumer.cpp: the mistral-cpp side of the end-to-end benchmark: one streamed
// chat completion from the given server, through the default transport; prints the number of chunks
// received.
//
//   stream_consumer http://127.0.0.1:<port> [--no-accumulate]
//
// --no-accumulate consumes the text in the callback only (call_options::accumulate = false), as
// the SDK clients of the comparison do; by default stream() also folds it into its result.
#include <mistral/mistral.hpp>

#include <cstdio>
#include <string_view>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    mistral::client_options options;
    options.api_key = "benchmark";
    options.base_url = argv[1];
    options.retry = mistral::retry_policy::none();
    mistral::client client{options};
    mistral::call_options call;
    call.accumulate = !(argc > 2 && std::string_view(argv[2]) == "--no-accumulate");
    std::size_t chunks = 0;
    std::size_t characters = 0;
    const auto response = client.stream(
        {.model = "mistral-small-latest", .messages = {mistral::user("Hi")}},
        [&](const mistral::chat_chunk& chunk) {
            ++chunks;
            if (!call.accumulate) characters += chunk.text().size();
        },
        call);
    if (call.accumulate) characters = response.text().size();
    std::printf("%zu chunks, %zu characters\n", chunks, characters);
}
