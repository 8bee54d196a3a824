// fuzz/stream_fuzzer.cpp: libFuzzer target: the whole streaming path, bytes -> SSE -> chunks ->
// accumulator -> callback, through the mock transport, with the body split where the fuzzer says.
// Every outcome must be a response or a mistral::error; the folded text must equal the text the
// callback saw.
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    unsigned seed = data[0];
    const unsigned stop_after = data[1];  // 0: never stop early
    const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);

    mistral::testing::scripted_response script{.headers = {{"Content-Type", "text/event-stream"}}};
    for (std::size_t at = 0; at < body.size();) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t n = 1 + (seed >> 16) % 64;
        script.body_pieces.emplace_back(body.substr(at, n));
        at += n;
    }
    mistral::testing::mock_transport mock;
    mock.enqueue(script);
    mistral::client_options options;
    options.api_key = "fuzz";
    options.retry = mistral::retry_policy::none();
    options.max_event_size = 4096;
    mistral::basic_client<mistral::testing::mock_transport> client{options, mock};

    std::map<std::int64_t, std::string> seen;
    unsigned chunks = 0;
    try {
        const auto response =
            client.stream(mistral::chat_request{.model = "m", .messages = {mistral::user("x")}},
                          [&](const mistral::chat_chunk& c) {
                              for (const auto& choice : c.choices)
                                  seen[choice.index] += choice.delta.text();
                              return stop_after == 0 || ++chunks < stop_after;
                          });
        for (const auto& choice : response.choices) {
            if (choice.message.text() != seen[choice.index]) std::abort();
        }
    } catch (const mistral::error&) {
        // typed: fine
    }
    return 0;
}
