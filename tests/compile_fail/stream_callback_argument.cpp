// tests/compile_fail/stream_callback_argument.cpp: must not compile: the stream callback takes a
// string, not a chunk.
// EXPECT: the stream callback must be callable with const mistral::chat_chunk&
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

int main() {
    mistral::testing::mock_transport mock;
    mistral::basic_client<mistral::testing::mock_transport> client({.api_key = "k"}, mock);
    client.stream({.model = "m", .messages = {mistral::user("hi")}}, [](const std::string&) {});
}
