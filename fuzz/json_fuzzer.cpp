// fuzz/json_fuzzer.cpp: libFuzzer target: JSON decoding of chat_response, chat_chunk and
// chat_request from arbitrary bytes. A value is either rejected with protocol_error or decoded; a
// decoded value must convert back and forth to the same value and byte-identical JSON. The stream's
// chunk decoder (whose fast path skips the JSON tree) must agree with the tree decoder on every
// input.
#include <mistral/impl/chunk_decoder.hpp>
#include <mistral/json.hpp>

#include <cstdint>
#include <cstdlib>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace {

template <class T>
void round_trip(const boost::json::value& input) {
    T first;
    try {
        first = boost::json::value_to<T>(input);
    } catch (const mistral::protocol_error&) {
        return;  // rejected with a typed error: fine
    }
    const boost::json::value once = boost::json::value_from(first);
    const T second = boost::json::value_to<T>(once);
    if (!(second == first)) std::abort();
    if (boost::json::serialize(boost::json::value_from(second)) != boost::json::serialize(once))
        std::abort();
}

// The stream's chunk decoder agrees with the tree decoder: the same chunk, or both reject (error
// objects and [DONE] are reported as such by the decoder and not compared).
void compare_chunk_decoders(std::string_view text) {
    static mistral::detail::chunk_decoder<> decoder;  // reused across inputs, as in a stream
    bool tree_ok = true;
    mistral::chat_chunk expected;
    try {
        expected = mistral::from_json<mistral::chat_chunk>(text);
    } catch (const mistral::protocol_error&) {
        tree_ok = false;
    }
    try {
        if (decoder.decode("message", text) != mistral::detail::chunk_decoder<>::result::chunk)
            return;
        if (!tree_ok || !(decoder.chunk() == expected)) std::abort();
    } catch (const mistral::protocol_error&) {
        if (tree_ok) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    compare_chunk_decoders(text);
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    if (ec) return 0;
    round_trip<mistral::chat_response>(v);
    round_trip<mistral::chat_chunk>(v);
    round_trip<mistral::chat_request>(v);
    return 0;
}
