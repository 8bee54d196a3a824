// fuzz/sse_fuzzer.cpp: libFuzzer target: the SSE parser must give the same events (and the same
// size-limit error) whether the input is fed whole or in the pieces the fuzzer chooses.
//
// Input layout: the first byte seeds the piece sizes; the rest is the stream.
#include <mistral/sse.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

struct outcome {
    std::vector<std::string> events;  // type, data, id and retry of each event, joined
    bool limit_error = false;
    bool clean = false;
    std::optional<std::uint64_t> retry;
    bool operator==(const outcome&) const = default;
};

template <class Pieces>
outcome parse(const Pieces& pieces) {
    mistral::sse::parser p(256);  // small, so the limit path is exercised
    outcome out;
    try {
        for (const std::string_view piece : pieces) {
            p.feed(piece, [&](const mistral::sse::event& e) {
                std::string record(e.type);
                record += '|';
                record += e.data;
                record += '|';
                record += e.id;
                record += '|';
                record += e.retry ? std::to_string(*e.retry) : "-";
                out.events.push_back(std::move(record));
            });
        }
        out.retry = p.retry();
        out.clean = p.finish();
    } catch (const mistral::sse::size_limit_error&) {
        out.limit_error = true;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    unsigned seed = data[0];
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    const outcome whole = parse(std::vector<std::string_view>{input});

    std::vector<std::string_view> pieces;
    for (std::size_t at = 0; at < input.size();) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t n = 1 + (seed >> 16) % 17;
        pieces.push_back(input.substr(at, n));
        at += n;
    }
    if (!(parse(pieces) == whole)) std::abort();

    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    if (!(parse(bytes) == whole)) std::abort();
    return 0;
}
