// fuzz/decoder_fuzzer.cpp: libFuzzer target: the byte-fed stream decoder is split-invariant. The
// body is fed whole, then in pieces cut where the fuzzer says; both must end the same way: the
// same folded response and the same chunks, or the same typed error with the same message.
#include <mistral/core.hpp>

#include <boost/json/serialize.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct outcome {
    std::string result;  // the folded response as JSON, or "error: " and the message
    std::string seen;    // every chunk's text, as the callback saw it
    bool operator==(const outcome&) const = default;
};

outcome run(std::string_view body, const std::vector<std::size_t>& cuts, unsigned stop_after) {
    mistral::client_options options;
    options.api_key = "fuzz-key";
    options.max_event_size = 4096;
    options.max_response_size = 1 << 16;
    mistral::stream_decoder dec(options);
    dec.head({200, {{"Content-Type", "text/event-stream"}}});
    outcome out;
    unsigned chunks = 0;
    auto on_chunk = [&](const mistral::chat_chunk& c) {
        out.seen += c.text() + "|";
        return stop_after == 0 || ++chunks < stop_after;
    };
    try {
        std::size_t at = 0;
        for (const std::size_t cut : cuts) {
            dec.feed(body.substr(at, cut - at), on_chunk);
            at = cut;
        }
        dec.feed(body.substr(at), on_chunk);
        out.result = boost::json::serialize(boost::json::value_from(dec.finish()));
    } catch (const mistral::error& e) {
        out.result = std::string("error: ") + e.what();
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    unsigned seed = data[0];
    const unsigned stop_after = data[1] % 8;  // 0: never stop early
    const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0;;) {
        seed = seed * 1103515245u + 12345u;
        at += 1 + (seed >> 16) % 48;
        if (at >= body.size()) break;
        cuts.push_back(at);
    }
    if (!(run(body, {}, stop_after) == run(body, cuts, stop_after))) std::abort();
    return 0;
}
