// tests/test_history.cpp: history.hpp: each preflight rule rejects its history before any request
// is sent (and preflight = false sends it), and sanitize_tool_call_ids() repairs foreign ids.
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <set>
#include <string>
#include <vector>

#include "catch.hpp"

using namespace mistral;
using testing::mock_transport;
using testing::scripted_response;

namespace {

assistant_message asks(std::string id) {
    return {.content = std::string(),
            .tool_calls = std::vector<tool_call>{
                {.id = std::move(id), .type = "function", .function = {.name = "f"}}}};
}

std::string rejection(const std::vector<message>& history) {
    try {
        check_history(history);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a history the API accepts passes") {
    CHECK(rejection({mistral::system("Be brief."), user("Weather?"), asks("abcDEF123"),
                     tool_result("abcDEF123", "12C"), assistant("12C."), user("Thanks")}) == "");
    assistant_message prefix = assistant("Once upon");
    prefix.prefix = true;
    CHECK(rejection({user("A story"), prefix}) == "");
    CHECK(rejection({user("Weather?"), asks("abcDEF123"), tool_result("abcDEF123", "12C")}) == "");
}

TEST_CASE("each rule names the message and what is wrong") {
    CHECK(rejection({user("Hi"), assistant("Hello")})
              .starts_with(
                  "messages[1]: the last message is an assistant message without prefix: true"));
    CHECK(rejection({user("Weather?"), asks("abcDEF123"), tool_result("abcDEF123", "12C"),
                     user("And tomorrow?")})
              .starts_with("messages[3]: a user message right after a tool message"));
    CHECK(rejection({user("Hi"), assistant_message{}, user("?")})
              .starts_with("messages[1]: an assistant message needs content or tool calls"));
    CHECK(rejection({user("Weather?"), asks("call_1"), tool_result("call_1", "12C")})
              .starts_with("messages[1]: tool call id \"call_1\" is not 9 characters"));
    CHECK(rejection({user("Weather?"), asks("abcDEF123"), tool_result("abcDEF12", "12C")})
              .starts_with("messages[2]: tool_call_id \"abcDEF12\" is not 9 characters"));
    CHECK(rejection({user("Weather?"), asks("abcDEF123"), tool_result("zzzZZZ999", "12C")})
              .starts_with("messages[2]: tool message answers \"zzzZZZ999\", which no earlier"));
}

TEST_CASE("preflight rejects before any I/O; preflight = false sends the history as it is") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    const chat_request bad{.model = "m", .messages = {user("Hi"), assistant("Hello")}};
    CHECK_THROWS_AS(client.chat(bad), usage_error);
    CHECK_THROWS_AS(client.stream(bad, [](const chat_chunk&) {}), usage_error);
    CHECK(mock.requests().empty());

    mock.enqueue(scripted_response::completion("sent"));
    basic_client<mock_transport> unchecked({.api_key = "k", .preflight = false}, mock);
    CHECK(unchecked.chat(bad).text() == "sent");
    CHECK(mock.requests().size() == 1);
}

TEST_CASE("sanitize_tool_call_ids rewrites foreign ids, keeping pairs matched and ids distinct") {
    std::vector<message> history{
        user("Weather and time?"),
        assistant_message{
            .content = std::string(),
            .tool_calls = std::vector<tool_call>{{.id = "call_8f3aB", .function = {.name = "w"}},
                                                 {.id = "call_9x", .function = {.name = "t"}},
                                                 {.id = "abcDEF123", .function = {.name = "u"}}}},
        tool_result("call_8f3aB", "12C"), tool_result("call_9x", "09:00"),
        tool_result("abcDEF123", "ok")};
    CHECK_THROWS_AS(check_history(history), usage_error);
    std::vector<message> again = history;
    CHECK(sanitize_tool_call_ids(history) == 2);
    CHECK_NOTHROW(check_history(history));
    const auto& calls = *std::get<assistant_message>(history[1]).tool_calls;
    CHECK(calls[2].id == "abcDEF123");  // valid ids are kept
    CHECK(std::get<tool_message>(history[2]).tool_call_id == calls[0].id);
    CHECK(std::get<tool_message>(history[3]).tool_call_id == calls[1].id);
    CHECK(std::set<std::string>{*calls[0].id, *calls[1].id, *calls[2].id}.size() == 3);
    CHECK(sanitize_tool_call_ids(again) == 2);  // deterministic
    CHECK(again == history);
    CHECK(sanitize_tool_call_ids(history) == 0);  // nothing left to do
}
