// tests/compile_fail/stream_callback_result.cpp: must not compile: the stream callback returns
// an int; only void and bool (false stops the stream) mean something.
// EXPECT: the stream callback must return void or bool
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

int main() {
    mistral::testing::mock_transport mock;
    mistral::basic_client<mistral::testing::mock_transport> client({.api_key = "k"}, mock);
    client.stream({.model = "m", .messages = {mistral::user("hi")}},
                  [](const mistral::chat_chunk&) { return 1; });
}
