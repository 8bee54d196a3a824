// benchmarks/corpus.hpp: synthetic Mistral chat-completion streams for the benchmarks: role chunk,
// content chunks with ASCII, accented, CJK and emoji tokens, a final chunk with finish_reason and
// usage, [DONE].
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mistral::bench {

/// One chat.completion.chunk JSON payload carrying `token`.
inline std::string content_chunk_json(const std::string& id, const std::string& token) {
    return R"({"id":")" + id +
           R"(","object":"chat.completion.chunk","created":1733320000,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":")" +
           token + R"("},"finish_reason":null}]})";
}

/// The final chunk: finish_reason and usage.
inline std::string final_chunk_json(const std::string& id, std::size_t completion_tokens) {
    return R"({"id":")" + id +
           R"(","object":"chat.completion.chunk","created":1733320000,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":"."},"finish_reason":"stop"}],"usage":{"prompt_tokens":24,"completion_tokens":)" +
           std::to_string(completion_tokens) + R"(,"total_tokens":)" +
           std::to_string(24 + completion_tokens) + "}}";
}

/// A whole SSE stream of one response with `tokens` content chunks, ending with [DONE].
inline std::string sse_stream(std::size_t tokens, std::uint32_t seed = 1) {
    static const char* const words[] = {" the",   " Paris", " café",      " naïve", " 東京",
                                        " 巴黎",  " 🎉",     " streaming", " token", " of",
                                        " C++",   " über",  " données",   " and",   " 😀 ok",
                                        " model", " is",    " fast",      " a",     " résumé"};
    const std::string id = "cmpl-e5cc70bb28c444948073e77776eb" + std::to_string(1000 + seed % 9000);
    std::string out;
    out.reserve(tokens * 200 + 512);
    out +=
        "data: " + std::string(R"({"id":")") + id +
        R"(","object":"chat.completion.chunk","created":1733320000,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})" +
        "\n\n";
    std::uint32_t state = seed;
    for (std::size_t i = 0; i < tokens; ++i) {
        state = state * 1664525u + 1013904223u;
        out += "data: " + content_chunk_json(id, words[(state >> 16) % 20]) + "\n\n";
    }
    out += "data: " + final_chunk_json(id, tokens + 1) + "\n\n";
    out += "data: [DONE]\n\n";
    return out;
}

/// Many responses back to back, about `bytes` long in total.
inline std::string sse_corpus(std::size_t bytes) {
    std::string out;
    for (std::uint32_t seed = 1; out.size() < bytes; ++seed)
        out += sse_stream(50 + seed * 37 % 400, seed);
    return out;
}

}  // namespace mistral::bench
