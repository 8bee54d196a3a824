// tests/test_separate_compilation.cpp: built against mistral::compiled (so with
// MISTRAL_SEPARATE_COMPILATION): this translation unit only declares the client engine and the
// codecs; the target's cmake/mistral_compiled.cpp defines them. A missing or mismatched definition
// fails to link.
#include <mistral/core.hpp>
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <future>
#include <string>

#include "catch.hpp"

using namespace mistral;

#ifndef MISTRAL_SEPARATE_COMPILATION
#error "this test must be built with MISTRAL_SEPARATE_COMPILATION"
#endif

TEST_CASE("separate compilation: chat, stream and the codecs work from declarations alone") {
    testing::mock_transport mock;
    mock.enqueue(testing::scripted_response::completion("compiled once"));
    mock.enqueue(testing::scripted_response::sse_text("streamed from another translation unit"));
    client_options options;
    options.api_key = "test";
    basic_client<any_transport> client{options, any_transport{mock}};
    const chat_request request{.model = "m", .messages = {user("Hi")}};
    CHECK(client.chat(request).choices.at(0).message.text() == "compiled once");
    CHECK(client.stream(request, [](const chat_chunk&) {}).choices.at(0).message.text() ==
          "streamed from another translation unit");
    CHECK(from_json<chat_request>(to_json(request)) == request);

    // basic_client<any_transport>'s members are extern here too (client.hpp): each call below
    // links only if src.hpp defines it.
    mock.enqueue(testing::scripted_response::sse_text("pulled"));
    std::string pulled;
    for (const chat_chunk& chunk : client.open_stream(request)) pulled += chunk.text();
    CHECK(pulled == "pulled");
    mock.enqueue(testing::scripted_response::completion("awaited"));
    CHECK(client.chat_async(request).get().text() == "awaited");
    mock.enqueue(testing::scripted_response::completion("no tools needed"));
    chat_request with_tools = request;
    CHECK(client.run_tools(with_tools, toolbox{}).text() == "no tools needed");
    CHECK(client.usage().requests == 5);
}

TEST_CASE("separate compilation: mistral::client and the sum types' special members link") {
    // Declared only here (mistral::client is an extern template; the sum types' copy, move and
    // destruction are defined in src.hpp): a missing instantiation fails to link this test.
    client_options options;
    options.api_key = "test";
    options.base_url = "http://127.0.0.1:9";
    const mistral::client client{options};
    CHECK(client.options().base_url == "http://127.0.0.1:9");
    CHECK(client.usage().requests == 0);
    // Its constructors, copies, moves and destructor are defined out of the class, so they are
    // compiled in src.hpp's translation unit too.
    mistral::client copied = client;
    mistral::client moved = std::move(copied);
    copied = moved;
    moved = mistral::client{};
    CHECK(copied.options().base_url == "http://127.0.0.1:9");
    CHECK(moved.options().base_url == mistral::servers::global);

    std::vector<message> history{mistral::system("rules"), user("question")};
    history.push_back(assistant("answer"));
    std::vector<message> copy = history;
    CHECK(copy == history);
    copy[1] = tool_result("D681PevKs", "18C");
    CHECK(copy != history);
    history = std::move(copy);
    CHECK(text_of(history[1]) == "18C");

    content_chunk chunk = thinking_chunk{.thinking = {thinking_part{text_chunk{.text = "t"}}}};
    const content_chunk chunk_copy = chunk;
    CHECK(chunk_copy == chunk);
    const std::vector<tool> tools{make_function_tool("f", "d", {})};
    const chat_request request{.model = "m", .messages = history, .tools = tools};
    const auto back = from_json<chat_request>(to_json(request));
    CHECK(back.messages == history);
    REQUIRE(back.tools.has_value());
    CHECK(back.tools->size() == 1);
    CHECK(std::get<function_tool>(back.tools->at(0)).function.name == "f");
}
