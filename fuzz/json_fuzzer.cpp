// libFuzzer target: JSON decoding of chat_response, chat_chunk and chat_request from arbitrary
// bytes. A value is either rejected with protocol_error or decoded; a decoded value must convert
// back and forth to the same value and byte-identical JSON.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boost::system::error_code ec;
    const boost::json::value v =
        boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec) return 0;
    round_trip<mistral::chat_response>(v);
    round_trip<mistral::chat_chunk>(v);
    round_trip<mistral::chat_request>(v);
    return 0;
}
