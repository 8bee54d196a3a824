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

TEST_CASE("preflight rejects the four histories the API's validator also refuses") {
    assistant_message prefix = assistant("Once upon");
    prefix.prefix = true;
    CHECK(rejection({user("A story"), prefix, user("Go on")})
              .starts_with("messages[1]: an assistant message with prefix: true must be the last"));
    CHECK(rejection({user("Weather?"), tool_result("abcDEF123", "12C")})
              .starts_with("messages[1]: a tool message right after a user message"));
    CHECK(rejection({user("Weather?"), asks("abcDEF123"), tool_result("abcDEF123", "12C"),
                     mistral::system("Answer in French.")})
              .starts_with("messages[3]: a system message right after a tool message"));
    assistant_message two = asks("abcDEF123");
    two.tool_calls->push_back({.id = "zzzZZZ999", .type = "function", .function = {.name = "g"}});
    CHECK(rejection({user("Weather and time?"), two, tool_result("abcDEF123", "12C"),
                     assistant("It is 12C."), user("And the time?")})
              .starts_with("messages[3]: tool call \"zzzZZZ999\" of messages[1] has no tool "
                           "message before this message"));
    CHECK(rejection({user("Weather and time?"), asks("abcDEF123"), user("Hello?")})
              .starts_with("messages[2]: tool call \"abcDEF123\" of messages[1] has no tool"));
    // Every call answered, in any order: accepted.
    CHECK(rejection({user("Weather and time?"), two, tool_result("zzzZZZ999", "09:00"),
                     tool_result("abcDEF123", "12C"), assistant("12C at 09:00."),
                     user("Thanks")}) == "");
}

TEST_CASE("a reply with neither content nor tool calls is refused, and says how to send it") {
    // The API refuses it ("must have either content or tool_calls"): preflight says so before
    // any I/O, and the same message with content "" is accepted.
    assistant_message reply;  // content null, no tool calls
    const std::string why = rejection({user("Hi"), reply, user("Hello?")});
    CHECK(why.starts_with("messages[1]: an assistant message needs content or tool calls"));
    CHECK(why.find("give it content, e.g. \"\"") != std::string::npos);
    reply.content = std::string();
    CHECK(rejection({user("Hi"), reply, user("Hello?")}) == "");
}

TEST_CASE("sanitize_tool_call_ids gives a foreign id reused by several calls a new id each") {
    std::vector<message> history{
        user("Weather in Paris?"), asks("call_0"), tool_result("call_0", "12C"), assistant("12C."),
        user("And in Oslo?"),      asks("call_0"), tool_result("call_0", "3C")};
    CHECK(sanitize_tool_call_ids(history) == 2);
    CHECK_NOTHROW(check_history(history));
    const std::string first = *std::get<assistant_message>(history[1]).tool_calls->at(0).id;
    const std::string second = *std::get<assistant_message>(history[5]).tool_calls->at(0).id;
    CHECK(first != second);
    CHECK(std::get<tool_message>(history[2]).tool_call_id == first);
    CHECK(std::get<tool_message>(history[6]).tool_call_id == second);
}
